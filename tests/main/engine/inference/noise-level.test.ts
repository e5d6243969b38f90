/** The level-finding helpers: the wavelet noise estimate and the search's parabolic refinement. */
import { describe, expect, it } from 'vitest';
import { applyNoise, parseNoiseSpec } from '../../../../src/main/engine/data/noise';
import { makeImage } from '../../../../src/main/engine/image/float-image';
import { estimateNoiseSigma, parabolicMinimum } from '../../../../src/main/engine/inference/noise-level';
import { Rng } from '../../../../src/main/engine/data/rng';
import { smoothImage } from '../../../helpers/images';


describe('estimateNoiseSigma', () => {
  it.each([5, 15, 25, 50])('recovers sigma %i within 10%% on a smooth image', (sigma) => {
    const clean = smoothImage(400, 300, 1);
    const { noisy } = applyNoise(clean, parseNoiseSpec(`gaussian:${sigma}`), new Rng(sigma));
    const est = estimateNoiseSigma(makeImage(400, 300, 1, noisy));
    expect(Math.abs(est - sigma) / sigma).toBeLessThan(0.1);
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

