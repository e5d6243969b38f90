/** The eight flips and turns used by self-ensembles: each is distinct and turns back exactly. */
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../../../src/main/engine/image/float-image';
import { ORIENTATIONS, orient } from '../../../../src/main/engine/image/orientations';

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
