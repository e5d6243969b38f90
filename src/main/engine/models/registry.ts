/**
 * Where models live: the bundled default model in resources/models, and any
 * model folder the user names. DENOISE_RESOURCES overrides the resources
 * folder (the packaged app points it at its own resources).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors';
import { hasManifest } from './manifest';
import { DEFAULT_GREY_MODEL_NAME, DEFAULT_MODEL_NAME } from '../../../shared/vocabulary';

/** What each bundled model is for, as the Models view says it. */
export const BUNDLED_PURPOSE: Record<string, string> = {
  [DEFAULT_MODEL_NAME]: 'Colour photos from phones and cameras, and grey ones with camera or grain-like noise: sensor noise, JPEG and Gaussian noise; finds the noise level itself (small level estimators read the luma plane and the two chroma planes), cleans colour blotches along the brightness edges (a chroma denoiser guided by the luma plane), and reads from the noise which colour mosaic the camera sensor had, to show the photo to the model in the one it learned; runs 8-bit integer convolutions, about twice as fast as float',
  [DEFAULT_GREY_MODEL_NAME]: 'Grey (black-and-white) photos and scans with white noise, and any grey photo given a noise level; the default model sends those here (grey photos with camera or grain-like noise stay with it); a small level estimator reads their noise level',
};

function resourcesDir(): string {
  if (process.env.DENOISE_RESOURCES) return process.env.DENOISE_RESOURCES;
  // src/main/engine/models -> repository root -> resources
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../resources');
}

function bundledModelsDir(): string {
  return path.join(resourcesDir(), 'models');
}

export async function defaultModelDir(): Promise<string> {
  const dir = path.join(bundledModelsDir(), DEFAULT_MODEL_NAME);
  if (!(await hasManifest(dir))) throw new UserError(`no default model is bundled yet (looked in ${dir}); pass --model <dir> with a trained model`);
  return dir;
}

/** The bundled grey companion model, if there is one. */
export async function defaultGreyModelDir(): Promise<string | undefined> {
  const dir = path.join(bundledModelsDir(), DEFAULT_GREY_MODEL_NAME);
  return (await hasManifest(dir)) ? dir : undefined;
}
