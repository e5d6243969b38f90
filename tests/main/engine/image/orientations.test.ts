/** The eight flips and turns used by self-ensembles: each is distinct and turns back exactly, and a photo's pixel parity can be kept. */
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../../../src/main/engine/image/float-image';
import { ORIENTATIONS, orient, orientKeepingParity } from '../../../../src/main/engine/image/orientations';

describe('orient', () => {
  // 3 wide, 2 high:  1 2 3
  //                  4 5 6
  const grid = makeImage(3, 2, 1, Float32Array.from([1, 2, 3, 4, 5, 6]));

  it.each([
    [0, 3, 2, '123456'], [1, 3, 2, '321654'], [2, 3, 2, '456123'], [3, 3, 2, '654321'],
    [4, 2, 3, '142536'], [5, 2, 3, '362514'], [6, 2, 3, '415263'], [7, 2, 3, '635241'],
  ])('orientation %i is %ix%i with pixels %s', (t, w, h, pixels) => {
    const o = orient(grid, t);
    expect([o.width, o.height]).toEqual([w, h]);
    expect([...o.data].join('')).toBe(pixels);
  });

  it('turns every orientation of a colour image back exactly', () => {
    const img = makeImage(5, 3, 3, Float32Array.from({ length: 45 }, (_, i) => i));
    for (let t = 0; t < ORIENTATIONS; t++) {
      const back = orient(orient(img, t), t, true);
      expect([back.width, back.height]).toEqual([5, 3]);
      expect([...back.data]).toEqual([...img.data]);
    }
  });

  it('refuses orientations outside 0-7', () => {
    expect(() => orient(grid, 8)).toThrow(/0-7/);
    expect(() => orient(grid, 1.5)).toThrow(/0-7/);
  });
});

describe('orientKeepingParity', () => {
  /** Each pixel holds its column's and row's parity: (x & 1) + 2 * (y & 1). */
  const parities = (w: number, h: number) => makeImage(w, h, 1, Float32Array.from({ length: w * h }, (_, i) => ((i % w) & 1) + 2 * (Math.floor(i / w) & 1)));

  it.each([[6, 4], [5, 4], [6, 3], [5, 3]])('keeps every pixel on its parity on a %ix%i photo, and turns back exactly', (w, h) => {
    const img = parities(w, h);
    for (let t = 0; t < ORIENTATIONS; t++) {
      const { turned, back } = orientKeepingParity(img, t);
      for (let y = 0; y < turned.height; y++) {
        for (let x = 0; x < turned.width; x++) {
          // A turn (t & 4) swaps the axes, so a pixel's column parity becomes its row parity.
          const expected = t & 4 ? (y & 1) + 2 * (x & 1) : (x & 1) + 2 * (y & 1);
          expect([t, x, y, turned.data[y * turned.width + x]]).toEqual([t, x, y, expected]);
        }
      }
      const again = back(turned);
      expect([t, again.width, again.height, [...again.data]]).toEqual([t, w, h, [...img.data]]);
    }
  });

  it('is the plain orientation where no flipped axis has an even length', () => {
    const img = makeImage(5, 3, 3, Float32Array.from({ length: 45 }, (_, i) => i));
    for (let t = 0; t < ORIENTATIONS; t++) expect([...orientKeepingParity(img, t).turned.data]).toEqual([...orient(img, t).data]);
  });
});
