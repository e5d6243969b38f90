/**
 * The renderer's typed client over the preload's window.denoiseLab object.
 * Views import `api` and never touch IPC themselves.
 */
import type { DenoiseLabApi, EventChannel, EventPayloads, RequestChannel, RequestPayload, RequestResults } from '../../../shared/contract';

declare global {
  interface Window {
    denoiseLab: DenoiseLabApi;
  }
}

export const api = {
  call<C extends RequestChannel>(channel: C, payload?: RequestPayload<C>): Promise<RequestResults[C]> {
    return window.denoiseLab.invoke(channel, payload);
  },
  on<E extends EventChannel>(channel: E, listener: (payload: EventPayloads[E]) => void): () => void {
    return window.denoiseLab.on(channel, listener);
  },
  pathForFile(file: File): string {
    return window.denoiseLab.pathForFile(file);
  },
};

/** A short human message for an error from main. */
export function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/^Error invoking remote method '[^']+': (Error: )?/, '');
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec <= 0) return '–';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
}

export const fmt = (n: number | undefined, digits = 2) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));
export const int = (n: number) => n.toLocaleString('en-US');
/** A throughput: whole numbers with separators from 100 up, one decimal below. */
export const rate = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : n >= 100 ? int(Math.round(n)) : n.toFixed(1));
