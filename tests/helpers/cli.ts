/** Runs the real CLI (through tsx) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { engineProcessEnv } from '../../src/main/engine/runtime/allocator';

export const ROOT = path.resolve(__dirname, '../..');
const ENTRY = path.join(ROOT, 'src/main/cli/index.ts');

/**
 * Starts the CLI with the engine's process environment already set, so it runs in this one process
 * (no relaunch: cli/relaunch.ts) and signals reach the process doing the work; `relaunch` starts it
 * without, as a user's shell does.
 */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, { relaunch = false } = {}): ChildProcess {
  const base = { ...process.env, ...env };
  if (relaunch) delete base.GLIBC_TUNABLES;
  // node itself (not the tsx wrapper), for the same reason.
  return spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, env: relaunch ? base : engineProcessEnv(base), stdio: ['ignore', 'pipe', 'pipe'] });
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, options: { relaunch?: boolean } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startCli(args, env, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}
