/** The project's wasm convolution gradient kernels agree with the cpu backend. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';

interface Case { n: number; h: number; w: number; ci: number; co: number; k: number; s: number; pad: 'same' | 'valid' }
const cases: Case[] = [
  { n: 2, h: 8, w: 8, ci: 3, co: 4, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 9, w: 7, ci: 2, co: 5, k: 3, s: 2, pad: 'same' },
  { n: 1, h: 11, w: 13, ci: 4, co: 3, k: 3, s: 2, pad: 'valid' },
  { n: 3, h: 10, w: 10, ci: 1, co: 8, k: 3, s: 1, pad: 'valid' },
  { n: 2, h: 7, w: 12, ci: 3, co: 2, k: 5, s: 2, pad: 'same' },
  { n: 1, h: 12, w: 12, ci: 2, co: 2, k: 2, s: 2, pad: 'valid' },
  { n: 2, h: 28, w: 28, ci: 1, co: 16, k: 3, s: 2, pad: 'same' },
  { n: 1, h: 10, w: 11, ci: 3, co: 4, k: 4, s: 2, pad: 'same' },
  { n: 2, h: 13, w: 9, ci: 2, co: 3, k: 5, s: 3, pad: 'same' },
  { n: 1, h: 14, w: 12, ci: 2, co: 2, k: 3, s: 3, pad: 'valid' },
  { n: 1, h: 9, w: 10, ci: 3, co: 2, k: 2, s: 3, pad: 'valid' },
];

function random(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array);
}

/** Gradients of sum(conv2d(x, w) * r) and of conv2dTranspose, on the current backend. */
function compute(c: Case, x: Float32Array, w: Float32Array, r: Float32Array, tx: Float32Array) {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, [c.n, c.h, c.w, c.ci]);
    const wt = tf.tensor4d(w, [c.k, c.k, c.ci, c.co]);
    const y = tf.conv2d(xt, wt, c.s, c.pad);
    const rt = tf.tensor(r, y.shape);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad).mul(rt).sum())([xt, wt]);
    // conv2dTranspose maps y-shaped tensors back to x's shape; it runs Conv2DBackpropInput forward.
    const tr = tf.conv2dTranspose(tf.tensor(tx, y.shape) as tf.Tensor4D, wt, [c.n, c.h, c.w, c.ci], c.s, c.pad);
    return { gx: Float32Array.from(gx.dataSync()), gw: Float32Array.from(gw.dataSync()), tr: Float32Array.from(tr.dataSync()), yShape: y.shape };
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('wasm convolution gradient kernels', () => {
  beforeAll(async () => {
    const report = await initBackend('wasm');
    expect(report.name).toBe('wasm');
  });

  for (const c of cases) {
    it(`match cpu for ${JSON.stringify(c)}`, async () => {
      const x = random([c.n, c.h, c.w, c.ci], 1);
      const w = random([c.k, c.k, c.ci, c.co], 2);
      await tf.setBackend('cpu');
      const yShape = tf.tidy(() => tf.conv2d(tf.zeros([c.n, c.h, c.w, c.ci]) as tf.Tensor4D, tf.zeros([c.k, c.k, c.ci, c.co]) as tf.Tensor4D, c.s, c.pad).shape);
      const r = random(yShape, 3);
      const tx = random(yShape, 4);
      const ref = compute(c, x, w, r, tx);
      await tf.setBackend('wasm');
      const got = compute(c, x, w, r, tx);
      expect(maxAbsDiff(got.gw, ref.gw)).toBeLessThan(1e-3);
      expect(maxAbsDiff(got.gx, ref.gx)).toBeLessThan(1e-3);
      expect(maxAbsDiff(got.tr, ref.tr)).toBeLessThan(1e-3);
    });
  }

  it('frees every intermediate tensor', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 9, 9, 3]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const step = () => tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum())([x, w]).map((g) => g.sum().dataSync()[0]));
    step();
    const before = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytesBefore);
    tf.dispose([x, w]);
  });
});

describe('BatchNorm gradient (broadcasting, no Tile)', () => {
  /** Gradients of sum(batchNorm(x) * r) through the fused kernel, and through the same formula spelled out in elementwise ops. */
  function grads(fused: boolean) {
    return tf.tidy(() => {
      const x = tf.randomNormal([3, 5, 6, 4], 2, 3, 'float32', 11);
      const r = tf.randomNormal([3, 5, 6, 4], 0, 1, 'float32', 12);
      const scale = tf.randomNormal([4], 1, 0.5, 'float32', 13);
      const offset = tf.randomNormal([4], 0, 1, 'float32', 14);
      const f = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        const y = fused
          ? tf.batchNorm(a, mean, variance, o, s, 1e-3)
          : tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-3))), s), o);
        return tf.sum(tf.mul(y, r));
      };
      return tf.grads(f)([x, scale, offset]).map((g) => Float32Array.from(g.dataSync()));
    });
  }

  for (const backend of ['wasm', 'cpu']) {
    it(`matches the elementwise formula on ${backend}`, async () => {
      await initBackend('wasm');
      await tf.setBackend(backend);
      const got = grads(true);
      const ref = grads(false);
      got.forEach((g, i) => expect(maxAbsDiff(g, ref[i])).toBeLessThan(2e-4));
      await tf.setBackend('wasm');
    });
  }
});
