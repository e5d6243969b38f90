/** Closeness of two arrays relative to the largest magnitude expected, for numeric parity tests. */
import { expect } from 'vitest';

/** Every value of `got` within `rel` times the largest magnitude in `want` (plus 1e-7) of `want`'s. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, what: string) {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    err = Math.max(err, Math.abs(got[i] - want[i]));
  }
  expect(err, `${what}: max error ${err} for values up to ${scale}`).toBeLessThanOrEqual(rel * scale + 1e-7);
}
