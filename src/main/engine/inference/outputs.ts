/**
 * Where denoised photos go and what each one reports: output paths that never
 * overwrite an input (or a file, unless asked), folder expansion, and the
 * per-file result. No model code, so the app's services and the engine host's
 * export can use it without loading the ML runtime.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { scanImageFolder } from '../data/image-folder';
import { UserError } from '../errors';
import { extensionFor } from '../image/formats';
import type { OutputFormat } from '../../../shared/vocabulary';
import type { NoiseReading } from '../../../shared/noise-reading';
import type { EnsemblePasses } from '../../../shared/ensemble';
import type { CfaPattern } from '../image/mosaic';

/** The error of the photos a cancelled batch did not reach. */
export const CANCELLED = 'cancelled';

/** Which model of a pair denoised a photo: the main model, or its grey companion (grey-route.ts picks). */
export type PairMember = 'main' | 'grey';

/**
 * One photo's result; `model`: which of the pair denoised it, in how many self-ensemble `passes`;
 * `mosaic`: the camera mosaic read from its noise, for a model that moves photos into its own (image/mosaic.ts).
 */
export type FileResult =
  | { input: string; ok: true; output: string; width: number; height: number; channels: number; model: PairMember; passes: EnsemblePasses; noise?: NoiseReading; mosaic?: CfaPattern; seconds: number; note?: string }
  | { input: string; ok: false; error: string };

/** A path with its links and `..` resolved, or just made absolute where it does not exist (yet). */
export async function realPath(p: string): Promise<string> {
  return fs.realpath(p).catch(() => path.resolve(p));
}

/** Expands folders (recursively, skipping the real folders in `exclude`) into image files; plain files are kept as given. */
export async function expandInputs(inputs: string[], exclude: ReadonlySet<string> = new Set()): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const stat = await fs.stat(input).catch(() => null);
    if (stat?.isDirectory()) files.push(...(await scanImageFolder(input, exclude)).map((f) => f.path));
    else files.push(input);
  }
  return files;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}

/**
 * Picks the output path, refusing inputs (and paths in `claimed`, outputs a
 * batch has taken but may not have written yet) and avoiding clashes with a
 * numbered suffix. `outDir` and the paths in the sets are real paths;
 * `suffix` goes after the input's name (e.g. "photo-denoised.jpg").
 */
export async function outputPath(
  input: string, outDir: string, format: OutputFormat, inputs: Set<string>, overwrite: boolean, claimed: Set<string> = new Set(), suffix = '',
): Promise<string> {
  const stem = path.basename(input, path.extname(input)) + suffix;
  const base = path.join(outDir, stem);
  let candidate = base + extensionFor(format);
  const taken = (p: string) => inputs.has(path.resolve(p)) || claimed.has(path.resolve(p));
  for (let i = 1; taken(candidate) || (!overwrite && (await exists(candidate))); i++) {
    if (i > 9999) throw new UserError('too many files with this name in the output folder', candidate);
    candidate = `${base}-${i}${extensionFor(format)}`;
  }
  return candidate;
}

