/** The level-finding helpers: the wavelet noise estimate, a level estimator's reading and the search's parabolic refinement. */
import { describe, expect, it } from 'vitest';
import { applyNoise, parseNoiseSpec } from '../../../../src/main/engine/data/noise';
import { makeImage } from '../../../../src/main/engine/image/float-image';
import { clippedBlocks, estimatedLevel, estimateNoiseSigma, parabolicMinimum } from '../../../../src/main/engine/inference/noise-level';
import { encodeLevel } from '../../../../src/main/engine/models/level-code';
import { Rng } from '../../../../src/main/engine/data/rng';
import { smoothImage } from '../../../helpers/images';


describe('estimateNoiseSigma', () => {
  it.each([5, 15, 25, 50])('recovers sigma %i within 10%% on a smooth image', (sigma) => {
    const clean = smoothImage(400, 300, 1);
    const { noisy } = applyNoise(clean, parseNoiseSpec(`gaussian:${sigma}`), new Rng(sigma));
    const est = estimateNoiseSigma(makeImage(400, 300, 1, noisy));
    expect(Math.abs(est - sigma) / sigma).toBeLessThan(0.1);
  });

  it('takes the exact median of the diagonal band, ties and odd sizes included', () => {
    const rng = new Rng(7);
    for (const [w, h, levels] of [[9, 7, 3], [64, 48, 256], [101, 77, 1e9]]) {
      // Few levels make many equal values, the case a selection's partitioning gets wrong first.
      const data = Float32Array.from({ length: w * h }, () => Math.floor(rng.next() * levels) / levels);
      const band: number[] = [];
      for (let y = 0; y + 1 < h; y += 2) for (let x = 0; x + 1 < w; x += 2) {
        band.push(Math.abs(data[y * w + x] - data[y * w + x + 1] - data[(y + 1) * w + x] + data[(y + 1) * w + x + 1]) / 2);
      }
      const median = band.sort((a, b) => a - b)[Math.floor(band.length / 2)];
      expect(estimateNoiseSigma(makeImage(w, h, 1, data))).toBe((median / 0.6745) * 255);
    }
  });
});

describe('estimatedLevel', () => {
  const noisy = makeImage(300, 200, 1, applyNoise(smoothImage(300, 200, 1), parseNoiseSpec('gaussian:20'), new Rng(2)).noisy);
  const reading = (level: number) => async (crop: ReturnType<typeof makeImage>) => makeImage(crop.width, crop.height, 1, new Float32Array(crop.width * crop.height).fill(encodeLevel(level)));

  it('is what the estimator reads, when that is plausible', async () => {
    expect(await estimatedLevel(reading(18 / 255), noisy, 2)).toBeCloseTo(18 / 255, 6);
  });
  it('is never below 0.7 of the wavelet estimate: a reading far under it is outside what the estimator learned', async () => {
    expect(await estimatedLevel(reading(3 / 255), noisy, 2)).toBeCloseTo((0.7 * estimateNoiseSigma(noisy)) / 255, 6);
  });
  it('leaves out readings next to clipped values, unless they are nearly all of the image', async () => {
    // The left half blown out (1, no noise left): a reader that reads near-zero there, 20/255 elsewhere.
    const half = (img: ReturnType<typeof makeImage>, blown: number) => makeImage(img.width, img.height, 1, img.data.map((v, i) => (i % img.width < blown ? 1 : v)));
    const local = async (crop: ReturnType<typeof makeImage>) => makeImage(crop.width, crop.height, 1, crop.data.map((v) => encodeLevel(v >= 1 ? 0.5 / 255 : 20 / 255)));
    const blownHalf = half(noisy, 150);
    expect(await estimatedLevel(local, blownHalf, 2)).toBeCloseTo(20 / 255, 6);
    // Under a tenth of the sample left: every reading counts (the log-mean of the two readings, 95 % blown).
    const blownMost = half(noisy, 285);
    const expected = Math.exp(0.95 * encodeLevel(0.5 / 255) + 0.05 * encodeLevel(20 / 255));
    expect(await estimatedLevel(local, blownMost, 2)).toBeCloseTo(Math.max(expected, (0.7 * estimateNoiseSigma(blownMost)) / 255), 4);
  });
  it('finds clipped values in the clip source: a colour photo with one channel blown, for its luma plane', async () => {
    const rgb = makeImage(300, 200, 3, Float32Array.from({ length: 300 * 200 * 3 }, (_, i) => (i % 3 === 0 && Math.floor(i / 3) % 300 < 150 ? 1 : 0.5)));
    const lowLeft = async (crop: ReturnType<typeof makeImage>) => makeImage(crop.width, crop.height, 1, Float32Array.from(crop.data, (_, i) => encodeLevel(i % crop.width < 150 ? 2 / 255 : 20 / 255)));
    expect(await estimatedLevel(lowLeft, noisy, 2, rgb)).toBeCloseTo(20 / 255, 6);
    expect(await estimatedLevel(lowLeft, noisy, 2)).toBeLessThan(15 / 255); // the plane itself has nothing clipped
    await expect(estimatedLevel(lowLeft, noisy, 2, makeImage(10, 10, 3))).rejects.toThrow(/size/);
  });
});

describe('clippedBlocks', () => {
  it('marks each 2x2 block (edges of odd sizes included) with a channel clipped in any of its pixels', () => {
    const img = makeImage(5, 3, 3, new Float32Array(45).fill(0.5));
    img.data[(1 * 5 + 1) * 3 + 2] = 1; // pixel (1, 1), blue blown: block (0, 0)
    img.data[(2 * 5 + 4) * 3] = 0; // pixel (4, 2), red black: block (2, 1), the odd corner
    const marks = clippedBlocks(img);
    expect([marks.width, marks.height, marks.channels]).toEqual([3, 2, 1]);
    expect(Array.from(marks.data)).toEqual([1, 0.5, 0.5, 0.5, 0.5, 1]);
  });
});

describe('parabolicMinimum', () => {
  it('finds the vertex of a parabola between grid points, and stays between the lowest point\'s neighbours', () => {
    const xs = [0, 1, 2, 3, 4];
    expect(parabolicMinimum(xs, xs.map((x) => (x - 1.7) ** 2))).toBeCloseTo(1.7, 10);
    expect(parabolicMinimum(xs, [5, 4, 3, 2, 1])).toBe(4); // lowest at an end: that end
    expect(parabolicMinimum(xs, [5, 1, 0.9, 1, 5])).toBeGreaterThanOrEqual(1);
    expect(parabolicMinimum(xs, [3, 3, 3, 3, 3])).toBe(0);
  });
});

