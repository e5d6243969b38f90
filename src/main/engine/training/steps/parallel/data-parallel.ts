/**
 * Synchronous data-parallel training across CPU cores. The wasm backend runs
 * on one thread, so each extra core gets a worker thread with its own wasm
 * instance and a replica of the model. Every step the batch is split into
 * shards: the main thread computes the first shard's gradients, the workers
 * the others (with the current weights), and the summed gradients go through
 * one optimizer update: the same update as the whole batch on one core
 * (BatchNorm aside, which normalises per shard).
 */
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { sliceGradients, type LossName } from '../tfjs-step';
import type { GradRequest, GradResponse } from './grad-worker';

/** The worker entry: the TypeScript source under tsx, the built file in the app. */
function workerEntry(): string {
  if (process.env.DENOISE_GRAD_WORKER) return process.env.DENOISE_GRAD_WORKER;
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return path.join(path.dirname(here), 'grad-worker-dev.mjs');
  for (const dir of [path.dirname(here), path.dirname(path.dirname(here))]) {
    const built = path.join(dir, 'grad-worker.js');
    if (fs.existsSync(built)) return built;
  }
  throw new Error('grad-worker.js not found next to the engine bundle');
}

export class DataParallel {
  private constructor(private readonly workers: Worker[]) {}

  /** Starts `threads - 1` workers holding replicas of `model`. */
  static async create(model: tf.LayersModel, threads: number, backend: string): Promise<DataParallel> {
    const entry = workerEntry();
    const topology = JSON.stringify(model.toJSON(null, false));
    const workers = await Promise.all(Array.from({ length: threads - 1 }, () => new Promise<Worker>((resolve, reject) => {
      const w = new Worker(entry, { workerData: { topology, backend } });
      w.once('message', (m: { ready?: boolean; error?: string }) => (m.ready ? resolve(w) : reject(new Error(m.error))));
      w.once('error', reject);
    })));
    return new DataParallel(workers);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  private ask(worker: Worker, req: GradRequest): Promise<GradResponse> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      worker.once('error', onError);
      worker.once('message', (m: GradResponse & { error?: string }) => {
        worker.off('error', onError);
        if (m.error) reject(new Error(`gradient worker: ${m.error}`));
        else resolve(m);
      });
      worker.postMessage(req, [req.x.buffer as ArrayBuffer, req.y.buffer as ArrayBuffer]);
    });
  }

  /** One step over the whole batch; returns the batch's mean loss. */
  async step(model: tf.LayersModel, optimizer: tf.Optimizer, variables: tf.Variable[], x: tf.Tensor4D, y: tf.Tensor4D, loss: LossName): Promise<number> {
    const n = x.shape[0];
    const parts = Math.min(this.threads, n);
    const sizes = Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
    const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    const weights = model.weights.map((w) => Float32Array.from((w as unknown as { read(): tf.Tensor }).read().dataSync() as Float32Array));
    const shard = (t: tf.Tensor4D, i: number) => tf.tidy(() => Float32Array.from(t.slice([starts[i], 0, 0, 0], [sizes[i], -1, -1, -1]).dataSync() as Float32Array));
    const shape = (t: tf.Tensor4D, i: number) => [sizes[i], t.shape[1], t.shape[2], t.shape[3]] as [number, number, number, number];
    const remote = sizes.slice(1).map((_, k) => this.ask(this.workers[k], {
      weights: weights.map((w) => w.slice()), x: shard(x, k + 1), xShape: shape(x, k + 1), y: shard(y, k + 1), yShape: shape(y, k + 1),
      loss, weight: sizes[k + 1] / n,
    }));
    const local = sliceGradients(model, variables, x, y, loss, sizes[0] / n, 0, sizes[0]);
    const answers = await Promise.all(remote);
    let total = local.value.dataSync()[0];
    const summed: tf.NamedTensorMap = {};
    variables.forEach((v, i) => {
      summed[v.name] = tf.tidy(() => answers.reduce((acc, a) => acc.add(tf.tensor(a.grads[i], v.shape)), local.grads[v.name]));
    });
    for (const a of answers) total += a.loss;
    optimizer.applyGradients(summed);
    tf.dispose([local.value, ...Object.values(local.grads), ...Object.values(summed)]);
    return total;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
