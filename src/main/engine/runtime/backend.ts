/**
 * Chooses the compute backend once per process: native TensorFlow
 * (@tensorflow/tfjs-node, when it is installed and loads), then wasm (with the
 * project's own convolution gradient kernels; multi-threaded SIMD when more
 * than one thread is asked for), then plain JavaScript (cpu). Reports what was
 * chosen and why the faster ones were skipped.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { registerBatchNormGradient } from './kernels/batch-norm-grad';
import { registerWasmConvGradients } from './kernels/wasm-conv-grads';
import { registerThreadedWasm, wasmThreadCount } from './wasm-threads';
import { threadsFromEnv } from './threads';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendReport {
  name: BackendName;
  /** Why each faster backend was not used. */
  skipped: { name: BackendName; reason: string }[];
  simd: boolean;
  /** Compute threads the backend uses. */
  threads: number;
  /** Why wasm runs on fewer threads than asked for, if it does. */
  threadsNote?: string;
  tfjsVersion: string;
}

const require = createRequire(import.meta.url);
let chosen: Promise<BackendReport> | undefined;

async function tryTensorflow(): Promise<void> {
  // Loading the module registers the 'tensorflow' backend as a side effect.
  require('@tensorflow/tfjs-node');
  if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not initialise');
}

/** Directory holding the wasm binaries that ship inside the npm package. */
function wasmBinaryDir(): string {
  const override = process.env.DENOISE_WASM_DIR;
  if (override) return override.endsWith(path.sep) ? override : override + path.sep;
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

/** Starts wasm: the threaded build when `threads` > 1 and it starts, else the single-threaded SIMD build. Returns why threads were dropped. */
async function tryWasm(threads: number): Promise<string | undefined> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const binaries = wasmBinaryDir();
  wasm.setWasmPaths(binaries);
  // The package's own threaded start-up needs blob: workers, which Node refuses; wasm-threads.ts does it with files.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  let note: string | undefined;
  if (threads > 1) {
    try {
      await registerThreadedWasm(threads, binaries);
    } catch (err) {
      note = `threaded wasm unavailable (${firstLine(err)}); running on one thread`;
    }
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  registerWasmConvGradients();
  return note;
}

/** Threads for the wasm backend: DENOISE_WASM_THREADS, else every core. */
function defaultWasmThreads(): number {
  return threadsFromEnv('DENOISE_WASM_THREADS');
}

/** The cpu backend greets Node users with advice to install tfjs-node; we already report the backend ourselves. */
function silenceCpuGreeting(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}

async function choose(preferred: BackendName | undefined, wasmThreads: number): Promise<BackendReport> {
  silenceCpuGreeting();
  const order: BackendName[] = ['tensorflow', 'wasm', 'cpu'];
  const candidates = preferred ? order.slice(order.indexOf(preferred)) : order;
  const skipped: BackendReport['skipped'] = order
    .slice(0, order.length - candidates.length)
    .map((name) => ({ name, reason: `not requested (DENOISE_BACKEND=${preferred})` }));
  for (const name of candidates) {
    try {
      let threadsNote: string | undefined;
      if (name === 'tensorflow') await tryTensorflow();
      else if (name === 'wasm') threadsNote = await tryWasm(wasmThreads);
      else await tf.setBackend('cpu');
      await tf.ready();
      registerBatchNormGradient();
      return {
        name,
        skipped,
        simd: name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : false,
        threads: name === 'tensorflow' ? os.availableParallelism() : name === 'wasm' ? await wasmThreadCount() : 1,
        threadsNote,
        tfjsVersion: tf.version.tfjs,
      };
    } catch (err) {
      skipped.push({ name, reason: firstLine(err) });
    }
  }
  throw new Error('no TensorFlow.js backend could be initialised: ' + skipped.map((s) => `${s.name}: ${s.reason}`).join('; '));
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0];
}

/**
 * Initialises the fastest working backend (memoised: the first call's options
 * hold for the process). `DENOISE_BACKEND` may force a slower one, e.g. `cpu`
 * for reference computations; `wasmThreads` sizes the wasm thread pool.
 */
export function initBackend(preferred = process.env.DENOISE_BACKEND as BackendName | undefined, wasmThreads = defaultWasmThreads()): Promise<BackendReport> {
  if (preferred && !['tensorflow', 'wasm', 'cpu'].includes(preferred)) {
    return Promise.reject(new Error(`DENOISE_BACKEND must be tensorflow, wasm or cpu, not "${preferred}"`));
  }
  chosen ??= choose(preferred, wasmThreads);
  return chosen;
}
