/** The CLI: usage errors are one clear line (no stack trace), and a batch with a bad file exits non-zero. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli, startCli } from '../../helpers/cli';
import { isProcessAlive } from '../../../src/main/engine/processes';
import sharp from 'sharp';
import { smoothImage, writePattern } from '../../helpers/images';
import { applyNoise, parseNoiseSpec } from '../../../src/main/engine/data/noise';
import { Rng } from '../../../src/main/engine/data/rng';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-'));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

/** Trains a tiny ffdnet with the CLI on three 40x40 patterns written to `<name>-data`, into `<name>-model`; returns both folders. */
async function trainTiny(name: string, channels: 1 | 3, noise: string, extra: string[] = []): Promise<{ data: string; model: string }> {
  const data = path.join(tmp, `${name}-data`);
  for (let i = 0; i < 3; i++) await writePattern(path.join(data, `p${i}.png`), 40, 40, channels, i);
  const model = path.join(tmp, `${name}-model`);
  const t = await runCli(['train', '--data', data, '--arch', 'ffdnet', '--width', '8', '--noise', noise, ...extra,
    '--epochs', '1', '--batch', '4', '--patch', '16', '--patches-per-epoch', '8', '--val-crop', '32', '--out', model]);
  expect(t.code, t.stderr).toBe(0);
  return { data, model };
}

describe('cli', () => {
  it('info names the backend and the seed architecture', async () => {
    const r = await runCli(['info']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/backend: (tensorflow|wasm|cpu)/);
    // With onnxruntime-node (which ships its CPU binaries), every architecture trains on it, the seed model's BCE too.
    expect(r.stdout).toMatch(/training steps: onnxruntime-node/);
    expect(r.stdout).toMatch(/seed\*\s+3,217/);
    expect(r.stdout).toMatch(/ffdnet\*/);
  });

  it.each([
    [['train', '--data', 'x', '--arch', 'seed', '--noise', 'gaussian:abc', '--out', 'o'], /bad gaussian sigma "abc"/],
    [['train', '--data', 'x', '--arch', 'unet', '--noise', 'gaussian:5', '--out', 'o'], /unknown architecture "unet"/],
    [['train', '--data', 'x', '--arch', 'seed', '--noise', 'gaussian:5', '--out', 'o', '--epochs', 'ten'], /--epochs must be a number/],
    [['train', '--arch', 'seed'], /--out is required/],
    [['denoise', 'a.png'], /--out is required/],
    [['denoise', 'a.png', '--out', 'o', '--sigma', '5', '--strength', '1'], /either --sigma or --strength/],
    [['denoise', 'a.png', '--out', 'o', '--sigma', '-1'], /--sigma must be between 0 and 255/],
    [['denoise', 'a.png', '--out', 'o', '--strength', '-.5'], /--strength must be between 0 and 1/],
    [['train', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('%j gives a usage message', async (args, message) => {
    const r = await runCli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('denoise with a model trained by train: writes outputs, reports a bad file, exits 1', async () => {
    const { data, model } = await trainTiny('grey', 1, 'gaussian:25', ['--depth', '3']);
    await fs.writeFile(path.join(data, 'zero.png'), '');
    const out = path.join(tmp, 'out');
    const r = await runCli(['denoise', data, '--out', out, '--model', model, '--sigma', '25']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/zero\.png: file is empty/);
    expect(r.stderr).toMatch(/3 denoised, 1 failed/);
    expect((await fs.readdir(out)).sort()).toEqual(['p0.png', 'p1.png', 'p2.png']);
    expect(r.stderr).toMatch(/p0\.png -> .*\(40x40, σ 25\.0 \(set\), 8 passes, /); // small photos get eight passes by default
    const one = await runCli(['denoise', path.join(data, 'p0.png'), '--out', path.join(tmp, 'out1'), '--model', model, '--sigma', '25', '--ensemble', '1']);
    expect(one.stderr).toMatch(/p0\.png -> .*\(40x40, σ 25\.0 \(set\), [\d.]+ s\)/);
    const refused = await runCli(['denoise', data, '--out', data, '--model', model]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/output folder is one of the inputs/);
  });

  it("denoise names the camera mosaic it read, for a model that learned camera noise in one", async () => {
    const { model } = await trainTiny('mosaic', 3, 'camera:0.004,rggb', ['--depth', '3']);
    const photos = path.join(tmp, 'mosaic-photos');
    await fs.mkdir(photos);
    const { noisy } = applyNoise(smoothImage(120, 96, 3), parseNoiseSpec('camera:0.01,gbrg'), new Rng(1));
    await sharp(Buffer.from(noisy.map((v) => Math.round(v * 255))), { raw: { width: 120, height: 96, channels: 3 } }).toFile(path.join(photos, 'cam.png'));
    await writePattern(path.join(photos, 'clean.png'), 120, 96, 3);
    const r = await runCli(['denoise', photos, '--out', path.join(tmp, 'mosaic-out'), '--model', model, '--ensemble', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cam\.png -> .*\(120x96, .*, GBRG mosaic, [\d.]+ s\)/);
    expect(r.stderr).toMatch(/clean\.png -> /);
    expect(r.stderr).not.toMatch(/clean\.png -> [^\n]*(RGGB|GRBG|GBRG|BGGR) mosaic/); // no mosaic in a clean pattern
  });

  it('export-onnx writes a model trained with --int8 with its integer convolutions, and in float with DENOISE_INT8=0', async () => {
    const { model } = await trainTiny('int8', 1, 'gaussian:25', ['--depth', '4', '--int8']);
    const integer = await runCli(['export-onnx', '--model', model, '--out', path.join(tmp, 'int8.onnx')]);
    expect(integer.stdout).toMatch(/; 2 convolutions in 8-bit integers/);
    const float = await runCli(['export-onnx', '--model', model, '--out', path.join(tmp, 'float.onnx')], { DENOISE_INT8: '0' });
    expect(float.stdout).not.toMatch(/8-bit/);
    expect((await fs.readFile(path.join(tmp, 'int8.onnx'))).includes('QuantizeLinear')).toBe(true);
    expect((await fs.readFile(path.join(tmp, 'float.onnx'))).includes('QuantizeLinear')).toBe(false);
  });

  describe.runIf(process.platform === 'linux')('started without the engine environment, it runs itself again with it', () => {
    const trainArgs = (data: string, out: string) => ['train', '--data', data, '--arch', 'ffdnet', '--depth', '3', '--width', '8', '--channels', '1',
      '--noise', 'gaussian:25', '--epochs', '1000', '--batch', '2', '--patch', '16', '--patches-per-epoch', '4', '--val-images', '1', '--val-crop', '16',
      '--workers', '1', '--out', out, '--json'];
    /** Starts a long training run through the relaunch and resolves once it has finished an epoch. */
    async function startTraining(name: string) {
      const data = path.join(tmp, `${name}-data`);
      for (let i = 0; i < 3; i++) await writePattern(path.join(data, `p${i}.png`), 40, 40, 1, i);
      const out = path.join(tmp, name);
      const child = startCli(trainArgs(data, out), {}, { relaunch: true });
      let text = '';
      child.stdout!.on('data', (d) => (text += d));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', () => jsonLines(text).some((e) => e.type === 'epoch') && resolve());
        child.on('close', (code) => reject(new Error(`ended by itself (${code})`)));
      });
      return { child, out, text: () => text };
    }

    it('with the tunable set, and the exit code passed on', async () => {
      const r = await runCli(['info'], {}, { relaunch: true });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/memory: transparent huge pages for large buffers \(GLIBC_TUNABLES=glibc\.malloc\.hugetlb=1\)/);
      expect((await runCli(['frobnicate'], {}, { relaunch: true })).code).toBe(2);
    });

    it('Ctrl-C reaches the training run once: it stops after a checkpoint', async () => {
      const { child, out, text } = await startTraining('interrupted');
      child.kill('SIGINT');
      const code = await new Promise((r) => child.once('close', r));
      expect(code).toBe(0);
      expect(jsonLines(text()).at(-1)).toMatchObject({ type: 'done', reason: 'stopped' });
      await expect(fs.access(path.join(out, 'train.lock'))).rejects.toThrow(); // released
    }, 60_000);

    it('kill -9 of the CLI ends the run it started', async () => {
      const { child, out } = await startTraining('killed');
      const { pid } = JSON.parse(await fs.readFile(path.join(out, 'train.lock'), 'utf8')) as { pid: number };
      expect(pid).not.toBe(child.pid);
      child.kill('SIGKILL');
      const deadline = Date.now() + 10_000;
      while (isProcessAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(isProcessAlive(pid)).toBe(false);
    }, 60_000);
  });
});
