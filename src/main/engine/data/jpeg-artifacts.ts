/**
 * JPEG's lossy steps, without the (lossless) entropy coding: RGB -> YCbCr,
 * 4:2:0 chroma subsampling, 8x8 DCT, quantisation with the standard tables
 * scaled by quality (the IJG formula), then back. The result is what a phone's
 * JPEG at that quality decodes to, to within the decoder's rounding, and it is
 * synchronous and deterministic, so it can run inside the noise models.
 * Images are interleaved HWC in [0, 1]; the output is on the 8-bit grid.
 */
import { makeImage } from '../image/float-image';
import { double, halve } from '../image/resample';

/** Annex K tables, in row-major order. */
const LUMA_TABLE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_TABLE = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  ...new Array(32).fill(99),
];

/** The quantisation table for a quality (1-100), as libjpeg scales it. */
export function quantTable(base: readonly number[], quality: number): Float32Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? 5000 / q : 200 - 2 * q;
  return Float32Array.from(base, (v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
}

/** COS[u * 8 + x] = a(u) cos((2x + 1) u pi / 16): the orthonormal 8-point DCT basis (float32 values). */
const COS = (() => {
  const t = new Float32Array(64);
  for (let u = 0; u < 8; u++) {
    for (let x = 0; x < 8; x++) t[u * 8 + x] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
  return Float64Array.from(t);
})();
/** Its transpose: the inverse transform's matrix. */
const COS_T = Float64Array.from({ length: 64 }, (_, i) => COS[(i % 8) * 8 + Math.floor(i / 8)]);

/**
 * dst[k * ds] = sum over j of m[k * 8 + j] * src[j * ss], k and j 0-7: one 8-point transform of a
 * block's row or column; with a quantisation table (indexed as dst is), each sum is quantised.
 */
function transform8(m: Float64Array, src: Float32Array, so: number, ss: number, dst: Float32Array, d0: number, ds: number, table?: Float32Array): void {
  const x0 = src[so], x1 = src[so + ss], x2 = src[so + 2 * ss], x3 = src[so + 3 * ss];
  const x4 = src[so + 4 * ss], x5 = src[so + 5 * ss], x6 = src[so + 6 * ss], x7 = src[so + 7 * ss];
  for (let k = 0, o = 0; k < 8; k++, o += 8) {
    const d = d0 + k * ds;
    const s = m[o] * x0 + m[o + 1] * x1 + m[o + 2] * x2 + m[o + 3] * x3 + m[o + 4] * x4 + m[o + 5] * x5 + m[o + 6] * x6 + m[o + 7] * x7;
    dst[d] = table ? Math.round(s / table[d]) * table[d] : s;
  }
}

/** Quantises one 8x8 block in place (values level-shifted around 0). */
function quantiseBlock(block: Float32Array, table: Float32Array, tmp: Float32Array): void {
  for (let y = 0; y < 8; y++) transform8(COS, block, y * 8, 1, tmp, y * 8, 1); // forward DCT of the rows
  for (let u = 0; u < 8; u++) transform8(COS, tmp, u, 8, block, u, 8, table); // of the columns, quantised
  for (let u = 0; u < 8; u++) transform8(COS_T, block, u, 8, tmp, u, 8); // inverse DCT of the columns
  for (let y = 0; y < 8; y++) transform8(COS_T, tmp, y * 8, 1, block, y * 8, 1); // of the rows
}

/** Quantises a plane (values 0-255) in 8x8 blocks, edges replicated into partial blocks; in place. */
function quantisePlane(plane: Float32Array, w: number, h: number, table: Float32Array): void {
  const block = new Float32Array(64);
  const tmp = new Float32Array(64);
  for (let by = 0; by < h; by += 8) {
    for (let bx = 0; bx < w; bx += 8) {
      for (let y = 0; y < 8; y++) {
        const sy = Math.min(h - 1, by + y);
        for (let x = 0; x < 8; x++) block[y * 8 + x] = plane[sy * w + Math.min(w - 1, bx + x)] - 128;
      }
      quantiseBlock(block, table, tmp);
      for (let y = 0; y < 8 && by + y < h; y++) {
        for (let x = 0; x < 8 && bx + x < w; x++) plane[(by + y) * w + bx + x] = block[y * 8 + x] + 128;
      }
    }
  }
}

const to8 = (v: number) => Math.min(255, Math.max(0, Math.round(v))) / 255;

/** What a JPEG of the image at `quality` (1-100, 4:2:0 chroma for colour) decodes to. */
export function jpegRoundTrip(data: Float32Array, width: number, height: number, channels: 1 | 3, quality: number): Float32Array {
  const n = width * height;
  const luma = quantTable(LUMA_TABLE, quality);
  if (channels === 1) {
    const y = Float32Array.from(data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    quantisePlane(y, width, height, luma);
    return y.map(to8);
  }
  const Y = new Float32Array(n), Cb = new Float32Array(n), Cr = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const r = Math.round(Math.min(1, Math.max(0, data[3 * p])) * 255);
    const g = Math.round(Math.min(1, Math.max(0, data[3 * p + 1])) * 255);
    const b = Math.round(Math.min(1, Math.max(0, data[3 * p + 2])) * 255);
    Y[p] = 0.299 * r + 0.587 * g + 0.114 * b;
    Cb[p] = -0.168736 * r - 0.331264 * g + 0.5 * b + 128;
    Cr[p] = 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
  }
  const chroma = quantTable(CHROMA_TABLE, quality);
  quantisePlane(Y, width, height, luma);
  // 4:2:0: chroma at half resolution, quantised there, and back by libjpeg's "fancy" (bilinear) upsampling.
  const [cb, cr] = [Cb, Cr].map((plane) => {
    const half = halve(makeImage(width, height, 1, plane));
    quantisePlane(half.data, half.width, half.height, chroma);
    return double(half, width, height).data;
  });
  const out = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) {
    const u = cb[p] - 128;
    const v = cr[p] - 128;
    out[3 * p] = to8(Y[p] + 1.402 * v);
    out[3 * p + 1] = to8(Y[p] - 0.344136 * u - 0.714136 * v);
    out[3 * p + 2] = to8(Y[p] + 1.772 * u);
  }
  return out;
}
