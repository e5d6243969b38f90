/**
 * Reading and writing photos with sharp (libvips), plus BMP through our own
 * decoder. Reading validates the file and explains what is wrong with it;
 * writing is atomic and can carry the EXIF, ICC profile and orientation of a
 * source file over to the output.
 */
import fs from 'node:fs/promises';
import sharp from 'sharp';
import { writeFileAtomic } from '../atomic-fs';
import { decodeBmp, isBmp } from './bmp';
import { jpegMetadata, withJpegMetadata } from './jpeg-segments';
import { UserError } from '../errors';
import { readBytes } from './read-file';
import { makeImage, type FloatImage } from './float-image';
import type { OutputFormat } from '../../../shared/vocabulary';

const INPUT_FORMATS = ['jpeg', 'png', 'webp', 'tiff', 'gif', 'bmp'] as const;
const DEFAULT_MAX_MEGAPIXELS = 100;

export interface ReadOptions {
  /** Apply the EXIF orientation (for viewing and training); denoising keeps the stored orientation. */
  autoOrient?: boolean;
  maxMegapixels?: number;
  /**
   * Scale down while decoding so the longer side is at most this (previews): libvips shrinks
   * JPEGs on load, so a 24 MP photo decodes in a fraction of the full decode's time and memory.
   */
  maxSide?: number;
}

export interface DecodedImage {
  image: FloatImage;
  /** The alpha channel, 8-bit, when the file has one. */
  alpha?: Uint8Array;
  format: string;
  /** How many pages the file holds, when more than one; only the first is read. */
  pages?: number;
}

/** Each byte's value on the 0-1 scale (a table: one lookup per sample of a 12 MP photo instead of a division). */
const BYTE_TO_FLOAT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

function toFloat(bytes: Uint8Array, width: number, height: number, channels: 1 | 3): FloatImage {
  const img = makeImage(width, height, channels);
  const d = img.data;
  for (let i = 0; i < bytes.length; i++) d[i] = BYTE_TO_FLOAT[bytes[i]];
  return img;
}

function sharpError(err: unknown, file: string): UserError {
  const msg = (err as Error).message ?? String(err);
  if (/unsupported image format/i.test(msg)) {
    return new UserError(`not a supported image (readable formats: ${INPUT_FORMATS.join(', ')})`, file);
  }
  return new UserError(`corrupt or truncated image (${msg.replace(/^Input (buffer|file) (has|contains) /, '')})`, file);
}

/** The format a file's first bytes announce, among those we read; HEIF is named only to explain that it is not read. */
export function sniffFormat(bytes: Uint8Array): (typeof INPUT_FORMATS)[number] | 'heif' | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  if (isBmp(bytes)) return 'bmp';
  if (ascii(4, 8) === 'ftyp' && /^(heic|heix|hevc|mif1|msf1|avif)$/.test(ascii(8, 12))) return 'heif';
  return undefined;
}

export async function readImage(file: string, opts: ReadOptions = {}): Promise<DecodedImage> {
  const bytes = await readBytes(file);
  const limit = (opts.maxMegapixels ?? DEFAULT_MAX_MEGAPIXELS) * 1e6;
  // Only files that announce a readable format reach a decoder, so junk fails with one clear line.
  const sniffed = sniffFormat(bytes);
  if (sniffed === 'heif') throw new UserError('HEIC/HEIF photos are not supported; export it as JPEG first', file);
  if (!sniffed) throw new UserError(`not a supported image (readable formats: ${INPUT_FORMATS.join(', ')})`, file);
  if (sniffed === 'bmp') {
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
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width * height > limit) throw tooLarge(file, width, height, limit);
  try {
    let pipe = sharp(bytes, { failOn: 'truncated', limitInputPixels: false });
    if (opts.autoOrient) pipe = pipe.rotate();
    if (opts.maxSide) pipe = pipe.resize({ width: opts.maxSide, height: opts.maxSide, fit: 'inside', withoutEnlargement: true });
    // Decoded as sRGB with alpha kept (libvips drops alpha when converting to grey); grey files keep one channel of it.
    const grey = meta.channels !== undefined && meta.channels <= 2 && meta.space !== 'srgb';
    const { data, info } = await pipe.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const channels: 1 | 3 = grey ? 1 : 3;
    const alpha = info.channels === 4 ? new Uint8Array(info.width * info.height) : undefined;
    const colour = info.channels === channels ? data : new Uint8Array(info.width * info.height * channels);
    if (colour !== data) {
      for (let i = 0, n = info.width * info.height; i < n; i++) {
        for (let c = 0; c < channels; c++) colour[i * channels + c] = data[i * info.channels + c];
        if (alpha) alpha[i] = data[i * info.channels + 3];
      }
    }
    const pages = meta.pages && meta.pages > 1 ? meta.pages : undefined;
    return { image: toFloat(colour, info.width, info.height, channels), alpha, format: meta.format, pages };
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
  const n = img.width * img.height;
  const out = Buffer.alloc(n * oc);
  const d = img.data;
  /** A value clipped to [0, 1] and rounded to 0-255 (half up, as Math.round; NaN reads 0): a third of Math.round's time. */
  const byte = (v: number) => (v <= 0 ? 0 : v >= 1 ? 255 : (v * 255 + 0.5) | 0);
  if (oc === c) {
    for (let i = 0; i < d.length; i++) out[i] = byte(d[i]);
    return { data: out, channels: oc };
  }
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < c; k++) out[i * oc + k] = byte(d[i * c + k]);
    out[i * oc + c] = alpha![i];
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
  const sourceFormat = opts.metadataFrom && sniffFormat(await readHeader(opts.metadataFrom, 12));
  const segments = sourceFormat === 'jpeg' && img.channels === 3 && opts.format === 'jpeg' ? jpegMetadata(await readBytes(opts.metadataFrom!)) : null;
  if (segments) {
    // A colour JPEG from a JPEG: its metadata segments moved across byte for byte (no second decode).
    return withJpegMetadata(await withFormat(sharp(data, { raw, limitInputPixels: false }), 'jpeg', quality).toBuffer(), segments);
  }
  if (opts.metadataFrom && sourceFormat !== 'bmp') {
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
