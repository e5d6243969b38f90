/**
 * A training batch's samples from its clean patches: each patch made noisy by the run's noise spec,
 * then, for a plane model, one opponent plane of it (luma, or a chroma plane at half resolution with
 * its guide), with its true noise level and the level a noise-map model is told. Training (loop.ts)
 * and its validation (validation.ts) make their samples here.
 */
import { applyNoise, type NoiseSpec } from '../data/noise';
import type { Rng } from '../data/rng';
import { makeImage, type FloatImage } from '../image/float-image';
import { halve } from '../image/resample';
import { mse } from '../image/metrics';
import { chromaGuide, toOpponent } from '../inference/opponent';
import { UNKNOWN_NOISE_LEVEL, withGuide } from '../models/input';
import { sampleSide, usesPlanes, type PlaneMode } from './config';

/** What makes a batch's samples from its clean patches (`n` of `size` x `size`, `channels` each). */
export interface NoiseJob {
  batch: Float32Array;
  n: number;
  size: number;
  channels: 1 | 3;
  spec: NoiseSpec;
  /** The fraction of samples whose level a noise-map model is told is unknown. */
  blind: number;
  planes: PlaneMode;
  /** A level estimator's samples (always the luma plane, or a chroma plane without a guide). */
  estimator: boolean;
  /** A guided chroma denoiser's samples: each noisy pixel followed by its guide's. */
  guided: boolean;
}

export interface NoisySamples {
  clean: Float32Array;
  noisy: Float32Array;
  /** Each sample's true level. */
  levels: number[];
  /** The level each sample's noise map says (UNKNOWN_NOISE_LEVEL for the blind ones). */
  sigmas: number[];
}

/** A colour image and its noisy copy as three grey (clean, noisy, level) pairs of opponent planes. */
export function opponentPairs(clean: FloatImage, noisy: Float32Array): { clean: FloatImage; noisy: FloatImage; sigma: number }[] {
  const cp = toOpponent(clean);
  const np = toOpponent(makeImage(clean.width, clean.height, 3, noisy));
  return cp.map((c, k) => ({ clean: c, noisy: np[k], sigma: Math.sqrt(mse(np[k].data, c.data)) }));
}

/**
 * Chroma plane `k` (1 or 2) of a noisy colour image at half resolution, as the engine denoises it,
 * its true level, and, for a guided chroma denoiser (`guided`), its guide (opponent.ts, chromaGuide)
 * made with the clean luma plane at the same resolution (the engine makes it with the denoised one).
 */
export function halvedChroma(clean: FloatImage, noisy: Float32Array, k: 1 | 2, guided: boolean): { clean: FloatImage; noisy: FloatImage; sigma: number; guide?: FloatImage } {
  const pairs = opponentPairs(clean, noisy);
  const c = halve(pairs[k].clean);
  const n = halve(pairs[k].noisy);
  return { clean: c, noisy: n, sigma: Math.sqrt(mse(n.data, c.data)), ...(guided ? { guide: chromaGuide(halve(pairs[0].clean))(n) } : {}) };
}

/** Which opponent plane a plane model's sample is: luma half the time, each chroma plane a quarter; always luma for a luma-only run. */
export function pickPlane(mode: PlaneMode, rng: Rng): 0 | 1 | 2 {
  if (mode === 'luma') return 0;
  return rng.next() < 0.5 ? 0 : rng.next() < 0.5 ? 1 : 2;
}

/**
 * Which grey plane of a noisy colour patch a sample is: pickPlane's for a plane model; the luma
 * plane for a level estimator, which reads the luma plane's level in the engine; or, for a
 * chroma estimator or a guided chroma denoiser, one of the chroma planes at half resolution, as
 * the engine denoises them, with its guide (opponent.ts, chromaGuide) made with the clean luma plane.
 */
export function planeSample(image: FloatImage, noisy: Float32Array, mode: PlaneMode, estimator: boolean, rng: Rng): { clean: FloatImage; noisy: FloatImage; sigma: number; guide?: FloatImage } {
  if (mode === 'chroma') return halvedChroma(image, noisy, rng.next() < 0.5 ? 1 : 2, !estimator);
  return opponentPairs(image, noisy)[estimator ? 0 : pickPlane(mode, rng)];
}

/**
 * Adds noise to each `size` x `size` image of a clean batch; returns the clean and noisy
 * samples (planeSample's, with planes; for a `guided` model, each noisy pixel followed by its
 * guide's), their true levels, and the per-sample levels a noise-map model is told
 * (UNKNOWN_NOISE_LEVEL for a `blind` fraction).
 */
export function noisyBatch({ batch, n, size, channels: c, spec, blind, planes, estimator, guided }: NoiseJob, rng: Rng): NoisySamples {
  const per = batch.length / n;
  const grey = usesPlanes({ planes });
  const side = sampleSide({ planes }, size);
  const out = grey ? side * side : per;
  const clean = grey ? new Float32Array(n * out) : batch;
  const noisy = new Float32Array(n * out * (guided ? 2 : 1));
  const levels: number[] = [];
  const sigmas: number[] = [];
  for (let i = 0; i < n; i++) {
    const image = makeImage(size, size, c, batch.subarray(i * per, (i + 1) * per));
    const r = applyNoise(image, spec, rng);
    let sigma = r.sigma;
    if (grey) {
      const pick = planeSample(image, r.noisy, planes, estimator, rng);
      clean.set(pick.clean.data, i * out);
      if (pick.guide) noisy.set(withGuide(pick.noisy.data, 1, pick.guide.data), i * out * 2);
      else noisy.set(pick.noisy.data, i * out);
      sigma = pick.sigma;
    } else noisy.set(r.noisy, i * out);
    levels.push(sigma);
    // No draw when blind is 0, so runs from before blind training resume bit-exactly.
    sigmas.push(blind > 0 && rng.next() < blind ? UNKNOWN_NOISE_LEVEL : sigma);
  }
  return { clean, noisy, levels, sigmas };
}
