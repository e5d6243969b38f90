/**
 * A model folder's manifest (denoiser.json): what the model is, how it was
 * trained and how well it scores. Plain JSON: reading it loads no TF.js, so
 * the app's services can list models without the ML runtime.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors';
import type { ArchOptions } from './catalog';
import type { CfaPattern } from '../image/mosaic';

export const MANIFEST_FILE = 'denoiser.json';
export const MANIFEST_FORMAT = 'denoise-lab/denoiser';

/** Per conv layer name: the scale of its uint8 input in 8-bit integer inference (onnx/int8.ts), the calibrated top of its range / 255. */
export type ActivationScales = Record<string, number>;

export interface DenoiserManifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: 1;
  name: string;
  arch: { name: string; options: ArchOptions };
  channels: 1 | 3;
  noiseMap: boolean;
  /** Noise-map models trained to take UNKNOWN_NOISE_LEVEL: they estimate the noise themselves when no level is given. */
  blind?: boolean;
  sizeMultiple: number;
  /** The noise spec the model was trained on. */
  noise: string;
  /** Default strength: sigma (0-255) for noise-map models. */
  defaultSigma?: number;
  params: number;
  trainableParams: number;
  flopsPerPixel: number;
  training?: Record<string, unknown>;
  /**
   * Trained for 8-bit integer inference (train --int8): the uint8 scale of each quantized conv's
   * input (onnx/int8.ts). Inference then runs those convs in integers, unless DENOISE_INT8=0.
   */
  int8?: ActivationScales;
  /**
   * The mosaic pattern the model learned camera photos in (train: TrainConfig.mosaic): a photo
   * whose own mosaic shows is shifted into it before it is denoised (image/mosaic.ts).
   */
  mosaic?: CfaPattern;
  metrics?: Record<string, unknown>;
  created: string;
  updated: string;
  engine: { version: string; tfjs: string; backend: string };
}

/** Whether `dir` holds a manifest: a model folder (or a level estimator's), without reading it. */
export function hasManifest(dir: string): Promise<boolean> {
  return fs.access(path.join(dir, MANIFEST_FILE)).then(() => true, () => false);
}

export async function readManifest(dir: string): Promise<DenoiserManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let manifest: DenoiserManifest;
  try {
    manifest = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `no ${MANIFEST_FILE}; is this a Denoise Lab model folder?` : `unreadable manifest (${(err as Error).message})`, dir);
  }
  if (manifest.format !== MANIFEST_FORMAT) throw new UserError(`${MANIFEST_FILE} is not a Denoise Lab manifest`, dir);
  return manifest;
}

