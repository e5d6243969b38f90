/**
 * Folders of the user's own photos: a recursive scan for image files and a
 * seeded train/validation split by file. Nothing is decoded here (see
 * training-images.ts), so the app's main process can list folders.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors';
import { isImageName } from '../../../shared/vocabulary';
import { Rng } from './rng';

export interface ScannedFile {
  path: string;
  size: number;
}

/**
 * Every image file under `root` (links to image files included), sorted by
 * path; hidden files and folders are skipped, and so are the folders whose
 * real paths are in `exclude` (a batch's output folder inside its input).
 */
export async function scanImageFolder(root: string, exclude: ReadonlySet<string> = new Set()): Promise<ScannedFile[]> {
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
      if (e.isDirectory()) {
        if (!exclude.has(await fs.realpath(full).catch(() => full))) await walk(full);
      }
      else if ((e.isFile() || e.isSymbolicLink()) && isImageName(e.name)) {
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
