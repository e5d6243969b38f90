/**
 * Denoising images of any size: the image is cut into overlapping tiles whose
 * size follows the memory available, each tile runs through the model, and the
 * tiles are blended back with weights that ramp down across the overlap, so no
 * seams show and memory stays bounded. Grey and colour inputs work with grey
 * and colour models (a colour photo through a grey model goes through opponent
 * colour planes, chroma at half resolution: opponent.ts); the output keeps the
 * input's size and channels.
 */
import os from 'node:os';
import { makeImage, toChannels, type FloatImage } from '../image/float-image';
import { orient } from '../image/orientations';
import { ENSEMBLE_PASSES } from '../../../shared/ensemble';
import { modelInputData, UNKNOWN_NOISE_LEVEL } from '../models/input';
import type { NoiseReading } from '../../../shared/noise-reading';
import type { DenoiserManifest } from '../models/manifest';
import type { ModelRunner } from '../runtime/runner';
import { UserError } from '../errors';
import { mse } from '../image/metrics';
import { double, fromOpponent, halve, OPPONENT_NOISE_SCALE, toOpponent } from './opponent';

export interface DenoiseOptions {
  /**
   * Noise level on the 0-255 scale for noise-map models. When absent, a blind
   * model (manifest `blind`) estimates it itself; others get estimateNoiseSigma's.
   */
  sigma?: number;
  /** 0-1 blend between the input (0) and the model output (1) for models without a noise map. */
  strength?: number;
  tile?: number;
  overlap?: number;
  /**
   * Geometric self-ensemble: 1 (default), 2, 4 or 8 passes over flipped and
   * turned copies, averaged; slower in proportion, a little cleaner.
   */
  ensemble?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DenoiseResult {
  image: FloatImage;
  /** How the noise level was set (noise-map models). */
  noise?: NoiseReading;
  tiles: number;
}

/**
 * Estimates the Gaussian noise level (0-255) from the finest diagonal wavelet
 * band: sigma = median(|HH|) / 0.6745 (Donoho and Johnstone).
 */
export function estimateNoiseSigma(img: FloatImage): number {
  const { width: w, height: h, channels: c } = img;
  const values: number[] = [];
  const stride = Math.max(1, Math.floor(Math.sqrt((w * h) / 4 / 250_000))); // sample at most ~250k blocks
  for (let y = 0; y + 1 < h; y += 2 * stride) {
    for (let x = 0; x + 1 < w; x += 2 * stride) {
      for (let k = 0; k < c; k++) {
        const a = img.data[(y * w + x) * c + k];
        const b = img.data[(y * w + x + 1) * c + k];
        const d = img.data[((y + 1) * w + x) * c + k];
        const e = img.data[((y + 1) * w + x + 1) * c + k];
        values.push(Math.abs(a - b - d + e) / 2);
      }
    }
  }
  if (values.length === 0) return 0;
  values.sort((p, q) => p - q);
  return (values[Math.floor(values.length / 2)] / 0.6745) * 255;
}

/** Tile side chosen from free memory: activations of the widest layer must fit in a quarter of it. */
function chooseTileSize(manifest: DenoiserManifest, requested?: number): number {
  const m = Math.max(4, manifest.sizeMultiple);
  if (requested) return Math.max(m * 8, Math.round(requested / m) * m);
  const width = manifest.arch.options.width ?? 64;
  const bytesPerPixel = width * 4 * 4; // a few live float32 activations of `width` channels
  const budget = Math.min(os.freemem() / 4, 1024 * 1024 * 1024);
  const side = Math.sqrt(budget / bytesPerPixel);
  return Math.max(128, Math.min(1024, Math.floor(side / m) * m));
}

/**
 * Tiles along one axis of length `n`: as few tiles of at most `max` pixels as
 * cover it with at least `o` pixels of overlap, all of one length (a multiple
 * of `m`) and evenly spaced, so no tile is computed mostly twice.
 */
export function tileLayout(n: number, max: number, o: number, m: number): { size: number; starts: number[] } {
  if (n <= max) return { size: n, starts: [0] };
  const count = Math.ceil((n - o) / (max - o));
  const size = Math.min(n, Math.ceil((Math.ceil((n - o) / count) + o) / m) * m);
  const starts = Array.from({ length: count }, (_, i) => Math.round((i * (n - size)) / (count - 1)));
  return { size, starts };
}

/**
 * 1-D blending weights for a tile. On sides that touch another tile, the first
 * half of the overlap gets no weight (those outputs saw padding instead of real
 * neighbours) and the second half ramps up; the neighbour covers both parts.
 */
function ramp(len: number, o: number, rampStart: boolean, rampEnd: boolean): Float32Array {
  const w = new Float32Array(len).fill(1);
  const dead = Math.max(0, Math.floor(o / 2) - 1);
  for (let i = 0; i < Math.min(o, len); i++) {
    const v = i < dead ? 0 : (i - dead + 0.5) / (o - dead);
    if (rampStart) w[i] = Math.min(w[i], v);
    if (rampEnd) w[len - 1 - i] = Math.min(w[len - 1 - i], v);
  }
  return w;
}

/** Reflect-pads an image crop so both sides are multiples of `m` (and at least `m`). */
function extractPadded(img: FloatImage, x0: number, y0: number, w: number, h: number, m: number): { data: Float32Array; pw: number; ph: number } {
  const pw = Math.max(m, Math.ceil(w / m) * m);
  const ph = Math.max(m, Math.ceil(h / m) * m);
  const c = img.channels;
  const data = new Float32Array(pw * ph * c);
  const reflect = (i: number, n: number) => {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    i = ((i % period) + period) % period;
    return i < n ? i : period - i;
  };
  for (let y = 0; y < ph; y++) {
    const sy = y0 + reflect(y, h);
    for (let x = 0; x < pw; x++) {
      const sx = x0 + reflect(x, w);
      const src = (sy * img.width + sx) * c;
      const dst = (y * pw + x) * c;
      for (let k = 0; k < c; k++) data[dst + k] = img.data[src + k];
    }
  }
  return { data, pw, ph };
}

async function runTiles(runner: ModelRunner, manifest: DenoiserManifest, img: FloatImage, sigma01: number | null, opts: DenoiseOptions) {
  const m = Math.max(1, manifest.sizeMultiple);
  const t = chooseTileSize(manifest, opts.tile);
  const o = Math.min(opts.overlap ?? 64, Math.floor(t / 4));
  const { size: tw, starts: xs } = tileLayout(img.width, t, o, m);
  const { size: th, starts: ys } = tileLayout(img.height, t, o, m);
  const c = img.channels;
  const acc = new Float32Array(img.width * img.height * c);
  const wsum = new Float32Array(img.width * img.height);
  const total = xs.length * ys.length;
  let done = 0;
  for (const y0 of ys) {
    for (const x0 of xs) {
      const [w, h] = [tw, th]; // tileLayout keeps every tile inside the image
      const { data, pw, ph } = extractPadded(img, x0, y0, w, h, m);
      const input = modelInputData(data, 1, ph, pw, c, sigma01 === null ? null : [sigma01]);
      const out = await runner.run(input, 1, ph, pw, sigma01 === null ? c : c + 1);
      const wx = ramp(w, o, x0 > 0, x0 + w < img.width);
      const wy = ramp(h, o, y0 > 0, y0 + h < img.height);
      for (let yy = 0; yy < h; yy++) {
        for (let xx = 0; xx < w; xx++) {
          const weight = wx[xx] * wy[yy];
          const p = (y0 + yy) * img.width + x0 + xx;
          wsum[p] += weight;
          const src = (yy * pw + xx) * c;
          for (let k = 0; k < c; k++) acc[p * c + k] += weight * out[src + k];
        }
      }
      opts.onProgress?.(++done, total);
    }
  }
  for (let p = 0; p < wsum.length; p++) {
    for (let k = 0; k < c; k++) acc[p * c + k] = Math.min(1, Math.max(0, acc[p * c + k] / wsum[p]));
  }
  return { image: makeImage(img.width, img.height, c, acc), tiles: total };
}

/** runTiles over the first `passes` orientations, each turned back, averaged. */
async function runEnsemble(runner: ModelRunner, manifest: DenoiserManifest, img: FloatImage, sigma01: number | null, opts: DenoiseOptions) {
  const passes = opts.ensemble ?? 1;
  if (passes === 1) return runTiles(runner, manifest, img, sigma01, opts);
  const sum = new Float32Array(img.data.length);
  let tiles = 0;
  for (let t = 0; t < passes; t++) {
    const onProgress = opts.onProgress && ((done: number, total: number) => opts.onProgress!(t * total + done, passes * total));
    const r = await runTiles(runner, manifest, orient(img, t), sigma01, { ...opts, onProgress });
    const back = orient(r.image, t, true).data;
    for (let i = 0; i < sum.length; i++) sum[i] += back[i];
    tiles += r.tiles;
  }
  for (let i = 0; i < sum.length; i++) sum[i] /= passes;
  return { image: makeImage(img.width, img.height, img.channels, sum), tiles };
}

/** Denoises an image of any size with a loaded model. */
export async function denoiseImage(runner: ModelRunner, manifest: DenoiserManifest, img: FloatImage, opts: DenoiseOptions = {}): Promise<DenoiseResult> {
  if (opts.strength !== undefined && !(opts.strength >= 0 && opts.strength <= 1)) throw new UserError('strength must be between 0 and 1');
  if (opts.sigma !== undefined && !(opts.sigma >= 0 && opts.sigma <= 255)) throw new UserError('sigma must be between 0 and 255');
  if (opts.ensemble !== undefined && !(ENSEMBLE_PASSES as readonly number[]).includes(opts.ensemble)) {
    throw new UserError(`ensemble must be one of ${ENSEMBLE_PASSES.join(', ')} passes`);
  }
  const reading = noiseLevel(manifest, img, opts.sigma);
  const sigma01 = !reading ? null : reading.kind === 'blind' ? UNKNOWN_NOISE_LEVEL : reading.sigma / 255;
  let result: { image: FloatImage; tiles: number };
  if (img.channels === manifest.channels) {
    result = await runEnsemble(runner, manifest, img, sigma01, opts);
  } else if (manifest.channels === 3) {
    // A grey photo through a colour model: three equal channels in, their luma out.
    const r = await runEnsemble(runner, manifest, toChannels(img, 3), sigma01, opts);
    result = { image: toChannels(r.image, 1), tiles: r.tiles };
  } else {
    // A colour photo through a grey model: each opponent plane on its own (chroma at half
    // resolution, where averaging halves the noise), told its own noise level.
    const out: FloatImage[] = [];
    let tiles = 0;
    for (const [k, full] of toOpponent(img).entries()) {
      const plane = k === 0 ? full : halve(full);
      const level = !reading ? null
        : reading.kind === 'blind' ? UNKNOWN_NOISE_LEVEL
          : reading.kind === 'given' ? (reading.sigma / 255) * OPPONENT_NOISE_SCALE[k] * (k === 0 ? 1 : 0.5)
            : estimateNoiseSigma(plane) / 255;
      const r = await runEnsemble(runner, manifest, plane, level, opts);
      out.push(k === 0 ? r.image : double(r.image, img.width, img.height));
      tiles += r.tiles;
    }
    result = { image: fromOpponent(out as [FloatImage, FloatImage, FloatImage]), tiles };
  }
  if (!manifest.noiseMap && opts.strength !== undefined && opts.strength < 1) {
    const s = opts.strength;
    const d = result.image.data;
    for (let i = 0; i < d.length; i++) d[i] = img.data[i] + s * (d[i] - img.data[i]);
  }
  if (reading?.kind === 'blind') reading.sigma = Math.sqrt(mse(img.data, result.image.data)) * 255;
  return { image: result.image, noise: reading, tiles: result.tiles };
}

/** The level a noise-map model is told: the user's, a blind model's own (measured after), or the estimate. */
function noiseLevel(manifest: DenoiserManifest, img: FloatImage, sigma: number | undefined): NoiseReading | undefined {
  if (!manifest.noiseMap) return undefined;
  if (sigma !== undefined) return { kind: 'given', sigma };
  if (manifest.blind) return { kind: 'blind', sigma: 0 };
  return { kind: 'estimated', sigma: estimateNoiseSigma(img) };
}

