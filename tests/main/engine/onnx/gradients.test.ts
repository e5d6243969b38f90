/**
 * The ONNX training graph: its loss and gradients match TF.js's for every
 * layer kind it supports, and one step through ONNX Runtime updates the
 * weights and BatchNorm statistics as one TF.js step does.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { getArchitecture } from '../../../../src/main/engine/models/architectures';
import { buildGradientGraph, gradientGraphSupport } from '../../../../src/main/engine/onnx/gradients';
import { OnnxTrainStep } from '../../../../src/main/engine/training/steps/onnx-step';
import { loadOnnxRuntime } from '../../../../src/main/engine/runtime/runner';
import { nchwcBlockSize } from '../../../../src/main/engine/runtime/nchwc';
import { onnx } from '../../../../src/main/engine/onnx/graph';
import { sliceGradients, trainableVariables, trainStep, type LossName } from '../../../../src/main/engine/training/steps/tfjs-step';
import { expectClose } from '../../../helpers/close';
import { runGradientGraph } from '../../../helpers/gradient-graph';

beforeAll(() => initBackend());

/** Moves every trainable weight off its initial value (the last conv of ffdnet starts at zero). */
function perturb(model: tf.LayersModel) {
  for (const v of trainableVariables(model)) v.assign(tf.tidy(() => v.add(tf.randomNormal(v.shape, 0, 0.05, 'float32', 3))));
}

function build(arch: string, channels: 1 | 3, opts: Record<string, unknown>) {
  const model = getArchitecture(arch).build({ channels, seed: 5, ...opts });
  perturb(model);
  return model;
}

function batch(model: tf.LayersModel, n: number, size: number) {
  const cin = model.inputs[0].shape[3] as number;
  const cout = model.outputs[0].shape[3] as number;
  return {
    x: tf.randomUniform([n, size, size, cin], 0, 1, 'float32', 7) as tf.Tensor4D,
    y: tf.randomUniform([n, size, size, cout], 0, 1, 'float32', 8) as tf.Tensor4D,
  };
}

const cases: { name: string; arch: string; channels: 1 | 3; opts: Record<string, unknown>; loss: LossName; blocked?: boolean }[] = [
  { name: 'ffdnet grey, MSE', arch: 'ffdnet', channels: 1, opts: { depth: 4, width: 8 }, loss: 'mse' },
  { name: 'ffdnet colour, L1', arch: 'ffdnet', channels: 3, opts: { depth: 3, width: 8 }, loss: 'l1' },
  { name: 'dncnn with BatchNorm, MSE', arch: 'dncnn', channels: 1, opts: { depth: 4, width: 8, batchNorm: true }, loss: 'mse' },
  { name: 'dncnn without BatchNorm, MSE', arch: 'dncnn', channels: 3, opts: { depth: 3, width: 8, batchNorm: false }, loss: 'mse' },
  { name: 'seed (strided and transposed convs, sigmoid), BCE', arch: 'seed', channels: 1, opts: {}, loss: 'bce' },
  { name: 'seed colour, MSE through the sigmoid', arch: 'seed', channels: 3, opts: {}, loss: 'mse' },
  { name: 'levelnet (fixed Haar layer, no residual), MSE', arch: 'levelnet', channels: 1, opts: { depth: 3, width: 8 }, loss: 'mse' },
  // Middle layers wide enough for ONNX Runtime's blocked kernels (16 or 8 channels a block), where this CPU has them.
  { name: 'ffdnet colour on blocked (NCHWc) convolutions, MSE', arch: 'ffdnet', channels: 3, opts: { depth: 4, width: 16 }, loss: 'mse', blocked: true },
  { name: 'dncnn with BatchNorm on blocked convolutions, MSE', arch: 'dncnn', channels: 1, opts: { depth: 4, width: 16, batchNorm: true }, loss: 'mse', blocked: true },
];

describe.skipIf(!loadOnnxRuntime())('ONNX gradient graph', () => {
  for (const c of cases) {
    it(`${c.name}: loss and every gradient match TF.js`, async () => {
      const model = build(c.arch, c.channels, c.opts);
      const { x, y } = batch(model, 3, 12);
      const nchwcBlock = c.blocked ? await nchwcBlockSize() : 0;
      const graph = buildGradientGraph(model, c.loss, { nchwcBlock });
      // The blocked graph holds ONNX Runtime's NCHWc ops exactly when the block divides the width.
      expect(Buffer.from(graph.bytes).includes('com.microsoft.nchwc')).toBe(nchwcBlock > 0 && 16 % nchwcBlock === 0);
      const vars = trainableVariables(model);
      const result = await runGradientGraph(graph, x, y, vars);
      const want = sliceGradients(model, vars, x, y, c.loss, 1);
      expectClose(result.loss.data as Float32Array, want.value.dataSync(), 1e-5, 'loss');
      vars.forEach((v, i) => expectClose(result[`grad_${i}`].data as Float32Array, want.grads[v.name].dataSync(), 2e-4, v.name));
      tf.dispose([x, y, want.value, ...Object.values(want.grads)]);
      model.dispose();
    });
  }

  it('stride-1 convs of other kernel shapes (5x3, 1x1): every gradient matches TF.js', async () => {
    const input = tf.input({ shape: [null, null, 2] });
    const wide = tf.layers.conv2d({ filters: 3, kernelSize: [5, 3], padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(input) as tf.SymbolicTensor;
    const point = tf.layers.conv2d({ filters: 2, kernelSize: 1, padding: 'same', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }).apply(wide) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: point });
    perturb(model);
    const { x, y } = batch(model, 2, 9);
    const vars = trainableVariables(model);
    const result = await runGradientGraph(buildGradientGraph(model, 'mse'), x, y, vars);
    const want = sliceGradients(model, vars, x, y, 'mse', 1);
    vars.forEach((v, i) => expectClose(result[`grad_${i}`].data as Float32Array, want.grads[v.name].dataSync(), 2e-4, v.name));
    tf.dispose([x, y, want.value, ...Object.values(want.grads)]);
    model.dispose();
  });

  it('one ONNX Runtime step updates weights and BatchNorm statistics as a TF.js step does', async () => {
    const opts = { depth: 4, width: 8, batchNorm: true };
    const viaTfjs = build('dncnn', 1, opts);
    const viaOnnx = build('dncnn', 1, opts);
    const { x, y } = batch(viaTfjs, 4, 10);
    const optA = tf.train.adam(1e-2);
    const optB = tf.train.adam(1e-2);
    const lossA = trainStep(viaTfjs, optA, trainableVariables(viaTfjs), x, y, 'mse');
    const step = await OnnxTrainStep.create(viaOnnx, 'mse', { threads: 1 });
    const lossB = await step.step(optB, trainableVariables(viaOnnx), x, y);
    step.dispose();
    expect(lossB).toBeCloseTo(lossA, 5);
    const before = build('dncnn', 1, opts).getWeights();
    viaTfjs.getWeights().forEach((w, i) => {
      const got = viaOnnx.getWeights()[i];
      expect(got.dataSync()).not.toEqual(before[i].dataSync()); // every weight, moving statistics included, changed
      expectClose(got.dataSync(), w.dataSync(), 1e-4, viaTfjs.weights[i].name);
    });
  });

  it('passes blocked tensors from one middle conv to the next without reordering them', async () => {
    const block = await nchwcBlockSize();
    if (!block || 16 % block !== 0) return; // no blocked kernels on this CPU: nothing to chain
    const reorders = (depth: number) => {
      const model = build('ffdnet', 3, { depth, width: 16 });
      const { node } = onnx.ModelProto.decode(buildGradientGraph(model, 'mse', { nchwcBlock: block }).bytes).graph!;
      model.dispose();
      return node!.filter((n) => n.opType === 'ReorderInput').length;
    };
    // Only where a plain conv meets the blocked chain: its first layer's input, and the last layer's output gradient.
    expect(reorders(4)).toBe(2);
    expect(reorders(8)).toBe(2);
  });

  it('refuses what it cannot differentiate', () => {
    const ffdnet = build('ffdnet', 1, { depth: 3, width: 4 });
    expect(gradientGraphSupport(ffdnet, 'mse')).toBeNull();
    expect(gradientGraphSupport(ffdnet, 'bce')).toMatch(/sigmoid/);
    const input = tf.input({ shape: [null, null, 1] });
    const valid3 = tf.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, padding: 'valid' }).apply(input) as tf.SymbolicTensor;
    expect(gradientGraphSupport(tf.model({ inputs: input, outputs: valid3 }), 'mse')).toMatch(/stride 2, valid, kernel 3x3/);
    const tanh = tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'tanh' }).apply(input) as tf.SymbolicTensor;
    expect(gradientGraphSupport(tf.model({ inputs: input, outputs: tanh }), 'mse')).toMatch(/tanh/);
    expect(() => buildGradientGraph(ffdnet, 'bce')).toThrow(/not supported/);
  });
});
