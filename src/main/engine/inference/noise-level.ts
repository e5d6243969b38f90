/**
 * The noise level a noise-map model is told when the user gives none: on a grey or luma plane,
 * its level estimator's reading when it has one; otherwise the wavelet estimate (models not
 * trained blind), a blind pass's own reading (colour and chroma planes), or a search over a short
 * ladder of levels (a blind model's grey or luma plane; docs/models.md, Sessions 9 to 11).
 * Each works on crops spread over the image, so a large photo costs a fixed, small amount of work.
 */
import { crop, makeImage, type FloatImage } from '../image/float-image';
import { UNKNOWN_NOISE_LEVEL } from '../models/input';
import { decodeLevel } from '../models/level-code';

/** The model on a crop, told a level (0-1, or UNKNOWN_NOISE_LEVEL); returns its output. */
export type RunAt = (crop: FloatImage, level: number) => Promise<FloatImage>;

/**
 * Estimates the Gaussian noise level (0-255) from the finest diagonal wavelet
 * band: sigma = median(|HH|) / 0.6745 (Donoho and Johnstone).
 */
export function estimateNoiseSigma(img: FloatImage): number {
  const { width: w, height: h, channels: c, data } = img;
  const stride = Math.max(1, Math.floor(Math.sqrt((w * h) / 4 / 250_000))); // about 250k blocks or more (the stride rounds down: a 3 MP plane gives 750k)
  const values = new Float64Array(Math.ceil(Math.floor(h / 2) / stride) * Math.ceil(Math.floor(w / 2) / stride) * c);
  let n = 0;
  for (let y = 0; y + 1 < h; y += 2 * stride) {
    for (let x = 0; x + 1 < w; x += 2 * stride) {
      for (let k = 0; k < c; k++) {
        const a = data[(y * w + x) * c + k];
        const b = data[(y * w + x + 1) * c + k];
        const d = data[((y + 1) * w + x) * c + k];
        const e = data[((y + 1) * w + x + 1) * c + k];
        values[n++] = Math.abs(a - b - d + e) / 2;
      }
    }
  }
  if (n === 0) return 0;
  return (kthSmallest(values.subarray(0, n), Math.floor(n / 2)) / 0.6745) * 255;
}

/**
 * The value that would sit at index `k` if `a` were sorted (Hoare's selection, median-of-three
 * pivots; reorders `a`): linear time where a sort of a half-resolution chroma plane's 750k
 * samples took about 100 ms.
 */
function kthSmallest(a: Float64Array, k: number): number {
  let lo = 0, hi = a.length - 1;
  while (lo < hi) {
    const [x, y, z] = [a[lo], a[(lo + hi) >> 1], a[hi]];
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * Largest sample of an image a model is run on to find its noise level (a blind pass, or each
 * level the search tries): a quarter megapixel in crops spread over the image is plenty for one
 * level per plane, and keeps the search's passes a small part of a large photo's time.
 */
const LEVEL_SAMPLE_PIXELS = 1 << 18;

/**
 * A blind model's own noise level for an image (0-1): one pass told "unknown", over
 * crops spread across the image (LEVEL_SAMPLE_PIXELS), and the RMS of what
 * it removed. The model was trained with that same measure (RMS of noisy - clean)
 * as its level, so the second, told pass gets the level in the terms it learned;
 * measured better than one blind pass (bench/model-report, docs/models.md).
 */
export async function blindLevel(runAt: RunAt, img: FloatImage, multiple: number): Promise<number> {
  let sq = 0;
  let count = 0;
  for (const c of sampleCrops(img, LEVEL_SAMPLE_PIXELS, multiple)) {
    const out = await runAt(c, UNKNOWN_NOISE_LEVEL);
    for (let i = 0; i < c.data.length; i++) sq += (c.data[i] - out.data[i]) ** 2;
    count += c.data.length;
  }
  // Both measures run low: the blind pass leaves some strong noise in, and the wavelet estimate
  // misses noise that demosaicing and JPEG made smooth. The larger is the better one for each.
  return Math.max(Math.sqrt(sq / Math.max(1, count)), estimateNoiseSigma(img) / 255);
}

/**
 * The least level a reading may give, as a fraction of the wavelet estimate. On training crops
 * (60 CBSD432 training files, luma planes), the true level was below 0.7 of the wavelet estimate in
 * 5 % of them with Gaussian noise and 5 % with camera noise (10 %: 0.82 and 0.87), and the estimator
 * read below 0.78 and 0.86 of it in 5 %. Real photos can lie outside what the estimator learned:
 * on two RNI6 scans (Old Tom Morris, Vinegar) both estimators read 0.34-0.47 of the wavelet estimate
 * and left their noise in. Telling the wavelet estimate itself below the floor removed it there, but
 * cost 0.6 dB on clean BSD68 photos and 0.10 dB on CBSD68 at σ 15, where the wavelet band reads
 * texture as noise (docs/models.md, Sessions 10 and 11).
 */
const WAVELET_FLOOR = 0.7;

/**
 * A level estimator's readings next to a clipped value (0 or 1) run low: clipping removed part of
 * the noise there (all of it in a blown highlight or a black shadow), while the denoiser, trained on
 * clipped 8-bit inputs, wants the photo's level. So estimatedLevel leaves out pixels with a clipped
 * value within this radius, if at least MIN_UNCLIPPED_SHARE of the sample is left. Chosen on 31
 * held-out Train400 files (grey, 8-bit AWGN; the bundled default-grey): σ 50 read 48.1 and gave
 * 25.11 dB with every pixel, 49.2 and 25.21 with radius 1, 48.7 and 25.15 with radius 3; σ 15 lost
 * 0.008 dB; held-out camera noise on colour photos unchanged (docs/models.md, Session 14).
 */
const CLIPPED_RADIUS = 1;
const MIN_UNCLIPPED_SHARE = 0.1;

/** Whether pixel `p` of an image with `c` channels has a channel clipped to 0 or 1. */
function clippedAt(data: Float32Array, c: number, p: number): boolean {
  for (let i = p * c; i < (p + 1) * c; i++) if (data[i] <= 0 || data[i] >= 1) return true;
  return false;
}

/** 1 where no pixel within CLIPPED_RADIUS (a square window) has a channel clipped to 0 or 1. */
function unclipped({ width: w, height: h, channels: c, data }: FloatImage): Uint8Array {
  const r = CLIPPED_RADIUS;
  const rows = new Uint8Array(w * h); // 1 where the row window holds a clipped value
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!clippedAt(data, c, y * w + x)) continue;
      for (let u = Math.max(0, x - r); u <= Math.min(w - 1, x + r); u++) rows[y * w + u] = 1;
    }
  }
  const keep = new Uint8Array(w * h).fill(1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!rows[y * w + x]) continue;
      for (let v = Math.max(0, y - r); v <= Math.min(h - 1, y + r); v++) keep[v * w + x] = 0;
    }
  }
  return keep;
}

/**
 * A clip source (estimatedLevel) for a colour photo's half-resolution chroma planes (resample.ts's
 * halve): 1 for each 2x2 block with a channel clipped to 0 or 1 in any of its pixels, else 0.5.
 * Held-out CBSD432, camera noise 0.004 / 0.01: +0.02 / +0.03 dB over the planes' own values.
 */
export function clippedBlocks(img: FloatImage): FloatImage {
  const { width: w, height: h, channels: c, data } = img;
  const out = makeImage(Math.ceil(w / 2), Math.ceil(h / 2), 1);
  out.data.fill(0.5);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) if (clippedAt(data, c, y * w + x)) out.data[(y >> 1) * out.width + (x >> 1)] = 1;
  }
  return out;
}

/**
 * The level (0-1) a level estimator (levelnet, level-code.ts) reads on a grey or luma image: the
 * mean of its log-level maps over crops spread across the image (LEVEL_SAMPLE_PIXELS) away from
 * clipped values (CLIPPED_RADIUS), decoded, and at least WAVELET_FLOOR of the wavelet estimate.
 * One pass of a small network, where the search (searchedLevel) runs the denoiser five times.
 * `clipSource` (img's size, any channels) is where clipped values are looked for: the colour photo
 * for its luma plane (clippedBlocks for its chroma planes), where one channel clipped alone distorts
 * the plane's noise too (held-out CBSD432, camera noise 0.01: +0.07 dB over the plane's own
 * clipping; other levels within 0.02 dB).
 */
export async function estimatedLevel(readLevels: (crop: FloatImage) => Promise<FloatImage>, img: FloatImage, multiple: number, clipSource: FloatImage = img): Promise<number> {
  if (clipSource.width !== img.width || clipSource.height !== img.height) throw new Error('estimatedLevel: clipSource must have the image\'s size');
  let sum = 0, count = 0, sumAll = 0, countAll = 0;
  const crops = sampleCrops(img, LEVEL_SAMPLE_PIXELS, multiple);
  const clipCrops = clipSource === img ? crops : sampleCrops(clipSource, LEVEL_SAMPLE_PIXELS, multiple);
  for (const [j, c] of crops.entries()) {
    const map = await readLevels(c);
    const keep = unclipped(clipCrops[j]);
    for (let i = 0; i < map.data.length; i++) {
      sumAll += map.data[i];
      if (keep[i]) {
        sum += map.data[i];
        count++;
      }
    }
    countAll += map.data.length;
  }
  const mean = count >= MIN_UNCLIPPED_SHARE * countAll ? sum / count : sumAll / Math.max(1, countAll);
  return Math.max(decodeLevel(mean), (WAVELET_FLOOR * estimateNoiseSigma(img)) / 255);
}

/**
 * Levels the search tries, as multiples of the wavelet estimate. On camera noise (demosaiced,
 * JPEG) the wavelet estimate reads 0.5-0.7 of the true level and a blind pass is no better on
 * luma; on white noise it is close. It rarely reads high but at very low levels, where the level
 * matters little.
 */
const SEARCH_FACTORS = [1, 1.25, 1.6, 2, 2.5];

/**
 * A blind model's level for a grey or luma image (0-1): the model is told each level of a short
 * ladder over crops of the image, and the level kept is the one whose output leaves the most
 * noise-like residual, i.e. the residual's local energy least tied to the output's edges:
 * told too little, the model leaves noise along edges and texture (residual energy falls there);
 * told too much, it removes detail with the noise (residual energy rises there). On 10 CBSD68
 * images (plane model, luma PSNR): camera noise +0.15 / +0.55 / +0.93 dB at shot 0.0015 / 0.004 /
 * 0.01 against the blind pass's level; white noise, where the correlation's minimum sits low, keeps
 * the wavelet estimate as its floor (docs/models.md).
 */
export async function searchedLevel(runAt: RunAt, img: FloatImage, multiple: number): Promise<number> {
  const base = estimateNoiseSigma(img) / 255;
  if (base === 0) return 0;
  const crops = sampleCrops(img, LEVEL_SAMPLE_PIXELS, multiple);
  const scores: number[] = [];
  for (const f of SEARCH_FACTORS) {
    const stats = new EdgeResidualStats();
    for (const c of crops) stats.add(c, await runAt(c, f * base));
    scores.push(stats.correlation());
  }
  return base * Math.exp(parabolicMinimum(SEARCH_FACTORS.map(Math.log), scores));
}

/**
 * Radius of the 7x7 windows local energy is averaged over. Radius 1 looked better on training
 * crops (+0.40 dB on low camera noise) but lost 0.12-0.15 dB on the held-out camera sets at the
 * middle and high levels (docs/models.md, Session 9), so the first design stays.
 */
const ENERGY_RADIUS = 3;

/**
 * Pooled correlation, over crops, between the local energy (ENERGY_RADIUS windows) of a
 * residual (input - output) and of the output's gradient.
 */
class EdgeResidualStats {
  private n = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private syy = 0;
  private sxy = 0;

  add(input: FloatImage, output: FloatImage): void {
    const { width: w, height: h } = input;
    const grad = new Float32Array(w * h);
    const res = new Float32Array(w * h);
    const o = output.data;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const gx = x > 0 && x < w - 1 ? o[i + 1] - o[i - 1] : 0;
        const gy = y > 0 && y < h - 1 ? o[i + w] - o[i - w] : 0;
        grad[i] = gx * gx + gy * gy;
        res[i] = (input.data[i] - o[i]) ** 2;
      }
    }
    const a = boxMean(grad, w, h, ENERGY_RADIUS);
    const b = boxMean(res, w, h, ENERGY_RADIUS);
    for (let i = 0; i < a.length; i++) {
      this.n++;
      this.sx += a[i];
      this.sy += b[i];
      this.sxx += a[i] * a[i];
      this.syy += b[i] * b[i];
      this.sxy += a[i] * b[i];
    }
  }

  correlation(): number {
    const cov = this.sxy - (this.sx * this.sy) / this.n;
    const vx = this.sxx - (this.sx * this.sx) / this.n;
    const vy = this.syy - (this.sy * this.sy) / this.n;
    return vx > 0 && vy > 0 ? cov / Math.sqrt(vx * vy) : 0;
  }
}

/** Means over (2r+1)^2 windows (shrunk at the borders), as two 1-D passes. */
function boxMean(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const pass = (from: Float32Array, to: Float32Array, len: number, lines: number, step: number, lineStep: number) => {
    for (let l = 0; l < lines; l++) {
      for (let i = 0; i < len; i++) {
        let sum = 0;
        const lo = Math.max(0, i - r);
        const hi = Math.min(len - 1, i + r);
        for (let j = lo; j <= hi; j++) sum += from[l * lineStep + j * step];
        to[l * lineStep + i * step] = sum / (hi - lo + 1);
      }
    }
  };
  const rows = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  pass(src, rows, w, h, 1, w);
  pass(rows, out, h, w, w, 1);
  return out;
}

/**
 * Where the lowest of `ys` lies along `xs`: its x, refined by the parabola through it and its
 * neighbours when it has both (and the parabola opens upwards), kept between those neighbours.
 */
export function parabolicMinimum(xs: number[], ys: number[]): number {
  const j = ys.indexOf(Math.min(...ys));
  if (j === 0 || j === xs.length - 1) return xs[j];
  const [x0, x1, x2] = [xs[j - 1], xs[j], xs[j + 1]];
  const [y0, y1, y2] = [ys[j - 1], ys[j], ys[j + 1]];
  const d = (x0 - x1) * (x0 - x2) * (x1 - x2);
  const a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / d;
  const b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / d;
  return a > 0 ? Math.min(x2, Math.max(x0, -b / (2 * a))) : x1;
}

/** The whole image when it is small; otherwise square crops on an even grid, about `maxPixels` in all. */
function sampleCrops(img: FloatImage, maxPixels: number, multiple: number): FloatImage[] {
  if (img.width * img.height <= maxPixels) return [img];
  const side = Math.min(img.width, img.height, Math.max(multiple, Math.floor(256 / multiple) * multiple));
  const per = Math.max(1, Math.floor(maxPixels / (side * side)));
  const cols = Math.max(1, Math.round(Math.sqrt((per * img.width) / img.height)));
  const rows = Math.max(1, Math.floor(per / cols));
  const crops: FloatImage[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = Math.round(((c + 0.5) / cols) * (img.width - side));
      const y = Math.round(((r + 0.5) / rows) * (img.height - side));
      crops.push(crop(img, x, y, side, side));
    }
  }
  return crops;
}

