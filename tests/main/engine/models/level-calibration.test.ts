/** A level estimator's calibration: the map from readings to levels, and its fit from readings of known levels. */
import { describe, expect, it } from 'vitest';
import { calibratedLevel, fitLevelCalibration } from '../../../../src/main/engine/models/level-calibration';

describe('level calibration', () => {
  const cal = { read: [6, 16, 50], level: [5, 15, 50] };

  it('maps the knots onto their levels, between them in log-log terms, and beyond them at the end knots\' ratios', () => {
    expect(calibratedLevel(cal, 6)).toBeCloseTo(5, 10);
    expect(calibratedLevel(cal, 16)).toBeCloseTo(15, 10);
    expect(calibratedLevel(cal, Math.sqrt(6 * 16))).toBeCloseTo(Math.sqrt(5 * 15), 10);
    expect(calibratedLevel(cal, 3)).toBeCloseTo(2.5, 10);
    expect(calibratedLevel(cal, 80)).toBeCloseTo(80, 10);
    expect(calibratedLevel(cal, 0)).toBe(0);
    // Monotone: a higher reading never stands for a lower level.
    const levels = Array.from({ length: 100 }, (_, i) => calibratedLevel(cal, 1 + i));
    levels.slice(1).forEach((v, i) => expect(v).toBeGreaterThan(levels[i]));
  });

  it('fits one knot per noise level at the geometric means of its readings and levels, pooling levels whose readings do not rise', () => {
    const fitted = fitLevelCalibration([
      { level: [15], read: [16] },
      { level: [4, 6.25], read: [4, 9] }, // geometric means 5 and 6
      { level: [50], read: [50] },
      { level: [55], read: [40] }, // reads below level 50's: pooled with it
    ]);
    expect(fitted.level.map((v) => +v.toFixed(6))).toEqual([5, 15, +Math.sqrt(50 * 55).toFixed(6)]);
    expect(fitted.read.map((v) => +v.toFixed(6))).toEqual([6, 16, +Math.sqrt(50 * 40).toFixed(6)]);
    expect(() => fitLevelCalibration([])).toThrow(/no readings/);
  });
});
