/**
 * The main side of an engine host: spawns the process (through an adapter, so
 * Electron uses a utilityProcess and tests a forked Node process), sends
 * requests, routes results and events, and fails every pending request with a
 * clear error if the process dies.
 */
import type { HostEvent, HostMessage, HostMethod, HostParams, HostRequest, HostResult } from './protocol';

export interface HostProcess {
  send(msg: HostRequest): void;
  onMessage(cb: (msg: HostMessage) => void): void;
  onExit(cb: (code: number | null) => void): void;
  kill(): void;
  pid?: number;
}

export type SpawnHost = (name: string) => HostProcess;

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onEvent?: (e: unknown) => void;
}

export class EngineError extends Error {
  constructor(message: string, readonly user: boolean, readonly crashed = false) {
    super(message);
  }
}

export class EngineClient {
  private readonly proc: HostProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exitListeners: ((code: number | null) => void)[] = [];
  exited = false;

  constructor(spawn: SpawnHost, readonly name: string) {
    this.proc = spawn(name);
    this.proc.onMessage((msg) => this.receive(msg));
    this.proc.onExit((code) => {
      this.exited = true;
      const err = new EngineError(`the engine process (${name}) stopped unexpectedly (exit code ${code})`, false, true);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      for (const l of this.exitListeners) l(code);
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  onExit(cb: (code: number | null) => void): void {
    this.exitListeners.push(cb);
  }

  private receive(msg: HostMessage): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if ('event' in msg) p.onEvent?.(msg.event);
    else {
      this.pending.delete(msg.id);
      if ('error' in msg) p.reject(new EngineError(msg.error.message, msg.error.user));
      else p.resolve(msg.result);
    }
  }

  /** Sends a request; `onEvent` receives its streamed events. Returns its id via `started`. */
  request<M extends HostMethod>(
    method: M, params: HostParams<M>, onEvent?: (e: HostEvent<M>) => void, started?: (id: number) => void,
  ): Promise<HostResult<M>> {
    if (this.exited) return Promise.reject(new EngineError(`the engine process (${this.name}) is not running`, false, true));
    const id = this.nextId++;
    started?.(id);
    return new Promise<HostResult<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onEvent: onEvent as ((e: unknown) => void) | undefined });
      this.proc.send({ id, method, params });
    });
  }

  async cancel(requestId: number): Promise<void> {
    await this.request('cancel', { id: requestId });
  }

  kill(): void {
    this.proc.kill();
  }
}
