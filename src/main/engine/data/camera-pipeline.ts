/**
 * A simplified camera pipeline, run backwards and forwards, so that noise can
 * be added where a sensor adds it: in linear raw data, before demosaicing,
 * colour correction, gamma and the tone curve make it brightness-dependent,
 * correlated between neighbours and coloured. The model of each step follows
 * Brooks et al., "Unprocessing Images for Learned Raw Denoising" (CVPR 2019):
 *
 *   sRGB -> inverse tone curve -> linear (gamma 2.2) -> camera RGB (a random
 *   mix of real cameras' colour matrices) -> inverse white balance and
 *   exposure -> Bayer mosaic                 ... and `processRaw` back again,
 *
 * with raw noise of variance shot * x + read (heteroscedastic Gaussian). The mosaic's
 * phase is drawn too (RGGB, GRBG, GBRG or BGGR from the image's corner): sensors differ,
 * and photos are cropped, so a model must not learn where the red pixels sit.
 * Images are interleaved HWC in [0, 1], three channels.
 */
import type { Rng } from './rng';
import { bayerChannel, type CfaPhase } from '../image/mosaic';

type Mat3 = [number, number, number, number, number, number, number, number, number];

/** XYZ -> camera matrices of four real cameras (Adobe DNG calibration data, as used by Brooks et al.). */
const XYZ_TO_CAMERA: Mat3[] = [
  [1.0234, -0.2969, -0.2266, -0.5625, 1.6328, -0.0469, -0.0703, 0.2188, 0.6406],
  [0.4913, -0.0541, -0.0202, -0.613, 1.3513, 0.2906, -0.1564, 0.2151, 0.7183],
  [0.838, -0.263, -0.0639, -0.2887, 1.0725, 0.2496, -0.0627, 0.1427, 0.5438],
  [0.6596, -0.2079, -0.0562, -0.4782, 1.3016, 0.1933, -0.097, 0.1581, 0.5181],
];

/** Linear sRGB -> CIE XYZ (D65). */
const SRGB_TO_XYZ: Mat3 = [0.4124564, 0.3575761, 0.1804375, 0.2126729, 0.7151522, 0.072175, 0.0193339, 0.119192, 0.9503041];

/** The camera a raw image is pretended to come from. */
export interface CameraParams {
  /** Linear sRGB -> camera RGB, rows normalised to sum to 1 (so white stays white). */
  rgbToCam: Mat3;
  camToRgb: Mat3;
  /** White-balance gains the camera would apply to red and blue, and the overall exposure gain. */
  redGain: number;
  blueGain: number;
  exposureGain: number;
  cfa: CfaPhase;
}

/** Raw noise: variance = shot * x + read, for raw values x in [0, 1]. */
export interface RawNoise {
  shot: number;
  read: number;
}

function mul(a: Mat3, b: Mat3): Mat3 {
  const out = new Array(9).fill(0) as Mat3;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return out;
}

function invert(m: Mat3): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det, -(b * i - c * h) / det, (b * f - c * e) / det,
    B / det, (a * i - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * h - b * g) / det, (a * e - b * d) / det,
  ];
}

function normal(rng: Rng, mean: number, sd: number): number {
  return mean + sd * rng.normal();
}

/** Draws a camera: a random convex mix of the real matrices and random white balance and exposure. */
export function randomCamera(rng: Rng): CameraParams {
  const weights = XYZ_TO_CAMERA.map(() => rng.uniform(1e-8, 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const xyzToCam = new Array(9).fill(0) as Mat3;
  XYZ_TO_CAMERA.forEach((m, k) => m.forEach((v, i) => (xyzToCam[i] += (weights[k] / total) * v)));
  const rgbToCam = mul(xyzToCam, SRGB_TO_XYZ);
  for (let r = 0; r < 3; r++) {
    const s = rgbToCam[r * 3] + rgbToCam[r * 3 + 1] + rgbToCam[r * 3 + 2];
    for (let k = 0; k < 3; k++) rgbToCam[r * 3 + k] /= s;
  }
  return {
    rgbToCam,
    camToRgb: invert(rgbToCam),
    redGain: rng.uniform(1.9, 2.4),
    blueGain: rng.uniform(1.5, 1.9),
    exposureGain: 1 / Math.max(0.4, normal(rng, 0.8, 0.1)),
    cfa: { x: rng.int(2) as 0 | 1, y: rng.int(2) as 0 | 1 },
  };
}

/** Draws raw noise levels: log(shot) ~ U(log 1e-4, log 0.012) by default; read noise follows shot noise (log-linear). */
export function randomRawNoise(rng: Rng, shotRange: [number, number] = [1e-4, 0.012]): RawNoise {
  const logShot = rng.uniform(Math.log(shotRange[0]), Math.log(shotRange[1]));
  const logRead = 2.18 * logShot + 1.2 + normal(rng, 0, 0.26);
  return { shot: Math.exp(logShot), read: Math.exp(logRead) };
}

const GAMMA = 2.2;

/** sRGB value -> linear: the inverse of the smoothstep tone curve 3y^2 - 2y^3, then gamma. */
function toLinear(y: number): number {
  const v = Math.min(1, Math.max(0, y));
  return Math.max(0.5 - Math.sin(Math.asin(1 - 2 * v) / 3), 1e-8) ** GAMMA;
}

/** Linear -> sRGB value: gamma, then the tone curve. */
function fromLinear(x: number): number {
  const v = Math.min(1, Math.max(1e-8, x)) ** (1 / GAMMA);
  return 3 * v * v - 2 * v * v * v;
}

/**
 * Both curves as tables (the pipeline runs on every training patch): exact on
 * the 8-bit grid that clean images come on, linearly interpolated elsewhere.
 * fromLinear is steep near 0, so its table is indexed by sqrt(x).
 */
const LUT = 4096;
const TO_LINEAR = Float64Array.from({ length: 256 }, (_, i) => toLinear(i / 255));
const FROM_LINEAR = Float64Array.from({ length: LUT + 1 }, (_, i) => fromLinear((i / LUT) ** 2));

function lookup(table: Float64Array, pos: number): number {
  const i = Math.min(table.length - 2, Math.floor(pos));
  const f = pos - i;
  return table[i] + f * (table[i + 1] - table[i]);
}

function linearOf(y: number): number {
  const pos = Math.min(1, Math.max(0, y)) * 255;
  return pos === Math.round(pos) ? TO_LINEAR[pos] : lookup(TO_LINEAR, pos);
}

function srgbOf(x: number): number {
  return lookup(FROM_LINEAR, Math.sqrt(Math.min(1, Math.max(0, x))) * LUT);
}

/** Gains applied when un-white-balancing, eased towards 1 for bright pixels so highlights do not become impossible raw values. */
function safeInverseGain(gain: number, brightness: number): number {
  const t = 0.9;
  const mask = Math.max(0, brightness - t) / (1 - t);
  const inv = 1 / gain;
  return Math.max(inv, mask * mask + (1 - mask * mask) * inv);
}

/**
 * sRGB image (HWC, 3 channels) -> Bayer raw plane (one value per pixel, in the camera's
 * mosaic phase), linear, in the camera's space before white balance.
 */
export function unprocess(rgb: Float32Array, width: number, height: number, cam: CameraParams): Float32Array {
  const raw = new Float32Array(width * height);
  const m = cam.rgbToCam;
  const gains = [cam.redGain * cam.exposureGain, cam.exposureGain, cam.blueGain * cam.exposureGain];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const r = linearOf(rgb[3 * p]);
      const g = linearOf(rgb[3 * p + 1]);
      const b = linearOf(rgb[3 * p + 2]);
      const k = bayerChannel(x + cam.cfa.x, y + cam.cfa.y);
      const v = m[k * 3] * r + m[k * 3 + 1] * g + m[k * 3 + 2] * b;
      const grey = (r + g + b) / 3;
      raw[p] = Math.min(1, Math.max(0, v * safeInverseGain(gains[k], grey)));
    }
  }
  return raw;
}

/** Adds heteroscedastic Gaussian noise to a raw plane, in place. */
export function addRawNoise(raw: Float32Array, noise: RawNoise, rng: Rng): Float32Array {
  for (let i = 0; i < raw.length; i++) {
    const sd = Math.sqrt(Math.max(0, noise.shot * raw[i] + noise.read));
    raw[i] += sd * rng.normal();
  }
  return raw;
}

/**
 * Bilinear demosaic of a Bayer plane in phase `cfa`: each missing colour is the mean
 * of the nearest samples of that colour (edges mirrored).
 */
export function demosaic(raw: Float32Array, width: number, height: number, cfa: CfaPhase = { x: 0, y: 0 }): Float32Array {
  const out = new Float32Array(width * height * 3);
  const at = (x: number, y: number) => {
    const xx = x < 0 ? -x : x >= width ? 2 * width - 2 - x : x;
    const yy = y < 0 ? -y : y >= height ? 2 * height - 2 - y : y;
    return raw[Math.max(0, yy) * width + Math.max(0, xx)];
  };
  for (let y = 0; y < height; y++) {
    const inner = y > 0 && y < height - 1;
    for (let x = 0; x < width; x++) {
      const p = 3 * (y * width + x);
      const i = y * width + x;
      let left: number, right: number, up: number, down: number, diag: number;
      if (inner && x > 0 && x < width - 1) {
        // Away from the border the neighbours are read directly (the mirrored reads are for the border only).
        left = raw[i - 1]; right = raw[i + 1]; up = raw[i - width]; down = raw[i + width];
        diag = (raw[i - width - 1] + raw[i - width + 1] + raw[i + width - 1] + raw[i + width + 1]) / 4;
      } else {
        left = at(x - 1, y); right = at(x + 1, y); up = at(x, y - 1); down = at(x, y + 1);
        diag = (at(x - 1, y - 1) + at(x + 1, y - 1) + at(x - 1, y + 1) + at(x + 1, y + 1)) / 4;
      }
      const here = raw[i];
      const cross = (left + right + up + down) / 4;
      const horiz = (left + right) / 2;
      const vert = (up + down) / 2;
      switch (bayerChannel(x + cfa.x, y + cfa.y)) {
        case 0: out[p] = here; out[p + 1] = cross; out[p + 2] = diag; break;
        case 2: out[p] = diag; out[p + 1] = cross; out[p + 2] = here; break;
        default: // green: red and blue neighbours lie along the row or the column, by row parity
          if (((y + cfa.y) & 1) === 0) { out[p] = horiz; out[p + 2] = vert; } else { out[p] = vert; out[p + 2] = horiz; }
          out[p + 1] = here;
      }
    }
  }
  return out;
}

/** Demosaiced camera RGB -> sRGB: white balance and exposure, colour matrix, gamma, tone curve. */
export function processRaw(raw: Float32Array, width: number, height: number, cam: CameraParams): Float32Array {
  const rgb = demosaic(raw, width, height, cam.cfa);
  const m = cam.camToRgb;
  const gains = [cam.redGain * cam.exposureGain, cam.exposureGain, cam.blueGain * cam.exposureGain];
  for (let p = 0; p < width * height; p++) {
    const c0 = Math.min(1, Math.max(0, rgb[3 * p] * gains[0]));
    const c1 = Math.min(1, Math.max(0, rgb[3 * p + 1] * gains[1]));
    const c2 = Math.min(1, Math.max(0, rgb[3 * p + 2] * gains[2]));
    for (let k = 0; k < 3; k++) rgb[3 * p + k] = srgbOf(m[k * 3] * c0 + m[k * 3 + 1] * c1 + m[k * 3 + 2] * c2);
  }
  return rgb;
}
