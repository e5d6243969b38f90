/**
 * Denoising files and folders to an output folder: reads each photo in its
 * stored orientation, denoises it, and writes `<out>/<stem>.<ext>` atomically,
 * keeping EXIF and ICC. Never writes over an input; an existing output gets a
 * numbered suffix unless overwriting is asked for. One bad file does not stop
 * the batch: each file gets its own result.
 */
import path from 'node:path';
import { ensureFolder } from '../atomic-fs';
import { UserError } from '../errors';
import type { DenoiseModel, DenoiseOptions } from './denoise-image';
import { denoiseRouted } from './grey-route';
import { CANCELLED, expandInputs, outputPath, realPath, type FileResult } from './outputs';
import { readImage, writeImage } from '../image/io';
import { extensionFormat } from '../image/formats';
import type { OutputFormat } from '../../../shared/vocabulary';


export interface DenoiseFilesOptions extends Omit<DenoiseOptions, 'onProgress'> {
  outDir: string;
  format?: OutputFormat;
  quality?: number;
  overwrite?: boolean;
  maxMegapixels?: number;
  /** The main model's grey companion (the bundled pair); grey photos go to the one grey-route.ts picks. */
  greyModel?: DenoiseModel;
  onFile?: (e: FileProgress) => void;
  /** Stops before the next photo: the rest come back failed with CANCELLED. */
  signal?: AbortSignal;
}


export interface FileProgress {
  input: string;
  index: number;
  total: number;
  tilesDone: number;
  tilesTotal: number;
}

/** Photos up to this size are decoded one ahead while the previous one computes (bounds memory for huge photos). */
const DECODE_AHEAD_MAX_PIXELS = 16e6;

type Decoded = { ok: true; value: Awaited<ReturnType<typeof readImage>> } | { ok: false; error: string };

/**
 * Denoises files as a pipeline: while one photo's tiles compute (on ONNX
 * Runtime's threads, or the wasm pool), the next photo decodes and the
 * previous one encodes and writes, both on libvips's threads. At most one
 * decode runs ahead (none after photos over 16 MP) and one write runs behind.
 */
export async function denoiseFiles(
  model: DenoiseModel, inputs: string[], opts: DenoiseFilesOptions,
): Promise<FileResult[]> {
  // Compared by real path, so a link to an input folder is caught; an output folder inside an input folder is skipped.
  const outReal = await realPath(opts.outDir);
  for (const input of inputs) if ((await realPath(input)) === outReal) throw new UserError('the output folder is one of the inputs', opts.outDir);
  const files = await expandInputs(inputs, new Set([outReal]));
  const resolvedInputs = new Set(await Promise.all(files.map(realPath)));
  await ensureFolder(opts.outDir);
  const outDir = await realPath(opts.outDir);
  const decode = (file: string): Promise<Decoded> => readImage(file, { autoOrient: false, maxMegapixels: opts.maxMegapixels })
    .then((value) => ({ ok: true as const, value }), (err: Error) => ({ ok: false as const, error: err.message }));
  // Outputs claimed by this batch, including files still being written.
  const claimed = new Set<string>();
  const results: FileResult[] = [];
  let ahead: Promise<Decoded> | null = null;
  let writing: Promise<void> = Promise.resolve();
  for (const [index, input] of files.entries()) {
    if (opts.signal?.aborted) {
      results.push({ input, ok: false, error: CANCELLED });
      continue;
    }
    const t0 = performance.now();
    const decoded = await (ahead ?? decode(input));
    ahead = null;
    const small = decoded.ok && decoded.value.image.width * decoded.value.image.height <= DECODE_AHEAD_MAX_PIXELS;
    if (index + 1 < files.length && (small || !decoded.ok)) ahead = decode(files[index + 1]);
    if (!decoded.ok) {
      results.push({ input, ok: false, error: decoded.error });
      continue;
    }
    try {
      const format = opts.format ?? extensionFormat(input) ?? 'png';
      const { image, alpha, pages } = decoded.value;
      const pair = { main: model, grey: opts.greyModel };
      const r = await denoiseRouted(pair, image, {
        ...opts,
        onProgress: (done, total) => opts.onFile?.({ input, index, total: files.length, tilesDone: done, tilesTotal: total }),
      });
      const output = await outputPath(input, outDir, format, resolvedInputs, opts.overwrite ?? false, claimed);
      claimed.add(path.resolve(output));
      await writing; // one write at a time behind the compute
      const slot = results.push({ input, ok: false, error: 'not written' }) - 1;
      writing = writeImage(output, r.image, { format, quality: opts.quality, alpha, metadataFrom: input }).then(
        () => {
          results[slot] = {
            input, ok: true, output, width: r.image.width, height: r.image.height, channels: r.image.channels, model: r.model, passes: r.passes,
            noise: r.noise, ...(r.mosaic?.kind === 'pattern' ? { mosaic: r.mosaic.pattern } : {}), seconds: (performance.now() - t0) / 1000, ...(pages ? { note: `page 1 of ${pages} used` } : {}),
          };
        },
        (err: Error) => {
          results[slot] = { input, ok: false, error: err.message };
        },
      );
    } catch (err) {
      results.push({ input, ok: false, error: (err as Error).message });
    }
  }
  await writing;
  await ahead; // a decode started for a file that failed earlier settles before returning
  return results;
}
