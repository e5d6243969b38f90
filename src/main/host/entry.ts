/**
 * The engine behind a message port: the entry of the Electron utilityProcess
 * (and of a forked Node process in tests). Each request runs an engine
 * function; long ones (training, batch denoising) stream events back. A crash
 * here takes down only this process, never the window.
 */
import type { HostMessage, HostParams, HostRequest } from './protocol';
import { handleHostRequest } from './handlers';

interface Port {
  post(msg: HostMessage): void;
  onMessage(cb: (msg: HostRequest) => void): void;
}

function port(): Port {
  const parentPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', cb: (e: { data: unknown }) => void): void } }).parentPort;
  if (parentPort) {
    return { post: (m) => parentPort.postMessage(m), onMessage: (cb) => parentPort.on('message', (e) => cb(e.data as HostRequest)) };
  }
  if (process.send) {
    return { post: (m) => process.send!(m), onMessage: (cb) => process.on('message', (m) => cb(m as HostRequest)) };
  }
  throw new Error('engine-host must run as a utilityProcess or a forked child process');
}

const p = port();
const controllers = new Map<number, AbortController>();
p.onMessage((req) => {
  if (req.method === 'cancel') {
    controllers.get((req.params as HostParams<'cancel'>).id)?.abort();
    p.post({ id: req.id, result: null });
    return;
  }
  const controller = new AbortController();
  controllers.set(req.id, controller);
  handleHostRequest(req.method, req.params, { signal: controller.signal, emit: (event) => p.post({ id: req.id, event }) })
    .then((result) => p.post({ id: req.id, result: result ?? null }))
    .catch((err: Error) => p.post({ id: req.id, error: { message: err.message, user: err.name === 'UserError' } }))
    .finally(() => controllers.delete(req.id));
});
