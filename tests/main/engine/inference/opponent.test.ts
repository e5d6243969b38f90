/** Opponent colour planes: an exact round trip, and white RGB noise stays white in each plane at the stated scale. */
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../../../src/main/engine/image/float-image';
import { fromOpponent, OPPONENT_NOISE_SCALE, toOpponent } from '../../../../src/main/engine/inference/opponent';
import { Rng } from '../../../../src/main/engine/data/rng';

describe('opponent planes', () => {
  it('round-trip any colour image', () => {
    const rng = new Rng(1);
    const img = makeImage(17, 9, 3, Float32Array.from({ length: 17 * 9 * 3 }, () => rng.next()));
    const planes = toOpponent(img);
    for (const p of planes) for (const v of p.data) expect(v >= 0 && v <= 1).toBe(true);
    const back = fromOpponent(planes);
    for (let i = 0; i < img.data.length; i++) expect(back.data[i]).toBeCloseTo(img.data[i], 5);
  });

  it('carry white RGB noise as independent noise of the stated level in each plane', () => {
    const rng = new Rng(2);
    const n = 200_000;
    const img = makeImage(n, 1, 3, Float32Array.from({ length: n * 3 }, () => 0.5 + 0.1 * rng.normal()));
    const planes = toOpponent(img).map((p) => p.data);
    const sd = (d: Float32Array) => {
      const m = d.reduce((a, v) => a + v, 0) / d.length;
      return Math.sqrt(d.reduce((a, v) => a + (v - m) ** 2, 0) / d.length);
    };
    planes.forEach((d, k) => expect(sd(d) / 0.1).toBeCloseTo(OPPONENT_NOISE_SCALE[k], 2));
    let cov = 0;
    for (let i = 0; i < n; i++) cov += (planes[1][i] - 0.5) * (planes[2][i] - 0.5);
    expect(Math.abs(cov / n) / (0.01 * OPPONENT_NOISE_SCALE[1] * OPPONENT_NOISE_SCALE[2])).toBeLessThan(0.02);
  });
});
