/**
 * Fits a denoiser's luma or grey level estimator's calibration (models/level-calibration.ts) on
 * training photos, and with --write keeps it in the estimator's manifest. Each photo gets white
 * noise at each level of a ladder (8-bit, as a saved photo has it). The level the estimator should
 * read (--target):
 *   true  (default) the level training tells the denoiser: the nominal level on a grey photo, the
 *         luma plane's RMS noise on a colour one (a plane model);
 *   best  that level times the factor this denoiser does best with at that level, on
 *         these photos (it is told each of BEST_FACTORS times the true level; the best is refined
 *         by a parabola): where it does better told a little more or less than the truth, it is.
 * Run it on photos no evaluation uses, e.g. the training parts from bench/holdout.ts:
 *
 *   tsx bench/calibrate-levels.ts --model resources/models/default --data runs/holdout/CBSD432-train [--files 60] [--write]
 *   tsx bench/calibrate-levels.ts --model resources/models/default-grey --data runs/holdout/Train400-train [--write]
 *
 * Prints one JSON line per level (mean reading before and after) and the calibration.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { scanImageFolder } from '../src/main/engine/data/image-folder';
import { applyNoise, parseNoiseSpec } from '../src/main/engine/data/noise';
import { Rng } from '../src/main/engine/data/rng';
import { makeImage } from '../src/main/engine/image/float-image';
import { readImage } from '../src/main/engine/image/io';
import { estimatorReading, parabolicMinimum } from '../src/main/engine/inference/noise-level';
import { denoiseImage, levelReader } from '../src/main/engine/inference/denoise-image';
import { psnr } from '../src/main/engine/image/metrics';
import { writeJsonAtomic } from '../src/main/engine/atomic-fs';
import { calibratedLevel, fitLevelCalibration } from '../src/main/engine/models/level-calibration';
import { LEVEL_ESTIMATOR_FOLDERS } from '../src/main/engine/models/level-code';
import { MANIFEST_FILE, readManifest } from '../src/main/engine/models/manifest';
import { openDenoiser } from '../src/main/engine/models/store';
import { initBackend } from '../src/main/engine/runtime/backend';
import { opponentPairs } from '../src/main/engine/training/validation';

const { values } = parseArgs({
  options: {
    model: { type: 'string' }, data: { type: 'string' }, files: { type: 'string', default: '60' }, levels: { type: 'string', default: '3,5,7,10,15,20,25,30,40,50' },
    target: { type: 'string', default: 'true' }, write: { type: 'boolean' },
  },
});
if (values.target !== 'best' && values.target !== 'true') throw new Error('--target must be best or true');
/** Multiples of the true level the denoiser is told, to find the one it does best with. */
const BEST_FACTORS = [0.8, 0.9, 1, 1.1, 1.25];
if (!values.model || !values.data) throw new Error('usage: tsx bench/calibrate-levels.ts --model DIR --data DIR [--files N] [--levels 3,5,...] [--write]');
await initBackend();
const model = await openDenoiser(values.model);
if (!model.level) throw new Error(`${values.model} has no ${LEVEL_ESTIMATOR_FOLDERS.luma}/ estimator`);
const read = levelReader(model.level.runner);
const files = (await scanImageFolder(values.data)).slice(0, Number(values.files));
const ladder = values.levels!.split(',').map(Number);
const groups = ladder.map(() => ({ read: [] as number[], level: [] as number[] }));
const psnrSums = ladder.map(() => BEST_FACTORS.map(() => 0));
const { level: _l, chromaLevel: _c, chroma: _g, ...planeModel } = model; // the denoiser alone, told each level
const rng = new Rng(0);
for (const f of files) {
  const { image } = await readImage(f.path, { autoOrient: true });
  for (const [j, sigma] of ladder.entries()) {
    const { noisy, sigma: nominal } = applyNoise(image, parseNoiseSpec(`gaussian:${sigma}`), rng);
    const photo = makeImage(image.width, image.height, image.channels, noisy);
    // A colour photo's level is read on its luma plane, clipped values looked for in the photo (as denoise-image.ts does).
    const plane = image.channels === 3 ? opponentPairs(image, noisy)[0] : { noisy: photo, sigma: nominal };
    groups[j].read.push(255 * (await estimatorReading(read, plane.noisy, Math.max(4, model.manifest.sizeMultiple), photo)));
    groups[j].level.push(255 * plane.sigma);
    if (values.target === 'best') {
      const clean = image.channels === 3 ? opponentPairs(image, noisy)[0].clean : image;
      for (const [i, f] of BEST_FACTORS.entries()) {
        const r = await denoiseImage(planeModel, plane.noisy, { sigma: Math.min(255, f * 255 * plane.sigma) });
        psnrSums[j][i] += psnr(r.image.data, clean.data);
      }
    }
  }
}
/** The factor of the true level each ladder level does best with (1 for --target true). */
const best = psnrSums.map((sums) => values.target === 'best' ? Math.exp(parabolicMinimum(BEST_FACTORS.map(Math.log), sums.map((v) => -v))) : 1);
const calibration = fitLevelCalibration(groups.map((g, j) => ({ read: g.read, level: g.level.map((v) => v * best[j]) })));
const geo = (v: number[]) => Math.exp(v.reduce((a, b) => a + Math.log(b), 0) / v.length);
for (const [j, sigma] of ladder.entries()) {
  const after = groups[j].read.map((r) => calibratedLevel(calibration, r));
  console.log(JSON.stringify({ sigma, level: +geo(groups[j].level).toFixed(3), bestFactor: +best[j].toFixed(3), read: +geo(groups[j].read).toFixed(3), calibrated: +geo(after).toFixed(3), images: files.length }));
}
console.log(JSON.stringify({ calibration }));
if (values.write) {
  const dir = path.join(values.model, LEVEL_ESTIMATOR_FOLDERS.luma);
  const manifest = await readManifest(dir);
  await writeJsonAtomic(path.join(dir, MANIFEST_FILE), { ...manifest, levelCalibration: calibration, updated: new Date().toISOString() });
  console.log(JSON.stringify({ wrote: path.join(dir, MANIFEST_FILE) }));
}
