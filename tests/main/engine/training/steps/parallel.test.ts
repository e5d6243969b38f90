/** Data-parallel training on worker threads gives the same updates as one thread. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../../src/main/engine/runtime/backend';
import { getArchitecture } from '../../../../../src/main/engine/models/architectures';
import { DataParallel } from '../../../../../src/main/engine/training/steps/parallel/data-parallel';
import { trainableVariables, trainStep } from '../../../../../src/main/engine/training/steps/tfjs-step';

beforeAll(() => initBackend());

describe('DataParallel', () => {
  it('matches single-thread training step for step (2 and 3 threads)', async () => {
    const build = () => getArchitecture('ffdnet').build({ channels: 1, depth: 4, width: 8, seed: 4 });
    const x = tf.randomUniform([7, 16, 16, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
    const y = tf.randomUniform([7, 16, 16, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const single = build();
    const optA = tf.train.adam(1e-2);
    const lossesA = [0, 1, 2].map(() => trainStep(single, optA, trainableVariables(single), x, y, 'mse'));
    for (const threads of [2, 3]) {
      const multi = build();
      const optB = tf.train.adam(1e-2);
      const dp = await DataParallel.create(multi, threads, 'wasm');
      try {
        const lossesB: number[] = [];
        for (let i = 0; i < 3; i++) lossesB.push(await dp.step(multi, optB, trainableVariables(multi), x, y, 'mse'));
        lossesB.forEach((l, i) => expect(l).toBeCloseTo(lossesA[i], 5));
        const a = single.getWeights();
        multi.getWeights().forEach((w, i) => {
          expect(tf.max(tf.abs(tf.sub(w, a[i]))).dataSync()[0]).toBeLessThan(1e-5);
        });
      } finally {
        await dp.dispose();
      }
    }
  });
});
