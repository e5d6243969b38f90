/**
 * The architecture registry. Every model takes [N, H, W, C] images in [0,1]
 * (plus one noise-level channel for noise-map models) and returns [N, H, W, C].
 *  - seed:   the original notebook's 3,217-parameter autoencoder.
 *  - dncnn:  DnCNN (Zhang et al. 2017), residual, configurable depth/width/BatchNorm.
 *  - ffdnet: an FFDNet-style blind model: pixel-unshuffle by 2, a conv stack at
 *            quarter resolution fed a noise-level map, pixel-shuffle back, plus
 *            a global residual. Few FLOPs per pixel, any H x W, grey or colour;
 *            optionally fed a guide image too (guide.ts).
 *  - levelnet: a noise-level estimator: pixel-unshuffle, the blocks' Haar detail bands,
 *            a quarter-resolution stack, pixel-shuffle; no noise map or residual. It returns
 *            [N, H, W, C] of log noise levels (level-code.ts).
 * Pixel (un)shuffle and the residual's channel selection are fixed-weight,
 * non-trainable convolutions, so every model is plain TF.js layers that save,
 * load and export to ONNX without custom layer code.
 */
import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURE_FACTS, architectureFacts, type ArchitectureFacts, type ArchOptions } from './catalog';
import { INITIAL_LEVEL_CODE } from './level-code';

export type { ArchOptions };

/** An architecture's facts (catalog.ts) and how to build it. */
export interface Architecture extends ArchitectureFacts {
  build(opts: ArchOptions): tf.LayersModel;
}

/** Hands out seeded initialisers, a different seed for each layer. */
class Init {
  private next: number;
  constructor(seed = Math.floor(Math.random() * 2 ** 31)) {
    this.next = seed * 1000 + 1; // TF.js treats a seed of 0 as "no seed"
  }
  he() {
    return tf.initializers.heNormal({ seed: this.next++ });
  }
  glorot() {
    return tf.initializers.glorotUniform({ seed: this.next++ });
  }
}

const conv = (init: Init, filters: number, cfg: Partial<Parameters<typeof tf.layers.conv2d>[0]> = {}) =>
  tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', kernelInitializer: init.he(), ...cfg });

/** A fixed convolution; `fill(weights)` sets its one-hot entries. */
function fixedConv(
  kind: 'conv2d' | 'conv2dTranspose',
  name: string,
  shape: [number, number, number, number],
  filters: number,
  stride: number,
  fill: (w: Float32Array) => void,
): tf.layers.Layer {
  const w = new Float32Array(shape.reduce((a, b) => a * b, 1));
  fill(w);
  const cfg = {
    name, filters, kernelSize: [shape[0], shape[1]], strides: stride, padding: 'valid' as const,
    useBias: false, trainable: false, weights: [tf.tensor4d(w, shape)],
  };
  return kind === 'conv2d' ? tf.layers.conv2d(cfg) : tf.layers.conv2dTranspose(cfg);
}

/**
 * The one-hot [2,2,c,4c] kernel linking pixel (dy,dx) of channel k to block channel
 * (2*dy+dx)*c + k. The same array serves both directions: a conv kernel is
 * [kh,kw,in,out] and a transposed-conv kernel [kh,kw,out,in].
 */
function blockOneHot(c: number) {
  return (w: Float32Array) => {
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) for (let k = 0; k < c; k++) {
      w[((dy * 2 + dx) * c + k) * 4 * c + (dy * 2 + dx) * c + k] = 1;
    }
  };
}

/** [H,W,C] -> [H/2,W/2,4C]: output channel (2*dy+dx)*C + c takes pixel (dy,dx) of channel c. */
export function pixelUnshuffle(c: number, name: string) {
  return fixedConv('conv2d', name, [2, 2, c, 4 * c], 4 * c, 2, blockOneHot(c));
}

/** The inverse of pixelUnshuffle: [H/2,W/2,4C] -> [H,W,C]. */
export function pixelShuffle(c: number, name: string) {
  return fixedConv('conv2dTranspose', name, [2, 2, c, 4 * c], c, 2, blockOneHot(c));
}

/** Keeps the first `c` of `cin` channels (drops the guide and the noise map). */
function selectChannels(c: number, cin: number, name: string) {
  return fixedConv('conv2d', name, [1, 1, cin, c], c, 1, (w) => {
    for (let k = 0; k < c; k++) w[k * c + k] = 1;
  });
}

const seed: Architecture = {
  ...ARCHITECTURE_FACTS.seed,
  build({ channels, seed: s }) {
    const init = new Init(s);
    const input = tf.input({ shape: [null, null, channels], name: 'image' });
    const relu = () => ({ activation: 'relu' as const, kernelInitializer: init.glorot() });
    let x = conv(init, 16, { strides: 2, ...relu() }).apply(input) as tf.SymbolicTensor;
    x = conv(init, 8, { strides: 2, ...relu() }).apply(x) as tf.SymbolicTensor;
    x = conv(init, 8, { strides: 1, ...relu() }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2dTranspose({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', ...relu() }).apply(x) as tf.SymbolicTensor;
    const out = tf.layers.conv2dTranspose({ filters: channels, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid', kernelInitializer: init.glorot() }).apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out, name: 'seed' });
  },
};

const dncnn: Architecture = {
  ...ARCHITECTURE_FACTS.dncnn,
  build({ channels, depth = 17, width = 64, batchNorm = true, seed: s }) {
    const init = new Init(s);
    const input = tf.input({ shape: [null, null, channels], name: 'image' });
    let x = conv(init, width, { activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    for (let i = 0; i < depth - 2; i++) {
      x = conv(init, width, { useBias: !batchNorm }).apply(x) as tf.SymbolicTensor;
      if (batchNorm) x = tf.layers.batchNormalization({ axis: 3, momentum: 0.9, epsilon: 1e-4 }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
    }
    const negNoise = conv(init, channels).apply(x) as tf.SymbolicTensor;
    const out = tf.layers.add().apply([input, negNoise]) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out, name: 'dncnn' });
  },
};

const ffdnet: Architecture = {
  ...ARCHITECTURE_FACTS.ffdnet,
  build({ channels, depth = 12, width = 64, guide = false, seed: s }) {
    const init = new Init(s);
    const cin = channels + (guide ? 1 : 0) + 1; // the image, its guide if any, the noise map
    const input = tf.input({ shape: [null, null, cin], name: 'image_and_sigma' });
    let x = pixelUnshuffle(cin, 'unshuffle').apply(input) as tf.SymbolicTensor;
    x = conv(init, width, { activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    for (let i = 0; i < depth - 2; i++) x = conv(init, width, { activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    x = conv(init, 4 * channels, { kernelInitializer: 'zeros' }).apply(x) as tf.SymbolicTensor;
    const residual = pixelShuffle(channels, 'shuffle').apply(x) as tf.SymbolicTensor;
    const image = selectChannels(channels, cin, 'select_image').apply(input) as tf.SymbolicTensor;
    const out = tf.layers.add().apply([image, residual]) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out, name: 'ffdnet' });
  },
};

/**
 * [H/2,W/2,4C] blocks -> [H/2,W/2,3C] Haar detail bands (horizontal, vertical, diagonal; orthonormal,
 * so white noise keeps its level in each), without the local mean: a level estimator learns from
 * what noise is made of instead of first having to unlearn the picture's brightness.
 */
function haarDetails(c: number, name: string) {
  return fixedConv('conv2d', name, [1, 1, 4 * c, 3 * c], 3 * c, 1, (w) => {
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) for (let k = 0; k < c; k++) {
      const signs = [dx ? -0.5 : 0.5, dy ? -0.5 : 0.5, dx !== dy ? -0.5 : 0.5];
      signs.forEach((v, band) => { w[((dy * 2 + dx) * c + k) * 3 * c + band * c + k] = v; });
    }
  });
}

const levelnet: Architecture = {
  ...ARCHITECTURE_FACTS.levelnet,
  build({ channels, depth = 8, width = 32, seed: s }) {
    const init = new Init(s);
    const input = tf.input({ shape: [null, null, channels], name: 'image' });
    let x = pixelUnshuffle(channels, 'unshuffle').apply(input) as tf.SymbolicTensor;
    x = haarDetails(channels, 'haar_details').apply(x) as tf.SymbolicTensor;
    for (let i = 0; i < depth - 1; i++) x = conv(init, width, { activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    // Starts flat at a plausible level, so early steps learn differences rather than an offset.
    x = conv(init, 4 * channels, { kernelInitializer: 'zeros', biasInitializer: tf.initializers.constant({ value: INITIAL_LEVEL_CODE }) }).apply(x) as tf.SymbolicTensor;
    const out = pixelShuffle(channels, 'shuffle').apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out, name: 'levelnet' });
  },
};

const BUILDABLE: Record<ArchitectureFacts['name'], Architecture> = { seed, dncnn, ffdnet, levelnet };

export const ALL_ARCHITECTURES: Architecture[] = Object.values(BUILDABLE);

export function getArchitecture(name: string): Architecture {
  return BUILDABLE[architectureFacts(name).name];
}

export interface ModelStats {
  params: number;
  trainableParams: number;
  /** Multiply-adds counted as 2 FLOPs, per input pixel, for one forward pass. */
  flopsPerPixel: number;
}

/** Parameter counts and forward FLOPs per pixel, measured on a 64x64 input. */
export function modelStats(model: tf.LayersModel): ModelStats {
  const size = 64;
  let flops = 0;
  let scale = 1; // spatial size of the current layer's input relative to the image
  const scaleOf = new Map<string, number>();
  for (const layer of model.layers) {
    const inbound = layer.inboundNodes[0]?.inboundLayers?.[0];
    scale = inbound ? (scaleOf.get(inbound.name) ?? 1) : 1;
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as { strides?: number[]; kernelSize?: number[]; filters?: number };
    const inShape = (layer.inboundNodes[0]?.inputShapes as number[][] | undefined)?.[0];
    if ((cls === 'Conv2D' || cls === 'Conv2DTranspose') && inShape && cfg.kernelSize && cfg.filters) {
      const cinL = inShape[3];
      const [kh, kw] = cfg.kernelSize;
      const stride = cfg.strides?.[0] ?? 1;
      const inPixels = (size * scale) ** 2;
      const positions = cls === 'Conv2D' ? inPixels / (stride * stride) : inPixels;
      flops += 2 * kh * kw * cinL * cfg.filters * positions;
      scale = cls === 'Conv2D' ? scale / stride : scale * stride;
    }
    scaleOf.set(layer.name, scale);
  }
  const trainable = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  return { params: model.countParams(), trainableParams: trainable, flopsPerPixel: Math.round(flops / (size * size)) };
}

/** Sizes of an architecture at its defaults, for grey and for colour input. */
export function architectureStats(arch: Architecture): { grey: ModelStats; colour: ModelStats } {
  const [grey, colour] = ([1, 3] as const).map((channels) => {
    const model = arch.build({ ...arch.defaults, channels, seed: 1 });
    const stats = modelStats(model);
    model.dispose();
    return stats;
  });
  return { grey, colour };
}
