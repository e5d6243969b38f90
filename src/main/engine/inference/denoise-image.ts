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
import { makeImage, reflectPadded, toChannels, type FloatImage } from '../image/float-image';
import { orientKeepingParity } from '../image/orientations';
import { autoEnsemble, ENSEMBLE_PASSES, type EnsemblePasses } from '../../../shared/ensemble';
import { modelInputData, withGuide } from '../models/input';
import type { NoiseReading } from '../../../shared/noise-reading';
import type { DenoiserManifest } from '../models/manifest';
import { ARCHITECTURE_FACTS, type ArchitectureFacts } from '../models/catalog';
import type { ModelRunner } from '../runtime/runner';
import { UserError } from '../errors';
import { chromaGuide, fromOpponent, OPPONENT_NOISE_SCALE, toOpponent } from './opponent';
import { double, halve } from '../image/resample';
import { blindLevel, clippedBlocks, estimatedLevel, estimateNoiseSigma, searchedLevel } from './noise-level';
import { mosaicShift, readMosaic, shifted, type MosaicReading } from '../image/mosaic';

/** A level estimator's size multiple (levelnet's pixel-unshuffle, catalog.ts). */
const LEVEL_ESTIMATOR_MULTIPLE = ARCHITECTURE_FACTS.levelnet.sizeMultiple;

export interface DenoiseOptions {
  /**
   * Noise level on the 0-255 scale for noise-map models. When absent, a blind
   * model (manifest `blind`) estimates it itself; others get their level
   * estimator's reading on a grey or luma plane, else estimateNoiseSigma's.
   */
  sigma?: number;
  /** 0-1 blend between the input (0) and the model output (1) for models without a noise map. */
  strength?: number;
  tile?: number;
  overlap?: number;
  /**
   * Geometric self-ensemble: 1, 2, 4 or 8 passes over flipped and turned
   * copies, averaged; slower in proportion, a little cleaner. When absent,
   * the photo's size decides (autoEnsemble).
   */
  ensemble?: number;
  /**
   * What the model's level estimator has already read on this grey photo (0-1; grey-route.ts reads
   * it to pick the model): told to the model as its reading, instead of reading it again.
   */
  levelRead?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DenoiseResult {
  image: FloatImage;
  /** How the noise level was set (noise-map models). */
  noise?: NoiseReading;
  tiles: number;
  /** The self-ensemble passes it was denoised in. */
  passes: EnsemblePasses;
  /** For a model trained in one mosaic pattern: what the photo showed of its own, which it was shifted from into the model's. */
  mosaic?: MosaicReading;
}

/**
 * Tile side chosen from free memory: a few live activations of the widest layer (at the conv
 * stack's own resolution) must fit in a quarter of it, and at most 1 GB. Larger tiles recompute
 * less overlap: at most 1536 px (a 12 MP photo through the plane model: 7-10 % faster than at
 * 1024, peak RSS 1.35 GB; docs/performance.md).
 */
function chooseTileSize(manifest: DenoiserManifest, requested?: number): number {
  const m = Math.max(4, manifest.sizeMultiple);
  if (requested) return Math.max(m * 8, Math.round(requested / m) * m);
  const width = manifest.arch.options.width ?? 64;
  const perActivation = (ARCHITECTURE_FACTS as Record<string, ArchitectureFacts | undefined>)[manifest.arch.name]?.pixelsPerActivation ?? 1;
  const bytesPerPixel = (width * 4 * 4) / perActivation; // four live float32 activations of `width` channels
  const budget = Math.min(os.freemem() / 4, 1024 * 1024 * 1024);
  const side = Math.sqrt(budget / bytesPerPixel);
  return Math.max(128, Math.min(1536, Math.floor(side / m) * m));
}

/**
 * Tiles along one axis of length `n`: as few tiles of about `max` pixels as
 * cover it with at least `o` pixels of overlap, all of one length and evenly
 * spaced, so no tile is computed mostly twice. Every tile starts on a multiple
 * of `m`, so each sees the photo in its own pixel phase (a model's
 * pixel-unshuffle blocks then fall where the photo's 2x2 mosaic and chroma
 * blocks do; orientKeepingParity says why).
 */
export function tileLayout(n: number, max: number, o: number, m: number): { size: number; starts: number[] } {
  if (n <= max) return { size: n, starts: [0] };
  const count = Math.ceil((n - o) / (max - o));
  // The overlap plus m, as the starts round to multiples of m; then n - size made a multiple of m too.
  const base = Math.min(n, Math.ceil((Math.ceil((n - o) / count) + o + m) / m) * m);
  const size = base + ((n - base) % m);
  const starts = Array.from({ length: count }, (_, i) => Math.round((i * (n - size)) / (count - 1) / m) * m);
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
  return { data: reflectPadded(img, x0, y0, w, h, pw, ph).data, pw, ph };
}

/** Adds a tile's output (`pw` pixels a row) into `acc` (`width` pixels a row, `c` channels) at (x0, y0), weighted by wx[x] * wy[y]. */
function addWeighted(acc: Float32Array, width: number, c: number, out: Float32Array, pw: number, x0: number, y0: number, wx: Float32Array, wy: Float32Array): void {
  const w = wx.length;
  for (let y = 0; y < wy.length; y++) {
    const wRow = wy[y];
    if (wRow === 0) continue;
    const dst = ((y0 + y) * width + x0) * c, src = y * pw * c;
    for (let x = 0; x < w; x++) {
      const weight = wRow * wx[x];
      for (let k = x * c; k < (x + 1) * c; k++) acc[dst + k] += weight * out[src + k];
    }
  }
}

/** Divides each pixel of `acc` by its weights' sum, sumX[x] * sumY[y], and clips to [0, 1]. */
function normalize(acc: Float32Array, c: number, sumX: Float32Array, sumY: Float32Array): void {
  for (let y = 0, i = 0; y < sumY.length; y++) {
    for (let x = 0; x < sumX.length; x++) {
      const inv = 1 / (sumY[y] * sumX[x]);
      for (let k = 0; k < c; k++, i++) {
        const v = acc[i] * inv;
        acc[i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
}

/** The model over `img` tile by tile, told `sigma01` (null: no noise map); a guided model gets the same tiles of `guide` (a grey image of img's size). */
async function runTiles(runner: ModelRunner, manifest: DenoiserManifest, img: FloatImage, sigma01: number | null, opts: DenoiseOptions, guide?: FloatImage) {
  const m = Math.max(1, manifest.sizeMultiple);
  const t = chooseTileSize(manifest, opts.tile);
  const o = Math.min(opts.overlap ?? 64, Math.floor(t / 4));
  const { size: tw, starts: xs } = tileLayout(img.width, t, o, m);
  const { size: th, starts: ys } = tileLayout(img.height, t, o, m);
  const c = img.channels;
  const acc = new Float32Array(img.width * img.height * c);
  // The blend weights are products of a column ramp and a row ramp, and every column of tiles meets
  // every row of tiles, so a pixel's weights sum to (its column ramps' sum) x (its row ramps' sum).
  const rampsX = xs.map((x0) => ramp(tw, o, x0 > 0, x0 + tw < img.width));
  const rampsY = ys.map((y0) => ramp(th, o, y0 > 0, y0 + th < img.height));
  const sumX = new Float32Array(img.width), sumY = new Float32Array(img.height);
  xs.forEach((x0, i) => rampsX[i].forEach((v, x) => (sumX[x0 + x] += v)));
  ys.forEach((y0, i) => rampsY[i].forEach((v, y) => (sumY[y0 + y] += v)));
  const total = xs.length * ys.length;
  let done = 0;
  for (const [iy, y0] of ys.entries()) {
    for (const [ix, x0] of xs.entries()) {
      const [w, h] = [tw, th]; // tileLayout keeps every tile inside the image
      const { data, pw, ph } = extractPadded(img, x0, y0, w, h, m);
      const pixels = guide ? withGuide(data, c, extractPadded(guide, x0, y0, w, h, m).data) : data;
      const cin = c + (guide ? 1 : 0);
      const input = modelInputData(pixels, 1, ph, pw, cin, sigma01 === null ? null : [sigma01]);
      const out = await runner.run(input, 1, ph, pw, sigma01 === null ? cin : cin + 1);
      addWeighted(acc, img.width, c, out, pw, x0, y0, rampsX[ix], rampsY[iy]);
      opts.onProgress?.(++done, total);
    }
  }
  normalize(acc, c, sumX, sumY);
  return { image: makeImage(img.width, img.height, c, acc), tiles: total };
}

/** runTiles over the first `passes` orientations (of the guide too), each keeping the photo's pixel parity and turned back, averaged. */
async function runEnsemble(runner: ModelRunner, manifest: DenoiserManifest, img: FloatImage, sigma01: number | null, opts: DenoiseOptions & { ensemble: EnsemblePasses }, guide?: FloatImage) {
  const passes = opts.ensemble;
  if (passes === 1) return runTiles(runner, manifest, img, sigma01, opts, guide);
  const sum = new Float32Array(img.data.length);
  let tiles = 0;
  for (let t = 0; t < passes; t++) {
    const onProgress = opts.onProgress && ((done: number, total: number) => opts.onProgress!(t * total + done, passes * total));
    const { turned, back: turnBack } = orientKeepingParity(img, t);
    const r = await runTiles(runner, manifest, turned, sigma01, { ...opts, onProgress }, guide && orientKeepingParity(guide, t).turned);
    const back = turnBack(r.image).data;
    for (let i = 0; i < sum.length; i++) sum[i] += back[i];
    tiles += r.tiles;
  }
  for (let i = 0; i < sum.length; i++) sum[i] /= passes;
  return { image: makeImage(img.width, img.height, img.channels, sum), tiles };
}

/** A guided chroma denoiser (models/companions.ts). */
export interface GuidedDenoiser {
  runner: ModelRunner;
  manifest: DenoiserManifest;
}

/** A denoiser ready to run (store.ts opens one): its runner and manifest, and the companion models it has. */
export interface DenoiseModel {
  runner: ModelRunner;
  manifest: DenoiserManifest;
  /** A levelnet model (level-code.ts) that reads the luma or grey plane's noise level when none is given. */
  level?: ModelRunner;
  /** One that reads each chroma plane's, at half resolution (a colour photo through a grey model). */
  chromaLevel?: ModelRunner;
  /** What denoises the chroma planes, with their guide from the denoised luma plane, instead of the model itself (a colour photo through a grey model). */
  chroma?: GuidedDenoiser;
}

/** The size multiple of the crops a level is read or searched on, for a model: its own and the level estimator's. */
const levelCropMultiple = (manifest: DenoiserManifest) => Math.max(4, manifest.sizeMultiple);

/** A level estimator's log-level map of a crop (reflect-padded to its size multiple, cut back). */
const levelMap = (levelnet: ModelRunner) => async (crop: FloatImage): Promise<FloatImage> => {
  const { data, pw, ph } = extractPadded(crop, 0, 0, crop.width, crop.height, LEVEL_ESTIMATOR_MULTIPLE);
  const map = await levelnet.run(data, 1, ph, pw, 1);
  const out = new Float32Array(crop.width * crop.height);
  for (let y = 0; y < crop.height; y++) out.set(map.subarray(y * pw, y * pw + crop.width), y * crop.width);
  return makeImage(crop.width, crop.height, 1, out);
};

/**
 * What a level estimator reads (0-1) on a grey or opponent plane for the model whose manifest is
 * given (estimatedLevel): the level denoiseImage tells that model when no σ is given.
 */
export function readLevel(levelnet: ModelRunner, manifest: DenoiserManifest, plane: FloatImage, clipSource: FloatImage = plane): Promise<number> {
  return estimatedLevel(levelMap(levelnet), plane, levelCropMultiple(manifest), clipSource);
}

/**
 * Denoises an image of any size with a loaded model. A model that learned camera photos in one mosaic
 * pattern (manifest `mosaic`) gets the photo shifted by a mirrored column and/or row into it, as far as
 * the photo shows its own (mosaic.ts).
 */
export async function denoiseImage(model: DenoiseModel, img: FloatImage, opts: DenoiseOptions = {}): Promise<DenoiseResult> {
  if (opts.strength !== undefined && !(opts.strength >= 0 && opts.strength <= 1)) throw new UserError('strength must be between 0 and 1');
  if (opts.sigma !== undefined && !(opts.sigma >= 0 && opts.sigma <= 255)) throw new UserError('sigma must be between 0 and 255');
  if (opts.ensemble !== undefined && !(ENSEMBLE_PASSES as readonly number[]).includes(opts.ensemble)) {
    throw new UserError(`ensemble must be one of ${ENSEMBLE_PASSES.join(', ')} passes`);
  }
  const passes = (opts.ensemble as EnsemblePasses | undefined) ?? autoEnsemble(img.width * img.height);
  const target = model.manifest.mosaic;
  if (!target) return denoiseInPlace(model, img, { ...opts, ensemble: passes });
  const mosaic = readMosaic(img);
  const { image, back } = shifted(img, mosaicShift(mosaic, target));
  const r = await denoiseInPlace(model, image, { ...opts, ensemble: passes });
  return { ...r, image: back(r.image), mosaic };
}

/** denoiseImage on the photo as it is, in the passes decided. */
async function denoiseInPlace({ runner, manifest, level: estimator, chromaLevel, chroma }: DenoiseModel, img: FloatImage, opts: DenoiseOptions & { ensemble: EnsemblePasses }): Promise<DenoiseResult> {
  const passes = opts.ensemble;
  const how = levelSource(manifest, opts.sigma);
  /** The model on a level-finding crop, told `level` (0-1, or UNKNOWN_NOISE_LEVEL). */
  const runAt = async (crop: FloatImage, level: number) => (await runTiles(runner, manifest, crop, level, {})).image;
  const multiple = levelCropMultiple(manifest);
  /**
   * The level (0-1) to tell the model for `image`, whose noise is `scale` times the photo's when a
   * level is given; `chroma` for an opponent colour plane; `clipSource`: where an estimator finds
   * clipped values, made only if one reads (for a colour photo's planes, the photo's: a channel
   * clipped alone distorts them too).
   */
  const levelFor = async (image: FloatImage, scale: number, chroma = false, clipSource = () => image): Promise<number | null> => {
    switch (how) {
      case null: return null;
      case 'given': return (opts.sigma! / 255) * scale;
      case 'estimated':
      case 'blind': {
        const greyPlane = image.channels === 1 && !chroma;
        if (estimator && greyPlane) return (img.channels === 1 ? opts.levelRead : undefined) ?? readLevel(estimator, manifest, image, clipSource());
        if (chromaLevel && chroma) return readLevel(chromaLevel, manifest, image, clipSource());
        if (how === 'estimated') return estimateNoiseSigma(image) / 255;
        return greyPlane ? searchedLevel(runAt, image, multiple) : blindLevel(runAt, image, multiple);
      }
    }
  };
  let result: { image: FloatImage; tiles: number };
  let found: number | null; // the level told to the model for the whole photo (for the luma plane on the plane path)
  if (img.channels === manifest.channels || manifest.channels === 3) {
    // The model's own channels, or a grey photo through a colour model: three equal channels in, their luma out.
    const input = img.channels === manifest.channels ? img : toChannels(img, 3);
    found = await levelFor(input, 1);
    const r = await runEnsemble(runner, manifest, input, found, opts);
    result = { image: toChannels(r.image, img.channels), tiles: r.tiles };
  } else {
    // A colour photo through a grey model: each opponent plane on its own (chroma at half
    // resolution, where averaging halves the noise), told its own noise level; the chroma
    // planes through the chroma denoiser, when there is one, with their guide (chromaGuide).
    const out: FloatImage[] = [];
    let tiles = 0;
    found = null;
    let clipsAtHalf: FloatImage | undefined; // where the chroma planes' estimator looks for clipped values
    let guideFor: ((plane: FloatImage) => FloatImage) | undefined; // from the denoised luma plane, at the chroma planes' resolution
    for (const [k, full] of toOpponent(img).entries()) {
      const plane = k === 0 ? full : halve(full);
      const level = await levelFor(plane, OPPONENT_NOISE_SCALE[k] * (k === 0 ? 1 : 0.5), k > 0, () => (k === 0 ? img : (clipsAtHalf ??= clippedBlocks(img))));
      // The photo's level, in RGB terms, as the luma plane shows it.
      if (k === 0 && level !== null) found = level / OPPONENT_NOISE_SCALE[0];
      const r = k > 0 && chroma ? await runEnsemble(chroma.runner, chroma.manifest, plane, level, opts, (guideFor ??= chromaGuide(halve(out[0])))(plane))
        : await runEnsemble(runner, manifest, plane, level, opts);
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
  const noise: NoiseReading | undefined = how === null || found === null ? undefined
    : how === 'given' ? { kind: 'given', sigma: opts.sigma! } : { kind: how, sigma: found * 255 };
  return { image: result.image, noise, tiles: result.tiles, passes };
}

/** Where a noise-map model's level comes from: the user, the model itself (blind models), or estimateNoiseSigma. */
function levelSource(manifest: DenoiserManifest, sigma: number | undefined): NoiseReading['kind'] | null {
  if (!manifest.noiseMap) return null;
  if (sigma !== undefined) return 'given';
  return manifest.blind ? 'blind' : 'estimated';
}
