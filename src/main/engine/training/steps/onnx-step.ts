/**
 * Training steps whose forward and backward passes run in ONNX Runtime
 * (native kernels on every core) through the graph from onnx-gradients.ts.
 * The weights stay TF.js variables: each step feeds their current values in,
 * and the returned gradients go through the run's optimizer (training/adam.ts
 * takes them as the arrays they come in), so checkpoints, resume and the
 * optimizer state are the same as for TF.js steps. BatchNorm
 * moving statistics are updated from the batch statistics the graph returns,
 * with the layer's own momentum, as TF.js does in training.
 */
import type { TrainerChoice } from '../../../../shared/vocabulary';
import * as tf from '@tensorflow/tfjs';
import { buildGradientGraph, gradientGraphSupport } from '../../onnx/gradients';
import { createOnnxSession, loadOnnxRuntime, onnxThreads, onnxUnavailable } from '../../runtime/runner';
import { nchwcBlockSize } from '../../runtime/nchwc';
import type { LossName } from './tfjs-step';
import { isArrayAdam } from '../adam';
import type { ActivationScales } from '../../onnx/int8';

type Ort = NonNullable<ReturnType<typeof loadOnnxRuntime>>;
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

export type { TrainerChoice };

/** Why ONNX Runtime cannot run this model's training steps here, or null when it can. */
export function onnxTrainingUnavailable(model: tf.LayersModel, loss: LossName): string | null {
  if (!loadOnnxRuntime()) return `onnxruntime-node does not load (${onnxUnavailable})`;
  const unsupported = gradientGraphSupport(model, loss);
  return unsupported ? `${unsupported} is not supported by the ONNX gradient graph` : null;
}

export class OnnxTrainStep {
  private constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    private readonly weightInputs: string[],
    private readonly batchNorms: tf.layers.Layer[],
    readonly threads: number,
  ) {}

  /** `int8`: quantization-aware steps, rounding these layers' inputs and kernels (gradients.ts). */
  static async create(model: tf.LayersModel, loss: LossName, { threads = onnxThreads(), int8 }: { threads?: number; int8?: ActivationScales } = {}): Promise<OnnxTrainStep> {
    const ort = loadOnnxRuntime();
    if (!ort) throw new Error(`onnxruntime-node is not available: ${onnxUnavailable}`);
    const graph = buildGradientGraph(model, loss, { nchwcBlock: await nchwcBlockSize(), int8 });
    const session = await createOnnxSession(ort, graph.bytes, threads);
    return new OnnxTrainStep(ort, session, graph.weightInputs, graph.batchNormLayers.map((name) => model.getLayer(name)), threads);
  }

  /**
   * Runs one step on inputs `x` and targets `y` (NHWC); returns the mean loss. onnxruntime-node runs
   * the graph on this thread (with its pool), so nothing else on it overlaps the step.
   */
  async step(optimizer: tf.Optimizer, variables: tf.Variable[], x: tf.Tensor4D, y: tf.Tensor4D): Promise<number> {
    const { Tensor } = this.ort;
    const feeds: Record<string, InstanceType<typeof Tensor>> = {
      x: new Tensor('float32', x.dataSync() as Float32Array, x.shape),
      y: new Tensor('float32', y.dataSync() as Float32Array, y.shape),
    };
    variables.forEach((v, i) => { feeds[this.weightInputs[i]] = new Tensor('float32', v.dataSync() as Float32Array, v.shape); });
    const result = await this.session.run(feeds);
    const gradOf = (i: number) => result[`grad_${i}`].data as Float32Array;
    if (isArrayAdam(optimizer)) {
      optimizer.update(variables.map((variable, i) => ({ variable, grad: gradOf(i) }))); // the arrays as they come
    } else {
      const grads: tf.NamedTensorMap = Object.fromEntries(variables.map((v, i) => [v.name, tf.tensor(gradOf(i), v.shape)]));
      optimizer.applyGradients(grads);
      tf.dispose(Object.values(grads));
    }
    for (const layer of this.batchNorms) updateMovingStatistics(layer, result[`${layer.name}_batch_mean`].data as Float32Array, result[`${layer.name}_batch_var`].data as Float32Array);
    return (result.loss.data as Float32Array)[0];
  }

  dispose(): void {
    void this.session.release();
  }
}

/** moving <- moving - (moving - batch) * (1 - momentum), for the mean and the variance. */
function updateMovingStatistics(layer: tf.layers.Layer, mean: Float32Array, variance: Float32Array): void {
  const { momentum = 0.99 } = layer.getConfig() as { momentum?: number };
  const weights = layer.getWeights();
  const updated = tf.tidy(() => weights.map((w, j) => {
    const batch = j === weights.length - 2 ? mean : j === weights.length - 1 ? variance : null;
    return batch ? w.sub(w.sub(tf.tensor(batch, w.shape)).mul(1 - momentum)) : w.clone();
  }));
  layer.setWeights(updated);
  tf.dispose(updated);
}
