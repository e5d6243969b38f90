/**
 * Folders of the user's own photos: a recursive scan for image files, a seeded
 * train/validation split by file, and decoding for training (EXIF orientation
 * applied, alpha dropped).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors';
import { toChannels, type FloatImage } from '../image/float-image';
import { IMAGE_EXTENSIONS, readImage } from '../image/io';
import { Rng } from './rng';

export interface ScannedFile {
  path: string;
  size: number;
}

/** Every image file under `root` (links to image files included), sorted by path; hidden files and folders are skipped. */
export async function scanImageFolder(root: string): Promise<ScannedFile[]> {
  let stat;
  try {
    stat = await fs.stat(root);
  } catch {
    throw new UserError('folder not found', root);
  }
  if (!stat.isDirectory()) throw new UserError('is not a folder', root);
  const found: ScannedFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if ((e.isFile() || e.isSymbolicLink()) && IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) {
        // Links to image files count (followed once); links to folders are not walked, so no loops.
        const target = await fs.stat(full).catch(() => null);
        if (target?.isFile()) found.push({ path: full, size: target.size });
      }
    }
  };
  await walk(root);
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Splits files into train and validation sets; the same seed gives the same split. */
export function splitFiles<T>(files: T[], valFraction: number, seed: number): { train: T[]; val: T[] } {
  if (files.length < 2) return { train: files.slice(), val: files.slice() };
  const shuffled = new Rng(seed).shuffle(files.slice());
  const nVal = Math.min(files.length - 1, Math.max(1, Math.round(files.length * valFraction)));
  return { val: shuffled.slice(0, nVal), train: shuffled.slice(nVal) };
}

export interface LoadReport {
  images: FloatImage[];
  skipped: { path: string; reason: string }[];
}

/** Decodes files for training, converted to `channels`; unreadable files are reported, not fatal. */
export async function loadTrainingImages(files: string[], channels: 1 | 3, minSize: number): Promise<LoadReport> {
  const images: FloatImage[] = [];
  const skipped: LoadReport['skipped'] = [];
  for (const file of files) {
    try {
      const { image } = await readImage(file, { autoOrient: true });
      if (image.width < minSize || image.height < minSize) {
        skipped.push({ path: file, reason: `smaller than the ${minSize}px patch size` });
        continue;
      }
      images.push(toChannels(image, channels));
    } catch (err) {
      skipped.push({ path: file, reason: (err as Error).message });
    }
  }
  return { images, skipped };
}
