/**
 * Evaluation on a folder of clean images: each is made noisy (from a seeded
 * RNG), denoised, and scored with PSNR and SSIM against the clean original,
 * beside the noisy input's own scores. Two protocols:
 *   user   (default) 8-bit noisy inputs, clipped and rounded as a saved photo
 *          is, and no noise level given: the path a user's photo takes;
 *   paper  the papers' protocol for AWGN: unclipped float noise, and the true
 *          sigma given to noise-map models.
 */
import path from 'node:path';
import { scanImageFolder } from '../data/image-folder';
import { applyNoise, parseNoiseSpec, type NoiseSpec } from '../data/noise';
import { UserError } from '../errors';
import { makeImage } from '../image/float-image';
import { readImage } from '../image/io';
import type { DenoiseModel } from './denoise-image';
import { denoiseRouted } from './grey-route';
import type { PairMember } from './outputs';
import type { EnsemblePasses } from '../../../shared/ensemble';
import { psnr, ssim } from '../image/metrics';
import { Rng } from '../data/rng';

export interface EvalRow {
  file: string;
  width: number;
  height: number;
  /** Which of the pair denoised it, in how many self-ensemble passes. */
  model: PairMember;
  passes: EnsemblePasses;
  noisyPsnr: number;
  psnr: number;
  noisySsim: number;
  ssim: number;
  /** The level the model was told, or a blind model removed (0-255). */
  sigma?: number;
  seconds: number;
}

export interface EvalReport {
  noise: string;
  seed: number;
  rows: EvalRow[];
  mean: Omit<EvalRow, 'file' | 'width' | 'height' | 'model' | 'passes' | 'sigma'>;
}

export const EVAL_PROTOCOLS = ['user', 'paper'] as const;
export type EvalProtocol = (typeof EVAL_PROTOCOLS)[number];

/** A model and, optionally, its grey companion (the bundled pair; grey-route.ts picks for grey images). */
export type EvalModels = DenoiseModel & { grey?: DenoiseModel };

/** Float AWGN at one fixed level, unclipped: the papers' noisy input. */
function paperNoise(clean: Float32Array, spec: NoiseSpec, rng: Rng): { noisy: Float32Array; sigma: number } {
  if (spec.kind !== 'gaussian' || spec.sigma[0] !== spec.sigma[1]) throw new UserError('the paper protocol takes one fixed gaussian level, e.g. gaussian:25');
  const s = spec.sigma[0] / 255;
  return { noisy: Float32Array.from(clean, (v) => v + s * rng.normal()), sigma: s };
}

export async function evaluate(
  models: EvalModels, cleanDir: string, noise: string, seed: number,
  opts: { protocol?: EvalProtocol; ensemble?: number; onRow?: (row: EvalRow) => void } = {},
): Promise<EvalReport> {
  const spec = parseNoiseSpec(noise);
  const paper = opts.protocol === 'paper';
  const files = await scanImageFolder(cleanDir);
  if (files.length === 0) throw new UserError('no images found', cleanDir);
  const rng = new Rng(seed);
  const rows: EvalRow[] = [];
  for (const f of files) {
    const { image: clean } = await readImage(f.path, { autoOrient: true });
    const t0 = performance.now();
    const { noisy, sigma } = paper ? paperNoise(clean.data, spec, rng) : applyNoise(clean, spec, rng);
    const noisyImg = makeImage(clean.width, clean.height, clean.channels, noisy);
    const pair = { main: models, grey: models.grey };
    const given = paper ? sigma * 255 : undefined; // the true σ, on the paper protocol
    const r = await denoiseRouted(pair, noisyImg, { sigma: given, ensemble: opts.ensemble }); // a model with no noise map ignores σ
    const row: EvalRow = {
      file: path.relative(cleanDir, f.path), width: clean.width, height: clean.height, model: r.model, passes: r.passes,
      noisyPsnr: psnr(noisy, clean.data), psnr: psnr(r.image.data, clean.data),
      noisySsim: ssim(noisyImg, clean), ssim: ssim(r.image, clean), sigma: r.noise?.sigma, seconds: (performance.now() - t0) / 1000,
    };
    rows.push(row);
    opts.onRow?.(row);
  }
  const avg = (k: 'noisyPsnr' | 'psnr' | 'noisySsim' | 'ssim' | 'seconds') => rows.reduce((a, r) => a + r[k], 0) / rows.length;
  return {
    noise, seed, rows,
    mean: { noisyPsnr: avg('noisyPsnr'), psnr: avg('psnr'), noisySsim: avg('noisySsim'), ssim: avg('ssim'), seconds: avg('seconds') },
  };
}
