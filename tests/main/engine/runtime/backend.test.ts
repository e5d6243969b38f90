/** The threaded SIMD wasm backend: a real thread pool under Node, the cpu backend's results, and a process that still exits. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { getArchitecture } from '../../../../src/main/engine/models/architectures';
import { trainableVariables, trainStep } from '../../../../src/main/engine/training/steps/tfjs-step';
import { runCli } from '../../../helpers/cli';

/** Three Adam steps of a small FFDNet on the current backend: losses and final weights. */
function train3(): { losses: number[]; weights: Float32Array[] } {
  const model = getArchitecture('ffdnet').build({ channels: 3, depth: 4, width: 16, seed: 3 });
  const x = tf.randomUniform([4, 32, 32, 4], 0, 1, 'float32', 5) as tf.Tensor4D;
  const y = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
  const opt = tf.train.adam(1e-2);
  const losses = [0, 1, 2].map(() => trainStep(model, opt, trainableVariables(model), x, y, 'mse'));
  const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return { losses, weights };
}

describe('threaded wasm backend', () => {
  beforeAll(async () => {
    const report = await initBackend('wasm', 2);
    expect(report.threadsNote).toBeUndefined();
    expect(report.threads).toBe(2);
  });

  it('trains exactly as the cpu backend does', async () => {
    await tf.setBackend('wasm');
    const got = train3();
    await tf.setBackend('cpu');
    const ref = train3();
    await tf.setBackend('wasm');
    got.losses.forEach((l, i) => expect(l).toBeCloseTo(ref.losses[i], 5));
    let diff = 0;
    got.weights.forEach((w, i) => w.forEach((v, j) => (diff = Math.max(diff, Math.abs(v - ref.weights[i][j])))));
    expect(diff).toBeLessThan(1e-4);
  });

  it('uses the pool in a CLI process, which still exits by itself', async () => {
    const two = await runCli(['info'], { DENOISE_WASM_THREADS: '2' });
    expect(two.code, two.stderr).toBe(0);
    expect(two.stdout).toMatch(/backend: wasm \(SIMD\), threads: 2/);
    const one = await runCli(['info'], { DENOISE_WASM_THREADS: '1' });
    expect(one.stdout).toMatch(/backend: wasm \(SIMD\), threads: 1/);
  });
});
