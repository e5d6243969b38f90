/**
 * Noise models, applied on the fly and deterministic for a given RNG state.
 *
 * Spec strings (levels on the 0-255 scale unless said otherwise; `A-B` draws
 * a level per image uniformly from the range):
 *   none
 *   factor:F                 the notebook's x + F*N(0,1) on [0,1], clipped
 *   gaussian:S | gaussian:A-B
 *   poisson-gaussian:G,S     shot noise with variance G*x (x in [0,1]) plus read noise S; G and S may be ranges
 *   salt-pepper:P            a fraction P (0-1) of pixels set to black or white; may be a range
 *   correlated:S[,B]         grain-like noise: white Gaussian noise low-passed by a Gaussian blur of B
 *                            pixels (std; default 0.5-2), scaled to keep level S; film grain, scanned
 *                            prints and phones' processed noise look like this. S and B may be ranges.
 *   camera[:S[,Q][,M]]       camera noise (camera-pipeline.ts): the image is unprocessed to raw, gets
 *                            shot and read noise there (shot level S on the raw 0-1 scale, a range
 *                            drawn log-uniformly; read noise follows it), and is processed back; with Q
 *                            it is then saved as a JPEG of quality Q (1-100, may be a range). The
 *                            mosaic's pattern is drawn with the camera, or fixed by M: `rggb`, `grbg`,
 *                            `gbrg` or `bggr`, a sensor of that pattern; `as-rggb` (etc.), a photo from
 *                            the drawn sensor moved by a pixel into that pattern, its JPEG blocks with
 *                            it, as the engine shows a photo to a model trained in one (image/mosaic.ts).
 *                            The camera is drawn either way, so the rest of the noise is the same.
 *                            Plain `camera` is camera:0.0001-0.012,60-100.
 *   A+B[+C...]               a mixture: each image gets one of the models, chosen uniformly
 *                            (e.g. gaussian:0-55+poisson-gaussian:0.001-0.02,0-10)
 * All but `factor` produce 8-bit inputs (clipped and rounded), as a user's photo is.
 */
import { addRawNoise, processRaw, randomCamera, randomRawNoise, unprocess } from './camera-pipeline';
import { CFA_PATTERNS, phaseShift, shifted, type CfaPattern } from '../image/mosaic';
import { jpegRoundTrip } from './jpeg-artifacts';
import { UserError } from '../errors';
import { mse } from '../image/metrics';
import { makeImage, quantize8, toChannels, type FloatImage } from '../image/float-image';
import type { Rng } from './rng';

type Range = [number, number];
export type NoiseSpec =
  | { kind: 'none' }
  | { kind: 'factor'; factor: number }
  | { kind: 'gaussian'; sigma: Range }
  | { kind: 'poisson-gaussian'; gain: Range; sigma: Range }
  | { kind: 'salt-pepper'; amount: Range }
  | { kind: 'correlated'; sigma: Range; blur: Range }
  | { kind: 'camera'; shot: Range; jpegQuality: Range | null; mosaic: CameraMosaic }
  | { kind: 'mixture'; parts: SingleNoiseSpec[] };
type SingleNoiseSpec = Exclude<NoiseSpec, { kind: 'mixture' }>;
/** Where camera noise's mosaic lies: drawn with the camera; a sensor of one pattern; or a photo moved into one pattern from the drawn sensor's. */
export type CameraMosaic = { kind: 'drawn' } | { kind: 'sensor'; pattern: CfaPattern } | { kind: 'shown'; pattern: CfaPattern };

/** The forms a noise spec takes (above), as usage messages list them. */
export const NOISE_SPEC_FORMS = ['none', 'factor:F', 'gaussian:S', 'gaussian:A-B', 'poisson-gaussian:G,S', 'salt-pepper:P', 'correlated:S[,B]', 'camera[:S[,Q][,M]]', 'a mixture A+B'] as const;

const USAGE = `noise spec must be one of: ${NOISE_SPEC_FORMS.join(', ')}`;

/** The blur of `correlated:S` without B: from fine grain to blotches a few pixels across. */
const CORRELATED_BLUR_DEFAULT: Range = [0.5, 2];

/** Plain `camera`: the shot-noise range of Brooks et al. and phone-like JPEG qualities. */
const CAMERA_DEFAULT = { shot: [1e-4, 0.012] as Range, jpegQuality: [60, 100] as Range, mosaic: { kind: 'drawn' } as CameraMosaic };

function parseRange(text: string, what: string, max: number): Range {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e-?\d+)?)\s*(?:-\s*([0-9]*\.?[0-9]+(?:e-?\d+)?))?\s*$/i.exec(text);
  if (!m) throw new UserError(`bad ${what} "${text}": expected a number or a range like 0-55. ${USAGE}`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo < 0 || hi < lo || hi > max) {
    throw new UserError(`bad ${what} "${text}": must satisfy 0 <= low <= high <= ${max}`);
  }
  return [lo, hi];
}

/** A camera spec's M: a pattern's name, or `as-` and one. */
function parseMosaic(text: string, spec: string): CameraMosaic {
  const shown = text.startsWith('as-');
  const pattern = shown ? text.slice(3) : text;
  if (!(pattern in CFA_PATTERNS)) {
    const names = Object.keys(CFA_PATTERNS);
    throw new UserError(`bad mosaic "${text}" in noise spec "${spec}": must be one of ${names.join(', ')}, or as- and one (${names.map((n) => `as-${n}`).join(', ')})`);
  }
  return { kind: shown ? 'shown' : 'sensor', pattern: pattern as CfaPattern };
}

export function parseNoiseSpec(spec: string): NoiseSpec {
  const parts = spec.split('+');
  if (parts.length === 1) return parseSingle(spec);
  const parsed = parts.map(parseSingle);
  if (parsed.some((p) => p.kind === 'factor' || p.kind === 'none')) {
    throw new UserError(`bad noise spec "${spec}": a mixture combines gaussian, poisson-gaussian, salt-pepper and camera models`);
  }
  return { kind: 'mixture', parts: parsed };
}

function parseSingle(spec: string): SingleNoiseSpec {
  const [kind, arg = '', extra] = spec.trim().split(':');
  if (extra !== undefined) throw new UserError(`bad noise spec "${spec}". ${USAGE}`);
  switch (kind) {
    case 'none':
      return { kind: 'none' };
    case 'factor': {
      const [f] = parseRange(arg, 'noise factor', 10);
      return { kind: 'factor', factor: f };
    }
    case 'gaussian':
      return { kind: 'gaussian', sigma: parseRange(arg, 'gaussian sigma', 255) };
    case 'poisson-gaussian': {
      const parts = arg.split(',');
      if (parts.length !== 2) throw new UserError(`bad noise spec "${spec}": poisson-gaussian needs G,S (gain and read-noise sigma)`);
      return { kind: 'poisson-gaussian', gain: parseRange(parts[0], 'poisson gain', 1), sigma: parseRange(parts[1], 'read-noise sigma', 255) };
    }
    case 'salt-pepper':
      return { kind: 'salt-pepper', amount: parseRange(arg, 'salt-and-pepper amount', 1) };
    case 'correlated': {
      const parts = arg.split(',');
      if (parts.length > 2) throw new UserError(`bad noise spec "${spec}": correlated takes S or S,B (level and blur in pixels)`);
      return { kind: 'correlated', sigma: parseRange(parts[0], 'correlated noise level', 255), blur: parts[1] === undefined ? CORRELATED_BLUR_DEFAULT : parseRange(parts[1], 'correlated noise blur', 8) };
    }
    case 'camera': {
      if (arg === '') return { kind: 'camera', ...CAMERA_DEFAULT };
      const parts = arg.split(',');
      const last = parts[parts.length - 1].trim().toLowerCase();
      const named = parts.length > 1 && /^[a-z-]+$/.test(last) ? last : null;
      if (named !== null) parts.pop();
      if (parts.length > 2) throw new UserError(`bad noise spec "${spec}": camera takes S, S,Q, S,M or S,Q,M (shot level, JPEG quality, mosaic)`);
      const mosaic = named === null ? CAMERA_DEFAULT.mosaic : parseMosaic(named, spec);
      const shot = parseRange(parts[0], 'camera shot level', 1);
      if (shot[0] <= 0) throw new UserError(`bad camera shot level "${parts[0]}": must be above 0`);
      const jpegQuality = parts[1] === undefined ? null : parseRange(parts[1], 'JPEG quality', 100);
      if (jpegQuality && jpegQuality[0] < 1) throw new UserError(`bad JPEG quality "${parts[1]}": must be 1-100`);
      return { kind: 'camera', shot, jpegQuality, mosaic };
    }
    default:
      throw new UserError(`unknown noise model "${kind}". ${USAGE}`);
  }
}

/** The one mosaic pattern that every camera part of `spec` names, if it has camera parts and they agree: what a model trained on it saw. */
export function namedMosaic(spec: NoiseSpec): CfaPattern | null {
  const cameras = (spec.kind === 'mixture' ? spec.parts : [spec]).flatMap((p) => (p.kind === 'camera' ? [p.mosaic] : []));
  const named = new Set(cameras.map((m) => (m.kind === 'drawn' ? null : m.pattern)));
  return named.size === 1 ? [...named][0] : null;
}

export function formatNoiseSpec(spec: NoiseSpec): string {
  const r = ([a, b]: Range) => (a === b ? `${a}` : `${a}-${b}`);
  switch (spec.kind) {
    case 'none': return 'none';
    case 'factor': return `factor:${spec.factor}`;
    case 'gaussian': return `gaussian:${r(spec.sigma)}`;
    case 'poisson-gaussian': return `poisson-gaussian:${r(spec.gain)},${r(spec.sigma)}`;
    case 'salt-pepper': return `salt-pepper:${r(spec.amount)}`;
    case 'correlated': return `correlated:${r(spec.sigma)},${r(spec.blur)}`;
    case 'camera': {
      const mosaic = spec.mosaic.kind === 'drawn' ? '' : `,${spec.mosaic.kind === 'shown' ? 'as-' : ''}${spec.mosaic.pattern}`;
      return `camera:${r(spec.shot)}${spec.jpegQuality ? `,${r(spec.jpegQuality)}` : ''}${mosaic}`;
    }
    case 'mixture': return spec.parts.map(formatNoiseSpec).join('+');
  }
}

export interface NoisyResult {
  noisy: Float32Array;
  /** The noise level (0-1 scale) a noise-map model is told about. */
  sigma: number;
}

function poisson(lambda: number, rng: Rng): number {
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * rng.normal()));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}


/**
 * Camera noise on an sRGB image: noise added in raw, then the difference the
 * camera pipeline makes of it (process(raw + n) - process(raw)) added to the
 * clean image, so the noise is shaped by the pipeline but the picture is not
 * blurred by this simple demosaic; then 8-bit or a JPEG.
 */
function cameraNoise(clean: FloatImage, spec: Extract<NoiseSpec, { kind: 'camera' }>, rng: Rng): Float32Array {
  const rgb = toChannels(clean, 3);
  const { width: w, height: h } = clean;
  const drawn = randomCamera(rng);
  const cam = spec.mosaic.kind === 'drawn' ? drawn : { ...drawn, cfa: CFA_PATTERNS[spec.mosaic.pattern] };
  const noise = randomRawNoise(rng, spec.shot);
  const quality = spec.jpegQuality ? Math.round(rng.uniform(spec.jpegQuality[0], spec.jpegQuality[1])) : 0;
  const raw = unprocess(rgb.data, w, h, cam);
  const base = processRaw(raw, w, h, cam);
  const noisy = processRaw(addRawNoise(raw, noise, rng), w, h, cam);
  for (let i = 0; i < noisy.length; i++) noisy[i] = rgb.data[i] + noisy[i] - base[i];
  const out = toChannels({ width: w, height: h, channels: 3, data: noisy }, clean.channels).data;
  if (quality === 0) return quantize8(out);
  // Moved into the pattern from the drawn sensor's, the JPEG's blocks (at the photo's corner) move too.
  const grid = spec.mosaic.kind === 'shown' ? phaseShift(drawn.cfa, cam.cfa) : { x: 0, y: 0 } as const;
  const { image, back } = shifted(makeImage(w, h, clean.channels, out), grid);
  return back(makeImage(image.width, image.height, clean.channels, jpegRoundTrip(image.data, image.width, image.height, clean.channels, quality))).data;
}

/**
 * White Gaussian noise of level `sigma` (0-1) on a w x h x c image, low-passed by a Gaussian blur of
 * `blur` pixels in each channel. The 1-D kernel has unit L2 norm, so the blurred noise keeps the
 * level; edges reflect, so the border is as grainy as the middle.
 */
function correlatedNoise(w: number, h: number, c: number, sigma: number, blur: number, rng: Rng): Float32Array {
  const r = Math.max(1, Math.ceil(3 * blur));
  const kernel = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * blur * blur)));
  const norm = Math.sqrt(kernel.reduce((a, v) => a + v * v, 0));
  const k = kernel.map((v) => v / norm);
  const reflect = (i: number, n: number) => (n === 1 ? 0 : i < 0 ? Math.min(n - 1, -i) : i >= n ? Math.max(0, 2 * n - 2 - i) : i);
  const white = Float32Array.from({ length: w * h * c }, () => sigma * rng.normal());
  const rows = new Float32Array(white.length);
  const out = new Float32Array(white.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let j = -r; j <= r; j++) sum += k[j + r] * white[(y * w + reflect(x + j, w)) * c + ch];
    rows[(y * w + x) * c + ch] = sum;
  }
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let j = -r; j <= r; j++) sum += k[j + r] * rows[(reflect(y + j, h) * w + x) * c + ch];
    out[(y * w + x) * c + ch] = sum;
  }
  return out;
}

/** Returns a noisy copy of the clean image's pixels (values in [0,1]); draws one level per call. */
export function applyNoise(image: FloatImage, spec: NoiseSpec, rng: Rng): NoisyResult {
  if (spec.kind === 'mixture') return applyNoise(image, spec.parts[Math.min(spec.parts.length - 1, Math.floor(rng.next() * spec.parts.length))], rng);
  const clean = image.data;
  const out = new Float32Array(clean.length);
  switch (spec.kind) {
    case 'none':
      out.set(clean);
      return { noisy: out, sigma: 0 };
    case 'factor': {
      for (let i = 0; i < clean.length; i++) out[i] = Math.min(1, Math.max(0, clean[i] + spec.factor * rng.normal()));
      return { noisy: out, sigma: spec.factor };
    }
    case 'gaussian': {
      const s = rng.uniform(spec.sigma[0], spec.sigma[1]) / 255;
      for (let i = 0; i < clean.length; i++) out[i] = clean[i] + s * rng.normal();
      return { noisy: quantize8(out), sigma: s };
    }
    case 'poisson-gaussian': {
      const gain = rng.uniform(spec.gain[0], spec.gain[1]);
      const s = rng.uniform(spec.sigma[0], spec.sigma[1]) / 255;
      let mean = 0;
      for (let i = 0; i < clean.length; i++) {
        const shot = gain > 0 ? poisson(clean[i] / gain, rng) * gain : clean[i];
        out[i] = shot + s * rng.normal();
        mean += clean[i];
      }
      mean /= Math.max(1, clean.length);
      return { noisy: quantize8(out), sigma: Math.sqrt(gain * mean + s * s) };
    }
    case 'salt-pepper': {
      const p = rng.uniform(spec.amount[0], spec.amount[1]);
      for (let i = 0; i < clean.length; i++) {
        const u = rng.next();
        out[i] = u < p / 2 ? 0 : u < p ? 1 : clean[i];
      }
      quantize8(out);
      return { noisy: out, sigma: Math.sqrt(mse(out, clean)) };
    }
    case 'correlated': {
      const s = rng.uniform(spec.sigma[0], spec.sigma[1]) / 255;
      const noise = correlatedNoise(image.width, image.height, image.channels, s, rng.uniform(spec.blur[0], spec.blur[1]), rng);
      for (let i = 0; i < clean.length; i++) out[i] = clean[i] + noise[i];
      return { noisy: quantize8(out), sigma: s };
    }
    case 'camera': {
      const noisy = cameraNoise(image, spec, rng);
      return { noisy, sigma: Math.sqrt(mse(noisy, clean)) };
    }
  }
}
