/** The self-ensemble passes a photo gets when the user asks for none: as many as fit in a fixed pixel budget. */
import { describe, expect, it } from 'vitest';
import { AUTO_ENSEMBLE_PIXELS, autoEnsemble, ENSEMBLE_PASSES } from '../../src/shared/ensemble';

describe('autoEnsemble', () => {
  it('gives small photos more passes and a phone photo one', () => {
    expect(autoEnsemble(481 * 321)).toBe(8); // a BSD68-sized image
    expect(autoEnsemble(768 * 512)).toBe(4);
    expect(autoEnsemble(1000 * 1000)).toBe(2);
    expect(autoEnsemble(4000 * 3000)).toBe(1);
    expect(autoEnsemble(1)).toBe(8);
  });

  it('keeps every photo within the budget (and at least one pass), at each boundary', () => {
    for (const p of ENSEMBLE_PASSES) {
      const largest = Math.floor(AUTO_ENSEMBLE_PIXELS / p); // the largest photo that still gets p passes or more
      expect(autoEnsemble(largest)).toBeGreaterThanOrEqual(p);
      expect(autoEnsemble(largest) * largest).toBeLessThanOrEqual(AUTO_ENSEMBLE_PIXELS);
      if (p < 8) expect(autoEnsemble(largest + 1)).toBeLessThanOrEqual(p);
    }
    expect(autoEnsemble(AUTO_ENSEMBLE_PIXELS * 10)).toBe(1);
  });
});
