/** Noise specs parse strictly, and noise is deterministic and has the right statistics. */
import { describe, expect, it } from 'vitest';
import { applyNoise, formatNoiseSpec, namedMosaic, parseNoiseSpec } from '../../../../src/main/engine/data/noise';
import { UserError } from '../../../../src/main/engine/errors';
import { NOISE_PRESETS } from '../../../../src/shared/noise-presets';
import { Rng } from '../../../../src/main/engine/data/rng';
import { randomCamera } from '../../../../src/main/engine/data/camera-pipeline';
import { CFA_PATTERNS } from '../../../../src/main/engine/image/mosaic';

import { makeImage } from '../../../../src/main/engine/image/float-image';

/** A flat grey image of n pixels (one row). */
const grey = (v: number, n = 100_000) => makeImage(n, 1, 1, new Float32Array(n).fill(v));

describe('noise specs', () => {
  it.each([
    ['factor:0.3', { kind: 'factor', factor: 0.3 }],
    ['gaussian:25', { kind: 'gaussian', sigma: [25, 25] }],
    ['gaussian:0-55', { kind: 'gaussian', sigma: [0, 55] }],
    ['poisson-gaussian:0.01,5', { kind: 'poisson-gaussian', gain: [0.01, 0.01], sigma: [5, 5] }],
    ['salt-pepper:0.05', { kind: 'salt-pepper', amount: [0.05, 0.05] }],
    ['none', { kind: 'none' }],
    ['correlated:15,1', { kind: 'correlated', sigma: [15, 15], blur: [1, 1] }],
    ['correlated:0-30,0.5-2', { kind: 'correlated', sigma: [0, 30], blur: [0.5, 2] }],
    ['camera:0.004', { kind: 'camera', shot: [0.004, 0.004], jpegQuality: null, mosaic: { kind: 'drawn' } }],
    ['camera:0.0001-0.012,60-100', { kind: 'camera', shot: [0.0001, 0.012], jpegQuality: [60, 100], mosaic: { kind: 'drawn' } }],
    ['camera:0.01,90,grbg', { kind: 'camera', shot: [0.01, 0.01], jpegQuality: [90, 90], mosaic: { kind: 'sensor', pattern: 'grbg' } }],
    ['camera:0.01,bggr', { kind: 'camera', shot: [0.01, 0.01], jpegQuality: null, mosaic: { kind: 'sensor', pattern: 'bggr' } }],
    ['camera:0.01,90,as-rggb', { kind: 'camera', shot: [0.01, 0.01], jpegQuality: [90, 90], mosaic: { kind: 'shown', pattern: 'rggb' } }],
    ['gaussian:0-55+poisson-gaussian:0.001-0.02,0-10', {
      kind: 'mixture', parts: [{ kind: 'gaussian', sigma: [0, 55] }, { kind: 'poisson-gaussian', gain: [0.001, 0.02], sigma: [0, 10] }],
    }],
  ])('parses %s and formats it back', (text, spec) => {
    expect(parseNoiseSpec(text)).toEqual(spec);
    expect(formatNoiseSpec(parseNoiseSpec(text))).toBe(text);
  });
  it.each(NOISE_PRESETS.map((p) => [p.label, p.spec]))("parses the app's preset %s", (_label, spec) => {
    const parsed = parseNoiseSpec(spec); // defaults spelled out when formatted back: `camera` is `camera:0.0001-0.012,60-100`
    expect(parseNoiseSpec(formatNoiseSpec(parsed))).toEqual(parsed);
  });
  it.each(['gaussian', 'gaussian:abc', 'gaussian:-5', 'gaussian:30-10', 'gaussian:300', 'blur:3', 'poisson-gaussian:0.1', 'salt-pepper:2', 'gaussian:1:2', 'gaussian:25+', 'factor:0.3+gaussian:25', 'camera:0', 'camera:0.01,0', 'correlated:10,9', 'correlated:10,1,2', 'camera:0.01,101', 'camera:0.01,90,1', 'camera:0.01,90,rgbg', 'camera:0.01,90,80,rggb', 'camera:rggb', 'camera:0.01,as-rgbg', 'camera:0.01,as-'])(
    'rejects %s with a usage message', (text) => {
      expect(() => parseNoiseSpec(text)).toThrow(UserError);
    });
});

describe('applyNoise', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const spec = parseNoiseSpec('gaussian:0-55');
    const a = applyNoise(grey(0.5, 1000), spec, new Rng(1));
    const b = applyNoise(grey(0.5, 1000), spec, new Rng(1));
    const c = applyNoise(grey(0.5, 1000), spec, new Rng(2));
    expect(a.noisy).toEqual(b.noisy);
    expect(a.sigma).toBe(b.sigma);
    expect(c.noisy).not.toEqual(a.noisy);
  });
  it('gaussian:25 has the right standard deviation and lands on the 8-bit grid', () => {
    const { noisy, sigma } = applyNoise(grey(0.5), parseNoiseSpec('gaussian:25'), new Rng(3));
    const mean = noisy.reduce((s, v) => s + v, 0) / noisy.length;
    const sd = Math.sqrt(noisy.reduce((s, v) => s + (v - mean) ** 2, 0) / noisy.length) * 255;
    expect(sigma).toBeCloseTo(25 / 255, 10);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sd).toBeGreaterThan(24.5);
    expect(sd).toBeLessThan(25.5);
    for (const v of noisy.subarray(0, 1000)) expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-4);
  });
  it('correlated noise keeps its level, and neighbours share it the more the larger its blur', () => {
    expect(parseNoiseSpec('correlated:20')).toEqual({ kind: 'correlated', sigma: [20, 20], blur: [0.5, 2] });
    const img = makeImage(300, 300, 1, new Float32Array(300 * 300).fill(0.5));
    /** The noise's RMS (0-255) and the correlation of horizontal neighbours. */
    const stats = (spec: string) => {
      const { noisy, sigma } = applyNoise(img, parseNoiseSpec(spec), new Rng(5));
      const d = noisy.map((v) => v - 0.5);
      let same = 0;
      for (let y = 0; y < 300; y++) for (let x = 0; x + 1 < 300; x++) same += d[y * 300 + x] * d[y * 300 + x + 1];
      const power = d.reduce((a, v) => a + v * v, 0);
      return { rms: Math.sqrt(power / d.length) * 255, neighbours: same / (power * (299 / 300)), sigma };
    };
    const white = stats('gaussian:20');
    const fine = stats('correlated:20,0.7');
    const coarse = stats('correlated:20,2');
    for (const s of [fine, coarse]) {
      expect(s.sigma).toBeCloseTo(20 / 255, 10);
      expect(s.rms).toBeGreaterThan(18.5);
      expect(s.rms).toBeLessThan(21.5);
    }
    expect(Math.abs(white.neighbours)).toBeLessThan(0.02);
    expect(fine.neighbours).toBeGreaterThan(0.3);
    expect(coarse.neighbours).toBeGreaterThan(fine.neighbours + 0.2);
    // One image, one draw: the same seed gives the same grain.
    expect(applyNoise(img, parseNoiseSpec('correlated:5-25'), new Rng(9)).noisy).toEqual(applyNoise(img, parseNoiseSpec('correlated:5-25'), new Rng(9)).noisy);
  });
  it("factor:0.3 is the notebook's clipped x + 0.3 N(0,1)", () => {
    const { noisy } = applyNoise(grey(0.5), parseNoiseSpec('factor:0.3'), new Rng(4));
    expect(Math.min(...noisy)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...noisy)).toBeLessThanOrEqual(1);
    const sd = Math.sqrt(noisy.reduce((s, v) => s + (v - 0.5) ** 2, 0) / noisy.length);
    expect(sd).toBeGreaterThan(0.27); // clipping trims a little off 0.3
    expect(sd).toBeLessThan(0.3);
  });
  it('poisson-gaussian noise grows with brightness', () => {
    const spec = parseNoiseSpec('poisson-gaussian:0.01,2');
    const sd = (v: number) => {
      const { noisy } = applyNoise(grey(v, 50_000), spec, new Rng(5));
      const m = noisy.reduce((s, x) => s + x, 0) / noisy.length;
      return Math.sqrt(noisy.reduce((s, x) => s + (x - m) ** 2, 0) / noisy.length);
    };
    const dark = sd(0.1);
    const bright = sd(0.8);
    expect(bright).toBeGreaterThan(dark * 2);
    expect(bright).toBeCloseTo(Math.sqrt(0.01 * 0.8 + (2 / 255) ** 2), 2);
  });
  it('shot noise counts photons: Poisson counts, to their probabilities, below the normal approximation', () => {
    // Gain 0.01 on a level of 0.04: 4 photons on average, each 0.01; no read noise. 2.55 x a count rounds to a distinct 8-bit value.
    const { noisy } = applyNoise(grey(0.04, 200_000), parseNoiseSpec('poisson-gaussian:0.01,0'), new Rng(12));
    const counts = Array.from(noisy, (v) => Math.round((v * 255) / 2.55));
    const freq = (k: number) => counts.filter((c) => c === k).length / counts.length;
    let pk = Math.exp(-4);
    for (let k = 0; k <= 10; k++) {
      expect(Math.abs(freq(k) - pk)).toBeLessThan(0.004);
      pk *= 4 / (k + 1);
    }
    const mean = counts.reduce((a, c) => a + c, 0) / counts.length;
    expect(mean).toBeCloseTo(4, 1);
    expect(counts.reduce((a, c) => a + (c - mean) ** 2, 0) / counts.length).toBeCloseTo(4, 1);
  });
  it('salt-pepper sets about the given fraction to black or white', () => {
    const { noisy } = applyNoise(grey(0.5), parseNoiseSpec('salt-pepper:0.1'), new Rng(6));
    const hit = noisy.filter((v) => v === 0 || v === 1).length / noisy.length;
    expect(hit).toBeGreaterThan(0.09);
    expect(hit).toBeLessThan(0.11);
  });
});

describe('camera noise with a fixed mosaic', () => {
  it.each([
    ['camera:0.01,90,grbg', 'grbg'],
    ['gaussian:0-55+camera:0.01,90,rggb+camera:0.03,rggb', 'rggb'],
    ['camera:0.01,90,as-gbrg+camera:0.03,as-gbrg', 'gbrg'],
    ['camera:0.01,90,rggb+camera:0.03,bggr', null],
    ['camera:0.01,90,rggb+camera:0.03', null],
    ['camera', null],
    ['gaussian:25', null],
  ])('names one pattern for a model trained on %s: %s', (spec, pattern) => {
    expect(namedMosaic(parseNoiseSpec(spec))).toBe(pattern);
  });
  /** A smooth 48x32 colour image. */
  const photo = () => makeImage(48, 32, 3, Float32Array.from({ length: 48 * 32 * 3 }, (_, i) => 0.2 + 0.6 * (((i % 3) + Math.floor(i / 3) % 48 / 48 + Math.floor(i / 144) / 32) / 4)));
  const drawnPattern = (seed: number) => {
    const { cfa } = randomCamera(new Rng(seed));
    return Object.entries(CFA_PATTERNS).find(([, p]) => p.x === cfa.x && p.y === cfa.y)![0];
  };

  it('keeps the rest of the draw: the pattern the camera drew gives the same noise as no pattern named', () => {
    for (const seed of [1, 2, 3, 4]) {
      const drawn = applyNoise(photo(), parseNoiseSpec('camera:0.01,90'), new Rng(seed)).noisy;
      const named = applyNoise(photo(), parseNoiseSpec(`camera:0.01,90,${drawnPattern(seed)}`), new Rng(seed)).noisy;
      expect(named).toEqual(drawn);
    }
  });
  it("moves the drawn sensor's photo into an as- pattern, its JPEG blocks with it", () => {
    // A seed whose camera has a GRBG sensor: moved into RGGB by a column, so JPEG's block edges, after
    // columns 7, 15, ... of a photo, move by one: here after columns 6, 14, ... (the engine's own shift
    // puts them after 0, 8, ...: the same parity, all that a model seeing 2x2 blocks can tell).
    const seed = [...Array(64).keys()].find((s) => drawnPattern(s) === 'grbg')!;
    const blockEdge = (spec: string) => {
      const { noisy } = applyNoise(photo(), parseNoiseSpec(spec), new Rng(seed));
      const jumps = new Array(8).fill(0);
      for (let y = 0; y < 32; y++) for (let x = 0; x < 47; x++) for (let c = 0; c < 3; c++) jumps[x % 8] += Math.abs(noisy[(y * 48 + x + 1) * 3 + c] - noisy[(y * 48 + x) * 3 + c]);
      return jumps.indexOf(Math.max(...jumps));
    };
    expect(blockEdge('camera:0.0005,20,rggb')).toBe(7);
    expect(blockEdge('camera:0.0005,20,as-rggb')).toBe(6);
    // Without JPEG there is nothing to move: as-rggb is an RGGB sensor's noise.
    expect(applyNoise(photo(), parseNoiseSpec('camera:0.004,as-rggb'), new Rng(seed)).noisy).toEqual(applyNoise(photo(), parseNoiseSpec('camera:0.004,rggb'), new Rng(seed)).noisy);
  });
  it('puts the noise in the named pattern: each of the four gives different noise from one draw', () => {
    const outputs = Object.keys(CFA_PATTERNS).map((m) => applyNoise(photo(), parseNoiseSpec(`camera:0.01,${m}`), new Rng(7)).noisy.join());
    expect(new Set(outputs).size).toBe(4);
  });
});

describe('Rng', () => {
  it('draws standard normals: the moments, the tails beyond 1, 2 and 3, and the CDF everywhere', () => {
    const r = new Rng(11);
    const n = 400_000;
    const xs = Float64Array.from({ length: n }, () => r.normal());
    let m1 = 0, m2 = 0, m4 = 0;
    for (const x of xs) { m1 += x; m2 += x * x; m4 += x ** 4; }
    expect(Math.abs(m1 / n)).toBeLessThan(0.006);
    expect(Math.abs(m2 / n - 1)).toBeLessThan(0.01);
    expect(Math.abs(m4 / n - 3)).toBeLessThan(0.06);
    const beyond = (t: number) => xs.filter((x) => Math.abs(x) > t).length / n;
    expect(beyond(1)).toBeCloseTo(0.3173, 2);
    expect(beyond(2)).toBeCloseTo(0.0455, 2);
    expect(Math.abs(beyond(3) - 0.0027)).toBeLessThan(0.0005);
    expect(Math.abs(beyond(3.5) - 4.65e-4)).toBeLessThan(1.5e-4);
    // Kolmogorov-Smirnov distance to the normal CDF (the 1 % critical value for n draws is 1.63/sqrt(n) = 0.0026).
    const sorted = xs.slice().sort();
    const cdf = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));
    let d = 0;
    for (let i = 0; i < n; i += 97) d = Math.max(d, Math.abs(cdf(sorted[i]) - (i + 0.5) / n));
    expect(d).toBeLessThan(0.0026);
  });
  it('draws the same numbers for a seed as it always has (runs resume, and recorded training commands reproduce, only so)', () => {
    const r = new Rng(2024);
    expect([r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([2419916859, 2996235947, 1249288266]);
    expect([r.normal(), r.normal(), r.normal()]).toEqual([-0.8545829997294871, -0.6818654325119954, 0.8438401040597503]);
  });
  it('restores its exact position from a saved state', () => {
    const r = new Rng(42);
    for (let i = 0; i < 7; i++) r.normal();
    const saved = JSON.parse(JSON.stringify(r.state()));
    const expected = Array.from({ length: 5 }, () => r.normal());
    const restored = new Rng(saved);
    expect(Array.from({ length: 5 }, () => restored.normal())).toEqual(expected);
  });
});

describe('noise mixtures', () => {
  it('draws each image from one of the models, about equally often', () => {
    const spec = parseNoiseSpec('gaussian:25+salt-pepper:0.2');
    const rng = new Rng(9);
    let impulsive = 0;
    for (let i = 0; i < 400; i++) {
      const { noisy } = applyNoise(grey(0.5, 200), spec, rng);
      // Salt-and-pepper leaves most pixels exactly at the clean value (0.5 rounds to 128/255); Gaussian noise at 25 moves nearly all.
      const unchanged = noisy.filter((v) => Math.abs(v - 128 / 255) < 1e-6).length;
      if (unchanged > 100) impulsive++;
    }
    expect(impulsive).toBeGreaterThan(160);
    expect(impulsive).toBeLessThan(240);
  });
});

/** The error function (Abramowitz and Stegun 7.1.26; absolute error below 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x < 0 ? -y : y;
}
