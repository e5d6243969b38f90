/**
 * Spawns an engine host as a forked Node process (tests, and anywhere outside
 * Electron). From TypeScript sources it runs through tsx.
 */
import { fork } from 'node:child_process';
import type { SpawnHost } from './client';
import { engineProcessEnv } from '../engine/runtime/allocator';

export function nodeHostSpawner(entry: string, execArgv: string[] = entry.endsWith('.ts') ? ['--import', 'tsx'] : []): SpawnHost {
  return () => {
    const child = fork(entry, [], { execArgv, env: engineProcessEnv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return {
      pid: child.pid,
      send: (msg) => child.send(msg),
      onMessage: (cb) => child.on('message', (m) => cb(m as never)),
      onExit: (cb) => child.on('exit', (code) => cb(code)),
      kill: () => child.kill('SIGKILL'),
    };
  };
}
