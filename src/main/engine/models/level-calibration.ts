/**
 * A level estimator's calibration: how its readings map to the levels that were there. Fitted on
 * training photos with known noise (bench/calibrate-levels.ts) and kept in the estimator's manifest,
 * it takes out the estimator's bias with the level itself (it reads texture as a little noise, so
 * weak noise reads high). Plain data and arithmetic: no TF.js.
 */

/** Readings and the true levels they stand for (0-255), both ascending, one pair per knot. */
export interface LevelCalibration {
  read: number[];
  level: number[];
}

/**
 * The level a reading stands for: piecewise linear between the knots in log-log terms; beyond the
 * first or last knot the reading keeps that knot's ratio of level to reading. 0 stays 0.
 */
export function calibratedLevel(cal: LevelCalibration, reading: number): number {
  const { read, level } = cal;
  if (!(reading > 0)) return reading;
  if (reading <= read[0]) return reading * (level[0] / read[0]);
  const last = read.length - 1;
  if (reading >= read[last]) return reading * (level[last] / read[last]);
  let j = 1;
  while (read[j] < reading) j++;
  const t = Math.log(reading / read[j - 1]) / Math.log(read[j] / read[j - 1]);
  return Math.exp((1 - t) * Math.log(level[j - 1]) + t * Math.log(level[j]));
}

/**
 * The calibration from readings of noise at known levels, one group per noise level drawn (the true
 * levels of a group's samples differ a little: clipping and rounding change each photo's): a knot
 * at the geometric means of each group's readings and true levels. Knots whose reading does not rise
 * with the level are pooled with the one before (an estimator that cannot tell two levels apart
 * keeps one knot for them).
 */
export function fitLevelCalibration(groups: { read: number[]; level: number[] }[]): LevelCalibration {
  const logMean = (v: number[]) => v.reduce((a, b) => a + Math.log(b), 0) / v.length;
  const knots: { logRead: number; logLevel: number; n: number }[] = [];
  const usable = groups.filter((g) => g.read.length > 0 && g.read.length === g.level.length && [...g.read, ...g.level].every((v) => v > 0));
  for (const g of usable.map((g) => ({ logRead: logMean(g.read), logLevel: logMean(g.level), n: g.read.length })).sort((a, b) => a.logLevel - b.logLevel)) {
    let knot = g;
    while (knots.length && knots[knots.length - 1].logRead >= knot.logRead) {
      const prev = knots.pop()!;
      const n = prev.n + knot.n;
      knot = { logRead: (prev.logRead * prev.n + knot.logRead * knot.n) / n, logLevel: (prev.logLevel * prev.n + knot.logLevel * knot.n) / n, n };
    }
    knots.push(knot);
  }
  if (!knots.length) throw new Error('no readings to calibrate from');
  return { read: knots.map((k) => Math.exp(k.logRead)), level: knots.map((k) => Math.exp(k.logLevel)) };
}
