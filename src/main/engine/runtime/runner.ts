/**
 * Runs a trained model on NHWC float batches. ONNX Runtime (onnxruntime-node,
 * native CPU code using every core) is used when it loads, with the model
 * exported to ONNX in memory; otherwise TF.js on the engine's backend.
 * DENOISE_INFERENCE=tfjs forces TF.js. The ONNX Runtime session options
 * (threads, execution providers) are kept here for inference and training alike.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { exportOnnx } from '../onnx/export';
import type { ActivationScales } from '../onnx/int8';
import { threadsFromEnv } from './threads';
import { UserError } from '../errors';

export interface ModelRunner {
  kind: 'onnxruntime' | 'tfjs';
  run(data: Float32Array, n: number, h: number, w: number, c: number): Promise<Float32Array>;
  dispose(): void;
}

type Ort = typeof import('onnxruntime-node');
let ort: Ort | null | undefined;

/** onnxruntime-node, or null (with the reason kept) when it cannot load here. */
export function loadOnnxRuntime(): Ort | null {
  if (ort !== undefined) return ort;
  try {
    ort = createRequire(import.meta.url)('onnxruntime-node') as Ort;
  } catch (err) {
    onnxUnavailable = (err as Error).message.split('\n')[0];
    ort = null;
  }
  return ort;
}
export let onnxUnavailable: string | undefined;

export function tfjsRunner(model: tf.LayersModel): ModelRunner {
  return {
    kind: 'tfjs',
    run: async (data, n, h, w, c) => tf.tidy(() => Float32Array.from((model.predict(tf.tensor4d(data, [n, h, w, c])) as tf.Tensor).dataSync())),
    dispose: () => model.dispose(),
  };
}

/**
 * Threads ONNX Runtime computes on, for inference and training steps alike: DENOISE_ONNX_THREADS,
 * else every core (e.g. to leave a core free on a shared machine, or to measure scaling).
 */
export function onnxThreads(): number {
  return threadsFromEnv('DENOISE_ONNX_THREADS');
}

/** Execution providers a user may name in DENOISE_ONNX_PROVIDERS. */
export const ONNX_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml'] as const;

/**
 * The execution providers ONNX Runtime is asked for: DENOISE_ONNX_PROVIDERS, a comma list in order of
 * preference (e.g. "cuda" for an NVIDIA GPU, which needs onnxruntime-node installed with its CUDA
 * binaries), else the CPU. A provider the installed build lacks fails the session with ONNX Runtime's
 * reason; nothing falls back silently.
 */
export function onnxProviders(): string[] {
  const given = (process.env.DENOISE_ONNX_PROVIDERS ?? '').split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
  const unknown = given.filter((p) => !(ONNX_PROVIDERS as readonly string[]).includes(p));
  if (unknown.length) throw new UserError(`DENOISE_ONNX_PROVIDERS names ${unknown.join(', ')}; choose from ${ONNX_PROVIDERS.join(', ')}`);
  return given.length ? given : ['cpu'];
}

/**
 * An ONNX Runtime session with the options every session here uses (inference, training steps, the
 * current-output pass), its failure to start explained with the providers it was asked for.
 * `arena: false` hands each run's buffers back to the system instead of keeping ONNX Runtime's CPU
 * arena at its high-water mark: a photo model's sessions (a plane model and its chroma denoiser,
 * each with tiles up to 1536 px) then do not each hold their largest tile's activations between
 * runs (a 12 MP photo through `default`: peak RSS 1.15-1.28 GB instead of 1.85-1.95, time within the
 * machine's noise; docs/performance.md).
 */
export async function createOnnxSession(runtime: Ort, model: Uint8Array, threads: number, { arena = true } = {}) {
  const executionProviders = onnxProviders();
  try {
    return await runtime.InferenceSession.create(model, {
      intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential', logSeverityLevel: 3, executionProviders,
      enableCpuMemArena: arena,
    });
  } catch (err) {
    if (!process.env.DENOISE_ONNX_PROVIDERS) throw err;
    throw new UserError(`ONNX Runtime could not start with DENOISE_ONNX_PROVIDERS=${process.env.DENOISE_ONNX_PROVIDERS}: ${(err as Error).message}`);
  }
}

/** Whether a model trained for 8-bit inference runs its integer convolutions: unless DENOISE_INT8=0. */
export const int8Inference = (): boolean => process.env.DENOISE_INT8 !== '0';

/** A model's 8-bit input scales as inference uses them: none when DENOISE_INT8=0 (the same weights in float). */
export const int8InUse = (scales: ActivationScales | undefined): ActivationScales | undefined => (int8Inference() ? scales : undefined);

/** `int8`: the model's 8-bit input scales (its manifest's), to run those convs in integers (onnx/int8.ts). */
export async function onnxRunner(model: tf.LayersModel, { threads = onnxThreads(), int8 }: { threads?: number; int8?: ActivationScales } = {}): Promise<ModelRunner> {
  const runtime = loadOnnxRuntime();
  if (!runtime) throw new Error(`onnxruntime-node is not available: ${onnxUnavailable}`);
  const session = await createOnnxSession(runtime, exportOnnx(model, { int8: int8InUse(int8) }), threads, { arena: false });
  return {
    kind: 'onnxruntime',
    async run(data, n, h, w, c) {
      const result = await session.run({ input: new runtime.Tensor('float32', data, [n, h, w, c]) });
      return result.output.data as Float32Array;
    },
    dispose: () => void session.release(),
  };
}

/** Whether inference goes to ONNX Runtime: it loads, and DENOISE_INFERENCE (or `preferred`) does not ask for TF.js. */
export function usesOnnxRuntime(preferred = process.env.DENOISE_INFERENCE): boolean {
  return preferred !== 'tfjs' && loadOnnxRuntime() !== null;
}

/**
 * The fastest runner available for a model; `int8` (its manifest's scales) runs its quantized convs
 * in integers on ONNX Runtime (TF.js runs it in float).
 */
export async function createRunner(model: tf.LayersModel, { preferred = process.env.DENOISE_INFERENCE, int8 }: { preferred?: string; int8?: ActivationScales } = {}): Promise<ModelRunner> {
  if (usesOnnxRuntime(preferred)) {
    try {
      return await onnxRunner(model, { int8 });
    } catch (err) {
      // Asked for by name (runner or providers): say why it failed rather than fall back to TF.js.
      if (preferred === 'onnxruntime' || process.env.DENOISE_ONNX_PROVIDERS) throw err;
    }
  }
  return tfjsRunner(model);
}
