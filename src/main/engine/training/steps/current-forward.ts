/**
 * The model's output under its current weights, without gradients, for
 * targets that depend on the model itself (self-supervised training's
 * regulariser). On ONNX Runtime one session is made once from an export whose
 * weights are graph inputs (its convs on the blocked kernels where they fit), and each call feeds the weights as they are now;
 * otherwise TF.js predicts. Either way the result is exact for the current
 * step, so a resumed run stays bit-for-bit on the same path.
 */
import * as tf from '@tensorflow/tfjs';
import { exportOnnx, onnxWeights } from '../../onnx/export';
import { createOnnxSession, loadOnnxRuntime, onnxThreads } from '../../runtime/runner';
import { nchwcBlockSize } from '../../runtime/nchwc';

export interface CurrentForward {
  /** NHWC input [n, h, w, c] to NHWC output. */
  run(model: tf.LayersModel, input: Float32Array, shape: [number, number, number, number]): Promise<Float32Array>;
  dispose(): void;
}

export async function currentForward(model: tf.LayersModel, useOnnx: boolean, threads = onnxThreads()): Promise<CurrentForward> {
  const ort = useOnnx ? loadOnnxRuntime() : null;
  if (!ort) {
    return {
      run: async (m, input, shape) => tf.tidy(() => Float32Array.from((m.predict(tf.tensor4d(input, shape)) as tf.Tensor).dataSync())),
      dispose: () => undefined,
    };
  }
  const session = await createOnnxSession(ort, exportOnnx(model, { weightsAsInputs: true, nchwcBlock: await nchwcBlockSize() }), threads);
  return {
    async run(m, input, shape) {
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { input: new ort.Tensor('float32', input, shape) };
      for (const w of onnxWeights(m)) feeds[w.name] = new ort.Tensor('float32', w.data, w.dims);
      return (await session.run(feeds)).output.data as Float32Array;
    },
    dispose: () => void session.release(),
  };
}
