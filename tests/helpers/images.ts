/** Small generated photos for tests: smooth gradients with edges, written with sharp. */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { makeImage, type FloatImage } from '../../src/main/engine/image/float-image';

export function pattern(width: number, height: number, channels: 1 | 3, seed = 0): Buffer {
  const out = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) {
    const edge = (x + seed * 7) % 24 < 12 ? 40 : 0;
    out[(y * width + x) * channels + c] = Math.min(255, 60 + ((x * 3 + y * 2 + c * 40 + seed * 11) % 150) + edge);
  }
  return out;
}

/** A smooth float image (sine and cosine waves, a phase per channel), for the engine's own tests. */
export function smoothImage(w: number, h: number, c: 1 | 3): FloatImage {
  const img = makeImage(w, h, c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    img.data[(y * w + x) * c + k] = 0.5 + 0.3 * Math.sin(x / 9 + k) * Math.cos(y / 7);
  }
  return img;
}

/** sharp writes 1-channel raw input as RGB unless told the colour space. */
export function greyAware(pipe: sharp.Sharp, channels: number): sharp.Sharp {
  return channels === 1 ? pipe.toColourspace('b-w') : pipe;
}

export async function writePattern(file: string, width: number, height: number, channels: 1 | 3, seed = 0): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await greyAware(sharp(pattern(width, height, channels, seed), { raw: { width, height, channels } }), channels).toFile(file);
  return file;
}
