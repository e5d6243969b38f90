/**
 * A gradient worker thread for data-parallel training. It holds a replica of
 * the model on its own wasm instance; each step it takes the current weights
 * and a shard of the batch, and returns the shard's loss and gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../../../runtime/backend';
import { sliceGradients, trainableVariables, type LossName } from '../tfjs-step';

export interface GradRequest {
  weights: Float32Array[];
  x: Float32Array;
  xShape: [number, number, number, number];
  y: Float32Array;
  yShape: [number, number, number, number];
  loss: LossName;
  /** Scales the shard's mean loss so that shard losses sum to the batch mean. */
  weight: number;
}

export interface GradResponse {
  loss: number;
  grads: Float32Array[];
}

async function main() {
  await initBackend(workerData.backend, 1); // one thread per replica: the replicas are the parallelism
  const model = await tf.models.modelFromJSON(JSON.parse(workerData.topology));
  const variables = trainableVariables(model);
  parentPort!.on('message', (req: GradRequest) => {
    try {
      tf.tidy(() => {
        model.weights.forEach((w, i) => (w as unknown as { write(t: tf.Tensor): void }).write(tf.tensor(req.weights[i], w.shape as number[])));
      });
      const x = tf.tensor4d(req.x, req.xShape);
      const y = tf.tensor4d(req.y, req.yShape);
      const { value, grads } = sliceGradients(model, variables, x, y, req.loss, req.weight);
      const out: GradResponse = { loss: value.dataSync()[0], grads: variables.map((v) => Float32Array.from(grads[v.name].dataSync() as Float32Array)) };
      tf.dispose([x, y, value, ...Object.values(grads)]);
      parentPort!.postMessage(out, out.grads.map((g) => g.buffer as ArrayBuffer));
    } catch (err) {
      parentPort!.postMessage({ error: (err as Error).message });
    }
  });
  parentPort!.postMessage({ ready: true });
}

void main();
