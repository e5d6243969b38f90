/** Training: notebook parity, exact resume, SIGKILL recovery, fine-tuning, blind training on camera noise. */
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { loadModelFiles, openDenoiser } from '../../../../src/main/engine/models/store';
import { LEVEL_ESTIMATOR_FOLDERS } from '../../../../src/main/engine/models/level-code';
import { CHROMA_DENOISER_FOLDER } from '../../../../src/main/engine/models/companions';
import { denoiseImage } from '../../../../src/main/engine/inference/denoise-image';
import { halve } from '../../../../src/main/engine/image/resample';
import { toOpponent } from '../../../../src/main/engine/inference/opponent';
import { makeImage } from '../../../../src/main/engine/image/float-image';
import { applyNoise, parseNoiseSpec } from '../../../../src/main/engine/data/noise';
import { Rng } from '../../../../src/main/engine/data/rng';
import type { EpochMetrics } from '../../../../src/shared/epoch-metrics';
import { readManifest } from '../../../../src/main/engine/models/manifest';
import { measureTraining, train } from '../../../../src/main/engine/training/loop';
import { buildTrainConfig, TRAIN_DEFAULTS, type TrainConfig, type TrainEvent } from '../../../../src/main/engine/training/config';
import { latestCheckpoint } from '../../../../src/main/engine/training/checkpoints';
import { jsonLines, runCli, startCli } from '../../../helpers/cli';
import { fakeFashionMnistFiles, manifestOf, serveFiles } from '../../../helpers/fake-fashion-mnist';
import { downloadFashionMnist } from '../../../../src/main/engine/data/fashion-mnist';
import { smoothImage, writePattern } from '../../../helpers/images';

let tmp: string;
let photos: string;

beforeAll(async () => {
  await initBackend();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'train-'));
  photos = path.join(tmp, 'photos with spaces', 'ünïcode');
  for (let i = 0; i < 6; i++) await writePattern(path.join(photos, `img-${i}.png`), 48 + 8 * i, 40, i % 2 ? 3 : 1, i);
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

const tiny = (out: string, epochs: number): TrainConfig => ({
  ...TRAIN_DEFAULTS, data: { kind: 'folder', path: photos }, cacheDir: tmp, arch: 'ffdnet', archOptions: { depth: 3, width: 8 }, channels: 3,
  noise: 'gaussian:10-30', epochs, batch: 4, patch: 16, patchesPerEpoch: 16, valImages: 2, valCrop: 32, out, checkpointMinutes: 0,
});

/** A small level estimator trained for 10 epochs on the planes given; its epochs' metrics. */
async function trainEstimator(out: string, planes: 'opponent' | 'chroma'): Promise<EpochMetrics[]> {
  const epochs: EpochMetrics[] = [];
  await train({
    ...tiny(out, 10), arch: 'levelnet', archOptions: { depth: 4, width: 16 }, channels: undefined, planes,
    noise: 'gaussian:0-55', patch: 32, patchesPerEpoch: 128, batch: 16, lr: 3e-3,
  }, { onEvent: (e) => { if (e.type === 'epoch') epochs.push(e); } });
  return epochs;
}

async function weights(dir: string): Promise<Float32Array[]> {
  const model = await loadModelFiles(dir);
  const values = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  return values;
}

describe('train', () => {
  it('runs the notebook command on Fashion-MNIST served from 127.0.0.1 and the loss falls', async () => {
    const files = fakeFashionMnistFiles(2000, 200);
    const server = await serveFiles(files);
    const cache = path.join(tmp, 'fmnist');
    try {
      await downloadFashionMnist({ cacheDir: cache, baseUrl: server.url, files: manifestOf(files) });
      const dl = await runCli(['dataset', 'fashion-mnist', '--cache', cache]);
      expect(dl.code, dl.stderr).toBe(0);
      expect(dl.stdout).toMatch(/2000 train and 200 test images/);
    } finally {
      await server.close();
    }
    const out = path.join(tmp, 'seed');
    const r = await runCli(['train', '--data', 'fashion-mnist', '--arch', 'seed', '--noise', 'factor:0.3', '--epochs', '1',
      '--batch', '200', '--loss', 'bce', '--cache', cache, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const events = jsonLines(r.stdout) as TrainEvent[];
    const start = events.find((e) => e.type === 'start') as Extract<TrainEvent, { type: 'start' }>;
    expect(start.trainableParams).toBe(3217);
    const steps = events.filter((e) => e.type === 'step') as Extract<TrainEvent, { type: 'step' }>[];
    const epoch = events.find((e) => e.type === 'epoch') as Extract<TrainEvent, { type: 'epoch' }>;
    expect(steps[0].step).toBe(1);
    expect(steps.at(-1)!.step).toBe(10);
    expect(epoch.loss).toBeLessThan(steps[0].loss);
    expect(epoch.valLoss).toBeLessThan(steps[0].loss);
    const manifest = await readManifest(out);
    expect(manifest.arch.name).toBe('seed');
    expect(manifest.noise).toBe('factor:0.3');
    expect(await fs.stat(path.join(out, 'previews', 'epoch-0001.png'))).toBeTruthy();
  });

  it('resumes a stopped run exactly where it left off, with the same result as an uninterrupted run', async () => {
    const straight = path.join(tmp, 'straight');
    const events: TrainEvent[] = [];
    await train(tiny(straight, 3), { onEvent: (e) => events.push(e) });
    const tensors = events.filter((e) => e.type === 'epoch').map((e) => (e as { tensors: number }).tensors);
    expect(tensors).toHaveLength(3);
    expect(new Set(tensors).size).toBe(1); // no tensors leak across epochs

    const split = path.join(tmp, 'split');
    const controller = new AbortController();
    const stopped: TrainEvent[] = [];
    await train(tiny(split, 3), {
      signal: controller.signal,
      onEvent: (e) => {
        stopped.push(e);
        if (e.type === 'step' && e.epoch === 2 && e.step === 2) controller.abort();
      },
    });
    expect(stopped.at(-1)).toMatchObject({ type: 'done', reason: 'stopped' });
    expect(await latestCheckpoint(split)).toMatchObject({ epoch: 1, step: 2 });
    const resumed: TrainEvent[] = [];
    await train(tiny(split, 3), { onEvent: (e) => resumed.push(e) }, {});
    expect(resumed[0]).toMatchObject({ type: 'start', resumedFrom: { epoch: 1, step: 2 } });
    expect(resumed.at(-1)).toMatchObject({ type: 'done', reason: 'completed', epochsDone: 3 });
    const a = await weights(straight);
    const b = await weights(split);
    a.forEach((w, i) => expect(Array.from(b[i])).toEqual(Array.from(w)));
    expect(tf.memory().numTensors).toBeLessThan(50);
  });

  it('computes steps on ONNX Runtime by default and on TF.js on request, to the same weights within float error', async () => {
    const runs: Record<string, TrainEvent[]> = { onnxruntime: [], tfjs: [] };
    for (const trainer of ['onnxruntime', 'tfjs'] as const) {
      await train({ ...tiny(path.join(tmp, `trainer-${trainer}`), 1), trainer, workers: 1 }, { onEvent: (e) => runs[trainer].push(e) });
    }
    expect(runs.onnxruntime[0]).toMatchObject({ type: 'start', steps: { name: 'onnxruntime' } });
    expect(runs.tfjs[0]).toMatchObject({ type: 'start', steps: { name: 'wasm', replicas: 1 } });
    const losses = (t: string) => runs[t].filter((e) => e.type === 'step').map((e) => (e as { loss: number }).loss);
    losses('tfjs').forEach((l, i) => expect(losses('onnxruntime')[i]).toBeCloseTo(l, 5));
    const a = await weights(path.join(tmp, 'trainer-onnxruntime'));
    const b = await weights(path.join(tmp, 'trainer-tfjs'));
    a.forEach((w, i) => w.forEach((x, j) => expect(Math.abs(x - b[i][j])).toBeLessThan(1e-4)));
  });

  it('recovers from kill -9 with --resume', async () => {
    const out = path.join(tmp, 'killed');
    const args = ['train', '--data', photos, '--arch', 'ffdnet', '--depth', '3', '--width', '8', '--channels', '1', '--noise', 'gaussian:25',
      '--batch', '4', '--patch', '16', '--patches-per-epoch', '16', '--val-images', '2', '--val-crop', '32', '--out', out, '--json'];
    const child = startCli([...args, '--epochs', '50']);
    await new Promise<void>((resolve, reject) => {
      let text = '';
      child.stdout!.on('data', (d) => {
        text += d;
        if (jsonLines(text).some((e) => e.type === 'epoch' && (e.epoch as number) >= 2)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('close', () => reject(new Error('training ended before it was killed')));
    });
    const ckpt = await latestCheckpoint(out);
    expect(ckpt!.epoch).toBeGreaterThanOrEqual(2);
    const r = await runCli([...args, '--epochs', String(ckpt!.epoch + 1), '--resume']);
    expect(r.code, r.stderr).toBe(0);
    const events = jsonLines(r.stdout);
    expect(events[0]).toMatchObject({ type: 'start', resumedFrom: { epoch: ckpt!.epoch } });
    expect(events.at(-1)).toMatchObject({ type: 'done', reason: 'completed', epochsDone: ckpt!.epoch + 1 });
  });

  it('fine-tunes from a saved model with --init: its weights and architecture, a fresh optimizer, a warmed-up learning rate', async () => {
    const base = path.join(tmp, 'base');
    await train(tiny(base, 1), { onEvent: () => {} });
    const out = path.join(tmp, 'fine-tuned');
    const r = await runCli(['train', '--init', base, '--data', photos, '--noise', 'gaussian:25', '--epochs', '1', '--lr', '1e-3',
      '--warmup', '8', '--batch', '4', '--patch', '16', '--patches-per-epoch', '16', '--val-images', '2', '--val-crop', '32',
      '--workers', '1', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const events = jsonLines(r.stdout) as TrainEvent[];
    const start = events[0] as Extract<TrainEvent, { type: 'start' }>;
    expect(start.config).toMatchObject({ arch: 'ffdnet', archOptions: { depth: 3, width: 8 }, channels: 3 });
    const steps = events.filter((e) => e.type === 'step') as Extract<TrainEvent, { type: 'step' }>[];
    expect(steps.map((s) => s.step)).toEqual([1, 4]); // --json prints the first, every tenth and the last step
    expect(steps[0].lr).toBeCloseTo(1e-3 / 8, 12);
    expect(steps[1].lr).toBeCloseTo(4e-3 / 8, 12);
    // Four Adam steps of at most 5e-4 each move no weight far from where the base model left it.
    const before = await weights(base);
    const after = await weights(out);
    let moved = 0;
    before.forEach((w, i) => w.forEach((x, j) => (moved = Math.max(moved, Math.abs(after[i][j] - x)))));
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(2.5e-3);
    expect((await readManifest(out)).training).toMatchObject({ init: base, warmupSteps: 8 });

    // A larger --depth grows the base model: same validation result after a step at a negligible rate.
    const grown = path.join(tmp, 'grown');
    const g = await runCli(['train', '--init', base, '--depth', '5', '--data', photos, '--noise', 'gaussian:10-30', '--epochs', '1', '--lr', '1e-9',
      '--batch', '4', '--patch', '16', '--patches-per-epoch', '4', '--val-images', '2', '--val-crop', '32', '--out', grown, '--json']);
    expect(g.code, g.stderr).toBe(0);
    const grownEvents = jsonLines(g.stdout) as TrainEvent[];
    expect(grownEvents.find((e) => e.type === 'log' && /deepened the base model from 3 to 5 layers/.test(e.message))).toBeTruthy();
    expect((await readManifest(grown)).arch.options).toMatchObject({ depth: 5, width: 8 });
    const baseVal = (await readManifest(base)).metrics!.valPsnr as number;
    const grownVal = (grownEvents.find((e) => e.type === 'epoch') as Extract<TrainEvent, { type: 'epoch' }>).psnr;
    expect(Math.abs(grownVal! - baseVal)).toBeLessThan(0.01);

    const missing = await runCli(['train', '--init', path.join(tmp, 'no-such-model'), '--data', photos, '--noise', 'gaussian:25', '--out', path.join(tmp, 'x')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no-such-model.*(no denoiser\.json|is this)/s);
  });

  it('trains on camera noise, and marks a model trained with unknown levels as blind (and one without as not); fine-tuning keeps the base\'s way', async () => {
    for (const blindFraction of [0, 1]) {
      const out = path.join(tmp, `camera-blind-${blindFraction}`);
      const final = await train({ ...tiny(out, 1), noise: 'camera+gaussian:0-30', blindFraction }, { onEvent: () => undefined });
      expect(Number.isFinite(final?.psnr)).toBe(true);
      const manifest = await readManifest(out);
      expect(manifest.blind).toBe(blindFraction > 0);
      expect(manifest.noise).toBe('camera:0.0001-0.012,60-100+gaussian:0-30');
      expect(manifest.mosaic).toBeUndefined(); // camera noise in every mosaic pattern
      // --init without --blind (as the CLI and the Train view build it): a base always told its level stays so.
      const tuned = path.join(tmp, `camera-blind-${blindFraction}-tuned`);
      const asBuilt = buildTrainConfig({ data: { kind: 'folder', path: photos }, noise: 'gaussian:10-30', out: tuned, cacheDir: tmp, init: out });
      await train({ ...tiny(tuned, 1), ...asBuilt, epochs: 1, batch: 4, patch: 16, patchesPerEpoch: 16, valImages: 2, valCrop: 32, checkpointMinutes: 0 }, { onEvent: () => undefined });
      expect((await readManifest(tuned)).blind).toBe(blindFraction > 0);
      expect((await readManifest(tuned)).training).toMatchObject({ blindFraction: blindFraction > 0 ? TRAIN_DEFAULTS.blindFraction : 0 });
    }
  });

  it('records the mosaic pattern its camera noise was made in, which fine-tuning keeps and a named pattern replaces', async () => {
    const out = path.join(tmp, 'mosaic-grbg');
    await train({ ...tiny(out, 1), noise: 'camera:0.004,90,grbg+gaussian:0-30+camera:0.01,grbg' }, { onEvent: () => undefined });
    expect((await readManifest(out)).mosaic).toBe('grbg');
    const tuned = path.join(tmp, 'mosaic-grbg-tuned');
    await train({ ...tiny(tuned, 1), init: out, noise: 'gaussian:10-30' }, { onEvent: () => undefined });
    expect((await readManifest(tuned)).mosaic).toBe('grbg');
    const renamed = path.join(tmp, 'mosaic-bggr');
    await train({ ...tiny(renamed, 1), init: out, noise: 'camera:0.004,bggr' }, { onEvent: () => undefined });
    expect((await readManifest(renamed)).mosaic).toBe('bggr');
  });

  it('times a run before it starts with a few real steps, writing nothing to its folder', async () => {
    const out = path.join(tmp, 'estimated');
    const e = await measureTraining({ ...tiny(out, 7), patchesPerEpoch: 32 }, 2);
    expect(e.stepsPerEpoch).toBe(8);
    expect(e.stepsTimed).toBe(2);
    for (const v of [e.setupSeconds, e.secondsPerStep, e.validationSeconds]) expect(v).toBeGreaterThan(0);
    expect(e.secondsPerEpoch).toBeCloseTo(8 * e.secondsPerStep + e.validationSeconds, 6);
    expect(e.totalSeconds).toBeCloseTo(e.setupSeconds + 7 * e.secondsPerEpoch, 6);
    await expect(fs.access(out)).rejects.toThrow();
    expect((await fs.readdir(os.tmpdir())).filter((f) => f.startsWith('denoise-lab-estimate-'))).toEqual([]);
  });

  it('trains a grey model on the opponent planes of colour photos', async () => {
    const out = path.join(tmp, 'planes');
    const events: TrainEvent[] = [];
    const final = await train({ ...tiny(out, 1), channels: undefined, planes: 'opponent', noise: 'camera' }, { onEvent: (e) => events.push(e) });
    expect(Number.isFinite(final?.psnr)).toBe(true);
    const manifest = await readManifest(out);
    expect([manifest.channels, manifest.arch.options.channels]).toEqual([1, 1]);
    const start = events.find((e) => e.type === 'start') as Extract<TrainEvent, { type: 'start' }>;
    expect(start.dataset).toMatch(/colour/);
    // Fine-tuning a plane model (as the app does from the bundled default) keeps learning from planes.
    const tuned = path.join(tmp, 'planes-tuned');
    await train({ ...tiny(tuned, 1), arch: 'dncnn', channels: 3, init: out, noise: 'camera' }, { onEvent: () => undefined });
    expect((await readManifest(tuned)).training).toMatchObject({ planes: 'opponent', arch: 'ffdnet', channels: 1 });
    // ...unless told 'none': then it learns from the photos themselves, in its own (grey) channel.
    const own = path.join(tmp, 'planes-none');
    const ownEvents: TrainEvent[] = [];
    await train({ ...tiny(own, 1), channels: undefined, init: out, planes: 'none', noise: 'gaussian:25' }, { onEvent: (e) => ownEvents.push(e) });
    expect((await readManifest(own)).training).toMatchObject({ planes: 'none', channels: 1 });
    expect((ownEvents.find((e) => e.type === 'start') as Extract<TrainEvent, { type: 'start' }>).dataset).toMatch(/grey/);
  });

  it('trains a level estimator on luma planes that tells weak noise from strong, which a denoiser then carries', async () => {
    const out = path.join(tmp, 'level');
    const epochs = await trainEstimator(out, 'opponent');
    // Scored by the error of the log level it reads, which falls as it learns.
    expect(epochs[0].psnr).toBeUndefined();
    expect(epochs.at(-1)!.valLoss).toBeLessThan(epochs[0].valLoss);
    const model = await loadModelFiles(out);
    const read = (sigma: number) => tf.tidy(() => {
      const image = smoothImage(64, 64, 1);
      const noisy = applyNoise(image, parseNoiseSpec(`gaussian:${sigma}`), new Rng(1)).noisy;
      return (model.predict(tf.tensor4d(noisy, [1, 64, 64, 1])) as tf.Tensor).mean().dataSync()[0];
    });
    expect(read(40)).toBeGreaterThan(read(5) + 0.5);
    model.dispose();
    // Not a denoiser on its own...
    await expect(openDenoiser(out)).rejects.toThrow(/noise-level estimator/);
    // ...but one in a denoiser's "level" folder is opened with it.
    const denoiser = path.join(tmp, 'level-denoiser');
    await train({ ...tiny(denoiser, 1), channels: 1, blindFraction: 0.5 }, { onEvent: () => undefined });
    await fs.cp(out, path.join(denoiser, LEVEL_ESTIMATOR_FOLDERS.luma), { recursive: true });
    await fs.cp(out, path.join(denoiser, LEVEL_ESTIMATOR_FOLDERS.chroma), { recursive: true });
    const opened = await openDenoiser(denoiser);
    expect(opened.level).toBeDefined();
    expect(opened.chromaLevel).toBeDefined();
    opened.runner.dispose();
    opened.level!.dispose();
    opened.chromaLevel!.dispose();
    // A run fine-tuned from that denoiser keeps its estimators.
    const tuned = path.join(tmp, 'level-tuned');
    const logs: string[] = [];
    await train({ ...tiny(tuned, 1), channels: 1, init: denoiser }, { onEvent: (e) => { if (e.type === 'log') logs.push(e.message); } });
    expect(logs).toContain('kept the base model\'s companion models (level/, level-chroma/)');
    for (const folder of Object.values(LEVEL_ESTIMATOR_FOLDERS)) {
      expect((await fs.readFile(path.join(tuned, folder, 'model.json'))).equals(await fs.readFile(path.join(out, 'model.json')))).toBe(true);
    }
    // And a denoiser in that folder is refused.
    const wrong = path.join(tmp, 'wrong-level');
    await fs.cp(denoiser, wrong, { recursive: true });
    await fs.rm(path.join(wrong, LEVEL_ESTIMATOR_FOLDERS.chroma), { recursive: true });
    await fs.cp(denoiser, path.join(wrong, LEVEL_ESTIMATOR_FOLDERS.chroma), { recursive: true });
    await expect(openDenoiser(wrong)).rejects.toThrow(/a level estimator must be a grey levelnet model/);
  });

  it('trains a chroma level estimator on halved chroma planes, and refuses chroma planes for a denoiser other than ffdnet', async () => {
    const out = path.join(tmp, 'level-chroma');
    const epochs = await trainEstimator(out, 'chroma');
    expect(epochs.every((e) => Number.isFinite(e.valLoss) && e.psnr === undefined)).toBe(true); // scored by its log-level error
    expect((await readManifest(out)).training).toMatchObject({ planes: 'chroma' });
    const model = await loadModelFiles(out);
    // It reads a halved chroma plane of a colour image: stronger RGB noise, a higher reading.
    const read = (sigma: number) => tf.tidy(() => {
      const image = smoothImage(64, 64, 3);
      const noisy = makeImage(64, 64, 3, applyNoise(image, parseNoiseSpec(`gaussian:${sigma}`), new Rng(1)).noisy);
      const plane = halve(toOpponent(noisy)[1]);
      return (model.predict(tf.tensor4d(plane.data, [1, 32, 32, 1])) as tf.Tensor).mean().dataSync()[0];
    });
    expect(read(40)).toBeGreaterThan(read(5) + 0.5);
    model.dispose();
    await expect(train({ ...tiny(path.join(tmp, 'chroma-dncnn'), 1), arch: 'dncnn', channels: undefined, planes: 'chroma' }, { onEvent: () => undefined }))
      .rejects.toThrow(/chroma trains a level estimator \(levelnet\) or a guided chroma denoiser \(ffdnet\), not a dncnn model/);
  });

  it('trains a guided chroma denoiser from a plane model, which that model then holds in its chroma folder', async () => {
    const plane = path.join(tmp, 'plane-model');
    await train({ ...tiny(plane, 1), channels: undefined, planes: 'opponent', blindFraction: 0 }, { onEvent: () => undefined });
    const out = path.join(tmp, 'chroma-guided');
    const logs: string[] = [];
    const epochs: EpochMetrics[] = [];
    await train({ ...tiny(out, 4), channels: undefined, planes: 'chroma', init: plane, blindFraction: 0, patch: 32, patchesPerEpoch: 64, batch: 16, lr: 3e-3 }, {
      onEvent: (e) => { if (e.type === 'log') logs.push(e.message); if (e.type === 'epoch') epochs.push(e); },
    });
    expect(logs).toContain('added a guide input (the chroma plane filtered under the luma plane) to the base model, its weights at zero (same function to start)');
    expect((await readManifest(out)).arch.options).toMatchObject({ channels: 1, guide: true });
    expect(epochs.at(-1)!.valLoss).toBeLessThan(epochs[0].valLoss); // scored on halved chroma planes, told their guide
    // Not a denoiser on its own...
    await expect(openDenoiser(out)).rejects.toThrow(/a chroma denoiser guided by the luma plane; put it in a grey plane model's "chroma" folder/);
    // ...but the plane model's chroma denoiser, in its chroma folder.
    const holder = path.join(tmp, 'plane-with-chroma');
    await fs.cp(plane, holder, { recursive: true });
    await fs.cp(out, path.join(holder, CHROMA_DENOISER_FOLDER), { recursive: true });
    const opened = await openDenoiser(holder);
    expect(opened.chroma?.manifest.arch.options.guide).toBe(true);
    const r = await denoiseImage(opened, makeImage(40, 32, 3, applyNoise(smoothImage(40, 32, 3), parseNoiseSpec('gaussian:20'), new Rng(2)).noisy), { sigma: 20 });
    expect([r.image.width, r.image.height, r.image.channels]).toEqual([40, 32, 3]);
    // A fine-tune of the plane model keeps it; an unguided model in that folder is refused.
    const tuned = path.join(tmp, 'plane-tuned');
    const tunedLogs: string[] = [];
    await train({ ...tiny(tuned, 1), channels: undefined, init: holder, blindFraction: 0 }, { onEvent: (e) => { if (e.type === 'log') tunedLogs.push(e.message); } });
    expect(tunedLogs).toContain('kept the base model\'s companion models (chroma/)');
    await fs.rm(path.join(holder, CHROMA_DENOISER_FOLDER), { recursive: true });
    await fs.cp(plane, path.join(holder, CHROMA_DENOISER_FOLDER), { recursive: true });
    await expect(openDenoiser(holder)).rejects.toThrow(/a chroma denoiser must be a grey ffdnet model with a guide input/);
  });

  it('trains for 8-bit inference: ranges calibrated once, kept by resume and --init, run as integer convs unless DENOISE_INT8=0', async () => {
    const cfg = (out: string, epochs: number): TrainConfig => ({ ...tiny(out, epochs), archOptions: { depth: 4, width: 8 }, int8: { kind: 'requested' } });
    await expect(train({ ...cfg(path.join(tmp, 'int8-tfjs'), 1), trainer: 'tfjs' }, { onEvent: () => undefined }))
      .rejects.toThrow(/--int8\) runs on ONNX Runtime steps only: the TF.js trainer was chosen/);
    const out = path.join(tmp, 'int8');
    const logs: string[] = [];
    const controller = new AbortController();
    await train(cfg(out, 2), {
      signal: controller.signal,
      onEvent: (e) => { if (e.type === 'log') logs.push(e.message); if (e.type === 'step' && e.epoch === 2) controller.abort(); },
    });
    expect(logs).toContain('calibrated the 8-bit input ranges of 2 convolutions on 8 training batches');
    const calibrated = (await latestCheckpoint(out))!.config.int8;
    expect(calibrated?.kind).toBe('calibrated');
    const resumedLogs: string[] = [];
    await train(cfg(out, 2), { onEvent: (e) => { if (e.type === 'log') resumedLogs.push(e.message); } }, {});
    expect(resumedLogs.some((m) => m.includes('8-bit'))).toBe(false); // the checkpoint's ranges, not new ones
    const manifest = await readManifest(out);
    expect(manifest.int8).toEqual(calibrated?.kind === 'calibrated' ? calibrated.scales : undefined);
    expect(manifest.training?.int8).toBe(true);
    const tuned: string[] = [];
    await train({ ...cfg(path.join(tmp, 'int8-tuned'), 1), init: out }, { onEvent: (e) => { if (e.type === 'log') tuned.push(e.message); } });
    expect(tuned).toContain('kept the base model\'s 8-bit input ranges');
    // A deepened model has other convs: its ranges are calibrated anew.
    const deeper: string[] = [];
    await train({ ...cfg(path.join(tmp, 'int8-deeper'), 1), archOptions: { depth: 5, width: 8 }, init: out }, { onEvent: (e) => { if (e.type === 'log') deeper.push(e.message); } });
    expect(deeper).toContain('calibrated the 8-bit input ranges of 3 convolutions on 8 training batches');
    // Denoising runs the integer convs; DENOISE_INT8=0 runs the same weights in float, a little differently.
    const noisy = makeImage(48, 40, 3, applyNoise(smoothImage(48, 40, 3), parseNoiseSpec('gaussian:20'), new Rng(4)).noisy);
    const integer = (await denoiseImage(await openDenoiser(out), noisy, { sigma: 20 })).image.data;
    process.env.DENOISE_INT8 = '0';
    try {
      const float = (await denoiseImage(await openDenoiser(out), noisy, { sigma: 20 })).image.data;
      const diff = Math.max(...float.map((v, i) => Math.abs(v - integer[i])));
      expect(diff).toBeGreaterThan(0);
      expect(diff).toBeLessThan(0.05);
    } finally {
      delete process.env.DENOISE_INT8;
    }
  });
});
