/**
 * Fashion-MNIST: the canonical files, their checksums, the class names, and
 * loading the cached IDX files into memory (28x28 grey, 60,000 + 10,000).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors';
import { downloadAll, type DownloadOptions, type RemoteFile } from './download';
import { parseIdx } from './idx';

const FASHION_MNIST_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

export const FASHION_MNIST_FILES: RemoteFile[] = [
  { name: 'train-images-idx3-ubyte.gz', size: 26421880, md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
  { name: 'train-labels-idx1-ubyte.gz', size: 29515, md5: '25c81989df183df01b3e8a0aad5dffbe' },
  { name: 't10k-images-idx3-ubyte.gz', size: 4422102, md5: 'bef4ecab320f06d8554ea6380940ec79' },
  { name: 't10k-labels-idx1-ubyte.gz', size: 5148, md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
];

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

export interface LabelledImages {
  count: number;
  width: number;
  height: number;
  /** count * height * width bytes, 0-255. */
  pixels: Uint8Array;
  labels: Uint8Array;
}

export interface FashionMnist {
  train: LabelledImages;
  test: LabelledImages;
  classes: readonly string[];
}

export type FashionMnistDownload = Omit<DownloadOptions, 'files' | 'baseUrl'> & { baseUrl?: string; files?: RemoteFile[] };

export function downloadFashionMnist(opts: FashionMnistDownload): Promise<string[]> {
  return downloadAll({ ...opts, baseUrl: opts.baseUrl ?? FASHION_MNIST_URL, files: opts.files ?? FASHION_MNIST_FILES });
}

async function readSplit(dir: string, prefix: 'train' | 't10k'): Promise<LabelledImages> {
  const read = async (kind: string) => {
    const file = path.join(dir, `${prefix}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz`);
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(file);
    } catch {
      throw new UserError(`Fashion-MNIST is not downloaded (missing ${file}); run "dataset fashion-mnist --download" first`);
    }
    return parseIdx(bytes, file);
  };
  const images = await read('images');
  const labels = await read('labels');
  if (images.shape.length !== 3 || labels.shape.length !== 1 || images.shape[0] !== labels.shape[0]) {
    throw new UserError(`Fashion-MNIST ${prefix} images ${JSON.stringify(images.shape)} and labels ${JSON.stringify(labels.shape)} do not match`);
  }
  return { count: images.shape[0], height: images.shape[1], width: images.shape[2], pixels: images.data, labels: labels.data };
}

export async function loadFashionMnist(cacheDir: string): Promise<FashionMnist> {
  const [train, test] = await Promise.all([readSplit(cacheDir, 'train'), readSplit(cacheDir, 't10k')]);
  return { train, test, classes: FASHION_MNIST_CLASSES };
}
