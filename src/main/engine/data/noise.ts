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
 *   A+B[+C...]               a mixture: each image gets one of the models, chosen uniformly
 *                            (e.g. gaussian:0-55+poisson-gaussian:0.001-0.02,0-10)
 * All but `factor` produce 8-bit inputs (clipped and rounded), as a user's photo is.
 */
import { UserError } from '../errors';
import { quantize8 } from '../image';
import type { Rng } from '../rng';

type Range = [number, number];
export type NoiseSpec =
  | { kind: 'none' }
  | { kind: 'factor'; factor: number }
  | { kind: 'gaussian'; sigma: Range }
  | { kind: 'poisson-gaussian'; gain: Range; sigma: Range }
  | { kind: 'salt-pepper'; amount: Range }
  | { kind: 'mixture'; parts: SingleNoiseSpec[] };
type SingleNoiseSpec = Exclude<NoiseSpec, { kind: 'mixture' }>;

const USAGE = 'noise spec must be one of: none, factor:F, gaussian:S, gaussian:A-B, poisson-gaussian:G,S, salt-pepper:P, or a mixture A+B';

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

export function parseNoiseSpec(spec: string): NoiseSpec {
  const parts = spec.split('+');
  if (parts.length === 1) return parseSingle(spec);
  const parsed = parts.map(parseSingle);
  if (parsed.some((p) => p.kind === 'factor' || p.kind === 'none')) {
    throw new UserError(`bad noise spec "${spec}": a mixture combines gaussian, poisson-gaussian and salt-pepper models`);
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
    default:
      throw new UserError(`unknown noise model "${kind}". ${USAGE}`);
  }
}

export function formatNoiseSpec(spec: NoiseSpec): string {
  const r = ([a, b]: Range) => (a === b ? `${a}` : `${a}-${b}`);
  switch (spec.kind) {
    case 'none': return 'none';
    case 'factor': return `factor:${spec.factor}`;
    case 'gaussian': return `gaussian:${r(spec.sigma)}`;
    case 'poisson-gaussian': return `poisson-gaussian:${r(spec.gain)},${r(spec.sigma)}`;
    case 'salt-pepper': return `salt-pepper:${r(spec.amount)}`;
    case 'mixture': return spec.parts.map(formatNoiseSpec).join('+');
  }
}

/** The highest noise level (0-1 scale) the spec can produce; used to scale noise maps. */
export function maxSigma(spec: NoiseSpec): number {
  switch (spec.kind) {
    case 'gaussian': return spec.sigma[1] / 255;
    case 'poisson-gaussian': return Math.sqrt(spec.gain[1] + (spec.sigma[1] / 255) ** 2);
    case 'factor': return spec.factor;
    case 'mixture': return Math.max(...spec.parts.map(maxSigma));
    default: return 0;
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

/** Returns a noisy copy of `clean` (values in [0,1]); draws one level per call. */
export function applyNoise(clean: Float32Array, spec: NoiseSpec, rng: Rng): NoisyResult {
  if (spec.kind === 'mixture') return applyNoise(clean, spec.parts[Math.min(spec.parts.length - 1, Math.floor(rng.next() * spec.parts.length))], rng);
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
      let sq = 0;
      for (let i = 0; i < clean.length; i++) sq += (out[i] - clean[i]) ** 2;
      return { noisy: out, sigma: Math.sqrt(sq / Math.max(1, clean.length)) };
    }
  }
}
