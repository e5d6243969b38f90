/**
 * How long a training step counts for in the run's elapsed time, speed and ETA. A laptop that sleeps
 * overnight, or a process stopped and continued (SIGSTOP / SIGCONT), stretches one step's wall time
 * by minutes or hours; counted as it is, it made "elapsed" hours too long and the ETA days long. A
 * step far longer than the usual one (PAUSE_FACTOR times the running average) counts as a usual step.
 */

/** How many times the usual step a step may take before it is taken for a pause. */
export const PAUSE_FACTOR = 20;

/** The seconds a step counts for: `measured`, or `usual` (the running average; 0 before the first) when it was a pause. */
export function stepSeconds(measured: number, usual: number): number {
  return usual > 0 && measured > PAUSE_FACTOR * usual ? usual : measured;
}
