/**
 * Grey planes at half resolution and back: 2x2 block means (edges repeated for
 * odd sizes), and bilinear interpolation between the block centres. JPEG's
 * 4:2:0 chroma and the opponent planes' chroma both use them.
 */
import { makeImage, type FloatImage } from './float-image';

/** A plane at half resolution: the mean of each 2x2 block (edges repeated for odd sizes), which also halves white noise. */
export function halve(p: FloatImage): FloatImage {
  const w = Math.ceil(p.width / 2), h = Math.ceil(p.height / 2);
  const out = makeImage(w, h, 1);
  for (let y = 0; y < h; y++) {
    const y0 = 2 * y, y1 = Math.min(p.height - 1, 2 * y + 1);
    for (let x = 0; x < w; x++) {
      const x0 = 2 * x, x1 = Math.min(p.width - 1, 2 * x + 1);
      out.data[y * w + x] = (p.data[y0 * p.width + x0] + p.data[y0 * p.width + x1] + p.data[y1 * p.width + x0] + p.data[y1 * p.width + x1]) / 4;
    }
  }
  return out;
}

/** A half-resolution plane back at `width` x `height`: bilinear between the block centres. */
export function double(q: FloatImage, width: number, height: number): FloatImage {
  const out = makeImage(width, height, 1);
  for (let y = 0; y < height; y++) {
    const fy = Math.min(q.height - 1, Math.max(0, (y + 0.5) / 2 - 0.5));
    const y0 = Math.floor(fy), y1 = Math.min(q.height - 1, y0 + 1), ay = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(q.width - 1, Math.max(0, (x + 0.5) / 2 - 0.5));
      const x0 = Math.floor(fx), x1 = Math.min(q.width - 1, x0 + 1), ax = fx - x0;
      const top = q.data[y0 * q.width + x0] * (1 - ax) + q.data[y0 * q.width + x1] * ax;
      const bottom = q.data[y1 * q.width + x0] * (1 - ax) + q.data[y1 * q.width + x1] * ax;
      out.data[y * width + x] = top * (1 - ay) + bottom * ay;
    }
  }
  return out;
}
