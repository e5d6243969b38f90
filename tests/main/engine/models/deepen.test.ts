/** Growing a conv stack: the deeper model starts as exactly the base model's function. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { getArchitecture } from '../../../../src/main/engine/models/architectures';
import { deepenInto } from '../../../../src/main/engine/models/deepen';

beforeAll(() => initBackend());

function perturbed(arch: string, opts: Record<string, unknown>) {
  const model = getArchitecture(arch).build({ channels: 1, seed: 2, ...opts });
  for (const w of model.trainableWeights) {
    const v = (w as unknown as { read(): tf.Variable }).read();
    v.assign(tf.tidy(() => v.add(tf.randomNormal(v.shape, 0, 0.05, 'float32', 4))));
  }
  return model;
}

describe('deepenInto', () => {
  for (const [arch, opts] of [['ffdnet', { width: 8 }], ['dncnn', { width: 8, batchNorm: false }]] as const) {
    it(`${arch}: 5 layers grown to 9 give the same output`, () => {
      const base = perturbed(arch, { ...opts, depth: 5 });
      const deep = deepenInto(base, getArchitecture(arch).build({ channels: 1, seed: 3, ...opts, depth: 9 }));
      expect(deep.layers.length).toBeGreaterThan(base.layers.length);
      const cin = base.inputs[0].shape[3] as number;
      const x = tf.randomUniform([2, 16, 16, cin], 0, 1, 'float32', 6);
      const a = (base.predict(x) as tf.Tensor).dataSync();
      const b = (deep.predict(x) as tf.Tensor).dataSync();
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
      expect(max).toBeLessThan(1e-6);
      // A fresh (random) deep model differs, so the equality above is the copy's doing.
      const fresh = (getArchitecture(arch).build({ channels: 1, seed: 3, ...opts, depth: 9 }).predict(x) as tf.Tensor).dataSync();
      expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - fresh[i])))).toBeGreaterThan(1e-3);
    });
  }

  it('refuses BatchNorm models and shallower targets with clear errors', () => {
    const bn = getArchitecture('dncnn').build({ channels: 1, depth: 4, width: 8, batchNorm: true, seed: 1 });
    expect(() => deepenInto(bn, getArchitecture('dncnn').build({ channels: 1, depth: 6, width: 8, batchNorm: true, seed: 1 }))).toThrow(/BatchNorm/);
    const base = perturbed('ffdnet', { width: 8, depth: 6 });
    expect(() => deepenInto(base, getArchitecture('ffdnet').build({ channels: 1, depth: 4, width: 8, seed: 1 }))).toThrow(/shallower/);
    expect(() => deepenInto(base, getArchitecture('ffdnet').build({ channels: 1, depth: 8, width: 16, seed: 1 }))).toThrow(/differ in more than depth/);
  });
});
