/** Runs a training graph (onnx/gradients.ts) once on one thread: its loss and gradients for a batch and the variables' current values. */
import type * as tf from '@tensorflow/tfjs';
import type { GradientGraph } from '../../src/main/engine/onnx/gradients';
import { loadOnnxRuntime } from '../../src/main/engine/runtime/runner';

export async function runGradientGraph(graph: GradientGraph, x: tf.Tensor4D, y: tf.Tensor4D, vars: tf.Variable[]) {
  const ort = loadOnnxRuntime()!;
  const session = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: 1 });
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
    x: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape),
    y: new ort.Tensor('float32', y.dataSync() as Float32Array, y.shape),
  };
  vars.forEach((v, i) => { feeds[graph.weightInputs[i]] = new ort.Tensor('float32', v.dataSync() as Float32Array, v.shape); });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}
