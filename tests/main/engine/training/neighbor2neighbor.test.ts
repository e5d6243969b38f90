/**
 * Self-supervised training (Neighbor2Neighbor): the sampler's pairs are distinct neighbours, the
 * same per seed; the regularised target gives the paper's loss gradient; a tiny run on noisy-only
 * photos learns (its held-out self-supervised loss falls and it denoises), and resumes exactly.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { Rng } from '../../../../src/main/engine/data/rng';
import { chooseNeighbours, gammaAt, GAMMA_MAX, regularisedTarget, subsample } from '../../../../src/main/engine/training/neighbor2neighbor';
import { train } from '../../../../src/main/engine/training/loop';
import { TRAIN_DEFAULTS, buildTrainConfig, type TrainConfig, type TrainEvent } from '../../../../src/main/engine/training/config';
import { loadModelFiles } from '../../../../src/main/engine/models/store';
import { readManifest } from '../../../../src/main/engine/models/manifest';
import { pattern } from '../../../helpers/images';

let tmp: string;
let noisyDir: string;

beforeAll(async () => {
  await initBackend();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'n2n-'));
  noisyDir = path.join(tmp, 'noisy only');
  await fs.mkdir(noisyDir);
  const rng = new Rng(3);
  for (let i = 0; i < 6; i++) {
    const clean = pattern(64, 64, 1, i);
    const noisy = Buffer.from(clean.map((v) => Math.max(0, Math.min(255, Math.round(v + 25 * rng.normal())))));
    await sharp(noisy, { raw: { width: 64, height: 64, channels: 1 } }).toColourspace('b-w').png().toFile(path.join(noisyDir, `n${i}.png`));
  }
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

describe('neighbour sub-sampler', () => {
  it('takes two different, horizontally or vertically adjacent pixels of every 2x2 cell, the same for the same seed', () => {
    const a = chooseNeighbours(5000, new Rng(1));
    const b = chooseNeighbours(5000, new Rng(1));
    expect(Array.from(b.first)).toEqual(Array.from(a.first));
    expect(Array.from(b.second)).toEqual(Array.from(a.second));
    expect(Array.from(chooseNeighbours(5000, new Rng(2)).first)).not.toEqual(Array.from(a.first));
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const [y1, x1, y2, x2] = [a.first[i] >> 1, a.first[i] & 1, a.second[i] >> 1, a.second[i] & 1];
      expect(Math.abs(y1 - y2) + Math.abs(x1 - x2)).toBe(1); // neighbours, never the same pixel or a diagonal
      seen.add(`${a.first[i]}${a.second[i]}`);
    }
    expect(seen.size).toBe(8); // every ordered neighbour pair occurs
  });

  it('builds g1 and g2 from the chosen pixels of each cell, for every channel', () => {
    const size = 4, c = 2;
    const data = Float32Array.from({ length: size * size * c }, (_, i) => i);
    const choice = { first: Uint8Array.from([0, 1, 2, 3]), second: Uint8Array.from([1, 3, 0, 2]) };
    const { g1, g2 } = subsample(data, 1, size, c, choice);
    const at = (y: number, x: number, ch: number) => (y * size + x) * c + ch;
    expect(Array.from(g1)).toEqual([at(0, 0, 0), at(0, 0, 1), at(0, 3, 0), at(0, 3, 1), at(3, 0, 0), at(3, 0, 1), at(3, 3, 0), at(3, 3, 1)]);
    expect(Array.from(g2)).toEqual([at(0, 1, 0), at(0, 1, 1), at(1, 3, 0), at(1, 3, 1), at(2, 0, 0), at(2, 0, 1), at(3, 2, 0), at(3, 2, 1)]);
  });

  it('gives the gradient of the regularised loss: (1 + γ) times that of the squared error to one target', () => {
    const rng = new Rng(4);
    const rand = () => Float32Array.from({ length: 50 }, () => rng.next());
    const [p, g2, g1f, g2f] = [rand(), rand(), rand(), rand()];
    const gamma = 1.3;
    const t = regularisedTarget(g2, g1f, g2f, gamma);
    for (let i = 0; i < p.length; i++) {
      const paper = 2 * (p[i] - g2[i]) + gamma * 2 * (p[i] - g2[i] - (g1f[i] - g2f[i]));
      expect((1 + gamma) * 2 * (p[i] - t[i])).toBeCloseTo(paper, 5);
    }
    expect([gammaAt(0), gammaAt(0.5), gammaAt(1), gammaAt(2)]).toEqual([0, GAMMA_MAX / 2, GAMMA_MAX, GAMMA_MAX]);
  });
});

const tiny = (out: string, epochs: number): TrainConfig => ({
  ...TRAIN_DEFAULTS, data: { kind: 'folder', path: noisyDir }, cacheDir: tmp, arch: 'ffdnet', archOptions: { depth: 4, width: 16 }, channels: 1,
  noise: 'none', selfSupervised: true, epochs, batch: 4, patch: 32, patchesPerEpoch: 48, valImages: 1, valCrop: 64, out, checkpointMinutes: 0,
  lr: 3e-3, workers: 1,
});

describe('self-supervised training', () => {
  it('learns from noisy photos alone: the held-out self-supervised loss falls and the model denoises', async () => {
    const out = path.join(tmp, 'learn');
    const events: TrainEvent[] = [];
    await train(tiny(out, 6), { onEvent: (e) => events.push(e) });
    const epochs = events.filter((e) => e.type === 'epoch') as Extract<TrainEvent, { type: 'epoch' }>[];
    expect(epochs.at(-1)!.valLoss).toBeLessThan(epochs[0].valLoss);
    expect(epochs[0].psnr).toBeUndefined(); // no clean images: no PSNR is claimed
    const start = events[0] as Extract<TrainEvent, { type: 'start' }>;
    expect(start.steps.name).toBe('onnxruntime');
    expect((await readManifest(out)).training).toMatchObject({ selfSupervised: true, noise: 'none' });
    // On a clean pattern it never saw, with fresh noise, the output is closer to clean than the input.
    const model = await loadModelFiles(out);
    const clean = Float32Array.from(pattern(32, 32, 1, 9), (v) => v / 255);
    const rng = new Rng(11);
    const noisy = clean.map((v) => v + (25 / 255) * rng.normal());
    const { modelInput } = await import('../../../../src/main/engine/models/input');
    const tf = await import('@tensorflow/tfjs');
    const denoised = tf.tidy(() => (model.predict(modelInput(noisy, 1, 32, 32, 1, [25 / 255])) as import('@tensorflow/tfjs').Tensor).dataSync() as Float32Array);
    const err = (a: Float32Array) => a.reduce((s, v, i) => s + (v - clean[i]) ** 2, 0);
    expect(err(denoised)).toBeLessThan(0.9 * err(noisy));
    model.dispose();
  }, 120_000);

  it('resumes a stopped self-supervised run to the same weights bit for bit', async () => {
    const straight = path.join(tmp, 'straight');
    await train(tiny(straight, 2), { onEvent: () => undefined });
    const split = path.join(tmp, 'split');
    const controller = new AbortController();
    await train(tiny(split, 2), { signal: controller.signal, onEvent: (e) => { if (e.type === 'step' && e.epoch === 2 && e.step === 5) controller.abort(); } });
    await train(tiny(split, 2), { onEvent: () => undefined }, {});
    const [a, b] = await Promise.all([straight, split].map(async (d) => {
      const m = await loadModelFiles(d);
      const w = m.getWeights().map((t) => Buffer.from((t.dataSync() as Float32Array).buffer));
      m.dispose();
      return w;
    }));
    a.forEach((w, i) => expect(b[i].equals(w), `weight ${i}`).toBe(true));
  }, 120_000);

  it('adapts a grey plane model on the opponent planes of noisy colour photos', async () => {
    const colour = path.join(tmp, 'noisy colour');
    await fs.mkdir(colour);
    const rng = new Rng(8);
    for (let i = 0; i < 4; i++) {
      const noisy = Buffer.from(pattern(48, 48, 3, i).map((v) => Math.max(0, Math.min(255, Math.round(v + 20 * rng.normal())))));
      await sharp(noisy, { raw: { width: 48, height: 48, channels: 3 } }).png().toFile(path.join(colour, `c${i}.png`));
    }
    const out = path.join(tmp, 'planes');
    const events: TrainEvent[] = [];
    await train({ ...tiny(out, 1), data: { kind: 'folder', path: colour }, channels: undefined, planes: 'opponent', valCrop: 48 }, { onEvent: (e) => events.push(e) });
    const manifest = await readManifest(out);
    expect([manifest.channels, manifest.training?.planes, manifest.training?.selfSupervised]).toEqual([1, 'opponent', true]);
    expect(Number.isFinite((events.find((e) => e.type === 'epoch') as Extract<TrainEvent, { type: 'epoch' }>).valLoss)).toBe(true);
  }, 60_000);

  it('refuses what self-supervised training cannot do, naming the setting', () => {
    const base = { data: { kind: 'folder' as const, path: noisyDir }, out: tmp, cacheDir: tmp, arch: 'ffdnet', selfSupervised: true };
    expect(() => buildTrainConfig({ ...base, noise: 'gaussian:25' })).toThrow(/noise must be none for self-supervised training/);
    expect(() => buildTrainConfig({ ...base, noise: 'none', data: { kind: 'fashion-mnist' } })).toThrow(/selfSupervised needs a folder of noisy photos/);
    expect(() => buildTrainConfig({ ...base, noise: 'none', arch: 'seed' })).toThrow(/seed cannot learn self-supervised/);
    expect(() => buildTrainConfig({ ...base, noise: 'none', patch: 36 })).toThrow(/patch must be a multiple of 8 for ffdnet \(self-supervised\)/);
  });
});
