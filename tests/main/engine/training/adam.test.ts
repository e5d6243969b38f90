/**
 * The training runs' Adam: the same weights and moments as TF.js's AdamOptimizer to the last bit,
 * whether its gradients come as tensors or arrays, and a state that resumes exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { Adam, isArrayAdam } from '../../../../src/main/engine/training/adam';

beforeAll(() => initBackend());

const SHAPES = [[3, 3, 4, 8], [8], [5, 7]];

function weights(seed: number): tf.Variable[] {
  return SHAPES.map((shape, i) => tf.variable(tf.randomNormal(shape, 0, 0.1, 'float32', seed + i)));
}

/** Step k's gradients for the weights, the same for every optimizer. */
function gradients(vars: tf.Variable[], k: number): Float32Array[] {
  return vars.map((v, i) => tf.tidy(() => tf.randomNormal(v.shape, 0, 1e-2 * (i + 1), 'float32', 1 + 100 * k + i).dataSync() as Float32Array));
}

function step(opt: tf.Optimizer, vars: tf.Variable[], k: number, lr: number, asArrays = false) {
  (opt as unknown as { learningRate: number }).learningRate = lr;
  const grads = gradients(vars, k);
  if (asArrays && isArrayAdam(opt)) return opt.update(vars.map((variable, i) => ({ variable, grad: grads[i] })));
  const named = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(grads[i], v.shape)]));
  opt.applyGradients(named);
  tf.dispose(Object.values(named));
}

const values = (vars: tf.Variable[]) => vars.map((v) => Array.from(v.dataSync()));

/** An optimizer's saved state, in its order (TF.js's: iterations, first moments, second moments). */
async function state(opt: tf.Optimizer) {
  const named = await opt.getWeights();
  const out = named.map((w) => Array.from(w.tensor.dataSync()));
  tf.dispose(named.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
  return out;
}

describe('Adam', () => {
  it("moves weights and moments exactly as TF.js's AdamOptimizer, from tensors or from arrays", async () => {
    const [ref, fromTensors, fromArrays] = [weights(1), weights(1), weights(1)];
    const [a, b, c] = [tf.train.adam(1e-2), new Adam(1e-2), new Adam(1e-2)];
    for (let k = 0; k < 6; k++) {
      const lr = k < 3 ? 1e-2 : 3e-3; // a schedule changes the rate between steps
      step(a, ref, k, lr);
      step(b, fromTensors, k, lr);
      step(c, fromArrays, k, lr, true);
    }
    expect(values(fromTensors)).toEqual(values(ref));
    expect(values(fromArrays)).toEqual(values(ref));
    const [want, got] = [await state(a), await state(b)];
    expect(got.slice(0, want.length)).toEqual(want); // then its two bias products
    expect(b.iterations).toBe(6);
    expect(isArrayAdam(a)).toBe(false);
    expect(isArrayAdam(b)).toBe(true);
    tf.dispose([...ref, ...fromTensors, ...fromArrays]);
    a.dispose();
  });

  it('resumes from its saved state as if never stopped', async () => {
    const [whole, resumed] = [weights(7), weights(7)];
    const first = new Adam(5e-3);
    for (let k = 0; k < 4; k++) step(first, whole, k, 5e-3);
    resumed.forEach((v, i) => v.assign(whole[i]));
    const saved = await first.getWeights();
    const second = new Adam(5e-3);
    await second.setWeights(saved);
    tf.dispose(saved.map((w) => w.tensor));
    for (let k = 4; k < 9; k++) {
      step(first, whole, k, 5e-3);
      step(second, resumed, k, 5e-3);
    }
    expect(values(resumed)).toEqual(values(whole));
    expect(await state(second)).toEqual(await state(first));
    tf.dispose([...whole, ...resumed]);
  });
});
