/**
 * Figures for docs/models.md: evaluates models on the standard test sets at
 * sigma 15/25/50 (8-bit noisy input, seed 0, the same path as `cli eval`)
 * and writes before/after crops of the real noisy photos in RNI6.
 * Usage: tsx bench/model-report.ts --data ../shared/data/denoise --model DIR [--model DIR] [--ensemble 1,8] --crops docs/images
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { initBackend } from '../src/main/engine/backend';
import { denoiseFiles } from '../src/main/engine/denoise-files';
import { evaluate } from '../src/main/engine/evaluate';
import { openDenoiser } from '../src/main/engine/models/store';

const { values } = parseArgs({
  options: { data: { type: 'string' }, model: { type: 'string', multiple: true }, crops: { type: 'string' }, sets: { type: 'string', default: 'BSD68,Set12' }, sigmas: { type: 'string', default: '15,25,50' }, ensemble: { type: 'string', default: '1' } },
});
const data = values.data ?? '../shared/data/denoise';
await initBackend();
for (const dir of values.model ?? []) {
  const { runner, manifest } = await openDenoiser(dir);
  for (const set of values.sets!.split(',')) {
    for (const sigma of values.sigmas!.split(',').map(Number)) for (const ensemble of values.ensemble!.split(',').map(Number)) {
      const r = await evaluate(runner, manifest, path.join(data, 'test', set), `gaussian:${sigma}`, 0, { ensemble });
      console.log(JSON.stringify({ model: dir, set, sigma, ensemble, psnr: r.mean.psnr, ssim: r.mean.ssim, noisyPsnr: r.mean.noisyPsnr, secondsPerImage: r.mean.seconds, images: r.rows.length, inference: runner.kind }));
    }
  }
}
if (values.crops && values.model?.length) {
  const out = values.crops;
  await fs.mkdir(out, { recursive: true });
  const { runner, manifest } = await openDenoiser(values.model[0]);
  const grey = values.model[1] ? await openDenoiser(values.model[1]) : undefined;
  const tmp = await fs.mkdtemp(path.join(out, '.tmp-'));
  const results = await denoiseFiles(runner, manifest, [path.join(data, 'real', 'RNI6')], { outDir: tmp, greyModel: grey });
  for (const r of results) {
    if (!r.ok) continue;
    const size = 200;
    const meta = await sharp(r.input).metadata();
    const left = Math.max(0, Math.floor((meta.width! - size) / 2));
    const top = Math.max(0, Math.floor((meta.height! - size) / 2));
    const region = { left, top, width: Math.min(size, meta.width!), height: Math.min(size, meta.height!) };
    const [a, b] = await Promise.all([r.input, r.output].map((f) => sharp(f).extract(region).resize(region.width * 2, region.height * 2, { kernel: 'nearest' }).toColourspace('srgb').png().toBuffer()));
    const name = path.basename(r.input, path.extname(r.input));
    await sharp({ create: { width: region.width * 4 + 8, height: region.height * 2, channels: 3, background: '#ffffff' } })
      .composite([{ input: a, left: 0, top: 0 }, { input: b, left: region.width * 2 + 8, top: 0 }]).png().toFile(path.join(out, `rni6-${name}.png`));
    console.log(JSON.stringify({ crop: `rni6-${name}.png`, sigmaEstimated: r.sigma }));
  }
  await fs.rm(tmp, { recursive: true, force: true });
}
