/**
 * Convolution gradient kernels for the wasm backend.
 *
 * The stock wasm backend has no Conv2DBackpropFilter (so training throws) and a
 * slow Conv2DBackpropInput (which also runs every Conv2DTranspose). Both are
 * rewritten here as ordinary forward Conv2D calls, which the wasm backend runs
 * through XNNPACK:
 *  - filter gradient: a conv2d of the input with batch and channels swapped,
 *    using the output gradient as the filter and the stride as the dilation;
 *  - input gradient, stride 1: a conv2d with the filter rotated 180 degrees;
 *  - input gradient, stride s > 1 on both axes (sub-pixel form): one stride-1
 *    conv2d over the output gradient with s*s times the channels, one set per
 *    output phase, then an interleave (DepthToSpace) and a crop. Unlike inserting zeros
 *    between the output-gradient pixels, it multiplies no zeros: for the seed
 *    model's 3x3 stride-2 layers a quarter of the work on a quarter of the pixels;
 *  - input gradient, other strides: zeros inserted, then the stride-1 form.
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
function conv2dBackpropFilterWasm(args: {
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

/**
 * The sub-pixel input gradient for stride s on both axes. With u = i + pad,
 * u = m*s + r, dX at u sums dy[m - t] * W[r + t*s] over t < T = ceil(k/s):
 * a T x T stride-1 conv2d over dy whose output channels hold every phase
 * (r_h, r_w, ci), which are then interleaved (DepthToSpace).
 */
function subPixelBackpropInput(s: Scratch, dy: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info {
  const { filterHeight: kh, filterWidth: kw, strideHeight: st, inHeight: ih, inWidth: iw, inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow } = info;
  const th = Math.ceil(kh / st);
  const tw = Math.ceil(kw / st);
  // Filter: [kh,kw,Ci,Co] -> taps padded to [th*s, tw*s] -> [th,s,tw,s,Ci,Co] with t reversed -> [th,tw,Co,s,s,Ci].
  let k = s.run('PadV2', { x: filter }, { paddings: [[0, th * st - kh], [0, tw * st - kw], [0, 0], [0, 0]], constantValue: 0 });
  k = s.run('Reshape', { x: k }, { shape: [th, st, tw, st * ci * co] });
  k = s.run('Reverse', { x: k }, { dims: [0, 2] });
  k = s.run('Reshape', { x: k }, { shape: [th, st, tw, st, ci, co] });
  k = s.run('Transpose', { x: k }, { perm: [0, 2, 5, 1, 3, 4] });
  k = s.run('Reshape', { x: k }, { shape: [th, tw, co, st * st * ci] });
  // Output phases m cover u = pad .. pad + size - 1; dy is padded (or cropped) so the conv's window ends at m.
  const m0h = Math.floor(info.padInfo.top / st);
  const m0w = Math.floor(info.padInfo.left / st);
  const mh = Math.floor((info.padInfo.top + ih - 1) / st) - m0h + 1;
  const mw = Math.floor((info.padInfo.left + iw - 1) / st) - m0w + 1;
  const rows = splitPad(th - 1 - m0h, mh + th - 1 - oh - (th - 1 - m0h));
  const cols = splitPad(tw - 1 - m0w, mw + tw - 1 - ow - (tw - 1 - m0w));
  const phases = s.run('Conv2D', { x: cropHW(s, dy, rows.crop, cols.crop), filter: k }, {
    strides: [1, 1], pad: [[0, 0], rows.pad, cols.pad, [0, 0]], dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined,
  }); // [B, mh, mw, s*s*Ci]
  // Interleave the phases (DepthToSpace, spelled as a transpose: the wasm DepthToSpace is a scalar loop, 9x slower).
  const [b] = phases.shape;
  const split = s.run('Reshape', { x: phases }, { shape: [b, mh, mw, st, st, ci] });
  const interleaved = s.run('Transpose', { x: split }, { perm: [0, 1, 3, 2, 4, 5] });
  const full = s.run('Reshape', { x: interleaved }, { shape: [b, mh * st, mw * st, ci] });
  const top = info.padInfo.top - m0h * st;
  const left = info.padInfo.left - m0w * st;
  return cropHW(s, full, [top, mh * st - top - ih], [left, mw * st - left - iw]);
}

/** dX for Conv2D (also runs Conv2DTranspose): sub-pixel for equal strides > 1, else a rotated-filter conv over zero-inserted dy. */
function conv2dBackpropInputWasm(args: {
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
  if (sh === sw && sh > 1) return s.release(subPixelBackpropInput(s, dy, filter, info));
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
