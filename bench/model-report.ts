/**
 * Figures for docs/models.md: evaluates models on the standard test sets with
 * each noise spec (default AWGN sigma 15/25/50; seed 0, the same path as `cli
 * eval`: the user protocol unless --protocol paper) and writes before/after
 * crops of the real noisy photos in RNI6. `--model default` (the default) is
 * the bundled pair: colour images to `default`, grey ones to the member grey-route.ts picks.
 * A set is a name under <data>/test, or a folder path (e.g. runs/holdout/CBSD432-val from bench/holdout.ts).
 * Usage: tsx bench/model-report.ts --data ../shared/data/denoise [--model DIR|default ...] [--sets BSD68,CBSD68]
 *        [--noise gaussian:25 --noise camera:0.004,90 ...] [--protocol user|paper] [--ensemble auto,1,8] [--crops docs/images]
 * --ensemble: the self-ensemble passes to evaluate at; auto (the default) lets each image's size decide, as users get.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { initBackend } from '../src/main/engine/runtime/backend';
import { denoiseFiles } from '../src/main/engine/inference/denoise-files';
import { evaluate, EVAL_PROTOCOLS, type EvalProtocol } from '../src/main/engine/inference/evaluate';
import { openModels } from '../src/main/engine/models/store';

const { values } = parseArgs({
  options: {
    data: { type: 'string' }, model: { type: 'string', multiple: true }, crops: { type: 'string' }, sets: { type: 'string', default: 'BSD68,Set12,CBSD68' },
    noise: { type: 'string', multiple: true }, protocol: { type: 'string', default: 'user' }, ensemble: { type: 'string', default: 'auto' },
  },
});
const data = values.data ?? '../shared/data/denoise';
const protocol = values.protocol as EvalProtocol;
if (!EVAL_PROTOCOLS.includes(protocol)) throw new Error(`--protocol must be one of ${EVAL_PROTOCOLS.join(', ')}`);
const open = (dir: string) => openModels(dir === 'default' ? undefined : dir);
const models = values.model ?? ['default'];
await initBackend();
for (const dir of models) {
  const pair = await open(dir);
  for (const set of values.sets!.split(',').filter(Boolean)) {
    for (const noise of values.noise ?? ['gaussian:15', 'gaussian:25', 'gaussian:50']) for (const ensemble of values.ensemble!.split(',')) {
      const r = await evaluate(pair, set.includes('/') ? set : path.join(data, 'test', set), noise, 0, { ensemble: ensemble === 'auto' ? undefined : Number(ensemble), protocol });
      const passes = [...new Set(r.rows.map((row) => row.passes))]; // what each image got
      const members = pair.grey ? { throughGrey: r.rows.filter((row) => row.model === 'grey').length } : {}; // the rest went through the main model
      console.log(JSON.stringify({ model: dir, set, noise, protocol, ensemble, passes, psnr: r.mean.psnr, ssim: r.mean.ssim, noisyPsnr: r.mean.noisyPsnr, secondsPerImage: r.mean.seconds, images: r.rows.length, ...members, inference: pair.runner.kind }));
    }
  }
}
if (values.crops) {
  const out = values.crops;
  await fs.mkdir(out, { recursive: true });
  const { grey, ...model } = await open(models[0]);
  const tmp = await fs.mkdtemp(path.join(out, '.tmp-'));
  const results = await denoiseFiles(model, [path.join(data, 'real', 'RNI6')], { outDir: tmp, greyModel: grey });
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
    console.log(JSON.stringify({ crop: `rni6-${name}.png`, model: r.model, noise: r.noise }));
  }
  await fs.rm(tmp, { recursive: true, force: true });
}
