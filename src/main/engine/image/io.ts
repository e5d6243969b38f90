/**
 * Reading and writing photos with sharp (libvips), plus BMP through our own
 * decoder. Reading validates the file and explains what is wrong with it;
 * writing is atomic and can carry the EXIF, ICC profile and orientation of a
 * source file over to the output.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../atomic-fs';
import { decodeBmp, isBmp } from './bmp';
import { UserError } from '../errors';
import { makeImage, type FloatImage } from './float-image';
import { OUTPUT_FORMATS, type OutputFormat } from '../../../shared/vocabulary';

const INPUT_FORMATS = ['jpeg', 'png', 'webp', 'tiff', 'gif', 'bmp'] as const;
export { OUTPUT_FORMATS, type OutputFormat };
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.bmp', '.gif'];
const DEFAULT_MAX_MEGAPIXELS = 100;

export interface ReadOptions {
  /** Apply the EXIF orientation (for viewing and training); denoising keeps the stored orientation. */
  autoOrient?: boolean;
  maxMegapixels?: number;
}

export interface DecodedImage {
  image: FloatImage;
  /** The alpha channel, 8-bit, when the file has one. */
  alpha?: Uint8Array;
  format: string;
}

export function extensionFormat(file: string): OutputFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  if (ext === '.tif' || ext === '.tiff') return 'tiff';
  if (ext === '.png' || ext === '.webp') return ext.slice(1) as OutputFormat;
  return undefined;
}

export function extensionFor(format: OutputFormat): string {
  return format === 'jpeg' ? '.jpg' : format === 'tiff' ? '.tif' : `.${format}`;
}

function toFloat(bytes: Uint8Array, width: number, height: number, channels: 1 | 3): FloatImage {
  const img = makeImage(width, height, channels);
  for (let i = 0; i < bytes.length; i++) img.data[i] = bytes[i] / 255;
  return img;
}

async function readBytes(file: string): Promise<Buffer> {
  try {
    const bytes = await fs.readFile(file);
    if (bytes.length === 0) throw new UserError('file is empty (0 bytes)', file);
    return bytes;
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError('file not found', file);
    if (code === 'EISDIR') throw new UserError('is a folder, not an image', file);
    if (code === 'EACCES') throw new UserError('permission denied', file);
    throw err;
  }
}

function sharpError(err: unknown, file: string): UserError {
  const msg = (err as Error).message ?? String(err);
  if (/unsupported image format/i.test(msg)) {
    return new UserError(`not a supported image (readable formats: ${INPUT_FORMATS.join(', ')})`, file);
  }
  return new UserError(`corrupt or truncated image (${msg.replace(/^Input (buffer|file) (has|contains) /, '')})`, file);
}

export async function readImage(file: string, opts: ReadOptions = {}): Promise<DecodedImage> {
  const bytes = await readBytes(file);
  const limit = (opts.maxMegapixels ?? DEFAULT_MAX_MEGAPIXELS) * 1e6;
  if (isBmp(bytes)) {
    const px = decodeBmp(bytes, file);
    if (px.width * px.height > limit) throw tooLarge(file, px.width, px.height, limit);
    return { image: toFloat(px.data, px.width, px.height, px.channels), format: 'bmp' };
  }
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw sharpError(err, file);
  }
  if (!meta.format || !(INPUT_FORMATS as readonly string[]).includes(meta.format)) {
    throw new UserError(`unsupported format "${meta.format}" (readable formats: ${INPUT_FORMATS.join(', ')})`, file);
  }
  if (meta.space === 'cmyk') throw new UserError('CMYK images are not supported; convert it to RGB first', file);
  if (meta.depth && meta.depth !== 'uchar' && meta.depth !== 'char') {
    throw new UserError(`${meta.depth === 'ushort' ? '16-bit' : meta.depth} images are not supported; save it as 8-bit`, file);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width * height > limit) throw tooLarge(file, width, height, limit);
  try {
    let pipe = sharp(bytes, { failOn: 'truncated', limitInputPixels: false });
    if (opts.autoOrient) pipe = pipe.rotate();
    const grey = meta.channels !== undefined && meta.channels <= 2 && meta.space !== 'srgb';
    const { data, info } = await pipe.toColourspace(grey ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
    const channels: 1 | 3 = grey ? 1 : 3;
    const hasAlpha = info.channels === channels + 1;
    const colour = new Uint8Array(info.width * info.height * channels);
    const alpha = hasAlpha ? new Uint8Array(info.width * info.height) : undefined;
    for (let i = 0, n = info.width * info.height; i < n; i++) {
      for (let c = 0; c < channels; c++) colour[i * channels + c] = data[i * info.channels + c];
      if (alpha) alpha[i] = data[i * info.channels + channels];
    }
    return { image: toFloat(colour, info.width, info.height, channels), alpha, format: meta.format };
  } catch (err) {
    throw sharpError(err, file);
  }
}

function tooLarge(file: string, w: number, h: number, limit: number): UserError {
  return new UserError(
    `image is ${((w * h) / 1e6).toFixed(1)} MP (${w}x${h}), over the ${limit / 1e6} MP limit; raise it with --max-megapixels if you have the memory`,
    file,
  );
}

/** 8-bit interleaved pixels, with the alpha channel appended when given. */
function toBytes(img: FloatImage, alpha?: Uint8Array): { data: Buffer; channels: 1 | 2 | 3 | 4 } {
  const c = img.channels;
  const oc = (c + (alpha ? 1 : 0)) as 1 | 2 | 3 | 4;
  const out = Buffer.alloc(img.width * img.height * oc);
  for (let i = 0, n = img.width * img.height; i < n; i++) {
    for (let k = 0; k < c; k++) out[i * oc + k] = Math.round(Math.min(1, Math.max(0, img.data[i * c + k])) * 255);
    if (alpha) out[i * oc + c] = alpha[i];
  }
  return { data: out, channels: oc };
}

function withFormat(pipe: sharp.Sharp, format: OutputFormat, quality: number): sharp.Sharp {
  switch (format) {
    case 'png': return pipe.png({ compressionLevel: 6 });
    case 'jpeg': return pipe.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0' });
    case 'webp': return pipe.webp({ quality });
    case 'tiff': return pipe.tiff({ compression: 'lzw' });
  }
}

/** The first `n` bytes of a file (without reading the rest). */
async function readHeader(file: string, n: number): Promise<Uint8Array> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await handle.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export interface EncodeOptions {
  format: OutputFormat;
  quality?: number;
  alpha?: Uint8Array;
  /** A file whose EXIF, ICC profile and orientation the output keeps; pixels must be in its stored orientation. */
  metadataFrom?: string;
}

export async function encodeImage(img: FloatImage, opts: EncodeOptions): Promise<Buffer> {
  const { data, channels } = toBytes(img, opts.alpha);
  const raw = { width: img.width, height: img.height, channels };
  const quality = opts.quality ?? 95;
  if (opts.metadataFrom && !isBmp(await readHeader(opts.metadataFrom, 2))) {
    // Composite the new pixels over the source so libvips carries its metadata,
    // then drop the alpha channel compositing adds and restore the colour type.
    const merged = await sharp(opts.metadataFrom, { limitInputPixels: false })
      .composite([{ input: data, raw, blend: 'source' }])
      .keepMetadata()
      .png({ compressionLevel: 0 })
      .toBuffer();
    let pipe = sharp(merged, { limitInputPixels: false });
    if (!opts.alpha) pipe = pipe.removeAlpha();
    if (img.channels === 1) pipe = pipe.toColourspace('b-w');
    return withFormat(pipe.keepMetadata(), opts.format, quality).toBuffer();
  }
  let pipe = sharp(data, { raw, limitInputPixels: false });
  if (img.channels === 1) pipe = pipe.toColourspace('b-w');
  return withFormat(pipe, opts.format, quality).toBuffer();
}

/** Encodes and writes atomically (temporary file, then rename). */
export async function writeImage(file: string, img: FloatImage, opts: EncodeOptions): Promise<void> {
  await writeFileAtomic(file, await encodeImage(img, opts));
}
