/**
 * The wasm backend's filter gradient, three ways, for one DnCNN layer (3×3,
 * 64 → 64 channels, 8 patches of 40×40): the engine's convolution form (the
 * registered Conv2DBackpropFilter kernel) against matrix products of shifted
 * input slices, with and without transpose flags. Prints one JSON line per
 * form: median ms of 5 after a warm-up, GFLOP/s, and the largest difference
 * from the convolution form. docs/performance.md quotes it.
 * Usage: tsx bench/wasm-filter-grad.ts [threads]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/engine/runtime/backend';

const threads = Number(process.argv[2] ?? 1);
const backend = await initBackend('wasm', threads);
const [B, H, W, C] = [8, 40, 40, 64];
const x = tf.randomNormal([B, H, W, C]) as tf.Tensor4D;
const dy = tf.randomNormal([B, H, W, C]) as tf.Tensor4D;

const convForm = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
  { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [3, 3, C, C] } as never) as tf.Tensor;

/** dW[i,j] = slice(x padded, i, j)^T · dy, as nine products; `flags`: let matMul transpose, else transpose first. */
const productForm = (flags: boolean) => () => tf.tidy(() => {
  const xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const d2 = dy.reshape([B * H * W, C]);
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const a = xp.slice([0, i, j, 0], [B, H, W, C]).reshape([B * H * W, C]);
      taps.push(flags ? tf.matMul(a, d2, true, false) : tf.fused.matMul({ a: a.transpose(), b: d2 }));
    }
  }
  return tf.stack(taps).reshape([3, 3, C, C]);
});

const reference = convForm();
const gflop = (2 * B * H * W * C * C * 9) / 1e9;
for (const [form, run] of [['conv2d (engine)', convForm], ['matMul, transposeA', productForm(true)], ['transpose, then matMul', productForm(false)]] as const) {
  const warm = run();
  const maxDiff = tf.max(tf.abs(tf.sub(warm, reference))).dataSync()[0];
  warm.dispose();
  const ms: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    const out = run();
    out.dataSync();
    out.dispose();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  console.log(JSON.stringify({ bench: 'wasm_filter_grad', form, ms: +ms[2].toFixed(1), gflops: +(gflop / (ms[2] / 1000)).toFixed(1), maxDiff, scale: tf.max(tf.abs(reference)).dataSync()[0], threads: backend.threads }));
}
