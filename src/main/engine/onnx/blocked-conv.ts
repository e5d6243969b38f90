/**
 * ONNX Runtime's blocked (NCHWc) convolution for a kernel that is not a constant: ONNX Runtime's
 * optimizer blocks only convolutions whose kernels are constants, so graphs that take their weights
 * as inputs (the training graph, gradients.ts; the export whose weights are inputs, export.ts) write
 * it themselves: the input reordered to the blocked layout, the OIHW kernel reshaped and transposed to
 * [O/b, I/b, kh, kw, b (in), b (out)] inside the graph, ONNX Runtime's `com.microsoft.nchwc` Conv,
 * and the output reordered back. A graph that keeps tensors blocked between such convs (the training
 * graph) reorders them itself. The block `b` is the CPU's (runtime/nchwc.ts).
 */
import { attrInt, attrString, attrInts, int64Initializer, NCHWC_DOMAIN, type Onnx } from './graph';

/** Where a graph builder collects nodes and constants, and makes fresh names. */
export interface GraphSink {
  nodes: Onnx.INodeProto[];
  /** Constants that stay constants (shapes), whatever the graph does with its weights. */
  constants: Onnx.ITensorProto[];
  fresh(base: string): string;
}

/** Whether a layer is a stride-1 'same' Conv2D: the convs (and input gradients) blocking can serve. */
export const stride1Same = (cls: string, cfg: { padding?: string; strides?: number[] }): boolean =>
  cls === 'Conv2D' && cfg.padding === 'same' && (cfg.strides ?? [1, 1]).every((v) => v === 1);

/** Whether a stride-1 conv from `cin` to `cout` channels fills whole blocks of `block` (0: no blocking). */
export const fitsBlocks = (block: number, cin: number, cout: number): boolean => block > 0 && cin % block === 0 && cout % block === 0;

/** `input` (NCHW) in the blocked layout. */
export const reorderInput = (g: GraphSink, input: string): string => node(g, 'ReorderInput', [input], [], NCHWC_DOMAIN);

/** A blocked tensor of `channels` channels back in NCHW. */
export const reorderOutput = (g: GraphSink, blocked: string, channels: number): string =>
  node(g, 'ReorderOutput', [blocked], [attrInt('channels', channels)], NCHWC_DOMAIN);

/**
 * One blocked conv (`attributes`: its kernel_shape, strides and pads) from a `blocked` input, with an
 * OIHW `kernel` of [cout, cin, kh, kw] and an optional bias, ReLU'd if `relu`; returns the blocked output.
 */
export function blockedConvOf(
  g: GraphSink, block: number, blocked: string, kernel: string, bias: string | undefined,
  shape: { cin: number; cout: number; kh: number; kw: number }, attributes: Onnx.IAttributeProto[], relu: boolean,
): string {
  const { cin, cout, kh, kw } = shape;
  const constant = (values: number[]) => {
    const name = g.fresh('nchwc_shape');
    g.constants.push(int64Initializer(name, values));
    return name;
  };
  const split = node(g, 'Reshape', [kernel, constant([cout / block, block, cin / block, block, kh, kw])]);
  const kernelBlocked = node(g, 'Reshape', [node(g, 'Transpose', [split], [attrInts('perm', [0, 2, 4, 5, 3, 1])]), constant([cout, cin, kh, kw])]);
  const attrs = [...attributes, ...(relu ? [attrString('activation', 'Relu')] : [])];
  return node(g, 'Conv', bias ? [blocked, kernelBlocked, bias] : [blocked, kernelBlocked], attrs, NCHWC_DOMAIN);
}

/** blockedConvOf from and to NCHW: the input reordered in, the output reordered back. */
export function blockedConv(
  g: GraphSink, block: number, input: string, kernel: string, bias: string | undefined,
  shape: { cin: number; cout: number; kh: number; kw: number }, attributes: Onnx.IAttributeProto[], relu: boolean,
): string {
  return reorderOutput(g, blockedConvOf(g, block, reorderInput(g, input), kernel, bias, shape, attributes, relu), shape.cout);
}

function node(g: GraphSink, opType: string, inputs: string[], attribute: Onnx.IAttributeProto[] = [], domain?: string): string {
  const name = g.fresh(domain ? `nchwc_${opType.toLowerCase()}` : opType.toLowerCase());
  g.nodes.push({ opType, input: inputs, output: [name], attribute, name, ...(domain ? { domain } : {}) });
  return name;
}
