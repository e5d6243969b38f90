/**
 * Held-out evaluation sets that no bundled model trains or validates on, and
 * their noisy inputs for tools outside the project (bench/classical-baseline.py).
 *
 *   tsx bench/holdout.ts --data ../shared/data/denoise --out runs/holdout [--noise camera:0.004,90 ...]
 *
 * Writes `<out>/CBSD432-val/`: links to the CBSD432 files in the training
 * folder's validation split (seed 0, fraction 0.1: the split `train` uses)
 * minus the first 8, which training shows every epoch; and `<out>/CBSD432-train/`:
 * links to the CBSD432 files of that split's training part, for training a
 * colour model on colour photos only without touching the held-out ones (or fitting a level
 * estimator's calibration, bench/calibrate-levels.ts). The same for the grey photos:
 * `<out>/Train400-val/` and `<out>/Train400-train/`. With --noise, also
 * `<out>/<set>@<spec>/` for both held-out sets and for CBSD68 and BSD68: the 8-bit noisy inputs,
 * drawn exactly as `eval --seed 0` draws them, as PNG files of the same names.
 * The links are not copies: the data stays in ../shared.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { scanImageFolder, splitFiles } from '../src/main/engine/data/image-folder';
import { applyNoise, parseNoiseSpec } from '../src/main/engine/data/noise';
import { makeImage } from '../src/main/engine/image/float-image';
import { encodeImage, readImage } from '../src/main/engine/image/io';
import { Rng } from '../src/main/engine/data/rng';
import { TRAIN_DEFAULTS } from '../src/main/engine/training/config';

const { values } = parseArgs({ options: { data: { type: 'string' }, out: { type: 'string' }, noise: { type: 'string', multiple: true } } });
const data = path.resolve(values.data ?? '../shared/data/denoise');
const out = path.resolve(values.out ?? 'runs/holdout');

const files = (await scanImageFolder(path.join(data, 'train'))).map((f) => f.path);
const { val } = splitFiles(files, TRAIN_DEFAULTS.valFraction, TRAIN_DEFAULTS.seed);
/** Each kind's photos in the training folder, and the standard test set of the same kind (colour, grey). */
const SETS = [{ set: 'CBSD432', test: 'CBSD68' }, { set: 'Train400', test: 'BSD68' }] as const;
for (const { set } of SETS) {
  const inSet = (f: string) => f.includes(`${path.sep}${set}${path.sep}`);
  const held = val.slice(TRAIN_DEFAULTS.valImages).filter(inSet);
  const trainable = files.filter((f) => inSet(f) && !val.includes(f));
  for (const [dir, list] of [[path.join(out, `${set}-val`), held], [path.join(out, `${set}-train`), trainable]] as const) {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    for (const f of list) await fs.symlink(f, path.join(dir, path.basename(f)));
    console.log(JSON.stringify({ set: dir, images: list.length }));
  }
}
const noisySets = SETS.flatMap(({ set, test }) => [[`${set}-val`, path.join(out, `${set}-val`)], [test, path.join(data, 'test', test)]] as const);

for (const spec of values.noise ?? []) {
  const noise = parseNoiseSpec(spec);
  for (const [name, dir] of noisySets) {
    const noisyDir = path.join(out, `${name}@${spec.replace(/[^\w.-]+/g, '_')}`);
    await fs.mkdir(noisyDir, { recursive: true });
    const rng = new Rng(0);
    for (const f of await scanImageFolder(dir)) {
      const { image } = await readImage(f.path, { autoOrient: true });
      const { noisy } = applyNoise(image, noise, rng);
      const file = path.join(noisyDir, `${path.parse(f.path).name}.png`);
      await fs.writeFile(file, await encodeImage(makeImage(image.width, image.height, image.channels, noisy), { format: 'png' }));
    }
    console.log(JSON.stringify({ noisy: noisyDir, clean: dir, noise: spec }));
  }
}
