/**
 * Runs the CLI again as a child process when this one lacks the engine's
 * process environment (engine/runtime/allocator.ts), which glibc reads only at
 * start. The child gets its own process group, so a terminal's Ctrl-C reaches
 * it once, through this process, which forwards the signals a training run
 * stops on; its exit code becomes this process's. Should this process die
 * without a word (kill -9), the child notices its IPC channel close and ends
 * the same way, so no run goes on unseen holding its lock.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { engineProcessEnv } from '../engine/runtime/allocator';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * In a process without the engine's environment: runs the CLI again with it and returns the child's
 * exit code (128 + the signal's number when a signal ended it). In one that has it: null (in a
 * relaunched child, after tying its life to its parent's).
 */
export async function relaunchWithEngineEnv(): Promise<number | null> {
  const env = engineProcessEnv();
  if (env === process.env) {
    if (process.channel) {
      process.channel.unref();
      process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
    }
    return null;
  }
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env, stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: true });
  const handlers = FORWARDED.map((sig) => [sig, () => void child.kill(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const [sig, h] of handlers) process.off(sig, h);
      resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
    });
  });
}
