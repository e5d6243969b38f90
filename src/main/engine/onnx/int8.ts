/**
 * 8-bit integer convolutions for inference. A conv whose input is a ReLU output and whose own
 * output is ReLU'd (the middle of a conv stack) is written with QuantizeLinear / DequantizeLinear
 * around it: its input as uint8 over a calibrated range (zero point 0: a ReLU output is never
 * negative), its kernel as int8 with one symmetric scale per output channel. ONNX Runtime fuses
 * the pattern into integer convolutions (QLinearConv; VNNI on CPUs that have it). The first
 * conv (the image and its noise map) and the last (the residual) stay float: they carry the
 * picture's own values, and cost little.
 */
import type * as tf from '@tensorflow/tfjs';
import { attrInt, initializer, onnx, type Onnx } from './graph';
import type { ActivationScales } from '../models/manifest';

export type { ActivationScales };

/** A conv layer's settings this module reads. */
type ConvConfig = { activation?: string; strides?: number[] };

export const UINT8_MAX = 255;
export const INT8_MAX = 127;
/** The smallest kernel magnitude a scale is taken from (an all-zero channel still gets a valid scale). */
export const KERNEL_FLOOR = 1e-12;

const reluOut = (layer: tf.layers.Layer) => {
  const cls = layer.getClassName();
  return cls === 'ReLU' || (cls === 'Conv2D' && (layer.getConfig() as ConvConfig).activation === 'relu');
};

/** The layers the integer export may quantize: stride-1 Conv2Ds with a ReLU on both sides. */
export function quantizableConvs(model: tf.LayersModel): string[] {
  return model.layers
    .filter((layer) => {
      const cfg = layer.getConfig() as ConvConfig;
      const from = layer.inboundNodes[0]?.inboundLayers ?? [];
      return layer.getClassName() === 'Conv2D' && cfg.activation === 'relu' && (cfg.strides ?? [1, 1]).every((s) => s === 1)
        && from.length === 1 && reluOut(from[0]);
    })
    .map((layer) => layer.name);
}

/** Rounds half to even, as ONNX's QuantizeLinear does. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * A kernel [cout, ...] as int8 with one scale per output channel (its largest magnitude / 127), as
 * quantization-aware training rounds it in the gradient graph (gradients.ts).
 */
export function int8Kernel(kernel: Float32Array, cout: number): { values: Int8Array; scales: Float32Array } {
  const per = kernel.length / cout;
  const values = new Int8Array(kernel.length);
  const scales = new Float32Array(cout);
  for (let o = 0; o < cout; o++) {
    let top = 0;
    for (let i = o * per; i < (o + 1) * per; i++) top = Math.max(top, Math.abs(kernel[i]));
    scales[o] = Math.fround(Math.max(top, KERNEL_FLOOR) / INT8_MAX);
    for (let i = o * per; i < (o + 1) * per; i++) values[i] = roundHalfEven(kernel[i] / scales[o]);
  }
  return { values, scales };
}

/** A uint8 zero point of 0 (a ReLU output's). */
export const uint8Zero = (name: string): Onnx.ITensorProto => bytesTensor(name, onnx.TensorProto.DataType.UINT8, new Uint8Array(1), []);
/** Zero int8 zero points, one per output channel (symmetric kernels). */
export const int8Zeros = (name: string, n: number): Onnx.ITensorProto => bytesTensor(name, onnx.TensorProto.DataType.INT8, new Int8Array(n), [n]);

const bytesTensor = (name: string, dataType: number, bytes: ArrayBufferView, dims: number[]): Onnx.ITensorProto =>
  ({ name, dims, dataType, rawData: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice() });

/**
 * The nodes and constants that turn a float conv's `input` and OIHW `kernel` into their integer
 * form for ONNX Runtime to fuse: the kernel keeps its name (now a DequantizeLinear's output);
 * returns the name the Conv node then takes as its input.
 */
export function quantizeConvInputs(
  layerName: string, input: string, kernel: { name: string; data: Float32Array; dims: number[] }, inputScale: number, nodes: Onnx.INodeProto[], inits: Onnx.ITensorProto[],
): string {
  const T = onnx.TensorProto.DataType;
  const cout = kernel.dims[0];
  const { values, scales } = int8Kernel(kernel.data, cout);
  const n = (suffix: string) => `${layerName}_${suffix}`;
  inits.push(
    bytesTensor(n('Wq'), T.INT8, values, kernel.dims), initializer(n('Ws'), scales, [cout]), int8Zeros(n('Wz'), cout),
    initializer(n('xs'), Float32Array.of(inputScale), []), uint8Zero(n('xz')),
  );
  nodes.push(
    { opType: 'DequantizeLinear', input: [n('Wq'), n('Ws'), n('Wz')], output: [kernel.name], attribute: [attrInt('axis', 0)] },
    { opType: 'QuantizeLinear', input: [input, n('xs'), n('xz')], output: [n('xq')] },
    { opType: 'DequantizeLinear', input: [n('xq'), n('xs'), n('xz')], output: [n('xd')] },
  );
  return n('xd');
}

/** The uint8 scale that covers `top`, the calibrated top of an activation's range. */
export const scaleFor = (top: number): number => Math.max(top, 1e-6) / UINT8_MAX;
