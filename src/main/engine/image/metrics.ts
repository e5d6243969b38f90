/**
 * Image quality metrics on [0,1] images: PSNR, and SSIM as defined by Wang et
 * al. (2004) with an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03,
 * averaged over the 'valid' region and over channels (the reference MATLAB
 * code and skimage's gaussian_weights=True, use_sample_covariance=False).
 */
import type { FloatImage } from './float-image';

export function mse(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`metric inputs differ in size: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.min(1, Math.max(0, a[i])) - Math.min(1, Math.max(0, b[i]));
    s += d * d;
  }
  return s / a.length;
}

/** PSNR in dB for signals with peak 1; identical inputs give Infinity. */
export function psnr(a: Float32Array, b: Float32Array): number {
  const m = mse(a, b);
  return m === 0 ? Infinity : 10 * Math.log10(1 / m);
}

const WIN = 11;
const GAUSS = (() => {
  const g = new Float64Array(WIN);
  let sum = 0;
  for (let i = 0; i < WIN; i++) sum += g[i] = Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5));
  return g.map((v) => v / sum);
})();

/** Separable Gaussian filter over the 'valid' region of a w x h plane. */
function filterValid(src: Float64Array, w: number, h: number): Float64Array {
  const ow = w - WIN + 1;
  const oh = h - WIN + 1;
  const tmp = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < WIN; k++) s += GAUSS[k] * src[y * w + x + k];
      tmp[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < WIN; k++) s += GAUSS[k] * tmp[(y + k) * ow + x];
      out[y * ow + x] = s;
    }
  }
  return out;
}

function ssimPlane(a: Float64Array, b: Float64Array, w: number, h: number): number {
  const c1 = 0.01 ** 2;
  const c2 = 0.03 ** 2;
  const n = w * h;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    aa[i] = a[i] * a[i];
    bb[i] = b[i] * b[i];
    ab[i] = a[i] * b[i];
  }
  const [ma, mb, saa, sbb, sab] = [a, b, aa, bb, ab].map((p) => filterValid(p, w, h));
  let total = 0;
  for (let i = 0; i < ma.length; i++) {
    const va = saa[i] - ma[i] * ma[i];
    const vb = sbb[i] - mb[i] * mb[i];
    const cov = sab[i] - ma[i] * mb[i];
    total += ((2 * ma[i] * mb[i] + c1) * (2 * cov + c2)) / ((ma[i] ** 2 + mb[i] ** 2 + c1) * (va + vb + c2));
  }
  return total / ma.length;
}

/** Mean SSIM over channels; both images must share size and channel count and be at least 11x11. */
export function ssim(a: FloatImage, b: FloatImage): number {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
    throw new Error('SSIM inputs must have the same size and channels');
  }
  const { width: w, height: h, channels: c } = a;
  if (w < WIN || h < WIN) throw new Error(`SSIM needs images of at least ${WIN}x${WIN}`);
  let total = 0;
  for (let ch = 0; ch < c; ch++) {
    const pa = new Float64Array(w * h);
    const pb = new Float64Array(w * h);
    for (let i = 0; i < w * h; i++) {
      pa[i] = Math.min(1, Math.max(0, a.data[i * c + ch]));
      pb[i] = Math.min(1, Math.max(0, b.data[i * c + ch]));
    }
    total += ssimPlane(pa, pb, w, h);
  }
  return total / c;
}
