/**
 * Builds an ONNX graph that computes a layers model's training loss and the
 * gradient of every trainable weight (reverse-mode differentiation written
 * out layer by layer), so ONNX Runtime's native, multi-threaded kernels can do
 * the forward and backward passes of a training step. The weights are graph
 * inputs and the gradients graph outputs, both in TF.js layout, so the
 * optimizer, its state and the checkpoints stay TF.js's.
 *
 * Supported: Conv2D and Conv2DTranspose, trainable or fixed, 'same' (odd
 * kernels at stride 1; kernel at least the stride otherwise) or 'valid' with
 * kernel = stride (pixel-(un)shuffle); relu, sigmoid and linear activations
 * (the notebook's `seed` model ends in a sigmoid, trained with BCE);
 * ReLU, Add and BatchNormalization with scale and offset (batch statistics, as
 * in training); MSE, L1 or BCE loss. A strided 'same' layer pads as TF does
 * when its full-resolution side is a multiple of the stride, which the
 * architectures' size multiple guarantees for training patches. Anything else
 * is refused by `gradientGraphSupport`.
 *
 * Given the CPU's NCHWc block (runtime/nchwc.ts), stride-1 convolutions whose channel counts are
 * multiples of it (the stacks' middle layers, forward and input gradient) run on ONNX Runtime's
 * blocked kernels (blocked-conv.ts). Their outputs stay blocked for the next such conv, and the
 * element-wise work between them (ReLU masks, int8 rounding) runs on the blocked twins, so a tensor
 * is reordered only where a plain op reads it (the kernel gradients); nodes nothing reads are
 * dropped at the end.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LossName } from '../training/steps/tfjs-step';
import { permute, type LayerConfig } from './export';
import { attrFloat, attrInt, attrInts, encodeModel, initializer, int64Initializer, onnx, valueInfo, type Onnx } from './graph';
import { blockedConvOf, fitsBlocks, reorderInput, reorderOutput, stride1Same, type GraphSink } from './blocked-conv';
import { INT8_MAX, int8Zeros, KERNEL_FLOOR, UINT8_MAX, uint8Zero, type ActivationScales } from './int8';

export interface GradientGraph {
  /** The serialised ONNX model. */
  bytes: Uint8Array;
  /** Graph input name for trainable weight i (model.trainableWeights order); its gradient is `grad_<i>`. */
  weightInputs: string[];
  /** BatchNorm layers whose batch mean / variance the graph outputs (`<layer>_batch_mean`, `<layer>_batch_var`). */
  batchNormLayers: string[];
}

/** Epsilon of the BatchNormalization used as a plain per-channel affine map (variance 1 - epsilon). */
const UNIT_EPSILON = 1e-5;
const TF_TO_ONNX_CONV = [3, 2, 0, 1]; // [kh,kw,in,out] -> [out,in,kh,kw]
const NHWC_TO_NCHW = [0, 3, 1, 2];
/** TF.js's clip of a BCE prediction (backend epsilon). */
const BCE_EPSILON = 1e-7;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

interface LayerRecord {
  layer: tf.layers.Layer;
  cls: string;
  cfg: LayerConfig;
  inputs: string[];
  /** The layer's output, and (for convs with an activation) the value before it. */
  output: string;
  /** ONNX-layout kernel, bias and BN scale names (the kernel as rounded, for a quantized conv). */
  kernel?: string;
  /** A quantized conv's input as rounded, and the top of its range (int8.ts). */
  rounded?: { input: string; top: string };
  /** Indices into the model's trainable weights, per layer weight (kernel, bias / gamma, beta). */
  trainable: (number | undefined)[];
  bn?: { centred: string; invStd: string; gamma: string; count: string; channels: number };
}

/** Why the model cannot train through the gradient graph, or null when it can. */
export function gradientGraphSupport(model: tf.LayersModel, loss: LossName): string | null {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return 'several inputs or outputs';
  const last = model.layers[model.layers.length - 1];
  const lastActivation = (last.getConfig() as LayerConfig).activation;
  if (loss === 'bce' && lastActivation !== 'sigmoid') return 'bce loss without a sigmoid output layer';
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as LayerConfig;
    const [kh, kw] = cfg.kernelSize ?? [1, 1];
    const [sh, sw] = cfg.strides ?? [1, 1];
    if (cfg.activation && !['linear', 'relu', 'sigmoid'].includes(cfg.activation)) return `activation ${cfg.activation} on ${layer.name}`;
    switch (cls) {
      case 'InputLayer': case 'ReLU': case 'Add':
        break;
      case 'BatchNormalization':
        if ((cfg as { axis?: number }).axis !== 3 && (cfg as { axis?: number }).axis !== -1) return 'BatchNormalization over an axis other than channels';
        if (cfg.scale === false || cfg.center === false) return 'BatchNormalization without scale or offset';
        break;
      case 'Conv2D': case 'Conv2DTranspose': {
        const unit = sh === 1 && sw === 1;
        const same = cfg.padding === 'same' && (unit ? cls === 'Conv2D' && kh % 2 === 1 && kw % 2 === 1 : kh >= sh && kw >= sw);
        const shuffle = cfg.padding === 'valid' && kh === sh && kw === sw;
        if (!same && !shuffle) return `${cls} ${layer.name} (stride ${sh}, ${cfg.padding}, kernel ${kh}x${kw})`;
        break;
      }
      default:
        return `layer type ${cls}`;
    }
  }
  return null;
}

export interface GradientGraphOptions {
  /** ONNX Runtime's NCHWc channel block on this CPU (runtime/nchwc.ts), or 0 (the default): plain convolutions only. */
  nchwcBlock?: number;
  /**
   * Quantization-aware training: these layers' inputs and kernels are rounded as the integer export
   * rounds them (int8.ts), each input to its uint8 scale and each kernel per output channel, and
   * the gradients pass straight through the rounding (zero where an input is above its range).
   */
  int8?: ActivationScales;
}

/** Writes the loss-and-gradients graph for `model` (check `gradientGraphSupport` first). */
export function buildGradientGraph(model: tf.LayersModel, loss: LossName, { nchwcBlock = 0, int8 = {} }: GradientGraphOptions = {}): GradientGraph {
  const unsupported = gradientGraphSupport(model, loss);
  if (unsupported) throw new Error(`gradient graph: ${unsupported} is not supported`);
  const nodes: Onnx.INodeProto[] = [];
  const inits: Onnx.ITensorProto[] = [];
  const outputs: Onnx.IValueInfoProto[] = [];
  let counter = 0;
  const fresh = (base: string) => `${base}_${counter++}`;
  const op = (opType: string, input: string[], attribute: Onnx.IAttributeProto[] = [], name = fresh(opType.toLowerCase())) => {
    nodes.push({ opType, input, output: [name], attribute, name }); // node named as its output, for profiles
    return name;
  };
  const constants = new Map<string, number>();
  const constant = (name: string, value: number) => {
    if (!constants.has(name)) inits.push(initializer(name, Float32Array.of(value), []));
    constants.set(name, value);
    return name;
  };
  inits.push(int64Initializer('axes_nhw', [0, 2, 3]));
  const fixedVector = (name: string, length: number, value: number) => {
    if (!constants.has(name)) inits.push(initializer(name, new Float32Array(length).fill(value), [length]));
    constants.set(name, value);
    return name;
  };
  const zero = () => constant('zero', 0);
  /**
   * Blocked twins of plain NCHW tensors (the same values in ONNX Runtime's NCHWc layout), so blocked
   * convs and the element-wise ops between them pass tensors on without reordering them.
   */
  const twins = new Map<string, { blocked: string; channels: number }>();
  const sink: GraphSink = { nodes, constants: inits, fresh };
  /** A blocked tensor with its plain twin (a ReorderOutput, dropped if nothing reads it). */
  const withTwin = (blocked: string, channels: number) => {
    const plain = reorderOutput(sink, blocked, channels);
    twins.set(plain, { blocked, channels });
    return plain;
  };
  const blockedOf = (plain: string, channels: number) => {
    if (!twins.has(plain)) twins.set(plain, { blocked: reorderInput(sink, plain), channels });
    return twins.get(plain)!.blocked;
  };
  /**
   * `g` where every `test(x, bound)` holds, else 0, as g * float(the tests and'ed): one Cast and one Mul
   * however many tests (ONNX Runtime's Cast of a mask costs more than the comparisons); on the blocked
   * twins when `g` and every `x` have them (each `bound` a scalar constant). ONNX Runtime's Where ran
   * 2-3x slower than Cast and Mul on these tensors (docs/performance.md, Session 16).
   */
  type Test = [test: 'Greater' | 'LessOrEqual' | 'Equal', x: string, bound: string];
  const masked = (g: string, tests: Test[]) => {
    const tg = twins.get(g);
    const blocked = tg && tests.every(([, x, bound]) => twins.has(x) && constants.has(bound));
    const form = (t: string) => (blocked ? twins.get(t)!.blocked : t);
    const holds = tests.map(([test, x, bound]) => op(test, [form(x), bound])).reduce((a, b) => op('And', [a, b]));
    const product = op('Mul', [form(g), op('Cast', [holds], [attrInt('to', FLOAT)])]);
    return blocked ? withTwin(product, tg.channels) : product;
  };
  /** Per-channel means of an NCHW tensor, kept as [1, C, 1, 1]. */
  const channelMean = (t: string) => op('ReduceMean', [t], [attrInts('axes', [0, 2, 3]), attrInt('keepdims', 1)]);
  let int64Count = 0;
  const int64Const = (values: number[]) => {
    const name = `int64_${int64Count++}`;
    inits.push(int64Initializer(name, values));
    return name;
  };

  /**
   * A stride-1 'same' conv from `cin` to `cout` channels with an OIHW `kernel` (and a bias), ReLU'd if
   * `relu`: on the blocked kernels when both counts fill whole blocks (the output with its blocked twin), else a plain Conv.
   */
  const conv = (input: string, kernel: string, bias: string | undefined, cin: number, cout: number, cfg: LayerConfig, relu: boolean) => {
    if (!fitsBlocks(nchwcBlock, cin, cout)) {
      const pre = op('Conv', bias ? [input, kernel, bias] : [input, kernel], convAttributes(cfg));
      return relu ? op('Relu', [pre]) : pre;
    }
    const [kh, kw] = cfg.kernelSize!;
    return withTwin(blockedConvOf(sink, nchwcBlock, blockedOf(input, cin), kernel, bias, { cin, cout, kh, kw }, convAttributes(cfg), relu), cout);
  };

  /**
   * A uint8 input as the integer conv sees it: DequantizeLinear(QuantizeLinear(x)) at the layer's scale,
   * zero point 0; on the blocked twin when the input has one.
   */
  let uint8ZeroPoint: string | undefined; // one for every rounded input
  const roundedInput = (input: string, scale: number) => {
    if (!uint8ZeroPoint) inits.push(uint8Zero((uint8ZeroPoint = 'uint8_zero')));
    const s = constant(fresh('input_scale'), scale);
    const round = (x: string) => op('DequantizeLinear', [op('QuantizeLinear', [x, s, uint8ZeroPoint!]), s, uint8ZeroPoint!]);
    const twin = twins.get(input);
    return twin ? withTwin(round(twin.blocked), twin.channels) : round(input);
  };
  /** An OIHW kernel rounded to int8 with one symmetric scale per output channel (its largest magnitude / 127). */
  const roundedKernel = (kernel: string, cout: number) => {
    const zeroPoint = fresh('int8_zero');
    inits.push(int8Zeros(zeroPoint, cout));
    const top = op('ReduceMax', [op('Abs', [kernel])], [attrInts('axes', [1, 2, 3]), attrInt('keepdims', 0)]);
    const scale = op('Div', [op('Max', [top, constant('kernel_floor', KERNEL_FLOOR)]), constant('int8_max', INT8_MAX)]);
    const axis = [attrInt('axis', 0)];
    return op('DequantizeLinear', [op('QuantizeLinear', [kernel, scale, zeroPoint], axis), scale, zeroPoint], axis);
  };

  const trainableIndex = new Map(model.trainableWeights.map((w, i) => [w, i]));
  const weightInputs = model.trainableWeights.map((_, i) => `weight_${i}`);
  const inputs: Onnx.IValueInfoProto[] = [];
  const records: LayerRecord[] = [];
  const outputOf = new Map<string, string>();
  const needsGrad = new Set<string>();
  const batchNormLayers: string[] = [];

  // Forward pass.
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as LayerConfig;
    const ins = layer.inboundNodes[0]?.inboundLayers?.map((l) => outputOf.get(l.name)!) ?? [];
    const trainable = layer.weights.map((w) => trainableIndex.get(w as unknown as tf.LayerVariable));
    const rec: LayerRecord = { layer, cls, cfg, inputs: ins, output: '', trainable };
    const weightName = (j: number, onnxPerm?: number[]): string => {
      const index = trainable[j];
      if (index === undefined) {
        const w = layer.getWeights()[j];
        const { data, shape } = permute(w.dataSync() as Float32Array, w.shape, onnxPerm ?? w.shape.map((_, d) => d));
        const name = `${layer.name}_fixed_${j}`;
        inits.push(initializer(name, data, shape));
        return name;
      }
      inputs.push(valueInfo(weightInputs[index], model.trainableWeights[index].shape as number[]));
      return onnxPerm ? op('Transpose', [weightInputs[index]], [attrInts('perm', onnxPerm)]) : weightInputs[index];
    };
    switch (cls) {
      case 'InputLayer':
        inputs.unshift(valueInfo('x', ['N', 'H', 'W', model.inputs[0].shape[3] as number]));
        rec.output = op('Transpose', ['x'], [attrInts('perm', NHWC_TO_NCHW)], 'input_nchw');
        break;
      case 'Conv2D': case 'Conv2DTranspose': {
        rec.kernel = weightName(0, TF_TO_ONNX_CONV);
        const bias = cfg.useBias !== false ? weightName(1) : undefined;
        const scale = int8[layer.name];
        if (scale !== undefined) {
          rec.kernel = roundedKernel(rec.kernel, layer.weights[0].shape[3] as number);
          rec.rounded = { input: roundedInput(ins[0], scale), top: constant(`${layer.name}_top`, scale * UINT8_MAX) };
        }
        if (stride1Same(cls, cfg) && cfg.activation !== 'sigmoid') {
          const [, , cin, cout] = layer.weights[0].shape as number[]; // TF: [kh, kw, in, out]
          rec.output = conv(rec.rounded?.input ?? ins[0], rec.kernel, bias, cin, cout, cfg, cfg.activation === 'relu');
          break;
        }
        const pre = op(cls === 'Conv2D' ? 'Conv' : 'ConvTranspose', bias ? [ins[0], rec.kernel, bias] : [ins[0], rec.kernel], convAttributes(cfg));
        rec.output = cfg.activation === 'relu' ? op('Relu', [pre]) : cfg.activation === 'sigmoid' ? op('Sigmoid', [pre]) : pre;
        break;
      }
      case 'BatchNormalization': {
        // Batch statistics in two passes (mean, then the centred sum of squares); the
        // normalisation itself is ONNX's fused inference-mode BatchNormalization.
        const c = layer.getWeights()[0].shape[0];
        const gamma = weightName(0);
        const beta = weightName(1);
        const epsilon = (cfg as { epsilon?: number }).epsilon ?? 1e-3;
        const count = op('Div', [op('Cast', [op('Size', [ins[0]])], [attrInt('to', FLOAT)]), constant(`${layer.name}_channels`, c)]);
        const meanC = channelMean(ins[0]);
        const centred = op('Sub', [ins[0], meanC]);
        const varianceC = op('Div', [op('ReduceSumSquare', [centred], [attrInts('axes', [0, 2, 3]), attrInt('keepdims', 1)]), count]);
        const mean = op('Reshape', [meanC, 'flat_shape'], [], `${layer.name}_batch_mean`);
        const variance = op('Reshape', [varianceC, 'flat_shape'], [], `${layer.name}_batch_var`);
        outputs.push(valueInfo(mean, ['C']), valueInfo(variance, ['C']));
        rec.output = op('BatchNormalization', [ins[0], gamma, beta, mean, variance], [attrFloat('epsilon', epsilon)]);
        const invStd = op('Reciprocal', [op('Sqrt', [op('Add', [varianceC, constant(`${layer.name}_eps`, epsilon)])])]);
        rec.bn = { centred, invStd, gamma, count, channels: c };
        batchNormLayers.push(layer.name);
        break;
      }
      case 'ReLU':
        rec.output = op('Relu', [ins[0]]);
        break;
      case 'Add':
        rec.output = ins.slice(1).reduce((acc, name) => op('Add', [acc, name]), ins[0]);
        break;
    }
    if (rec.trainable.some((t) => t !== undefined) || ins.some((n) => needsGrad.has(n))) needsGrad.add(rec.output);
    outputOf.set(layer.name, rec.output);
    records.push(rec);
  }
  if (batchNormLayers.length) inits.push(int64Initializer('flat_shape', [-1]));

  // Loss.
  const prediction = outputOf.get(model.layers[model.layers.length - 1].name)!;
  inputs.push(valueInfo('y', ['N', 'H', 'W', model.outputs[0].shape[3] as number]));
  const target = op('Transpose', ['y'], [attrInts('perm', NHWC_TO_NCHW)]);
  const diff = op('Sub', [prediction, target]);
  const count = op('Cast', [op('Size', [diff])], [attrInt('to', FLOAT)]);
  let lossGrad: string;
  switch (loss) {
    case 'mse':
      op('ReduceMean', [op('Mul', [diff, diff])], [attrInt('keepdims', 0)], 'loss');
      lossGrad = op('Mul', [diff, op('Div', [constant('two', 2), count])]);
      break;
    case 'l1':
      op('ReduceMean', [op('Abs', [diff])], [attrInt('keepdims', 0)], 'loss');
      lossGrad = op('Div', [op('Sign', [diff]), count]);
      break;
    case 'bce': {
      // As TF.js: the prediction clipped to [1e-7, 1 - 1e-7], then -mean(y log p + (1 - y) log(1 - p)).
      // The gradient is taken at the output sigmoid's input, (p - y) / count, zero where the clip
      // bit, so the output layer's backward step skips its sigmoid (gradientGraphSupport requires one).
      const clipped = op('Clip', [prediction, constant('bce_low', BCE_EPSILON), constant('bce_high', 1 - BCE_EPSILON)]);
      const logP = op('Log', [clipped]);
      const log1mP = op('Log', [op('Sub', [constant('one', 1), clipped])]);
      const perElement = op('Add', [op('Mul', [target, logP]), op('Mul', [op('Sub', [constant('one', 1), target]), log1mP])]);
      op('Neg', [op('ReduceMean', [perElement], [attrInt('keepdims', 0)])], [], 'loss');
      lossGrad = masked(op('Div', [diff, count]), [['Equal', prediction, clipped]]);
      break;
    }
  }
  outputs.unshift(valueInfo('loss', []));

  // Backward pass, layers in reverse.
  const gradsOf = new Map<string, string[]>([[prediction, [lossGrad]]]);
  const addGrad = (tensor: string, grad: string) => {
    if (needsGrad.has(tensor)) gradsOf.set(tensor, [...(gradsOf.get(tensor) ?? []), grad]);
  };
  const gradOutput = (index: number | undefined, onnxGrad: string, perm?: number[]) => {
    if (index === undefined) return;
    const name = `grad_${index}`;
    if (perm) nodes.push({ opType: 'Transpose', input: [onnxGrad], output: [name], attribute: [attrInts('perm', perm)] });
    else nodes.push({ opType: 'Identity', input: [onnxGrad], output: [name] });
    outputs.push(valueInfo(name, model.trainableWeights[index].shape as number[]));
  };
  /** The gradient through a ReLU whose output is `out`, and through the clip to `clipTop` when that test is owed (below). */
  const reluGrad = (g: string, out: string, clipTop?: string) =>
    masked(g, [['Greater', out, zero()], ...(clipTop ? [['LessOrEqual', out, clipTop] as Test] : [])]);
  /**
   * Gradients of a rounded conv input that still owe the test that the input was inside its range
   * (`input <= top`), the input's name being what they are the gradient of: made together with that
   * input's own ReLU mask when a ReLU made it and nothing else reads it, else on its own.
   */
  const owedClip = new Map<string, string>();
  /** The gradient through a sigmoid whose output is `out`: g * out * (1 - out). */
  const sigmoidGrad = (g: string, out: string) => op('Mul', [g, op('Mul', [out, op('Sub', [constant('one', 1), out])])]);
  /**
   * `input` (`cin` channels) unfolded into its kh*kw shifted copies by a grouped conv with one-hot
   * kernels (`attributes`: that conv's kernel_shape, strides and pads), as [N, cin*kh*kw, pixels],
   * channel i*kh*kw + tap.
   */
  const unfold = (input: string, cin: number, kh: number, kw: number, attributes: Onnx.IAttributeProto[]) => {
    const taps = kh * kw;
    const oneHot = new Float32Array(cin * taps * taps);
    for (let c = 0; c < cin; c++) for (let t = 0; t < taps; t++) oneHot[(c * taps + t) * taps + t] = 1;
    const unfoldKernel = fresh('unfold_kernel');
    inits.push(initializer(unfoldKernel, oneHot, [cin * taps, 1, kh, kw]));
    return op('Reshape', [op('Conv', [input, unfoldKernel], [attrInt('group', cin), ...attributes]), int64Const([0, cin * taps, -1])]);
  };
  /** An NCHW tensor of `channels` channels as [N, pixels, channels]: the right operand of the unfolded input's product. */
  const pixelRows = (t: string, channels: number) => op('Transpose', [op('Reshape', [t, int64Const([0, channels, -1])])], [attrInts('perm', [0, 2, 1])]);
  /**
   * The kernel gradient of a conv from `input` (`cin` channels) to the output gradient `gz`
   * (`cout` channels), in TF layout [kh, kw, cin, cout]: dW[ky,kx,i,o] = sum over n,y,x of
   * in_padded[n,i,s*y+ky,s*x+kx] * gz[n,o,y,x], as one batched matrix product. A grouped conv
   * with one-hot kernels, with the layer's own stride and padding, unfolds the input into its
   * kh*kw shifted copies ([N, cin*kh*kw, H*W], channel i*kh*kw+tap), times the output gradient
   * [N, H*W, cout], summed over the batch. One conv and one product per layer run faster on
   * ONNX Runtime than a copied slice and a product per tap (docs/performance.md). A transposed
   * conv is the adjoint of a conv from its output to its input, so its kernel gradient is this
   * with the two swapped. Strided and transposed layers use it; stride-1 'same' convs unfold a
   * third as much (rowFilterGradient).
   */
  const filterGradient = (input: string, cin: number, gz: string, cout: number, cfg: LayerConfig) => {
    const [kh, kw] = cfg.kernelSize!;
    const columns = unfold(input, cin, kh, kw, convAttributes(cfg));
    const summed = op('ReduceSum', [op('MatMul', [columns, pixelRows(gz, cout)]), int64Const([0])], [attrInt('keepdims', 0)]);
    return op('Transpose', [op('Reshape', [summed, int64Const([cin, kh, kw, cout])])], [attrInts('perm', [1, 2, 0, 3])]);
  };
  /**
   * The kernel gradient of a stride-1 'same' conv, in TF layout, with a third of filterGradient's
   * unfolding: the input is unfolded along x only (a grouped conv with 1 x kw one-hot kernels, the
   * rows padded too: [N, cin*kw, H + kh - 1, W]), and each kernel row ky is one batched product of it
   * with the output gradient moved down ky rows (zero rows concatenated above and below, so row y
   * meets input row y + ky), summed over the batch. The kw-fold copy is what the product reads back;
   * the moved output gradients are small beside it. Concat copies them faster than ONNX Runtime's Pad
   * (docs/performance.md, Sessions 16 and 17); the zero rows are the gradient's first rows times 0.
   */
  const rowFilterGradient = (input: string, cin: number, gz: string, cout: number, cfg: LayerConfig) => {
    const [kh, kw] = cfg.kernelSize!;
    const [ph, pw] = [(kh - 1) / 2, (kw - 1) / 2];
    const columns = unfold(input, cin, 1, kw, [attrInts('kernel_shape', [1, kw]), attrInts('pads', [ph, pw, ph, pw])]);
    const zeroRows = new Map<number, string>(); // k zero rows of the output gradient's shape
    const zerosOf = (k: number): string[] => {
      if (k === 0) return [];
      if (!zeroRows.has(k)) zeroRows.set(k, op('Mul', [op('Slice', [gz, int64Const([0]), int64Const([k]), int64Const([2])]), zero()]));
      return [zeroRows.get(k)!];
    };
    const rows = Array.from({ length: kh }, (_, ky) => {
      const shifted = op('Concat', [...zerosOf(ky), gz, ...zerosOf(kh - 1 - ky)], [attrInt('axis', 2)]);
      return op('ReduceSum', [op('MatMul', [columns, pixelRows(shifted, cout)]), int64Const([0])], [attrInt('keepdims', 1)]);
    });
    const stacked = op('Reshape', [op('Concat', rows, [attrInt('axis', 0)]), int64Const([kh, cin, kw, cout])]);
    return op('Transpose', [stacked], [attrInts('perm', [0, 2, 1, 3])]);
  };
  /**
   * The gradient of a conv's input. A stride-1 conv's is the conv of the output gradient with
   * the kernel flipped and its in/out axes swapped (ONNX Runtime's Conv is much faster than
   * its ConvTranspose); strided and transposed layers use the adjoint op directly.
   */
  const inputGradient = (cls: string, gz: string, kernel: string, cfg: LayerConfig, cin: number, cout: number) => {
    if (cls === 'Conv2DTranspose') return op('Conv', [gz, kernel], convAttributes(cfg));
    if (!stride1Same(cls, cfg)) return op('ConvTranspose', [gz, kernel], convAttributes(cfg));
    const [kh, kw] = cfg.kernelSize!;
    const taps = op('Reshape', [kernel, int64Const([0, 0, -1])]);
    const reversed = op('Gather', [taps, int64Const(Array.from({ length: kh * kw }, (_, i) => kh * kw - 1 - i))], [attrInt('axis', 2)]);
    const flipped = op('Transpose', [op('Reshape', [reversed, int64Const([0, 0, kh, kw])])], [attrInts('perm', [1, 0, 2, 3])]);
    return conv(gz, flipped, undefined, cout, cin, cfg, false);
  };
  const sumChannels = (g: string) => op('ReduceSum', [g, 'axes_nhw'], [attrInt('keepdims', 0)]);

  for (const rec of [...records].reverse()) {
    const pending = gradsOf.get(rec.output);
    if (!pending) continue;
    const { cls, cfg, inputs: ins } = rec;
    const reluMade = cls === 'ReLU' || (cls.startsWith('Conv2D') && cfg.activation === 'relu');
    const clipTop = pending.length === 1 && reluMade ? owedClip.get(pending[0]) : undefined;
    const settled = clipTop ? pending : pending.map((p) => (owedClip.has(p) ? masked(p, [['LessOrEqual', rec.output, owedClip.get(p)!]]) : p));
    const g = settled.length === 1 ? settled[0] : op('Sum', settled);
    switch (cls) {
      case 'Conv2D': case 'Conv2DTranspose': {
        // BCE's gradient arrives at the output sigmoid's input already (see the loss).
        const fusedBce = loss === 'bce' && rec.output === prediction;
        const gz = cfg.activation === 'relu' ? reluGrad(g, rec.output, clipTop) : cfg.activation === 'sigmoid' && !fusedBce ? sigmoidGrad(g, rec.output) : g;
        if (rec.trainable[0] !== undefined) {
          const [, , a, b] = model.trainableWeights[rec.trainable[0]!].shape as number[]; // TF: conv [kh,kw,in,out], transposed [kh,kw,out,in]
          const input = rec.rounded?.input ?? ins[0];
          const kernelGrad = stride1Same(cls, cfg) ? rowFilterGradient(input, a, gz, b, cfg)
            : cls === 'Conv2D' ? filterGradient(input, a, gz, b, cfg) : filterGradient(gz, a, input, b, cfg);
          gradOutput(rec.trainable[0], kernelGrad);
        }
        if (cfg.useBias !== false) gradOutput(rec.trainable[1], sumChannels(gz));
        if (needsGrad.has(ins[0])) {
          const [, , cin, cout] = rec.layer.weights[0].shape as number[]; // a conv's [kh,kw,in,out]; only stride-1 convs use them
          const gx = inputGradient(cls, gz, rec.kernel!, cfg, cin, cout);
          // Straight through the rounding, but not where the input was clipped to its range (owed).
          if (rec.rounded) owedClip.set(gx, rec.rounded.top);
          addGrad(ins[0], gx);
        }
        break;
      }
      case 'BatchNormalization': {
        // With xhat = centred * invStd: dgamma = sum(g * xhat), dbeta = sum(g), and
        // dx = a*g + b*centred + c per channel, a = gamma*invStd, b = -a*invStd^2*mean(g*centred),
        // c = -a*mean(g); a*g + c runs as one fused BatchNormalization (mean 0, variance 1).
        const { centred, invStd, gamma, count, channels } = rec.bn!;
        const flat = (t: string) => op('Reshape', [t, 'flat_shape']);
        const meanG = channelMean(g);
        const meanGC = channelMean(op('Mul', [g, centred]));
        gradOutput(rec.trainable[0], flat(op('Mul', [op('Mul', [meanGC, invStd]), count])));
        gradOutput(rec.trainable[1], flat(op('Mul', [meanG, count])));
        if (needsGrad.has(ins[0])) {
          const a = op('Mul', [op('Reshape', [gamma, int64Const([1, -1, 1, 1])]), invStd]);
          const b = op('Neg', [op('Mul', [op('Mul', [a, op('Mul', [invStd, invStd])]), meanGC])]);
          const c = op('Neg', [op('Mul', [a, meanG])]);
          const unit = `${rec.layer.name}_unit`;
          const affine = op('BatchNormalization', [g, flat(a), flat(c), fixedVector(`${unit}_mean`, channels, 0), fixedVector(`${unit}_var`, channels, 1 - UNIT_EPSILON)],
            [attrFloat('epsilon', UNIT_EPSILON)]);
          addGrad(ins[0], op('Add', [affine, op('Mul', [centred, b])]));
        }
        break;
      }
      case 'ReLU':
        addGrad(ins[0], reluGrad(g, rec.output, clipTop));
        break;
      case 'Add':
        for (const input of ins) addGrad(input, g);
        break;
    }
  }
  for (let i = 0; i < weightInputs.length; i++) {
    if (!outputs.some((o) => o.name === `grad_${i}`)) throw new Error(`gradient graph: weight ${i} gets no gradient`);
  }
  const used = withoutUnread(nodes, inits, outputs.map((o) => o.name!));
  const bytes = encodeModel({ name: `${model.name}_gradients`, node: used.nodes, initializer: used.inits, input: inputs, output: outputs }, 'denoise-lab');
  return { bytes, weightInputs, batchNormLayers };
}

/** The nodes (in order) and initializers that the graph's `outputs` read, directly or through other nodes. */
function withoutUnread(nodes: Onnx.INodeProto[], inits: Onnx.ITensorProto[], outputs: string[]) {
  const read = new Set(outputs);
  const kept = [...nodes].reverse().filter((n) => {
    if (!n.output!.some((o) => read.has(o))) return false;
    for (const input of n.input!) read.add(input);
    return true;
  });
  return { nodes: kept.reverse(), inits: inits.filter((t) => read.has(t.name!)) };
}

/**
 * ONNX pads of a layer as TF pads it: 'same' at stride 1 (odd kernels) pads (k - 1) / 2 on each
 * side; strided 'same' pads k - s in all, the odd one at the end (TF's rule when the side is a
 * multiple of the stride); the supported 'valid' layers have kernel = stride and no padding.
 * A transposed layer takes the pads of the conv it is the adjoint of.
 */
function convPads(cfg: LayerConfig): number[] {
  if (cfg.padding !== 'same') return [0, 0, 0, 0];
  const [kh, kw] = cfg.kernelSize!;
  const [sh, sw] = cfg.strides ?? [1, 1];
  const [th, tw] = [kh - sh, kw - sw];
  return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
}

/** Conv / ConvTranspose attributes of a layer. */
function convAttributes(cfg: LayerConfig): Onnx.IAttributeProto[] {
  const [kh, kw] = cfg.kernelSize!;
  return [attrInts('kernel_shape', [kh, kw]), attrInts('strides', cfg.strides ?? [1, 1]), attrInts('pads', convPads(cfg))];
}
