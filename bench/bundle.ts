/**
 * Bundles a trained model as one of the app's models: copies its files and its
 * companion models' (level estimators, chroma denoiser) into resources/models/<name>
 * (replacing what was there, by renaming a complete copy into place), names it, and records its standard test-set scores from
 * bench/model-report.ts output (AWGN rows, user path: rows with a pass count asked for are labelled xN) in the manifest, where
 * the Models view shows them. --mosaic names the mosaic pattern the model serves camera photos best in, when
 * measured (docs/models.md): the engine shifts photos into it (manifest `mosaic`); `none` removes it.
 *
 *   tsx bench/bundle.ts --from runs/planes-s1 --name default --report runs/eval-new-awgn.jsonl [--mosaic rggb]
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { hasManifest, MANIFEST_FILE, readManifest } from '../src/main/engine/models/manifest';
import { COMPANION_FOLDERS } from '../src/main/engine/models/companions';
import { CFA_PATTERNS, type CfaPattern } from '../src/main/engine/image/mosaic';

const { values } = parseArgs({ options: { from: { type: 'string' }, name: { type: 'string' }, report: { type: 'string', multiple: true }, mosaic: { type: 'string' } } });
if (!values.from || !values.name) throw new Error('usage: bundle.ts --from <model dir> --name <bundled name> [--report model-report.jsonl ...] [--mosaic rggb|grbg|gbrg|bggr|none]');
if (values.mosaic !== undefined && values.mosaic !== 'none' && !(values.mosaic in CFA_PATTERNS)) throw new Error(`--mosaic must be one of ${Object.keys(CFA_PATTERNS).join(', ')} or none`);
const { mosaic: trained, ...manifest } = await readManifest(values.from);
const mosaic = values.mosaic === undefined ? trained : values.mosaic === 'none' ? undefined : (values.mosaic as CfaPattern);
const testSets: Record<string, Record<string, [number, number]> | string> = {
  note: 'mean PSNR dB / SSIM on the user path: 8-bit AWGN input made by `cli eval --seed 0`, no sigma given (the model finds it), self-ensemble passes by image size as denoise gives them (8 for 481x321, 4 for 512x512); "xN": N passes asked for',
};
for (const file of values.report ?? []) {
  for (const line of (await fs.readFile(file, 'utf8')).split('\n').filter((l) => l.startsWith('{'))) {
    const r = JSON.parse(line) as { set: string; noise: string; protocol: string; ensemble: number | 'auto'; psnr: number; ssim: number };
    const sigma = /^gaussian:(\d+)$/.exec(r.noise)?.[1];
    if (!sigma || r.protocol !== 'user') continue;
    const key = `${path.basename(r.set)}${r.ensemble === 'auto' ? '' : ` x${r.ensemble}`}`; // the user path unlabelled
    const bySigma = (testSets[key] ??= {}) as Record<string, [number, number]>;
    bySigma[sigma] = [Number(r.psnr.toFixed(2)), Number(r.ssim.toFixed(3))];
  }
}
const root = path.resolve('resources/models');
const dest = path.join(root, values.name);
const temp = path.join(root, `.${values.name}.tmp-${process.pid}`);
await fs.rm(temp, { recursive: true, force: true });
await fs.mkdir(temp, { recursive: true });
/** A model's own files (model.json, weights, and a companion's manifest), from `from` into `to`. */
async function copyModelFiles(from: string, to: string, withManifest: boolean) {
  await fs.mkdir(to, { recursive: true });
  for (const f of await fs.readdir(from)) {
    if (f === 'model.json' || /^weights-[0-9a-f]+\.bin$/.test(f) || (withManifest && f === MANIFEST_FILE)) await fs.copyFile(path.join(from, f), path.join(to, f));
  }
}
await copyModelFiles(values.from, temp, false);
for (const folder of COMPANION_FOLDERS) {
  if (await hasManifest(path.join(values.from, folder))) await copyModelFiles(path.join(values.from, folder), path.join(temp, folder), true);
}
const metrics = { ...manifest.metrics, ...(Object.keys(testSets).length > 1 ? { testSets } : {}) };
await fs.writeFile(path.join(temp, MANIFEST_FILE), `${JSON.stringify({ ...manifest, name: values.name, ...(mosaic ? { mosaic } : {}), metrics }, null, 2)}\n`);
await fs.rm(dest, { recursive: true, force: true });
await fs.rename(temp, dest);
console.log(JSON.stringify({ bundled: dest, from: values.from, testSets }));
