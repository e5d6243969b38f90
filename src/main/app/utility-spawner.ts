/** Spawns an engine host as an Electron utilityProcess. */
import { utilityProcess } from 'electron';
import path from 'node:path';
import type { SpawnHost } from '../host/client';
import { engineProcessEnv } from '../engine/runtime/allocator';

export function utilityHostSpawner(): SpawnHost {
  const entry = path.join(import.meta.dirname, 'engine-host.js');
  return (name) => {
    const child = utilityProcess.fork(entry, [], { serviceName: `Denoise Lab engine (${name})`, stdio: 'inherit', env: engineProcessEnv() });
    return {
      get pid() {
        return child.pid;
      },
      send: (msg) => child.postMessage(msg),
      onMessage: (cb) => child.on('message', (m) => cb(m)),
      onExit: (cb) => child.on('exit', (code) => cb(code)),
      kill: () => void child.kill(),
    };
  };
}
