/** The camera pipeline: unprocess and process are inverses, raw noise follows shot * x + read, and camera noise is deterministic. */
import { describe, expect, it } from 'vitest';
import { addRawNoise, demosaic, processRaw, randomCamera, randomRawNoise, unprocess } from '../../../../src/main/engine/data/camera-pipeline';
import { applyNoise, parseNoiseSpec } from '../../../../src/main/engine/data/noise';
import { makeImage, type FloatImage } from '../../../../src/main/engine/image/float-image';
import { psnr } from '../../../../src/main/engine/image/metrics';
import { Rng } from '../../../../src/main/engine/data/rng';

/** A smooth colour image with values inside (0.05, 0.85), away from the highlights the pipeline clips. */
function smoothColour(w: number, h: number): FloatImage {
  const img = makeImage(w, h, 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) {
    img.data[(y * w + x) * 3 + k] = 0.45 + 0.35 * Math.sin(x / 11 + 2 * k) * Math.cos(y / 13 - k);
  }
  return img;
}

describe('camera pipeline', () => {
  it('unprocess then process without noise is close to the identity', () => {
    const img = smoothColour(96, 64);
    for (const seed of [1, 2, 3]) {
      const cam = randomCamera(new Rng(seed));
      const back = processRaw(unprocess(img.data, 96, 64, cam), 96, 64, cam);
      expect(psnr(back, img.data)).toBeGreaterThan(40);
    }
  });

  it('round-trips in each of the four mosaic phases, and draws all four', () => {
    const img = smoothColour(96, 64);
    const cam = randomCamera(new Rng(1));
    for (const cfa of [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 0, y: 1 }, { x: 1, y: 1 }] as const) {
      const c = { ...cam, cfa };
      expect([cfa, psnr(processRaw(unprocess(img.data, 96, 64, c), 96, 64, c), img.data) > 40]).toEqual([cfa, true]);
      // Demosaicing in another phase than the mosaic's mixes the colours up.
      const wrong = { ...c, cfa: { x: (1 - cfa.x) as 0 | 1, y: cfa.y } };
      expect(psnr(processRaw(unprocess(img.data, 96, 64, c), 96, 64, wrong), img.data)).toBeLessThan(30);
    }
    const drawn = new Set(Array.from({ length: 64 }, (_, seed) => JSON.stringify(randomCamera(new Rng(seed)).cfa)));
    expect(drawn.size).toBe(4);
  });

  it('draws cameras whose colour matrix keeps white white and inverts exactly', () => {
    const cam = randomCamera(new Rng(7));
    for (let r = 0; r < 3; r++) expect(cam.rgbToCam[r * 3] + cam.rgbToCam[r * 3 + 1] + cam.rgbToCam[r * 3 + 2]).toBeCloseTo(1, 6);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += cam.rgbToCam[i * 3 + k] * cam.camToRgb[k * 3 + j];
      expect(s).toBeCloseTo(i === j ? 1 : 0, 6);
    }
    expect(cam.redGain).toBeGreaterThanOrEqual(1.9);
    expect(cam.redGain).toBeLessThanOrEqual(2.4);
    expect(cam.blueGain).toBeGreaterThanOrEqual(1.5);
    expect(cam.blueGain).toBeLessThanOrEqual(1.9);
  });

  it('adds raw noise whose variance is shot * x + read', () => {
    const noise = { shot: 0.01, read: 0.0004 };
    for (const x of [0.05, 0.3, 0.8]) {
      const raw = new Float32Array(200_000).fill(x);
      addRawNoise(raw, noise, new Rng(11));
      const mean = raw.reduce((a, v) => a + v, 0) / raw.length;
      const variance = raw.reduce((a, v) => a + (v - mean) ** 2, 0) / raw.length;
      const expected = noise.shot * x + noise.read;
      expect(mean).toBeCloseTo(x, 3);
      expect(Math.abs(variance - expected) / expected).toBeLessThan(0.02);
    }
  });

  it('draws read noise that rises with shot noise, log-linearly', () => {
    const rng = new Rng(5);
    const low = Array.from({ length: 200 }, () => randomRawNoise(rng, [1e-4, 1e-4]).read);
    const high = Array.from({ length: 200 }, () => randomRawNoise(rng, [1e-2, 1e-2]).read);
    const median = (v: number[]) => v.sort((a, b) => a - b)[100];
    // log(read) = 2.18 log(shot) + 1.2 + N(0, 0.26): medians exp(1.2) * shot^2.18
    expect(median(low) / (Math.exp(1.2) * 1e-4 ** 2.18)).toBeGreaterThan(0.8);
    expect(median(low) / (Math.exp(1.2) * 1e-4 ** 2.18)).toBeLessThan(1.25);
    expect(median(high) / median(low)).toBeGreaterThan(1e4);
  });

  it('demosaics a flat grey mosaic back to flat grey', () => {
    const rgb = demosaic(new Float32Array(16 * 16).fill(0.3), 16, 16);
    for (const v of rgb) expect(v).toBeCloseTo(0.3, 6);
  });
});

describe('camera noise spec', () => {
  const img = smoothColour(64, 48);

  it('is deterministic for a seed and differs across seeds', () => {
    const spec = parseNoiseSpec('camera');
    const a = applyNoise(img, spec, new Rng(3));
    const b = applyNoise(img, spec, new Rng(3));
    const c = applyNoise(img, spec, new Rng(4));
    expect(a.noisy).toEqual(b.noisy);
    expect(a.sigma).toBe(b.sigma);
    expect(c.noisy).not.toEqual(a.noisy);
  });

  it('grows with the shot level, lands on the 8-bit grid, and reports its RMS level', () => {
    const level = (spec: string) => applyNoise(img, parseNoiseSpec(spec), new Rng(1));
    const low = level('camera:0.0005');
    const high = level('camera:0.01');
    expect(high.sigma).toBeGreaterThan(2 * low.sigma);
    expect(psnr(high.noisy, img.data)).toBeCloseTo(-20 * Math.log10(high.sigma), 1);
    for (const v of high.noisy) expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-4);
  });

  it('is correlated between neighbours, unlike white noise, after demosaicing', () => {
    const flat = makeImage(64, 64, 3, new Float32Array(64 * 64 * 3).fill(0.4));
    const corr = (spec: string) => {
      const { noisy } = applyNoise(flat, parseNoiseSpec(spec), new Rng(2));
      const d = noisy.map((v) => v - 0.4);
      let num = 0, den = 0;
      for (let y = 0; y < 64; y++) for (let x = 0; x + 1 < 64; x++) {
        const p = (y * 64 + x) * 3 + 1;
        num += d[p] * d[p + 3];
        den += d[p] * d[p];
      }
      return num / den;
    };
    expect(corr('camera:0.01')).toBeGreaterThan(0.2);
    expect(Math.abs(corr('gaussian:10'))).toBeLessThan(0.1);
  });

  it('works on grey images and with JPEG', () => {
    const grey = makeImage(40, 24, 1, new Float32Array(40 * 24).fill(0.5));
    const r = applyNoise(grey, parseNoiseSpec('camera:0.004,80'), new Rng(1));
    expect(r.noisy.length).toBe(40 * 24);
    expect(r.sigma).toBeGreaterThan(0);
  });
});
