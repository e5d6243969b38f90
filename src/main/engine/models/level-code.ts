/**
 * Level estimators (architecture levelnet): where a denoiser keeps its own, and how one writes a
 * noise level. The level is written as its natural log on the 0-1 scale, floored at 2/255 (below
 * that a level matters little to a denoiser and is hard to tell from the faint noise clean photos
 * hold themselves; the floor also gives clean images a finite target). The log makes the squared
 * error a relative one, as the cost of a wrong level is. Kept once, for the training targets
 * (training/loop.ts) and the engine's reading of an estimate (inference/noise-level.ts).
 */
export const LEVEL_FLOOR = 2 / 255;

/** A level (0-1) as the estimator's target value. */
export const encodeLevel = (level: number): number => Math.log(Math.max(LEVEL_FLOOR, level));

/** The level (0-1) a mean of the estimator's output values stands for. */
export const decodeLevel = (value: number): number => Math.exp(value);

/** The starting value of the estimator's output (10/255), so an untrained one reads a plausible level. */
export const INITIAL_LEVEL_CODE = encodeLevel(10 / 255);

/**
 * The folders, inside a denoiser's folder, of its level estimators (levelnet models), if it has
 * them: `level/` reads the luma (or grey) plane, `level-chroma/` the two chroma planes at half
 * resolution (training/config.ts, --planes chroma). The engine tells the model their readings
 * instead of searching or running a blind pass (noise-level.ts).
 */
export const LEVEL_ESTIMATOR_FOLDERS = { luma: 'level', chroma: 'level-chroma' } as const;
/** The same folders as a list, for what handles them all alike (packages, carrying, messages). */
export const ALL_LEVEL_ESTIMATOR_FOLDERS: readonly string[] = Object.values(LEVEL_ESTIMATOR_FOLDERS);
