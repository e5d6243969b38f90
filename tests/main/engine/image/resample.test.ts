/** Half resolution and back: 2x2 block means (odd sizes too), and bilinear back close to a smooth plane. */
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../../../src/main/engine/image/float-image';
import { double, halve } from '../../../../src/main/engine/image/resample';

describe('halve and double', () => {
  it('halve to block means (odd sizes too) and double back close to a smooth plane', () => {
    const p = makeImage(7, 5, 1, Float32Array.from({ length: 35 }, (_, i) => i / 35));
    const h = halve(p);
    expect([h.width, h.height]).toEqual([4, 3]);
    expect(h.data[0]).toBeCloseTo((p.data[0] + p.data[1] + p.data[7] + p.data[8]) / 4, 6);
    const smooth = makeImage(40, 30, 1, Float32Array.from({ length: 1200 }, (_, i) => 0.5 + 0.2 * Math.sin((i % 40) / 7) * Math.cos(Math.floor(i / 40) / 9)));
    const back = double(halve(smooth), 40, 30);
    let worst = 0;
    for (let i = 0; i < 1200; i++) worst = Math.max(worst, Math.abs(back.data[i] - smooth.data[i]));
    expect(worst).toBeLessThan(0.02);
  });
});
