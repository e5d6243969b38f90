/**
 * Training sources: what the training loop draws batches and validation
 * images from. Fashion-MNIST yields shuffled full passes of 28x28 images (as
 * the notebook's fit did); an image folder yields random augmented patches.
 */
import { FASHION_MNIST_CLASSES, loadFashionMnist } from './fashion-mnist';
import { scanImageFolder, splitFiles } from './image-folder';
import { loadTrainingImages } from './training-images';
import { samplePatches } from './patches';
import { UserError } from '../errors';
import { crop, makeImage, type FloatImage } from '../image/float-image';
import type { Rng } from './rng';
import type { TrainData } from '../training/config';

export interface SourceOptions {
  data: TrainData;
  cacheDir: string;
  channels?: 1 | 3;
  patch: number;
  patchesPerEpoch: number;
  valFraction: number;
  valImages: number;
  valCrop: number;
  sizeMultiple: number;
  seed: number;
}

export interface TrainingSource {
  description: string;
  channels: 1 | 3;
  trainCount: number;
  /** Side of the square training samples. */
  sampleSize: number;
  stepsPerEpoch(batch: number): number;
  /** The epoch's sample order, when the source has one (saved in checkpoints). */
  epochPlan(rng: Rng): number[] | null;
  /** Clean batch [n, size, size, channels] for a step; n may be short on the last step. */
  batch(step: number, batchSize: number, plan: number[] | null, rng: Rng): { data: Float32Array; n: number };
  validation: FloatImage[];
  skipped: { path: string; reason: string }[];
  labels?: { names: readonly string[]; values: Uint8Array };
}

async function fashionMnistSource(opts: SourceOptions): Promise<TrainingSource> {
  const ds = await loadFashionMnist(opts.cacheDir);
  const { train, test } = ds;
  const px = train.width * train.height;
  const validation: FloatImage[] = [];
  for (let i = 0; i < Math.min(opts.valImages, test.count); i++) {
    const img = makeImage(test.width, test.height, 1);
    for (let j = 0; j < px; j++) img.data[j] = test.pixels[i * px + j] / 255;
    validation.push(img);
  }
  return {
    description: `Fashion-MNIST (${train.count} train, ${validation.length} validation images, 28x28 grey)`,
    channels: 1,
    trainCount: train.count,
    sampleSize: train.width,
    stepsPerEpoch: (b) => Math.ceil(train.count / b),
    epochPlan: (rng) => rng.shuffle(Array.from({ length: train.count }, (_, i) => i)),
    batch(step, b, plan) {
      const idx = plan!.slice(step * b, (step + 1) * b);
      const data = new Float32Array(idx.length * px);
      idx.forEach((src, k) => {
        for (let j = 0; j < px; j++) data[k * px + j] = train.pixels[src * px + j] / 255;
      });
      return { data, n: idx.length };
    },
    validation,
    skipped: [],
    labels: { names: FASHION_MNIST_CLASSES, values: train.labels },
  };
}

/** A centred crop no larger than `max`, with sides rounded down to a multiple of `multiple`. */
function centreCrop(img: FloatImage, max: number, multiple: number): FloatImage {
  const w = Math.floor(Math.min(img.width, max) / multiple) * multiple;
  const h = Math.floor(Math.min(img.height, max) / multiple) * multiple;
  return crop(img, Math.floor((img.width - w) / 2), Math.floor((img.height - h) / 2), w, h);
}

async function folderSource(opts: SourceOptions, folder: string): Promise<TrainingSource> {
  const files = await scanImageFolder(folder);
  if (files.length === 0) throw new UserError('no images found (looked for JPEG, PNG, WebP, TIFF, BMP, GIF)', folder);
  const split = splitFiles(files.map((f) => f.path), opts.valFraction, opts.seed);
  const channels = opts.channels ?? 3;
  const train = await loadTrainingImages(split.train, channels, opts.patch);
  const val = await loadTrainingImages(split.val.slice(0, opts.valImages), channels, 16);
  if (train.images.length === 0) {
    throw new UserError(`none of the ${split.train.length} training images could be used (${train.skipped[0]?.reason ?? 'unknown reason'})`, folder);
  }
  const c = channels;
  const sample = opts.patch * opts.patch * c;
  return {
    description: `${folder} (${train.images.length} train, ${val.images.length} validation images, ${opts.patch}px patches, ${c === 1 ? 'grey' : 'colour'})`,
    channels,
    trainCount: train.images.length,
    sampleSize: opts.patch,
    stepsPerEpoch: (b) => Math.max(1, Math.ceil(opts.patchesPerEpoch / b)),
    epochPlan: () => null,
    batch(step, b, _plan, rng) {
      const n = Math.min(b, opts.patchesPerEpoch - step * b) > 0 ? Math.min(b, opts.patchesPerEpoch - step * b) : b;
      const data = samplePatches(train.images, n, opts.patch, rng);
      return { data: data.subarray(0, n * sample), n };
    },
    validation: val.images.map((img) => centreCrop(img, opts.valCrop, Math.max(4, opts.sizeMultiple))),
    skipped: [...train.skipped, ...val.skipped],
  };
}

export function openSource(opts: SourceOptions): Promise<TrainingSource> {
  return opts.data.kind === 'fashion-mnist' ? fashionMnistSource(opts) : folderSource(opts, opts.data.path);
}
