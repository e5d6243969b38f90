/**
 * Convolution gradient kernels for the wasm backend.
 *
 * The stock wasm backend has no Conv2DBackpropFilter (so training throws) and a
 * slow Conv2DBackpropInput (which also runs every Conv2DTranspose). Both are
 * rewritten here as ordinary forward Conv2D calls, which the wasm backend runs
 * through XNNPACK:
 *  - filter gradient: a conv2d of the input with batch and channels swapped,
 *    using the output gradient as the filter and the stride as the dilation;
 *  - input gradient: zeros inserted between output-gradient pixels (for
 *    strides > 1), then a stride-1 conv2d with the filter rotated 180 degrees.
 *
 * The kernels compose the wasm backend's own kernel functions on TensorInfos,
 * so nothing is recorded on the autograd tape and every intermediate is freed.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type Pads = [[number, number], [number, number], [number, number], [number, number]];

/** Runs one of the wasm backend's registered kernels directly. */
function run(backend: BackendWasm, name: string, inputs: Record<string, Info>, attrs: object = {}): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

/** Tracks intermediates so they can all be released once the result exists. */
class Scratch {
  private readonly held: Info[] = [];
  constructor(private readonly backend: BackendWasm) {}
  run(name: string, inputs: Record<string, Info>, attrs: object = {}): Info {
    const out = run(this.backend, name, inputs, attrs);
    this.held.push(out);
    return out;
  }
  /** Frees every intermediate except `keep`. */
  release(keep: Info): Info {
    for (const info of this.held) if (info !== keep) this.backend.disposeData(info.dataId);
    return keep;
  }
}

/**
 * Explicit paddings for one spatial axis; a negative pad means the input must
 * be cropped on that side instead, which is returned as a crop amount.
 */
function splitPad(before: number, after: number) {
  return {
    pad: [Math.max(0, before), Math.max(0, after)] as [number, number],
    crop: [Math.max(0, -before), Math.max(0, -after)] as [number, number],
  };
}

/** Crops rows/cols (axes 1 and 2) of an NHWC tensor when any crop is non-zero. */
function cropHW(s: Scratch, x: Info, rows: [number, number], cols: [number, number]): Info {
  if (rows[0] + rows[1] + cols[0] + cols[1] === 0) return x;
  const [n, h, w, c] = x.shape;
  return s.run('Slice', { x }, {
    begin: [0, rows[0], cols[0], 0],
    size: [n, h - rows[0] - rows[1], w - cols[0] - cols[1], c],
  });
}

/** dW = conv2d(x^T, dy^T) with the stride turned into a dilation. */
export function conv2dBackpropFilterWasm(args: {
  inputs: { x: Info; dy: Info };
  backend: BackendWasm;
  attrs: tf.Conv2DBackpropFilterAttrs;
}): Info {
  const { inputs: { x, dy }, backend, attrs } = args;
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const s = new Scratch(backend);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, inHeight: ih, inWidth: iw } = info;
  const rows = splitPad(info.padInfo.top, kh + (oh - 1) * sh - ih - info.padInfo.top);
  const cols = splitPad(info.padInfo.left, kw + (ow - 1) * sw - iw - info.padInfo.left);
  const xT = cropHW(s, s.run('Transpose', { x }, { perm: [3, 1, 2, 0] }), rows.crop, cols.crop); // [Ci,H,W,B]
  const dyT = s.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [OH,OW,B,Co]
  const pads: Pads = [[0, 0], rows.pad, cols.pad, [0, 0]];
  const g = s.run('Conv2D', { x: xT, filter: dyT }, {
    strides: [1, 1], pad: pads, dilations: [sh, sw], dataFormat: 'NHWC', dimRoundingMode: undefined,
  }); // [Ci,KH,KW,Co]
  return s.release(s.run('Transpose', { x: g }, { perm: [1, 2, 0, 3] }));
}

/** Inserts (stride - 1) zeros after every pixel along H and W: [B,H,W,C] -> [B,H*sh,W*sw,C]. */
function insertZeros(s: Scratch, dy: Info, sh: number, sw: number): Info {
  if (sh === 1 && sw === 1) return dy;
  const [b, h, w, c] = dy.shape;
  let t = dy;
  if (sh > 1) {
    t = s.run('Reshape', { x: t }, { shape: [b, h, 1, w * c] });
    t = s.run('PadV2', { x: t }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0]], constantValue: 0 });
    t = s.run('Reshape', { x: t }, { shape: [b, h * sh, w, c] });
  }
  if (sw > 1) {
    t = s.run('Reshape', { x: t }, { shape: [b * h * sh, w, 1, c] });
    t = s.run('PadV2', { x: t }, { paddings: [[0, 0], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
    t = s.run('Reshape', { x: t }, { shape: [b, h * sh, w * sw, c] });
  }
  return t;
}

/** dX = conv2d(zero-inserted dy, rotated filter), stride 1. Also runs Conv2DTranspose. */
export function conv2dBackpropInputWasm(args: {
  inputs: { dy: Info; filter: Info };
  backend: BackendWasm;
  attrs: tf.Conv2DBackpropInputAttrs;
}): Info {
  const { inputs: { dy, filter }, backend, attrs } = args;
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropInput (wasm): only NHWC is supported');
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const s = new Scratch(backend);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: ih, inWidth: iw } = info;
  const dyd = insertZeros(s, dy, sh, sw);
  const [, hd, wd] = dyd.shape;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const rows = splitPad(top, ih - hd - top + kh - 1);
  const cols = splitPad(left, iw - wd - left + kw - 1);
  const cropped = cropHW(s, dyd, rows.crop, cols.crop);
  const rotated = s.run('Transpose', { x: s.run('Reverse', { x: filter }, { dims: [0, 1] }) }, { perm: [0, 1, 3, 2] });
  const pads: Pads = [[0, 0], rows.pad, cols.pad, [0, 0]];
  return s.release(s.run('Conv2D', { x: cropped, filter: rotated }, {
    strides: [1, 1], pad: pads, dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined,
  }));
}

/** Registers both kernels for the wasm backend (idempotent). */
export function registerWasmConvGradients(): void {
  for (const [kernelName, kernelFunc] of [
    ['Conv2DBackpropFilter', conv2dBackpropFilterWasm],
    ['Conv2DBackpropInput', conv2dBackpropInputWasm],
  ] as const) {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
