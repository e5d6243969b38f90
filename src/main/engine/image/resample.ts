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
  const [src, dst, pw] = [p.data, out.data, p.width];
  for (let y = 0; y < h; y++) {
    const r0 = 2 * y * pw, r1 = Math.min(p.height - 1, 2 * y + 1) * pw;
    for (let x = 0; x < w; x++) {
      const x0 = 2 * x, x1 = Math.min(pw - 1, 2 * x + 1);
      dst[y * w + x] = (src[r0 + x0] + src[r0 + x1] + src[r1 + x0] + src[r1 + x1]) / 4;
    }
  }
  return out;
}

/** A half-resolution plane back at `width` x `height`: bilinear between the block centres. */
export function double(q: FloatImage, width: number, height: number): FloatImage {
  const out = makeImage(width, height, 1);
  const [src, dst, qw] = [q.data, out.data, q.width];
  // Each column's two source columns and weight, worked out once for every row.
  const xa = new Int32Array(width), xb = new Int32Array(width), ws = new Float64Array(width);
  for (let x = 0; x < width; x++) {
    const fx = Math.min(qw - 1, Math.max(0, (x + 0.5) / 2 - 0.5));
    xa[x] = Math.floor(fx);
    xb[x] = Math.min(qw - 1, xa[x] + 1);
    ws[x] = fx - xa[x];
  }
  for (let y = 0; y < height; y++) {
    const fy = Math.min(q.height - 1, Math.max(0, (y + 0.5) / 2 - 0.5));
    const y0 = Math.floor(fy), ay = fy - y0;
    const r0 = y0 * qw, r1 = Math.min(q.height - 1, y0 + 1) * qw;
    for (let x = 0; x < width; x++) {
      const ax = ws[x], x0 = xa[x], x1 = xb[x];
      const top = src[r0 + x0] * (1 - ax) + src[r0 + x1] * ax;
      const bottom = src[r1 + x0] * (1 - ax) + src[r1 + x1] * ax;
      dst[y * width + x] = top * (1 - ay) + bottom * ay;
    }
  }
  return out;
}
