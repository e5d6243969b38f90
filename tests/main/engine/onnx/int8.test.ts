/**
 * 8-bit integer convolutions: the kernels' rounding, which convs are quantized, the integer export
 * against a TF.js model that rounds the same way, and the quantization-aware gradient graph against
 * TF.js gradients taken straight through that rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { getArchitecture } from '../../../../src/main/engine/models/architectures';
import { exportOnnx } from '../../../../src/main/engine/onnx/export';
import { buildGradientGraph } from '../../../../src/main/engine/onnx/gradients';
import { int8Kernel, quantizableConvs, type ActivationScales } from '../../../../src/main/engine/onnx/int8';
import { calibrateInt8 } from '../../../../src/main/engine/training/int8-calibration';
import { loadOnnxRuntime } from '../../../../src/main/engine/runtime/runner';
import { nchwcBlockSize } from '../../../../src/main/engine/runtime/nchwc';
import { lossFn, trainableVariables } from '../../../../src/main/engine/training/steps/tfjs-step';
import { expectClose } from '../../../helpers/close';
import { runGradientGraph } from '../../../helpers/gradient-graph';

beforeAll(() => initBackend());

/** An ffdnet with every weight moved off its start (its last conv starts at zero). */
function ffdnet(width: number) {
  const model = getArchitecture('ffdnet').build({ channels: 1, depth: 5, width, seed: 5 });
  for (const v of trainableVariables(model)) v.assign(tf.tidy(() => v.add(tf.randomNormal(v.shape, 0, 0.1, 'float32', 3))));
  return model;
}

/** A uint8 input as the integer conv sees it, its gradient passed straight through (zero above the range). */
const roundedInput = (scale: number) => tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  (args[1] as tf.GradSaveFunc)([x]);
  const value = tf.tidy(() => x.div(scale).round().clipByValue(0, 255).mul(scale));
  return { value, gradFunc: (dy, [saved]) => (dy as tf.Tensor).mul(saved.lessEqual(255 * scale).cast('float32')) };
});

/**
 * The reference: `model` run layer by layer in TF.js, the quantized convs' kernels replaced by their
 * int8 rounding and their inputs rounded by `roundedInput`; returns the output.
 */
function roundedForward(model: tf.LayersModel, scales: ActivationScales, x: tf.Tensor): tf.Tensor {
  const out = new Map<string, tf.Tensor>();
  for (const layer of model.layers) {
    const from = (layer.inboundNodes[0]?.inboundLayers ?? []).map((l) => out.get(l.name)!);
    if (layer.getClassName() === 'InputLayer') { out.set(layer.name, x); continue; }
    const input = from.length === 1 ? from[0] : from;
    const scale = scales[layer.name];
    out.set(layer.name, layer.apply(scale !== undefined ? (roundedInput(scale) as (t: tf.Tensor) => tf.Tensor)(input as tf.Tensor) : input) as tf.Tensor);
  }
  return out.get(model.layers[model.layers.length - 1].name)!;
}

/** Sets each quantized conv's kernel to its int8 rounding (what the gradients pass straight through to). */
function roundKernels(model: tf.LayersModel, scales: ActivationScales) {
  for (const name of Object.keys(scales)) {
    const layer = model.getLayer(name);
    const [kernel, bias] = layer.getWeights();
    const [kh, kw, cin, cout] = kernel.shape;
    const oihw = kernel.transpose([3, 2, 0, 1]);
    const { values, scales: s } = int8Kernel(oihw.dataSync() as Float32Array, cout);
    const rounded = tf.tensor4d(Float32Array.from(values, (v, i) => v * s[Math.floor(i / (cin * kh * kw))]), [cout, cin, kh, kw]).transpose([2, 3, 1, 0]);
    layer.setWeights([rounded, bias]);
    tf.dispose([oihw, rounded]);
  }
}

describe('int8 kernels', () => {
  it('rounds each output channel to 127 steps of its own largest magnitude, an all-zero channel included', () => {
    const kernel = Float32Array.of(0.5, -0.25, 0.125, 0.01, 0, 0, 0, 0, -2, 1, 0.3, 2);
    const { values, scales } = int8Kernel(kernel, 3);
    expect(Array.from(scales)).toEqual([0.5 / 127, Math.fround(1e-12 / 127), 2 / 127].map(Math.fround));
    expect(Array.from(values.slice(0, 4))).toEqual([127, -64, 32, 3]); // -63.5 rounds half to even
    expect(Array.from(values.slice(4, 8))).toEqual([0, 0, 0, 0]);
    expect(Array.from(values.slice(8))).toEqual([-127, 64, 19, 127]); // 63.5 rounds half to even
  });

  it('quantizes the convs between two ReLUs only: not the first (the image) or the last (the residual)', () => {
    const model = ffdnet(8);
    const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D' && (l.getConfig() as { activation?: string }).activation === 'relu');
    expect(quantizableConvs(model)).toEqual(convs.slice(1).map((l) => l.name));
    expect(quantizableConvs(model)).toHaveLength(3);
    model.dispose();
  });
});

describe.skipIf(!loadOnnxRuntime())('int8 inference and quantization-aware training', () => {
  it('the integer export equals TF.js with the same rounding, and calibration covers nearly every input value', async () => {
    const ort = loadOnnxRuntime()!;
    const model = ffdnet(16);
    const x = tf.randomUniform([2, 24, 24, 2], 0, 1, 'float32', 7) as tf.Tensor4D;
    const scales = await calibrateInt8(model, [x]);
    expect(Object.keys(scales)).toEqual(quantizableConvs(model));
    for (const s of Object.values(scales)) expect(s).toBeGreaterThan(0);
    const session = await ort.InferenceSession.create(exportOnnx(model, { int8: scales }), { intraOpNumThreads: 1 });
    const got = (await session.run({ input: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) })).output.data as Float32Array;
    const float = (model.predict(x) as tf.Tensor).dataSync();
    roundKernels(model, scales);
    const want = tf.tidy(() => roundedForward(model, scales, x).dataSync());
    // ONNX Runtime requantizes each integer conv's output straight to the next one's input, so a
    // value on a rounding boundary may land one step away; the float model is far further off.
    const rms = (a: ArrayLike<number>) => Math.sqrt(Array.from(want, (w, i) => (a[i] - w) ** 2).reduce((s, v) => s + v, 0) / want.length);
    expect(rms(float)).toBeGreaterThan(1e-3);
    expect(rms(got)).toBeLessThan(0.1 * rms(float));
    await session.release();
    tf.dispose(x);
    model.dispose();
  });

  for (const blocked of [false, true]) {
    it(`quantization-aware gradients${blocked ? ' on blocked convolutions' : ''} equal TF.js's taken straight through the rounding`, async () => {
      const model = ffdnet(16);
      const x = tf.randomUniform([3, 16, 16, 2], 0, 1, 'float32', 11) as tf.Tensor4D;
      const y = tf.randomUniform([3, 16, 16, 1], 0, 1, 'float32', 12) as tf.Tensor4D;
      // Tops below the largest values, so some inputs are clipped and get no gradient.
      const scales = Object.fromEntries(Object.entries(await calibrateInt8(model, [x])).map(([k, v]) => [k, v * 0.8]));
      const graph = buildGradientGraph(model, 'mse', { int8: scales, nchwcBlock: blocked ? await nchwcBlockSize() : 0 });
      const vars = trainableVariables(model);
      const result = await runGradientGraph(graph, x, y, vars);
      roundKernels(model, scales);
      const want = tf.variableGrads(() => lossFn('mse', y, roundedForward(model, scales, x)) as tf.Scalar, vars);
      expectClose(result.loss.data as Float32Array, want.value.dataSync(), 1e-4, 'loss');
      vars.forEach((v, i) => expectClose(result[`grad_${i}`].data as Float32Array, want.grads[v.name].dataSync(), 2e-3, v.name));
      tf.dispose([x, y, want.value, ...Object.values(want.grads)]);
      model.dispose();
    });
  }
});
