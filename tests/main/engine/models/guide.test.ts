/** Adding a guide input to an ffdnet: the guided model starts as exactly the base model's function, whatever the guide. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { getArchitecture } from '../../../../src/main/engine/models/architectures';
import { guideInto } from '../../../../src/main/engine/models/guide';

beforeAll(() => initBackend());

const ffdnet = getArchitecture('ffdnet');

function perturbed(channels: 1 | 3) {
  const model = ffdnet.build({ channels, depth: 4, width: 8, seed: 2 });
  for (const w of model.trainableWeights) {
    const v = (w as unknown as { read(): tf.Variable }).read();
    v.assign(tf.tidy(() => v.add(tf.randomNormal(v.shape, 0, 0.05, 'float32', 4))));
  }
  return model;
}

const maxDiff = (a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

describe('guideInto', () => {
  for (const channels of [1, 3] as const) {
    it(`${channels} channel(s): the guided model gives the base model's output for any guide, then learns to use it`, () => {
      const base = perturbed(channels);
      const guided = guideInto(base, ffdnet.build({ channels, depth: 4, width: 8, guide: true, seed: 3 }));
      expect(guided.inputs[0].shape[3]).toBe(channels + 2); // image, guide, noise map
      const [image, guide, map] = [tf.randomUniform([2, 16, 16, channels], 0, 1, 'float32', 6), tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 7), tf.fill([2, 16, 16, 1], 0.1)];
      const a = (base.predict(tf.concat([image, map], 3)) as tf.Tensor).dataSync();
      const b = (guided.predict(tf.concat([image, guide, map], 3)) as tf.Tensor).dataSync();
      expect(b.length).toBe(a.length); // the output keeps the image's channels
      expect(maxDiff(a, b)).toBeLessThan(1e-6);
      // Once its guide weights move, the guide changes the output: the input reaches the network.
      const first = guided.layers.find((l) => l.getClassName() === 'Conv2D' && l.trainableWeights.length > 0)!;
      first.setWeights(first.getWeights().map((w, i) => (i === 0 ? w.add(tf.randomNormal(w.shape, 0, 0.05, 'float32', 8)) : w)));
      const c = (guided.predict(tf.concat([image, guide, map], 3)) as tf.Tensor).dataSync();
      const d = (guided.predict(tf.concat([image, tf.zerosLike(guide), map], 3)) as tf.Tensor).dataSync();
      expect(maxDiff(c, d)).toBeGreaterThan(1e-4);
    });
  }

  it('refuses a target that differs in more than the guide', () => {
    const base = perturbed(1);
    expect(() => guideInto(base, ffdnet.build({ channels: 1, depth: 6, width: 8, guide: true, seed: 3 }))).toThrow(/depth/);
    expect(() => guideInto(base, ffdnet.build({ channels: 1, depth: 4, width: 8, seed: 3 }))).toThrow(/more than the guide/);
  });
});
