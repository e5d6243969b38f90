/** `dataset`: download Fashion-MNIST, or summarise an image folder. */
import path from 'node:path';
import os from 'node:os';
import { downloadFashionMnist, loadFashionMnist } from '../../engine/data/fashion-mnist';
import { scanImageFolder } from '../../engine/data/image-folder';
import { UserError } from '../../engine/errors';
import { parse, str } from '../args';
import { Progress } from '../progress';

export const DATASET_USAGE = `usage: dataset fashion-mnist [--download] [--cache DIR] [--base-url URL]
       dataset <folder>`;

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'denoise-lab', 'fashion-mnist');
}

export async function datasetCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    download: { type: 'boolean' }, cache: { type: 'string' }, 'base-url': { type: 'string' },
  }, DATASET_USAGE);
  const name = positionals[0];
  if (!name) throw new UserError(DATASET_USAGE);
  if (name === 'fashion-mnist') {
    const cacheDir = str(values, 'cache') ?? defaultCacheDir();
    if (values.download) {
      const bar = new Progress();
      await downloadFashionMnist({
        cacheDir, baseUrl: str(values, 'base-url'),
        onProgress: (p) => {
          if (p.state === 'cached') bar.line(`${p.file}: already downloaded and verified`);
          else if (p.state === 'retrying') bar.line(`${p.file}: attempt ${p.attempt} failed, retrying`);
          else if (p.state === 'done') bar.line(`${p.file}: ${p.received} bytes, checksum OK`);
          else bar.update(p.received / p.total, `${p.file} ${(p.received / 1e6).toFixed(1)}/${(p.total / 1e6).toFixed(1)} MB`, 2000);
        },
      });
    }
    const ds = await loadFashionMnist(cacheDir);
    console.log(`Fashion-MNIST in ${cacheDir}: ${ds.train.count} train and ${ds.test.count} test images, ${ds.train.width}x${ds.train.height} grey`);
    const counts = new Array(ds.classes.length).fill(0);
    for (const l of ds.train.labels) counts[l]++;
    ds.classes.forEach((c, i) => console.log(`  ${i} ${c.padEnd(12)} ${counts[i]}`));
    return 0;
  }
  const files = await scanImageFolder(name);
  const bytes = files.reduce((a, f) => a + f.size, 0);
  console.log(`${name}: ${files.length} images, ${(bytes / 1e6).toFixed(1)} MB`);
  return 0;
}
