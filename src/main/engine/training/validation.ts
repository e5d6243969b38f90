/**
 * Validation during training: the model on every validation image with the
 * same noise each epoch (so epochs compare), scored by loss, PSNR and SSIM
 * against the noisy input's PSNR, and the preview sheet of noisy, denoised and
 * clean images saved beside the checkpoints. Self-supervised runs have no
 * clean images: their score is the self-supervised loss on held-out noisy
 * photos, and their sheet shows noisy and denoised. A level estimator is scored
 * by the squared error of the log level it reads, and its sheet shows noisy
 * inputs and its level maps.
 */
import * as tf from '@tensorflow/tfjs';
import { applyNoise, type NoiseSpec } from '../data/noise';
import type { TrainingSource } from '../data/sources';
import { crop, makeImage, type FloatImage } from '../image/float-image';
import { estimateNoiseSigma } from '../inference/noise-level';
import { chooseNeighbours, subsample } from './neighbor2neighbor';
import { mse, psnr, ssim } from '../image/metrics';
import { modelInputData, UNKNOWN_NOISE_LEVEL, withGuide } from '../models/input';
import type { ModelRunner } from '../runtime/runner';
import { Rng } from '../data/rng';
import { decodeLevel, encodeLevel } from '../models/level-code';
import { usesPlanes, type TrainConfig } from './config';
import { halvedChroma, opponentPairs } from './samples';
import { toOpponent } from '../inference/opponent';
import { lossFn } from './steps/tfjs-step';

/**
 * Runs the model on one image (any size that fits its size multiple), with its guide image if the
 * model takes one; returns its output, clipped to 0-1 for an image.
 */
async function predictImage(runner: ModelRunner, noisy: FloatImage, sigma: number, noiseMap: boolean, clip = true, guide?: FloatImage): Promise<FloatImage> {
  const c = noisy.channels + (guide ? 1 : 0);
  const pixels = guide ? withGuide(noisy.data, noisy.channels, guide.data) : noisy.data;
  const out = Float32Array.from(await runner.run(modelInputData(pixels, 1, noisy.height, noisy.width, c, noiseMap ? [sigma] : null), 1, noisy.height, noisy.width, noiseMap ? c + 1 : c));
  if (clip) for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i]));
  return makeImage(noisy.width, noisy.height, noisy.channels, out);
}

export interface Validation {
  valLoss: number;
  /** Against clean images; a self-supervised run has none. */
  quality?: { psnr: number; ssim: number; noisyPsnr: number };
  /** Rows of the preview sheet; `clean` is empty for a self-supervised run. */
  preview: { noisy: FloatImage[]; denoised: FloatImage[]; clean: FloatImage[] };
}


/** Scores the model on the validation images (their opponent planes, or luma planes, for a plane model); `blind` tells a noise-map model the level is unknown instead of the true one. */
export async function validate(runner: ModelRunner, source: TrainingSource, c: TrainConfig, spec: NoiseSpec, noiseMap: boolean, blind = false): Promise<Validation> {
  const rng = new Rng(c.seed + 7919); // the same noise every epoch, so epochs compare
  let lossSum = 0;
  let psnrSum = 0;
  let ssimSum = 0;
  let noisySum = 0;
  const preview: Validation['preview'] = { noisy: [], denoised: [], clean: [] };
  const previewCount = source.sampleSize <= 32 ? 8 : 1;
  let count = 0;
  for (const image of source.validation) {
    const r = applyNoise(image, spec, rng);
    const pairs: { clean: FloatImage; noisy: FloatImage; sigma: number; guide?: FloatImage }[] = c.planes === 'chroma' ? [halvedChroma(image, r.noisy, 1, true), halvedChroma(image, r.noisy, 2, true)]
      : usesPlanes(c) ? opponentPairs(image, r.noisy).slice(0, c.planes === 'luma' ? 1 : 3) : [{ clean: image, noisy: makeImage(image.width, image.height, image.channels, r.noisy), sigma: r.sigma }];
    for (const { clean, noisy, sigma, guide } of pairs) {
      count++;
      const den = await predictImage(runner, noisy, blind ? UNKNOWN_NOISE_LEVEL : sigma, noiseMap, true, guide);
      lossSum += tf.tidy(() => lossFn(c.loss, tf.tensor(clean.data), tf.tensor(den.data)).dataSync()[0]);
      psnrSum += psnr(den.data, clean.data);
      noisySum += psnr(noisy.data, clean.data);
      ssimSum += ssim(den, clean);
      if (preview.clean.length < previewCount) {
        preview.noisy.push(noisy);
        preview.denoised.push(den);
        preview.clean.push(clean);
      }
    }
  }
  const n = Math.max(1, count);
  return { valLoss: lossSum / n, quality: { psnr: psnrSum / n, ssim: ssimSum / n, noisyPsnr: noisySum / n }, preview };
}


/** Draws of noise per validation image for a level estimator: one draw each says little about a noise mix. */
const LEVEL_DRAWS = 4;

/**
 * A level estimator's validation: on the luma plane (or, without planes, the image; for a chroma
 * estimator, the halved chroma planes in turn) of each validation image, with LEVEL_DRAWS draws of the run's noise, the squared error between the
 * log level it reads (the mean of its output map, as the engine reads it) and the log of the
 * true level. Its square root is about the relative error (0.1: levels 10 % off).
 */
export async function validateLevels(runner: ModelRunner, source: TrainingSource, c: TrainConfig, spec: NoiseSpec): Promise<Validation> {
  const rng = new Rng(c.seed + 7919);
  let lossSum = 0;
  let count = 0;
  const preview: Validation['preview'] = { noisy: [], denoised: [], clean: [] };
  for (const image of source.validation) {
    for (let d = 0; d < LEVEL_DRAWS; d++) {
      const r = applyNoise(image, spec, rng);
      const { noisy, sigma } = c.planes === 'chroma' ? halvedChroma(image, r.noisy, d % 2 === 0 ? 1 : 2, false)
        : usesPlanes(c) ? opponentPairs(image, r.noisy)[0] : { noisy: makeImage(image.width, image.height, image.channels, r.noisy), sigma: r.sigma };
      const map = await predictImage(runner, noisy, 0, false, false);
      const read = map.data.reduce((a, v) => a + v, 0) / map.data.length;
      lossSum += (read - encodeLevel(sigma)) ** 2;
      count++;
      if (preview.noisy.length < 1) {
        preview.noisy.push(noisy);
        // The map on the 0-1 scale at 4x (a level of 64/255 shows white).
        preview.denoised.push(makeImage(map.width, map.height, map.channels, map.data.map((v) => Math.min(1, 4 * decodeLevel(v)))));
      }
    }
  }
  return { valLoss: lossSum / Math.max(1, count), preview };
}

/**
 * A self-supervised run's validation, on held-out noisy photos only: the mean
 * |f(g1 y) - g2 y|² with the same sub-sampling every epoch (it falls as the
 * true error does, above it by the noise's variance), and the noisy and
 * denoised previews (of the luma plane, for a plane model). A noise-map model
 * is told each image's wavelet estimate.
 */
export async function validateSelfSupervised(runner: ModelRunner, source: TrainingSource, c: TrainConfig, noiseMap: boolean): Promise<Validation> {
  const rng = new Rng(c.seed + 7919);
  let lossSum = 0;
  const preview: Validation['preview'] = { noisy: [], denoised: [], clean: [] };
  // A plane model is scored on the photos' luma planes.
  for (const noisy of source.validation.map((img) => (usesPlanes(c) ? toOpponent(img)[0] : img))) {
    const sigma = estimateNoiseSigma(noisy) / 255;
    const side = Math.min(noisy.width, noisy.height) - (Math.min(noisy.width, noisy.height) % 4);
    const square = crop(noisy, 0, 0, side, side);
    const { g1, g2 } = subsample(square.data, 1, side, square.channels, chooseNeighbours((side / 2) ** 2, rng));
    const den = await predictImage(runner, makeImage(side / 2, side / 2, square.channels, g1), sigma, noiseMap);
    lossSum += mse(den.data, g2);
    if (preview.noisy.length < 1) {
      preview.noisy.push(noisy);
      preview.denoised.push(await predictImage(runner, noisy, sigma, noiseMap));
    }
  }
  return { valLoss: lossSum / Math.max(1, source.validation.length), preview };
}

/** Rows of noisy, denoised and (when there are any) clean images, side by side. */
export function previewSheet(p: Validation['preview']): FloatImage {
  const rows = p.clean.length ? [p.noisy, p.denoised, p.clean] : [p.noisy, p.denoised];
  const cell = p.noisy[0];
  const gap = 2;
  const cols = p.noisy.length;
  const vertical = cols > 1; // many small images: one row per kind; one large image: a column per kind
  const w = vertical ? cols * (cell.width + gap) - gap : rows.length * (cell.width + gap) - gap;
  const h = vertical ? rows.length * (cell.height + gap) - gap : cell.height;
  const sheet = makeImage(w, h, cell.channels);
  sheet.data.fill(1);
  rows.forEach((row, r) => row.forEach((img, k) => {
    const x0 = vertical ? k * (cell.width + gap) : r * (cell.width + gap);
    const y0 = vertical ? r * (cell.height + gap) : 0;
    for (let y = 0; y < img.height; y++) {
      const src = y * img.width * img.channels;
      sheet.data.set(img.data.subarray(src, src + img.width * img.channels), ((y0 + y) * w + x0) * img.channels);
    }
  }));
  return sheet;
}
