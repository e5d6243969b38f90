/**
 * Saved models on disk: TF.js layers format (model.json + a weights file) and
 * a denoiser.json manifest. Every file is written atomically; the weights file
 * is named after its content hash, so model.json always points at a complete
 * weights file even if the process dies between the two writes.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic, explainFsError } from '../atomic-fs';
import { UserError } from '../errors';
import { createRunner, type ModelRunner } from '../runtime/runner';
import type { DenoiseModel, GuidedDenoiser } from '../inference/denoise-image';
import { ARCHITECTURE_FACTS, type ArchitectureFacts, type ArchOptions } from './catalog';
import { CHROMA_DENOISER_FOLDER, COMPANION_FOLDERS } from './companions';
import { ALL_LEVEL_ESTIMATOR_FOLDERS, LEVEL_ESTIMATOR_FOLDERS } from './level-code';
import { hasManifest, MANIFEST_FILE, readManifest, type DenoiserManifest } from './manifest';
import { defaultGreyModelDir, defaultModelDir } from './registry';

async function saveArtifacts(dir: string, model: tf.LayersModel): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!));
      const hash = createHash('sha256').update(weights).digest('hex').slice(0, 16);
      const weightsFile = `weights-${hash}.bin`;
      await writeFileAtomic(path.join(dir, weightsFile), weights);
      const modelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs }],
      };
      await writeJsonAtomic(path.join(dir, 'model.json'), modelJson);
      // Only now is the old weights file unreferenced.
      for (const f of await fs.readdir(dir)) {
        if (/^weights-[0-9a-f]+\.bin$/.test(f) && f !== weightsFile) await fs.rm(path.join(dir, f), { force: true });
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** Saves the model files, then the manifest (last, so a manifest always has its model). */
export async function saveModel(dir: string, model: tf.LayersModel, manifest: DenoiserManifest): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    throw explainFsError(err, dir);
  }
  await saveArtifacts(dir, model);
  await writeJsonAtomic(path.join(dir, MANIFEST_FILE), manifest);
}

/** Saves only the layers-format files (used inside checkpoints). */
export async function saveModelFiles(dir: string, model: tf.LayersModel): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await saveArtifacts(dir, model);
}

export async function loadModelFiles(dir: string): Promise<tf.LayersModel> {
  const modelPath = path.join(dir, 'model.json');
  let json: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(await fs.readFile(modelPath, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? 'no model.json here; is this a model folder?' : `unreadable model.json (${(err as Error).message})`, dir);
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => fs.readFile(path.join(dir, p))));
  const weightData = tf.io.CompositeArrayBuffer.join(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

export async function loadDenoiser(dir: string): Promise<{ model: tf.LayersModel; manifest: DenoiserManifest }> {
  const manifest = await readManifest(dir);
  return { model: await loadModelFiles(dir), manifest };
}

/** Whether a manifest is a guided chroma denoiser's (companions.ts). */
const isGuided = (manifest: DenoiserManifest) => (manifest.arch.options as ArchOptions).guide === true;

/** A saved denoiser ready for inference, on the fastest runner available, with the level estimators and chroma denoiser it has. */
export async function openDenoiser(dir: string): Promise<OpenModel> {
  const { model, manifest } = await loadDenoiser(dir);
  const task = (ARCHITECTURE_FACTS as Record<string, ArchitectureFacts | undefined>)[manifest.arch.name]?.task;
  if (task === 'noise-level') {
    model.dispose();
    const folders = ALL_LEVEL_ESTIMATOR_FOLDERS.map((f) => `"${f}"`).join(' or ');
    throw new UserError(`this is a noise-level estimator (${manifest.arch.name}), not a denoiser; put it in a denoiser's ${folders} folder to use it`, dir);
  }
  if (isGuided(manifest)) {
    model.dispose();
    throw new UserError(`this is a chroma denoiser guided by the luma plane; put it in a grey plane model's "${CHROMA_DENOISER_FOLDER}" folder to use it`, dir);
  }
  const levelDir = path.join(dir, LEVEL_ESTIMATOR_FOLDERS.luma);
  const chromaLevelDir = path.join(dir, LEVEL_ESTIMATOR_FOLDERS.chroma);
  const chromaDir = path.join(dir, CHROMA_DENOISER_FOLDER);
  return {
    runner: await createRunner(model, { int8: manifest.int8 }), manifest,
    ...((await hasManifest(levelDir)) ? { level: await openLevelEstimator(levelDir) } : {}),
    ...((await hasManifest(chromaLevelDir)) ? { chromaLevel: await openLevelEstimator(chromaLevelDir) } : {}),
    ...((await hasManifest(chromaDir)) ? { chroma: await openChromaDenoiser(chromaDir, manifest) } : {}),
  };
}

/**
 * Copies the companion models (companions.ts) of the model in `from`, if it has any, into the
 * model folder `to` (a run fine-tuned from it: an estimator reads a photo's noise, whichever
 * denoiser is then told it, and the chroma denoiser learned from clean luma planes, whichever
 * model denoises the luma). Each is copied beside, then renamed into place, so a folder never
 * holds half a model; one already there is kept. Returns the folders copied.
 */
export async function carryCompanions(from: string, to: string): Promise<string[]> {
  const carried: string[] = [];
  for (const folder of COMPANION_FOLDERS) {
    const source = path.join(from, folder);
    const target = path.join(to, folder);
    if (!(await hasManifest(source)) || (await hasManifest(target))) continue;
    const staging = `${target}.copying-${process.pid}`;
    try {
      await fs.rm(staging, { recursive: true, force: true });
      await fs.cp(source, staging, { recursive: true });
      await fs.rm(target, { recursive: true, force: true });
      await fs.rename(staging, target);
    } catch (err) {
      await fs.rm(staging, { recursive: true, force: true });
      throw explainFsError(err, target);
    }
    carried.push(folder);
  }
  return carried;
}

/** A level estimator's runner; anything but a levelnet model is refused. */
async function openLevelEstimator(dir: string): Promise<ModelRunner> {
  const { model, manifest } = await loadDenoiser(dir);
  if (manifest.arch.name !== ARCHITECTURE_FACTS.levelnet.name || manifest.channels !== 1) {
    model.dispose();
    throw new UserError(`a level estimator must be a grey ${ARCHITECTURE_FACTS.levelnet.name} model, not a ${manifest.channels}-channel ${manifest.arch.name} one`, dir);
  }
  return createRunner(model);
}

/** A chroma denoiser's runner and manifest: a grey guided ffdnet, for a grey plane model (`owner`) only. */
async function openChromaDenoiser(dir: string, owner: DenoiserManifest): Promise<GuidedDenoiser> {
  const { model, manifest } = await loadDenoiser(dir);
  if (!isGuided(manifest) || manifest.channels !== 1 || !manifest.noiseMap) {
    model.dispose();
    throw new UserError(`a chroma denoiser must be a grey ffdnet model with a guide input (train --planes chroma), not a ${manifest.channels}-channel ${manifest.arch.name} one`, dir);
  }
  if (owner.channels !== 1) {
    model.dispose();
    throw new UserError('only a grey plane model denoises colour photos plane by plane; a colour model has no use for a chroma denoiser', dir);
  }
  return { runner: await createRunner(model, { int8: manifest.int8 }), manifest };
}

/** A model ready for inference. */
export type OpenModel = DenoiseModel;

/** The model a user named, or else the bundled default with its grey companion (grey photos go there). */
export async function openModels(modelDir?: string): Promise<OpenModel & { grey?: OpenModel }> {
  const main = await openDenoiser(modelDir ?? (await defaultModelDir()));
  const greyDir = modelDir ? undefined : await defaultGreyModelDir();
  return { ...main, grey: greyDir ? await openDenoiser(greyDir) : undefined };
}
