/**
 * The ranges quantization-aware training rounds to (onnx/int8.ts): each quantizable conv's input
 * through the float model on a few training batches, its top taken at a high percentile rather
 * than the maximum (a rare outlier would otherwise coarsen every other value's step).
 */
import type * as tf from '@tensorflow/tfjs';
import { exportOnnx } from '../onnx/export';
import { quantizableConvs, scaleFor, type ActivationScales } from '../onnx/int8';
import { createOnnxSession, loadOnnxRuntime, onnxThreads, onnxUnavailable } from '../runtime/runner';

/** The share of each input's values below the top of its range. */
export const CALIBRATION_PERCENTILE = 0.9999;
/** Every how many values one is kept for the percentile (bounds memory on large batches). */
const SAMPLE_STRIDE = 7;

/** The uint8 scale of each quantizable conv's input, from the model's float outputs on `batches` (NHWC inputs). */
export async function calibrateInt8(model: tf.LayersModel, batches: tf.Tensor4D[]): Promise<ActivationScales> {
  const ort = loadOnnxRuntime();
  if (!ort) throw new Error(`onnxruntime-node is not available: ${onnxUnavailable}`);
  const layers = quantizableConvs(model);
  if (!layers.length) throw new Error(`${model.name} has no conv between two ReLUs to run in 8-bit integers`);
  const session = await createOnnxSession(ort, exportOnnx(model, { taps: layers }), onnxThreads(), { arena: false });
  const samples = new Map(layers.map((l) => [l, [] as number[]]));
  try {
    for (const x of batches) {
      const out = await session.run({ input: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) });
      for (const l of layers) {
        const values = out[`tap_${l}`].data as Float32Array;
        const kept = samples.get(l)!;
        for (let i = 0; i < values.length; i += SAMPLE_STRIDE) kept.push(values[i]);
      }
    }
  } finally {
    await session.release();
  }
  return Object.fromEntries(layers.map((l) => {
    const sorted = Float32Array.from(samples.get(l)!).sort();
    return [l, scaleFor(sorted[Math.floor(CALIBRATION_PERCENTILE * (sorted.length - 1))])];
  }));
}
