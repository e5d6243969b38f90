/**
 * One optimisation step, optionally split into micro-batches whose gradients
 * are summed before a single optimizer update. The wasm heap is limited to
 * 4 GB and backprop keeps every activation, so large batches of large patches
 * (DnCNN-17 at 64 x 40x40) only fit this way. BatchNorm then normalises per
 * micro-batch ("ghost batch norm").
 */
import * as tf from '@tensorflow/tfjs';
import type { LossName } from '../../../../shared/vocabulary';

export type { LossName };

export function lossFn(name: LossName, yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  switch (name) {
    case 'mse': return tf.losses.meanSquaredError(yTrue, yPred) as tf.Scalar;
    case 'l1': return tf.losses.absoluteDifference(yTrue, yPred) as tf.Scalar;
    case 'bce': return tf.metrics.binaryCrossentropy(yTrue, yPred).mean() as tf.Scalar;
  }
}

export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
}

/**
 * Loss and gradients for rows [start, start + size) of `x` and `y`, the loss
 * being that slice's mean scaled by `weight` (its share of the whole batch),
 * so the gradients of a batch's slices sum to the batch's gradients.
 */
export function sliceGradients(
  model: tf.LayersModel, variables: tf.Variable[], x: tf.Tensor4D, y: tf.Tensor4D, loss: LossName,
  weight: number, start = 0, size = x.shape[0],
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const whole = start === 0 && size === x.shape[0];
  return tf.variableGrads(() => tf.tidy(() => {
    const xs = whole ? x : x.slice([start, 0, 0, 0], [size, -1, -1, -1]);
    const ys = whole ? y : y.slice([start, 0, 0, 0], [size, -1, -1, -1]);
    return lossFn(loss, ys, model.apply(xs, { training: true }) as tf.Tensor).mul(weight) as tf.Scalar;
  }), variables);
}

/** Runs one step on inputs `x` and targets `y`; returns the mean loss. */
export function trainStep(
  model: tf.LayersModel, optimizer: tf.Optimizer, variables: tf.Variable[],
  x: tf.Tensor4D, y: tf.Tensor4D, loss: LossName, microBatch = 0,
): number {
  const n = x.shape[0];
  const chunk = microBatch > 0 && microBatch < n ? microBatch : n;
  if (chunk === n) {
    return tf.tidy(() => optimizer.minimize(() => lossFn(loss, y, model.apply(x, { training: true }) as tf.Tensor), true, variables)!.dataSync()[0]);
  }
  let total: Record<string, tf.Tensor> = {};
  let lossSum = 0;
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    const { value, grads } = sliceGradients(model, variables, x, y, loss, size / n, start, size);
    lossSum += value.dataSync()[0];
    value.dispose();
    const next: Record<string, tf.Tensor> = {};
    for (const [name, g] of Object.entries(grads)) {
      next[name] = total[name] ? tf.add(total[name], g) : g;
      if (total[name]) tf.dispose([total[name], g]);
    }
    total = next;
  }
  optimizer.applyGradients(total as tf.NamedTensorMap);
  tf.dispose(Object.values(total));
  return lossSum;
}
