/**
 * A noisy-only copy of a folder of clean photos, for self-supervised training
 * and its comparisons: each photo once with the given noise, saved as an 8-bit
 * PNG of the same name (seeded, so the copy is reproducible). The trainer then
 * sees only these files, never the clean ones.
 *
 *   tsx bench/noisy-copy.ts --data ../shared/data/denoise/train/Train400 --noise gaussian:25 --out runs/ss/Train400@gaussian_25 [--seed 0]
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { scanImageFolder } from '../src/main/engine/data/image-folder';
import { applyNoise, parseNoiseSpec } from '../src/main/engine/data/noise';
import { makeImage } from '../src/main/engine/image/float-image';
import { encodeImage, readImage } from '../src/main/engine/image/io';
import { Rng } from '../src/main/engine/data/rng';

const { values } = parseArgs({ options: { data: { type: 'string' }, noise: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } } });
if (!values.data || !values.noise || !values.out) throw new Error('usage: tsx bench/noisy-copy.ts --data DIR --noise SPEC --out DIR [--seed S]');
const spec = parseNoiseSpec(values.noise);
const rng = new Rng(Number(values.seed ?? 0));
await fs.mkdir(values.out, { recursive: true });
const files = await scanImageFolder(values.data);
for (const f of files) {
  const { image } = await readImage(f.path, { autoOrient: true });
  const { noisy } = applyNoise(image, spec, rng);
  await fs.writeFile(path.join(values.out, `${path.parse(f.path).name}.png`), await encodeImage(makeImage(image.width, image.height, image.channels, noisy), { format: 'png' }));
}
console.log(JSON.stringify({ noisy: path.resolve(values.out), from: path.resolve(values.data), noise: values.noise, images: files.length }));
