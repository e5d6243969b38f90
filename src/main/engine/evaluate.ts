/**
 * Evaluation on a folder of clean images: each is made noisy (8-bit, clipped
 * and rounded, from a seeded RNG), denoised, and scored with PSNR and SSIM
 * against the clean original, beside the noisy input's own scores.
 */
import path from 'node:path';
import { scanImageFolder } from './data/image-folder';
import { applyNoise, parseNoiseSpec } from './data/noise';
import { UserError } from './errors';
import { makeImage } from './image';
import { readImage } from './image-io';
import { denoiseImage } from './infer';
import { psnr, ssim } from './metrics';
import type { DenoiserManifest } from './models/store';
import type { ModelRunner } from './runner';
import { Rng } from './rng';

export interface EvalRow {
  file: string;
  width: number;
  height: number;
  noisyPsnr: number;
  psnr: number;
  noisySsim: number;
  ssim: number;
  sigma?: number;
  seconds: number;
}

export interface EvalReport {
  noise: string;
  seed: number;
  rows: EvalRow[];
  mean: Omit<EvalRow, 'file' | 'width' | 'height' | 'sigma'>;
}

export async function evaluate(
  runner: ModelRunner, manifest: DenoiserManifest, cleanDir: string, noise: string, seed: number,
  opts: { estimateSigma?: boolean; ensemble?: number; onRow?: (row: EvalRow) => void } = {},
): Promise<EvalReport> {
  const spec = parseNoiseSpec(noise);
  const files = await scanImageFolder(cleanDir);
  if (files.length === 0) throw new UserError('no images found', cleanDir);
  const rng = new Rng(seed);
  const rows: EvalRow[] = [];
  for (const f of files) {
    const { image: clean } = await readImage(f.path, { autoOrient: true });
    const t0 = performance.now();
    const { noisy, sigma } = applyNoise(clean.data, spec, rng);
    const noisyImg = makeImage(clean.width, clean.height, clean.channels, noisy);
    const nominal = spec.kind === 'gaussian' && spec.sigma[0] === spec.sigma[1] ? spec.sigma[0] : sigma * 255;
    const r = await denoiseImage(runner, manifest, noisyImg, { sigma: manifest.noiseMap && !opts.estimateSigma ? nominal : undefined, ensemble: opts.ensemble });
    const row: EvalRow = {
      file: path.relative(cleanDir, f.path), width: clean.width, height: clean.height,
      noisyPsnr: psnr(noisy, clean.data), psnr: psnr(r.image.data, clean.data),
      noisySsim: ssim(noisyImg, clean), ssim: ssim(r.image, clean), sigma: r.sigma, seconds: (performance.now() - t0) / 1000,
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
