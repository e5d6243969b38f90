/**
 * ONNX export: ONNX Runtime's outputs match TF.js within 1e-4 for every architecture, grey and colour;
 * and so does the export with weights as inputs (self-supervised training's current output), on the
 * blocked (NCHWc) convolutions where this CPU has them.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { getArchitecture } from '../../../../src/main/engine/models/architectures';
import { createOnnxSession, loadOnnxRuntime, onnxRunner, tfjsRunner } from '../../../../src/main/engine/runtime/runner';
import { exportOnnx, onnxWeights } from '../../../../src/main/engine/onnx/export';
import { nchwcBlockSize } from '../../../../src/main/engine/runtime/nchwc';

beforeAll(() => initBackend());

/** Trains a few steps so weights (and BatchNorm statistics) are not at their initial values. */
function perturb(model: tf.LayersModel) {
  for (const w of model.weights) {
    if (!w.trainable) continue;
    const v = (w as unknown as { read(): tf.Variable }).read();
    v.assign(tf.tidy(() => v.add(tf.randomNormal(v.shape, 0, 0.05, 'float32', 3))));
  }
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const [gamma, beta, mean, variance] = layer.getWeights();
    layer.setWeights([gamma, beta, tf.randomNormal(mean.shape, 0, 0.1), tf.randomUniform(variance.shape, 0.5, 1.5)]);
  }
}

const cases = [
  { arch: 'seed', channels: 1 as const, opts: {}, size: [28, 20] },
  { arch: 'dncnn', channels: 1 as const, opts: { depth: 5, width: 16, batchNorm: true }, size: [17, 23] },
  { arch: 'dncnn', channels: 3 as const, opts: { depth: 4, width: 8, batchNorm: false }, size: [16, 16] },
  { arch: 'ffdnet', channels: 1 as const, opts: { depth: 4, width: 16 }, size: [30, 18] },
  { arch: 'ffdnet', channels: 3 as const, opts: { depth: 4, width: 16 }, size: [22, 26] },
  { arch: 'levelnet', channels: 1 as const, opts: { depth: 4, width: 16 }, size: [20, 14] },
];

describe.skipIf(!loadOnnxRuntime())('ONNX export', () => {
  for (const c of cases) {
    it(`${c.arch} (${c.channels === 1 ? 'grey' : 'colour'}) matches TF.js within 1e-4`, async () => {
      const arch = getArchitecture(c.arch);
      const model = arch.build({ channels: c.channels, seed: 5, ...c.opts });
      perturb(model);
      const cin = arch.noiseMap ? c.channels + 1 : c.channels;
      const [h, w] = c.size;
      const x = tf.randomUniform([2, h, w, cin], 0, 1, 'float32', 9).dataSync() as Float32Array;
      const want = await tfjsRunner(model).run(x, 2, h, w, cin);
      const ort = await onnxRunner(model, { threads: 1 });
      const got = await ort.run(x, 2, h, w, cin);
      ort.dispose();
      expect(got.length).toBe(want.length);
      let max = 0;
      for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
      expect(max).toBeLessThan(1e-4);
    });
  }

  it('with weights as inputs, on blocked convolutions where they fit, matches TF.js within 1e-4', async () => {
    const ortModule = loadOnnxRuntime()!;
    const model = getArchitecture('ffdnet').build({ channels: 3, seed: 5, depth: 4, width: 16 });
    perturb(model);
    const block = await nchwcBlockSize();
    const bytes = exportOnnx(model, { weightsAsInputs: true, nchwcBlock: block });
    expect(Buffer.from(bytes).includes('com.microsoft.nchwc')).toBe(block > 0 && 16 % block === 0);
    const x = tf.randomUniform([2, 24, 20, 4], 0, 1, 'float32', 9).dataSync() as Float32Array;
    const want = await tfjsRunner(model).run(x, 2, 24, 20, 4);
    const session = await createOnnxSession(ortModule, bytes, 1);
    const feeds: Record<string, InstanceType<typeof ortModule.Tensor>> = { input: new ortModule.Tensor('float32', x, [2, 24, 20, 4]) };
    for (const w of onnxWeights(model)) feeds[w.name] = new ortModule.Tensor('float32', w.data, w.dims);
    const got = (await session.run(feeds)).output.data as Float32Array;
    await session.release();
    let max = 0;
    for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
    expect(got.length).toBe(want.length);
    expect(max).toBeLessThan(1e-4);
  });
});
