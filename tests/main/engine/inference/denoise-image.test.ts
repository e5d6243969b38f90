/** Tiled inference: any size and channel count, seamless tiles, sigma estimation, strength, self-ensembles. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { applyNoise, parseNoiseSpec } from '../../../../src/main/engine/data/noise';
import { makeImage } from '../../../../src/main/engine/image/float-image';
import { denoiseImage, tileLayout } from '../../../../src/main/engine/inference/denoise-image';
import { estimateNoiseSigma } from '../../../../src/main/engine/inference/noise-level';
import { orientKeepingParity } from '../../../../src/main/engine/image/orientations';
import { getArchitecture, modelStats } from '../../../../src/main/engine/models/architectures';
import { MANIFEST_FORMAT, type DenoiserManifest } from '../../../../src/main/engine/models/manifest';
import { Rng } from '../../../../src/main/engine/data/rng';
import { tfjsRunner, type ModelRunner } from '../../../../src/main/engine/runtime/runner';
import { UNKNOWN_NOISE_LEVEL } from '../../../../src/main/engine/models/input';
import { encodeLevel } from '../../../../src/main/engine/models/level-code';
import { chromaGuide, OPPONENT_NOISE_SCALE, toOpponent } from '../../../../src/main/engine/inference/opponent';
import { halve } from '../../../../src/main/engine/image/resample';
import { smoothImage } from '../../../helpers/images';
import { shifted } from '../../../../src/main/engine/image/mosaic';

beforeAll(() => initBackend());

function manifestFor(model: tf.LayersModel, arch: string, channels: 1 | 3, width: number): DenoiserManifest {
  const a = getArchitecture(arch);
  return {
    format: MANIFEST_FORMAT, formatVersion: 1, name: 'test', arch: { name: arch, options: { channels, width } }, channels,
    noiseMap: a.noiseMap, sizeMultiple: a.sizeMultiple, noise: 'gaussian:25', ...modelStats(model),
    created: '', updated: '', engine: { version: '', tfjs: '', backend: '' },
  };
}


describe('denoiseImage', () => {
  it('tiles seamlessly: a small-receptive-field model gives the same result tiled and whole', async () => {
    const model = getArchitecture('dncnn').build({ channels: 1, depth: 3, width: 8, batchNorm: false, seed: 1 });
    const manifest = manifestFor(model, 'dncnn', 1, 8);
    const img = smoothImage(157, 131, 1);
    const runner = tfjsRunner(model);
    const whole = await denoiseImage({ runner, manifest }, img, { tile: 512, ensemble: 1 });
    const tiled = await denoiseImage({ runner, manifest }, img, { tile: 48, overlap: 12, ensemble: 1 });
    expect(whole.tiles).toBe(1);
    expect(tiled.tiles).toBeGreaterThan(9);
    let maxDiff = 0;
    for (let i = 0; i < img.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(whole.image.data[i] - tiled.image.data[i]));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('keeps size and channels for grey and colour inputs on grey and colour models', async () => {
    for (const modelChannels of [1, 3] as const) {
      const model = getArchitecture('ffdnet').build({ channels: modelChannels, depth: 3, width: 8 });
      const manifest = manifestFor(model, 'ffdnet', modelChannels, 8);
      for (const c of [1, 3] as const) {
        const img = smoothImage(37, 23, c); // odd sizes: padded to the size multiple internally
        const r = await denoiseImage({ runner: tfjsRunner(model), manifest }, img, { sigma: 20, tile: 32, overlap: 8 });
        expect([r.image.width, r.image.height, r.image.channels]).toEqual([37, 23, c]);
        expect(r.noise).toEqual({ kind: 'given', sigma: 20 });
        // an untrained ffdnet passes the image through
        let maxDiff = 0;
        for (let i = 0; i < img.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(img.data[i] - r.image.data[i]));
        // A colour photo through a grey model has its chroma denoised at half resolution: close, not exact.
        expect(maxDiff).toBeLessThan(modelChannels === 1 && c === 3 ? 0.02 : 1e-5);
      }
    }
  });

  it('blends with the input by strength for models without a noise map', async () => {
    const model = getArchitecture('seed').build({ channels: 1, seed: 2 });
    const manifest = manifestFor(model, 'seed', 1, 16);
    const img = smoothImage(28, 28, 1);
    const runner = tfjsRunner(model);
    const full = (await denoiseImage({ runner, manifest }, img)).image.data;
    const half = (await denoiseImage({ runner, manifest }, img, { strength: 0.5 })).image.data;
    const none = (await denoiseImage({ runner, manifest }, img, { strength: 0 })).image.data;
    expect(Array.from(none)).toEqual(Array.from(img.data));
    expect(half[100]).toBeCloseTo((full[100] + img.data[100]) / 2, 5);
    await expect(denoiseImage({ runner, manifest }, img, { strength: 2 })).rejects.toThrow(/strength/);
  });
});

describe('self-ensembles', () => {
  it('average the model over flipped and turned copies, each turned back', async () => {
    const model = getArchitecture('ffdnet').build({ channels: 3, depth: 3, width: 8, seed: 3 });
    // Random weights, so the model is not symmetric and each orientation gives its own result.
    model.setWeights(model.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.2, 'float32', 10 + i)));
    const manifest = manifestFor(model, 'ffdnet', 3, 8);
    const img = smoothImage(38, 26, 3);
    const runner = tfjsRunner(model);
    const single = await denoiseImage({ runner, manifest }, img, { sigma: 20, ensemble: 1 });
    expect(single.passes).toBe(1);
    for (const passes of [2, 4, 8] as const) {
      const r = await denoiseImage({ runner, manifest }, img, { sigma: 20, ensemble: passes });
      expect([r.image.width, r.image.height, r.image.channels]).toEqual([38, 26, 3]);
      expect(r.passes).toBe(passes);
      const expected = new Float32Array(img.data.length);
      for (let t = 0; t < passes; t++) {
        const { turned, back: turnBack } = orientKeepingParity(img, t);
        const back = turnBack((await denoiseImage({ runner, manifest }, turned, { sigma: 20, ensemble: 1 })).image).data;
        for (let i = 0; i < expected.length; i++) expected[i] += back[i] / passes;
      }
      let maxDiff = 0;
      let fromSingle = 0;
      for (let i = 0; i < expected.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(r.image.data[i] - expected[i]));
        fromSingle = Math.max(fromSingle, Math.abs(r.image.data[i] - single.image.data[i]));
      }
      expect(maxDiff).toBeLessThan(1e-6);
      expect(fromSingle).toBeGreaterThan(1e-3);
    }
    await expect(denoiseImage({ runner, manifest }, img, { ensemble: 3 })).rejects.toThrow(/ensemble must be one of 1, 2, 4, 8/);
  });

  it('left to the photo, follow its size: a small photo gets the eight passes it would get if asked', async () => {
    const model = getArchitecture('ffdnet').build({ channels: 1, depth: 3, width: 8, seed: 4 });
    model.setWeights(model.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.2, 'float32', 20 + i)));
    const manifest = manifestFor(model, 'ffdnet', 1, 8);
    const runner = tfjsRunner(model);
    const img = smoothImage(30, 22, 1);
    const auto = await denoiseImage({ runner, manifest }, img, { sigma: 20 });
    const eight = await denoiseImage({ runner, manifest }, img, { sigma: 20, ensemble: 8 });
    expect(auto.passes).toBe(8);
    expect(Array.from(auto.image.data)).toEqual(Array.from(eight.image.data));
  });
});

describe('a model that learned camera photos in one mosaic pattern', () => {
  const model = getArchitecture('ffdnet').build({ channels: 3, depth: 3, width: 8, seed: 6 });
  model.setWeights(model.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.2, 'float32', 40 + i)));
  const runner = tfjsRunner(model);
  const plain = manifestFor(model, 'ffdnet', 3, 8);
  const inRggb = { ...plain, mosaic: 'rggb' as const };
  const photo = (pattern: string) => makeImage(120, 96, 3, applyNoise(smoothImage(120, 96, 3), parseNoiseSpec(`camera:0.01,${pattern}`), new Rng(2)).noisy);

  it("sees a photo shifted into its pattern, by what the photo's own mosaic shows, and cut back to the photo's size", async () => {
    const img = photo('gbrg');
    const r = await denoiseImage({ runner, manifest: inRggb }, img, { sigma: 20, ensemble: 1 });
    expect(r.mosaic).toEqual({ kind: 'pattern', pattern: 'gbrg' });
    // The same as shifting by hand (a mirrored row on top) for a model told of no pattern, then cutting the row off.
    const { image, back } = shifted(img, { x: 0, y: 1 });
    const byHand = back((await denoiseImage({ runner, manifest: plain }, image, { sigma: 20, ensemble: 1 })).image);
    expect(Array.from(r.image.data)).toEqual(Array.from(byHand.data));
    const unshifted = await denoiseImage({ runner, manifest: plain }, img, { sigma: 20, ensemble: 1 });
    expect(unshifted.mosaic).toBeUndefined();
    expect(Array.from(unshifted.image.data)).not.toEqual(Array.from(r.image.data));
  });
  it('sees a photo in its own pattern, or one with no mosaic, as it is', async () => {
    for (const img of [photo('rggb'), makeImage(120, 96, 3, applyNoise(smoothImage(120, 96, 3), parseNoiseSpec('gaussian:25'), new Rng(2)).noisy)]) {
      const r = await denoiseImage({ runner, manifest: inRggb }, img, { sigma: 20, ensemble: 1 });
      const asIs = await denoiseImage({ runner, manifest: plain }, img, { sigma: 20, ensemble: 1 });
      expect(Array.from(r.image.data)).toEqual(Array.from(asIs.image.data));
    }
  });
});

describe('a chroma denoiser', () => {
  it("sends a colour photo's chroma planes through its chroma denoiser, with their guide made with the denoised luma plane", async () => {
    const model = getArchitecture('ffdnet').build({ channels: 1, depth: 3, width: 8 });
    const manifest = manifestFor(model, 'ffdnet', 1, 8);
    const toHalf: ModelRunner = { // the grey plane model: each pixel halfway to 0.5
      kind: 'tfjs',
      async run(data, n, h, w, c) {
        return Float32Array.from({ length: n * h * w }, (_, p) => (data[p * c] + 0.5) / 2);
      },
      dispose() {},
    };
    const calls: { data: Float32Array; shape: number[] }[] = [];
    const chroma: ModelRunner = { // the chroma denoiser: records its input, returns a flat 0.45
      kind: 'tfjs',
      async run(data, n, h, w, c) {
        calls.push({ data: data.slice(), shape: [n, h, w, c] });
        return new Float32Array(n * h * w).fill(0.45);
      },
      dispose() {},
    };
    const guided = getArchitecture('ffdnet').build({ channels: 1, depth: 3, width: 8, guide: true });
    const chromaManifest = { ...manifestFor(guided, 'ffdnet', 1, 8), arch: { name: 'ffdnet', options: { channels: 1 as const, width: 8, guide: true } } };
    const colour = smoothImage(48, 40, 3);
    const r = await denoiseImage({ runner: toHalf, manifest, chroma: { runner: chroma, manifest: chromaManifest } }, colour, { sigma: 10, ensemble: 1 });
    expect(calls.map((c) => c.shape)).toEqual([[1, 20, 24, 3], [1, 20, 24, 3]]); // each halved chroma plane, its guide, its level
    const planes = toOpponent(colour);
    const luma = halve(makeImage(48, 40, 1, planes[0].data.map((v) => (v + 0.5) / 2)));
    calls.forEach(({ data }, i) => {
      const plane = halve(planes[i + 1]);
      const guide = chromaGuide(luma)(plane).data;
      for (let p = 0; p < guide.length; p++) {
        expect(data[p * 3]).toBeCloseTo(plane.data[p], 6);
        expect(data[p * 3 + 1]).toBeCloseTo(guide[p], 6);
        expect(data[p * 3 + 2]).toBeCloseTo((10 / 255) * OPPONENT_NOISE_SCALE[i + 1] * 0.5, 6);
      }
    });
    // Its output is the chroma, not the input's.
    const mean = (a: Float32Array) => a.reduce((x, v) => x + v, 0) / a.length;
    expect(mean(toOpponent(r.image)[1].data)).toBeCloseTo(0.45, 2);
    expect(Math.abs(mean(planes[1].data) - 0.45)).toBeGreaterThan(0.02);
  });
});

describe('the noise level a noise-map model is told', () => {
  /** A runner that records the map channel it was fed and returns the image halfway to 0.5. */
  function recordingRunner(seen: number[]): ModelRunner {
    return {
      kind: 'tfjs',
      async run(data, n, h, w, c) {
        const out = new Float32Array(n * h * w * (c - 1));
        for (let p = 0; p < n * h * w; p++) {
          seen.push(data[p * c + c - 1]);
          for (let k = 0; k < c - 1; k++) out[p * (c - 1) + k] = (data[p * c + k] + 0.5) / 2;
        }
        return out;
      },
      dispose() {},
    };
  }
  const model = getArchitecture('ffdnet').build({ channels: 1, depth: 3, width: 8 });
  const img = smoothImage(40, 32, 1);

  const blindManifest = { ...manifestFor(model, 'ffdnet', 1, 8), blind: true };

  it('is, for a blind model on a chroma plane, the level of what one pass told "unknown" removes', async () => {
    const seen: number[] = [];
    const colour = smoothImage(40, 32, 3);
    const r = await denoiseImage({ runner: recordingRunner(seen), manifest: blindManifest }, colour, { ensemble: 1 });
    // The recording model moves each pixel halfway to 0.5: a pass told "unknown" removes (x - 0.5) / 2.
    const [, u] = toOpponent(colour);
    const half = halve(u);
    const removed = Math.sqrt(half.data.reduce((a, v) => a + ((v - 0.5) / 2) ** 2, 0) / half.data.length);
    expect(seen).toContain(Math.fround(UNKNOWN_NOISE_LEVEL));
    expect(seen).toContain(Math.fround(Math.max(removed, estimateNoiseSigma(half) / 255)));
    expect(r.noise?.kind).toBe('blind');
  });

  it('is, for a blind model on a grey or luma image, searched on a ladder above the wavelet estimate', async () => {
    const seen: number[] = [];
    const noisy = makeImage(40, 32, 1, applyNoise(img, parseNoiseSpec('gaussian:10'), new Rng(3)).noisy);
    const r = await denoiseImage({ runner: recordingRunner(seen), manifest: blindManifest }, noisy, { ensemble: 1 });
    const base = estimateNoiseSigma(noisy) / 255;
    const ladder = [1, 1.25, 1.6, 2, 2.5].map((f) => Math.fround(f * base));
    const perLevel = noisy.width * noisy.height;
    expect(seen.filter((_, i) => i % perLevel === 0)).toEqual([...ladder, seen.at(-1)]); // the ladder, then the level kept
    expect(seen.at(-1)).toBeGreaterThanOrEqual(ladder[0]);
    expect(seen.at(-1)).toBeLessThanOrEqual(ladder[4]);
    expect(r.noise).toEqual({ kind: 'blind', sigma: expect.closeTo(seen.at(-1)! * 255, 3) });
  });

  it('is, with a level estimator, the level its map reads, on the luma plane only', async () => {
    const seen: number[] = [];
    const shapes: number[][] = [];
    // An estimator whose map reads 12/255 on even rows and 3/255 on odd ones.
    const level: ModelRunner = {
      kind: 'tfjs',
      async run(_data, n, h, w, c) {
        shapes.push([n, h, w, c]);
        return Float32Array.from({ length: n * h * w }, (_, p) => encodeLevel((Math.floor(p / w) % 2 === 0 ? 12 : 3) / 255));
      },
      dispose() {},
    };
    const colour = smoothImage(41, 31, 3); // odd sizes: the estimator gets them padded to even ones
    const r = await denoiseImage({ runner: recordingRunner(seen), manifest: blindManifest, level }, colour, { ensemble: 1 });
    expect(shapes).toEqual([[1, 32, 42, 1]]);
    // The mean of the logs over the image's own 31 rows (16 even, 15 odd), not the padding row.
    const read = Math.exp((16 * Math.log(12 / 255) + 15 * Math.log(3 / 255)) / 31);
    expect(seen.filter((v) => Math.abs(v - read) < 1e-6).length).toBe(42 * 32); // the luma pass (padded to even sides), told the level read
    expect(seen).toContain(Math.fround(UNKNOWN_NOISE_LEVEL)); // the chroma planes keep the blind pass
    expect(r.noise).toEqual({ kind: 'blind', sigma: expect.closeTo((read / OPPONENT_NOISE_SCALE[0]) * 255, 4) });
  });

  it('is, with a chroma estimator too, its reading on each chroma plane at half resolution, and no blind pass', async () => {
    const seen: number[] = [];
    const shapes: number[][] = [];
    const reader = (sigma: number): ModelRunner => ({
      kind: 'tfjs',
      async run(_data, n, h, w, c) {
        shapes.push([n, h, w, c]);
        return new Float32Array(n * h * w).fill(encodeLevel(sigma / 255));
      },
      dispose() {},
    });
    const colour = makeImage(48, 40, 3, applyNoise(smoothImage(48, 40, 3), parseNoiseSpec('gaussian:5'), new Rng(4)).noisy);
    const r = await denoiseImage({ runner: recordingRunner(seen), manifest: blindManifest, level: reader(9), chromaLevel: reader(21) }, colour, { ensemble: 1 });
    expect(shapes).toEqual([[1, 40, 48, 1], [1, 20, 24, 1], [1, 20, 24, 1]]); // the luma plane, then each halved chroma plane
    expect(seen).not.toContain(Math.fround(UNKNOWN_NOISE_LEVEL));
    expect(new Set(seen)).toEqual(new Set([Math.fround(9 / 255), Math.fround(21 / 255)]));
    expect(seen.filter((v) => v === Math.fround(21 / 255)).length).toBe(2 * 20 * 24);
    expect(r.noise).toEqual({ kind: 'blind', sigma: expect.closeTo((9 / 255 / OPPONENT_NOISE_SCALE[0]) * 255, 4) });
  });

  it('is, for a model not trained blind that has a level estimator, its reading on a grey image', async () => {
    const seen: number[] = [];
    const level: ModelRunner = { kind: 'tfjs', run: async (_d, n, h, w) => new Float32Array(n * h * w).fill(encodeLevel(30 / 255)), dispose() {} };
    const manifest = manifestFor(model, 'ffdnet', 1, 8);
    const noisy = makeImage(40, 32, 1, applyNoise(img, parseNoiseSpec('gaussian:10'), new Rng(3)).noisy);
    const r = await denoiseImage({ runner: recordingRunner(seen), manifest, level }, noisy);
    expect(new Set(seen)).toEqual(new Set([Math.fround(30 / 255)])); // one pass, told the reading (above the wavelet floor here)
    expect(r.noise).toEqual({ kind: 'estimated', sigma: expect.closeTo(30, 4) });
    const without = await denoiseImage({ runner: recordingRunner([]), manifest }, noisy);
    expect(without.noise).toEqual({ kind: 'estimated', sigma: expect.closeTo(estimateNoiseSigma(noisy), 4) });
  });

  it('finds a large photo\'s level from samples of it', async () => {
    const seen: number[] = [];
    const big = smoothImage(1400, 1000, 3);
    await denoiseImage({ runner: recordingRunner(seen), manifest: blindManifest }, big);
    const blindPixels = seen.filter((v) => v === Math.fround(UNKNOWN_NOISE_LEVEL)).length;
    // A quarter megapixel of each chroma plane (700x500 each) told "unknown"...
    expect(blindPixels).toBeGreaterThan(2 * 0.2e6);
    expect(blindPixels).toBeLessThanOrEqual(2 * (1 << 18) * 1.1);
    // ...and the luma plane's ladder of five levels, on a quarter megapixel each, not all 1.4.
    const lumaPasses = seen.length - blindPixels - 1.4e6 - 2 * 0.35e6;
    expect(lumaPasses).toBeLessThanOrEqual(5 * (1 << 18) * 1.1);
    expect(lumaPasses).toBeGreaterThan(5 * 0.2e6);
  });

  it('is the given sigma when the user sets one, blind model or not', async () => {
    const seen: number[] = [];
    const r = await denoiseImage({ runner: recordingRunner(seen), manifest: { ...manifestFor(model, 'ffdnet', 1, 8), blind: true } }, img, { sigma: 30 });
    expect(new Set(seen)).toEqual(new Set([Math.fround(30 / 255)]));
    expect(r.noise).toEqual({ kind: 'given', sigma: 30 });
  });
  it('is scaled to each opponent plane when a colour photo goes through a grey model', async () => {
    const seen: number[] = [];
    const r = await denoiseImage({ runner: recordingRunner(seen), manifest: manifestFor(model, 'ffdnet', 1, 8) }, smoothImage(40, 32, 3), { sigma: 30 });
    expect(r.noise).toEqual({ kind: 'given', sigma: 30 });
    // Luma at full resolution; the chroma planes at half, where the 2x2 mean halves the noise.
    expect([...new Set(seen)].sort()).toEqual(OPPONENT_NOISE_SCALE.map((k, i) => Math.fround((30 / 255) * k * (i === 0 ? 1 : 0.5))).sort());
  });
  it('is the estimate for a model not trained blind', async () => {
    const seen: number[] = [];
    const r = await denoiseImage({ runner: recordingRunner(seen), manifest: manifestFor(model, 'ffdnet', 1, 8) }, img);
    expect(r.noise).toEqual({ kind: 'estimated', sigma: estimateNoiseSigma(img) });
    expect(new Set(seen)).toEqual(new Set([Math.fround(r.noise!.sigma / 255)]));
  });
});

describe('tileLayout', () => {
  it.each([[4000, 1024, 64, 2], [3000, 1024, 64, 2], [6000, 1024, 64, 4], [1025, 1024, 64, 2], [517, 128, 32, 4], [300, 512, 64, 2], [4001, 1536, 64, 2], [3001, 1536, 64, 2], [999, 200, 40, 4]])(
    'covers %i px with tiles of at most ~%i, overlap >= %i, evenly', (n, max, o, m) => {
      const { size, starts } = tileLayout(n, max, o, m);
      expect(starts[0]).toBe(0);
      expect(starts.at(-1)! + size).toBe(n);
      if (starts.length > 1) {
        for (const s of starts) expect(s % m).toBe(0); // every tile in the photo's own pixel phase
        expect(size).toBeLessThan(max + 3 * m);
        for (let i = 1; i < starts.length; i++) expect(starts[i - 1] + size - starts[i]).toBeGreaterThanOrEqual(o);
      }
      // No axis is computed much more than once: at most the overlaps plus rounding.
      expect(size * starts.length).toBeLessThanOrEqual(n + (starts.length - 1) * o + starts.length * 3 * m);
    });
});
