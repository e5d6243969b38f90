/** Thread counts a user may set by environment variable: a whole number of at least 1, else every core. */
import os from 'node:os';

export function threadsFromEnv(variable: string): number {
  const fromEnv = Number(process.env[variable]);
  return Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : os.availableParallelism();
}
