/**
 * The guided filter (He, Sun and Tang, "Guided Image Filtering", ECCV 2010): smooths a grey
 * plane while keeping the edges of a guide plane, as a local linear model of the guide fitted
 * in each (2r+1)² window. O(pixels) whatever the radius: box means from summed-area tables.
 */
import { makeImage, type FloatImage } from './float-image';

/** Means over (2r+1)² windows, clipped at the borders. */
function boxMean(a: Float32Array, w: number, h: number, r: number): Float32Array {
  const sums = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += a[y * w + x];
      sums[(y + 1) * (w + 1) + x + 1] = sums[y * (w + 1) + x + 1] + row;
    }
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r), x1 = Math.min(w, x + r + 1);
      const s = sums[y1 * (w + 1) + x1] - sums[y0 * (w + 1) + x1] - sums[y1 * (w + 1) + x0] + sums[y0 * (w + 1) + x0];
      out[y * w + x] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/**
 * A guided filter under `guide`'s edges (grey): the guide's window statistics are computed once,
 * and the returned function filters any grey plane of the guide's size. `eps` (on the 0-1 scale,
 * squared) sets how strong an edge must be to be kept.
 */
export function guidedFilter(guide: FloatImage, radius: number, eps: number): (input: FloatImage) => FloatImage {
  const { width: w, height: h } = guide;
  if (guide.channels !== 1) throw new Error('guidedFilter takes a grey guide');
  const n = w * h;
  const I = guide.data;
  const II = new Float32Array(n);
  for (let i = 0; i < n; i++) II[i] = I[i] * I[i];
  const mI = boxMean(I, w, h, radius);
  const mII = boxMean(II, w, h, radius);
  return (input) => {
    if (input.width !== w || input.height !== h || input.channels !== 1) throw new Error('guidedFilter takes two grey planes of one size');
    const p = input.data;
    const Ip = new Float32Array(n);
    for (let i = 0; i < n; i++) Ip[i] = I[i] * p[i];
    const [mp, mIp] = [p, Ip].map((a) => boxMean(a, w, h, radius));
    const a = new Float32Array(n);
    const b = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      a[i] = (mIp[i] - mI[i] * mp[i]) / (mII[i] - mI[i] * mI[i] + eps);
      b[i] = mp[i] - a[i] * mI[i];
    }
    const [ma, mb] = [a, b].map((v) => boxMean(v, w, h, radius));
    const q = new Float32Array(n);
    for (let i = 0; i < n; i++) q[i] = ma[i] * I[i] + mb[i];
    return makeImage(w, h, 1, q);
  };
}
