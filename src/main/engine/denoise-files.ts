/**
 * Denoising files and folders to an output folder: reads each photo in its
 * stored orientation, denoises it, and writes `<out>/<stem>.<ext>` atomically,
 * keeping EXIF and ICC. Never writes over an input; an existing output gets a
 * numbered suffix unless overwriting is asked for. One bad file does not stop
 * the batch: each file gets its own result.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { explainFsError } from './atomic-fs';
import { scanImageFolder } from './data/image-folder';
import { UserError } from './errors';
import { denoiseImage, type DenoiseOptions } from './infer';
import { extensionFor, extensionFormat, readImage, writeImage, type OutputFormat } from './image-io';
import type { DenoiserManifest } from './models/store';
import type { ModelRunner } from './runner';

export interface DenoiseFilesOptions extends Omit<DenoiseOptions, 'onProgress'> {
  outDir: string;
  format?: OutputFormat;
  quality?: number;
  overwrite?: boolean;
  maxMegapixels?: number;
  /** A model for grey photos (the default set bundles one beside the colour model). */
  greyModel?: { runner: ModelRunner; manifest: DenoiserManifest };
  onFile?: (e: FileProgress) => void;
}

export interface FileProgress {
  input: string;
  index: number;
  total: number;
  tilesDone: number;
  tilesTotal: number;
}

export type FileResult =
  | { input: string; ok: true; output: string; width: number; height: number; channels: number; sigma?: number; seconds: number }
  | { input: string; ok: false; error: string };

/** Expands folders (recursively) into image files; plain files are kept as given. */
export async function expandInputs(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const stat = await fs.stat(input).catch(() => null);
    if (stat?.isDirectory()) files.push(...(await scanImageFolder(input)).map((f) => f.path));
    else files.push(input);
  }
  return files;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}

/** Picks the output path, refusing inputs and avoiding clashes with a numbered suffix. */
export async function outputPath(input: string, outDir: string, format: OutputFormat, inputs: Set<string>, overwrite: boolean): Promise<string> {
  const stem = path.basename(input, path.extname(input));
  const base = path.join(outDir, stem);
  let candidate = base + extensionFor(format);
  for (let i = 1; inputs.has(path.resolve(candidate)) || (!overwrite && (await exists(candidate))); i++) {
    if (i > 9999) throw new UserError('too many files with this name in the output folder', candidate);
    candidate = `${base}-${i}${extensionFor(format)}`;
  }
  return candidate;
}

export async function denoiseFiles(
  runner: ModelRunner, manifest: DenoiserManifest, inputs: string[], opts: DenoiseFilesOptions,
): Promise<FileResult[]> {
  if (inputs.some((i) => path.resolve(i) === path.resolve(opts.outDir))) throw new UserError('the output folder is one of the inputs', opts.outDir);
  const files = await expandInputs(inputs);
  const resolvedInputs = new Set(files.map((f) => path.resolve(f)));
  try {
    await fs.mkdir(opts.outDir, { recursive: true });
  } catch (err) {
    throw explainFsError(err, opts.outDir);
  }
  const results: FileResult[] = [];
  for (const [index, input] of files.entries()) {
    const t0 = performance.now();
    try {
      const decoded = await readImage(input, { autoOrient: false, maxMegapixels: opts.maxMegapixels });
      const format = opts.format ?? extensionFormat(input) ?? 'png';
      const grey = decoded.image.channels === 1 && opts.greyModel;
      const r = await denoiseImage(grey ? grey.runner : runner, grey ? grey.manifest : manifest, decoded.image, {
        ...opts,
        onProgress: (done, total) => opts.onFile?.({ input, index, total: files.length, tilesDone: done, tilesTotal: total }),
      });
      const output = await outputPath(input, opts.outDir, format, resolvedInputs, opts.overwrite ?? false);
      await writeImage(output, r.image, { format, quality: opts.quality, alpha: decoded.alpha, metadataFrom: input });
      results.push({
        input, ok: true, output, width: r.image.width, height: r.image.height, channels: r.image.channels,
        sigma: r.sigma, seconds: (performance.now() - t0) / 1000,
      });
    } catch (err) {
      results.push({ input, ok: false, error: (err as Error).message });
    }
  }
  return results;
}
