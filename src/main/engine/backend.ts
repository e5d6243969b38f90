/**
 * Chooses the compute backend once per process: native TensorFlow
 * (@tensorflow/tfjs-node, when it is installed and loads), then wasm (with the
 * project's own convolution gradient kernels), then plain JavaScript (cpu).
 * Reports what was chosen and why the faster ones were skipped.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { registerWasmConvGradients } from './kernels/wasm-conv-grads';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendReport {
  name: BackendName;
  /** Why each faster backend was not used. */
  skipped: { name: BackendName; reason: string }[];
  simd: boolean;
  threads: number;
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
export function wasmBinaryDir(): string {
  const override = process.env.DENOISE_WASM_DIR;
  if (override) return override.endsWith(path.sep) ? override : override + path.sep;
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

async function tryWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmBinaryDir());
  // Threaded wasm starts its pthread workers from a blob: URL, which Node refuses.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  registerWasmConvGradients();
}

/** The cpu backend greets Node users with advice to install tfjs-node; we already report the backend ourselves. */
function silenceCpuGreeting(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}

async function choose(preferred?: BackendName): Promise<BackendReport> {
  silenceCpuGreeting();
  const order: BackendName[] = ['tensorflow', 'wasm', 'cpu'];
  const candidates = preferred ? order.slice(order.indexOf(preferred)) : order;
  const skipped: BackendReport['skipped'] = order
    .slice(0, order.length - candidates.length)
    .map((name) => ({ name, reason: `not requested (DENOISE_BACKEND=${preferred})` }));
  for (const name of candidates) {
    try {
      if (name === 'tensorflow') await tryTensorflow();
      else if (name === 'wasm') await tryWasm();
      else await tf.setBackend('cpu');
      await tf.ready();
      return {
        name,
        skipped,
        simd: name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : false,
        threads: name === 'tensorflow' ? os.availableParallelism() : 1,
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
 * Initialises the fastest working backend (memoised). `DENOISE_BACKEND` may
 * force a slower one, e.g. `cpu` for reference computations.
 */
export function initBackend(preferred = process.env.DENOISE_BACKEND as BackendName | undefined): Promise<BackendReport> {
  if (preferred && !['tensorflow', 'wasm', 'cpu'].includes(preferred)) {
    return Promise.reject(new Error(`DENOISE_BACKEND must be tensorflow, wasm or cpu, not "${preferred}"`));
  }
  chosen ??= choose(preferred);
  return chosen;
}
