/**
 * Exports a TF.js layers model to ONNX, written from the layer list with the
 * ONNX protobuf schema. Supported layers are the ones our architectures use:
 * Conv2D, Conv2DTranspose (with relu / sigmoid / linear activations),
 * BatchNormalization, ReLU and Add. The graph keeps the app's NHWC layout at
 * its edges (one Transpose in, one out) and runs NCHW inside, as ONNX expects.
 */
import * as tf from '@tensorflow/tfjs';
import { attrFloat, attrInts, attrString, encodeModel, initializer, valueInfo, type Onnx } from './graph';
import { blockedConv, fitsBlocks, stride1Same, type GraphSink } from './blocked-conv';
import { quantizeConvInputs, type ActivationScales } from './int8';

export interface LayerConfig {
  filters?: number;
  kernelSize?: number[];
  strides?: number[];
  padding?: 'same' | 'valid';
  activation?: string;
  useBias?: boolean;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
}

/** Permutes a row-major tensor's axes (plain loops: cheap enough to run every training step). */
export function permute(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const srcStride = perm.map((p) => strides[p]); // source stride of each output axis
  const out = new Float32Array(data.length);
  const index = new Array<number>(shape.length).fill(0);
  let src = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = data[src];
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]++;
      src += srcStride[d];
      if (index[d] < outShape[d]) break;
      src -= srcStride[d] * outShape[d];
      index[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** A weight as the ONNX graph holds it: its initializer name, ONNX layout and values. */
export interface OnnxWeight {
  name: string;
  data: Float32Array;
  dims: number[];
}

/** A layer's weights in ONNX layout: conv kernels permuted (and their biases), BatchNorm's four vectors. */
function layerWeights(layer: tf.layers.Layer): OnnxWeight[] {
  const cls = layer.getClassName();
  const cfg = layer.getConfig() as LayerConfig;
  if (cls === 'Conv2D' || cls === 'Conv2DTranspose') {
    const [kernel, bias] = layer.getWeights();
    // TF: conv [kh,kw,cin,cout], transposed conv [kh,kw,cout,cin]; ONNX: Conv [cout,cin,kh,kw], ConvTranspose [cin,cout,kh,kw].
    const w = permute(kernel.dataSync() as Float32Array, kernel.shape as number[], [3, 2, 0, 1]);
    const out = [{ name: `${layer.name}_W`, data: w.data, dims: w.shape }];
    if (bias && cfg.useBias !== false) out.push({ name: `${layer.name}_B`, data: Float32Array.from(bias.dataSync() as Float32Array), dims: bias.shape as number[] });
    return out;
  }
  if (cls === 'BatchNormalization') {
    const weights = layer.getWeights();
    let i = 0;
    const n = weights[weights.length - 1].shape[0] as number;
    const gamma = cfg.scale !== false ? weights[i++].dataSync() : new Float32Array(n).fill(1);
    const beta = cfg.center !== false ? weights[i++].dataSync() : new Float32Array(n);
    const mean = weights[i++].dataSync();
    const variance = weights[i++].dataSync();
    return [gamma, beta, mean, variance].map((d, j) => ({ name: `${layer.name}_${['scale', 'bias', 'mean', 'var'][j]}`, data: Float32Array.from(d as Float32Array), dims: [n] }));
  }
  return [];
}

/** Every weight of the model as exportOnnx names and lays it out: the feeds that override an `weightsAsInputs` export's weights. */
export function onnxWeights(model: tf.LayersModel): OnnxWeight[] {
  return model.layers.flatMap(layerWeights);
}

export interface ExportOptions {
  producer?: string;
  /** Make the weights graph inputs instead of initializers, so each run feeds their current values (onnxWeights). */
  weightsAsInputs?: boolean;
  /**
   * With weights as inputs: the CPU's NCHWc block (runtime/nchwc.ts), so stride-1 convs that fill whole
   * blocks run on ONNX Runtime's blocked kernels (blocked-conv.ts), as it would choose itself for
   * constant weights; 0 (the default): plain convs.
   */
  nchwcBlock?: number;
  /** Integer convolutions (int8.ts) for these layers, each with its input's uint8 scale; weights must be initializers. */
  int8?: ActivationScales;
  /** Layers whose input is also a graph output, `tap_<layer>` (calibrating int8 scales). */
  taps?: string[];
}

/** Returns the ONNX model bytes for a TF.js layers model with NHWC input and output. */
export function exportOnnx(
  model: tf.LayersModel, { producer = 'denoise-lab', weightsAsInputs = false, nchwcBlock = 0, int8 = {}, taps = [] }: ExportOptions = {},
): Uint8Array {
  if (weightsAsInputs && Object.keys(int8).length) throw new Error('ONNX export: integer convolutions need the weights as constants');
  const nodes: Onnx.INodeProto[] = [];
  const inits: Onnx.ITensorProto[] = [];
  const outputName = new Map<string, string>();
  let counter = 0;
  const fresh = (base: string) => `${base}_${counter++}`;
  const sink: GraphSink = { nodes, constants: [], fresh };
  const block = weightsAsInputs ? nchwcBlock : 0;

  const inputShape = model.inputs[0].shape;
  const channelsIn = inputShape[3] as number;
  const channelsOut = model.outputs[0].shape[3] as number;

  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as LayerConfig;
    const inbound = layer.inboundNodes[0]?.inboundLayers?.map((l) => outputName.get(l.name)!) ?? [];
    let out = fresh(layer.name);
    switch (cls) {
      case 'InputLayer':
        nodes.push({ opType: 'Transpose', input: ['input'], output: [out], attribute: [attrInts('perm', [0, 3, 1, 2])] });
        break;
      case 'Conv2D':
      case 'Conv2DTranspose': {
        const weights = layerWeights(layer);
        const scale = int8[layer.name];
        const [kernel, ...rest] = weights;
        if (taps.includes(layer.name)) nodes.push({ opType: 'Identity', input: [inbound[0]], output: [`tap_${layer.name}`] });
        const quantized = scale !== undefined ? quantizeConvInputs(layer.name, inbound[0], kernel, scale, nodes, inits) : undefined;
        inits.push(...(quantized ? rest : weights).map((w) => initializer(w.name, w.data, w.dims)));
        const inputs = [quantized ?? inbound[0], ...weights.map((w) => w.name)];
        const [kh, kw] = cfg.kernelSize!;
        const [sh, sw] = cfg.strides ?? [1, 1];
        const attrs = [attrInts('kernel_shape', [kh, kw]), attrInts('strides', [sh, sw])];
        if (cfg.padding === 'same') {
          if (cls === 'Conv2DTranspose') {
            // TF 'same' transposed conv: output = input * stride; the trimmed rows/cols come off the end.
            const th = Math.max(0, kh - sh);
            const tw = Math.max(0, kw - sw);
            attrs.push(attrInts('pads', [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)]));
          } else if (sh === 1 && sw === 1) {
            attrs.push(attrInts('pads', [Math.floor((kh - 1) / 2), Math.floor((kw - 1) / 2), Math.ceil((kh - 1) / 2), Math.ceil((kw - 1) / 2)]));
          } else {
            attrs.push(attrString('auto_pad', 'SAME_UPPER')); // TF puts the odd padding at the end, as SAME_UPPER does
          }
        } else {
          attrs.push(attrInts('pads', [0, 0, 0, 0]));
        }
        const [cout, cin] = weights[0].dims; // a Conv2D's [cout, cin, kh, kw]
        if (stride1Same(cls, cfg) && cfg.activation !== 'sigmoid' && fitsBlocks(block, cin, cout)) {
          out = blockedConv(sink, block, inbound[0], weights[0].name, weights[1]?.name, { cin, cout, kh, kw }, attrs, cfg.activation === 'relu');
          break;
        }
        const conv = cfg.activation && cfg.activation !== 'linear' ? fresh(`${layer.name}_pre`) : out;
        nodes.push({ opType: cls === 'Conv2D' ? 'Conv' : 'ConvTranspose', input: inputs, output: [conv], attribute: attrs, name: layer.name });
        if (cfg.activation === 'relu') nodes.push({ opType: 'Relu', input: [conv], output: [out] });
        else if (cfg.activation === 'sigmoid') nodes.push({ opType: 'Sigmoid', input: [conv], output: [out] });
        else if (cfg.activation && cfg.activation !== 'linear') throw new Error(`ONNX export: activation "${cfg.activation}" is not supported`);
        break;
      }
      case 'BatchNormalization': {
        const weights = layerWeights(layer);
        inits.push(...weights.map((w) => initializer(w.name, w.data, w.dims)));
        nodes.push({ opType: 'BatchNormalization', input: [inbound[0], ...weights.map((w) => w.name)], output: [out], attribute: [attrFloat('epsilon', cfg.epsilon ?? 1e-3)] });
        break;
      }
      case 'ReLU':
        nodes.push({ opType: 'Relu', input: [inbound[0]], output: [out] });
        break;
      case 'Add': {
        let acc = inbound[0];
        for (let j = 1; j < inbound.length; j++) {
          const target = j === inbound.length - 1 ? out : fresh(`${layer.name}_partial`);
          nodes.push({ opType: 'Add', input: [acc, inbound[j]], output: [target] });
          acc = target;
        }
        out = acc;
        break;
      }
      default:
        throw new Error(`ONNX export: layer type ${cls} is not supported`);
    }
    outputName.set(layer.name, out);
  }
  const last = outputName.get(model.layers[model.layers.length - 1].name)!;
  nodes.push({ opType: 'Transpose', input: [last], output: ['output'], attribute: [attrInts('perm', [0, 2, 3, 1])] });

  return encodeModel({
    name: model.name,
    node: nodes,
    initializer: [...(weightsAsInputs ? [] : inits), ...sink.constants],
    input: [valueInfo('input', ['N', 'H', 'W', channelsIn]), ...(weightsAsInputs ? inits.map((t) => valueInfo(t.name!, t.dims!.map(Number))) : [])],
    output: [valueInfo('output', ['N', 'H', 'W', channelsOut]), ...taps.map((t) => valueInfo(`tap_${t}`, ['N', 'C', 'H', 'W']))],
  }, producer);
}
