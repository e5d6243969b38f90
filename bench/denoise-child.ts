/**
 * Child process for the 12 MP benchmark, so its peak RSS is its own: writes a
 * generated colour photo, denoises it file to file with the default model (or
 * an untrained model of the default architecture when none is bundled yet)
 * as the app does, with no noise level given, and prints seconds and peak RSS as JSON.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../src/main/engine/runtime/backend';
import { denoiseFiles } from '../src/main/engine/inference/denoise-files';
import { getArchitecture, modelStats } from '../src/main/engine/models/architectures';
import { defaultModelDir } from '../src/main/engine/models/registry';
import { openDenoiser, type OpenModel } from '../src/main/engine/models/store';
import { MANIFEST_FORMAT, type DenoiserManifest } from '../src/main/engine/models/manifest';
import { createRunner } from '../src/main/engine/runtime/runner';

const [dir, w, h, modelArg] = process.argv.slice(2);
const width = Number(w);
const height = Number(h);
const backend = await initBackend();
const input = path.join(dir, 'photo.jpg');
const px = Buffer.alloc(width * height * 3);
for (let i = 0; i < px.length; i++) px[i] = (i * 2654435761) % 251;
await sharp(px, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toFile(input);

// Timed from opening the model (and its level estimator, if it has one), as a user's `denoise` run is.
const t0 = performance.now();
let loaded: OpenModel;
let label: string;
try {
  const modelDir = modelArg || (await defaultModelDir());
  loaded = await openDenoiser(modelDir);
  label = modelDir;
} catch {
  const arch = getArchitecture('ffdnet');
  const model = arch.build({ channels: 3, depth: 10, width: 48 });
  const manifest: DenoiserManifest = {
    format: MANIFEST_FORMAT, formatVersion: 1, name: 'untrained', arch: { name: 'ffdnet', options: { channels: 3, depth: 10, width: 48 } },
    channels: 3, noiseMap: true, sizeMultiple: 2, noise: 'gaussian:0-55', ...modelStats(model), created: '', updated: '',
    engine: { version: '', tfjs: '', backend: backend.name },
  };
  loaded = { runner: await createRunner(model), manifest };
  label = 'untrained ffdnet depth 10 width 48 (no default model bundled)';
}
const { runner } = loaded;
// The user's path: no level given (a blind model finds it; others are told the wavelet estimate).
const [r] = await denoiseFiles(loaded, [input], { outDir: path.join(dir, 'out') });
const seconds = (performance.now() - t0) / 1000;
if (!r.ok) throw new Error(r.error);
await fs.rm(input);
console.log(JSON.stringify({ seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, backend: runner.kind === 'onnxruntime' ? 'onnxruntime' : backend.name, model: label }));
