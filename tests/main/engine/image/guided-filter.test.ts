/** The guided filter: flat noise is smoothed and the guide's edges are kept. */
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../../../src/main/engine/image/float-image';
import { guidedFilter } from '../../../../src/main/engine/image/guided-filter';
import { psnr } from '../../../../src/main/engine/image/metrics';
import { Rng } from '../../../../src/main/engine/data/rng';

const W = 40, H = 30;
/** A vertical edge at x = 20: `lo` left, `hi` right. */
const step = (lo: number, hi: number) => makeImage(W, H, 1, Float32Array.from({ length: W * H }, (_, i) => (i % W < 20 ? lo : hi)));
const noisy = (img: ReturnType<typeof step>, sigma: number, seed: number) => {
  const rng = new Rng(seed);
  return makeImage(W, H, 1, img.data.map((v) => v + sigma * rng.normal()));
};

describe('guidedFilter', () => {
  it('keeps a constant plane, and a plane that is a linear function of the guide', () => {
    const flat = guidedFilter(step(0.2, 0.8), 3, 1e-3)(step(0.5, 0.5));
    expect(Math.max(...flat.data.map((v) => Math.abs(v - 0.5)))).toBeLessThan(1e-6);
    const linear = guidedFilter(step(0.2, 0.8), 3, 1e-6)(step(0.4, 0.1));
    expect(Math.max(...linear.data.map((v, i) => Math.abs(v - step(0.4, 0.1).data[i])))).toBeLessThan(1e-3);
  });

  it('removes noise and keeps an edge where the guide has it, but blurs it where the guide is flat', () => {
    const clean = step(0.45, 0.6);
    const input = noisy(clean, 0.03, 1);
    const guided = guidedFilter(step(0.3, 0.7), 3, 1e-3)(input);
    const unguided = guidedFilter(step(0.5, 0.5), 3, 1e-3)(input); // a flat guide: a box mean
    expect(psnr(guided.data, clean.data)).toBeGreaterThan(psnr(input.data, clean.data) + 6);
    expect(psnr(guided.data, clean.data)).toBeGreaterThan(psnr(unguided.data, clean.data) + 3);
  });

  it('is a box mean, clipped at the borders, under a flat guide', () => {
    const rng = new Rng(3);
    const input = makeImage(W, H, 1, Float32Array.from({ length: W * H }, () => rng.normal()));
    const r = 3;
    const out = guidedFilter(makeImage(W, H, 1, new Float32Array(W * H).fill(0.5)), r, 1e-3)(input);
    let worst = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        // Under a flat guide a = 0 and b is the window mean; the output is the window mean of those means.
        const mean = (cx: number, cy: number) => {
          let s = 0, n = 0;
          for (let v = Math.max(0, cy - r); v <= Math.min(H - 1, cy + r); v++) for (let u = Math.max(0, cx - r); u <= Math.min(W - 1, cx + r); u++) s += input.data[v * W + u], n++;
          return s / n;
        };
        let s = 0, n = 0;
        for (let v = Math.max(0, y - r); v <= Math.min(H - 1, y + r); v++) for (let u = Math.max(0, x - r); u <= Math.min(W - 1, x + r); u++) s += mean(u, v), n++;
        worst = Math.max(worst, Math.abs(out.data[y * W + x] - s / n));
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('refuses planes of different sizes', () => {
    expect(() => guidedFilter(step(0, 1), 3, 1e-3)(makeImage(W, H + 1, 1))).toThrow(/one size/);
  });
});
