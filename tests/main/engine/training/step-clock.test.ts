/** A paused training step (a sleeping laptop, SIGSTOP) counts as a usual one. */
import { describe, expect, it } from 'vitest';
import { PAUSE_FACTOR, stepSeconds } from '../../../../src/main/engine/training/step-clock';

describe('stepSeconds', () => {
  it('counts a step as measured, unless it took far longer than usual: then as a usual step', () => {
    expect(stepSeconds(12, 0)).toBe(12); // the first step has nothing to compare with
    expect(stepSeconds(0.9, 0.5)).toBe(0.9); // a slow step (another program busy) still counts
    expect(stepSeconds(PAUSE_FACTOR * 0.5, 0.5)).toBe(PAUSE_FACTOR * 0.5);
    expect(stepSeconds(3600, 0.5)).toBe(0.5); // an hour asleep
  });
});
