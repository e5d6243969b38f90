/** Batch denoising: naming, never overwriting, metadata, and one bad file not stopping the rest. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { denoiseFiles } from '../../../../src/main/engine/inference/denoise-files';
import { getArchitecture, modelStats } from '../../../../src/main/engine/models/architectures';
import { MANIFEST_FORMAT, type DenoiserManifest } from '../../../../src/main/engine/models/manifest';
import { tfjsRunner, type ModelRunner } from '../../../../src/main/engine/runtime/runner';
import { pattern, writePattern } from '../../../helpers/images';

let tmp: string;
let model: ModelRunner;
let manifest: DenoiserManifest;

beforeAll(async () => {
  await initBackend();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'denoise-'));
  const layers = getArchitecture('ffdnet').build({ channels: 3, depth: 3, width: 8, seed: 1 });
  model = tfjsRunner(layers);
  manifest = {
    format: MANIFEST_FORMAT, formatVersion: 1, name: 't', arch: { name: 'ffdnet', options: { channels: 3, width: 8 } }, channels: 3,
    noiseMap: true, sizeMultiple: 2, noise: 'gaussian:0-55', ...modelStats(layers), created: '', updated: '',
    engine: { version: '', tfjs: '', backend: '' },
  };
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

describe('denoiseFiles', () => {
  it('denoises files and folders, keeps format and metadata, and reports bad files without stopping', async () => {
    const inDir = path.join(tmp, 'in put', 'fötos');
    await writePattern(path.join(inDir, 'a.png'), 33, 21, 1);
    await sharp(pattern(40, 30, 3), { raw: { width: 40, height: 30, channels: 3 } })
      .withExif({ IFD0: { Make: 'KeepMe' } }).jpeg().toFile(path.join(inDir, 'b.jpg'));
    await fs.writeFile(path.join(inDir, 'broken.png'), 'not an image');
    const out = path.join(tmp, 'out');
    const results = await denoiseFiles({ runner: model, manifest }, [inDir], { outDir: out, sigma: 15 });
    expect(results.map((r) => [path.basename(r.input), r.ok])).toEqual([['a.png', true], ['b.jpg', true], ['broken.png', false]]);
    const bad = results[2] as { error: string };
    expect(bad.error).toContain('broken.png');
    expect((await sharp(path.join(out, 'a.png')).metadata()).channels).toBe(1);
    const jm = await sharp(path.join(out, 'b.jpg')).metadata();
    expect(jm.format).toBe('jpeg');
    expect(jm.exif?.toString('latin1')).toContain('KeepMe');

    // A second run never replaces existing outputs; it adds a suffix.
    const again = await denoiseFiles({ runner: model, manifest }, [path.join(inDir, 'a.png')], { outDir: out, format: 'webp' });
    expect(again[0]).toMatchObject({ ok: true, output: path.join(out, 'a.webp') });
    const third = await denoiseFiles({ runner: model, manifest }, [path.join(inDir, 'a.png')], { outDir: out, format: 'webp' });
    expect(third[0]).toMatchObject({ ok: true, output: path.join(out, 'a-1.webp') });
  });

  it('never writes over an input, even when the output folder is the input folder', async () => {
    const dir = path.join(tmp, 'same');
    const input = await writePattern(path.join(dir, 'photo.png'), 20, 20, 3);
    const before = await fs.readFile(input);
    const results = await denoiseFiles({ runner: model, manifest }, [input], { outDir: dir, overwrite: true });
    expect(results[0]).toMatchObject({ ok: true, output: path.join(dir, 'photo-1.png') });
    expect(await fs.readFile(input)).toEqual(before);
  });

  it('pipelines a batch (decode ahead, write behind) without mixing photos up or clashing names', async () => {
    const a = await writePattern(path.join(tmp, 'batch', 'one', 'x.png'), 36, 24, 3, 1);
    await fs.mkdir(path.join(tmp, 'batch', 'bad'), { recursive: true });
    const broken = path.join(tmp, 'batch', 'bad', 'broken.png');
    await fs.writeFile(broken, 'not an image');
    const b = await writePattern(path.join(tmp, 'batch', 'two', 'x.png'), 30, 40, 3, 2);
    const c = await writePattern(path.join(tmp, 'batch', 'two', 'y.png'), 26, 26, 1, 3);
    const out = path.join(tmp, 'batch-out');
    const results = await denoiseFiles({ runner: model, manifest }, [a, broken, b, c], { outDir: out, sigma: 20 });
    expect(results.map((r) => [r.input, r.ok])).toEqual([[a, true], [broken, false], [b, true], [c, true]]);
    expect(results.map((r) => (r.ok ? path.basename(r.output) : null))).toEqual(['x.png', null, 'x-1.png', 'y.png']);
    // Each output is what denoising that photo alone gives.
    for (const [input, output] of [[a, 'x.png'], [b, 'x-1.png'], [c, 'y.png']]) {
      const alone = await denoiseFiles({ runner: model, manifest }, [input], { outDir: path.join(tmp, 'alone', path.basename(output)), sigma: 20 });
      const solo = alone[0] as { output: string };
      expect(await sharp(path.join(out, output)).raw().toBuffer()).toEqual(await sharp(solo.output).raw().toBuffer());
    }
  });

  it('skips an output folder inside the input folder, so runs do not re-denoise earlier outputs', async () => {
    const dir = path.join(tmp, 'nested');
    await writePattern(path.join(dir, 'a.png'), 20, 20, 3);
    await writePattern(path.join(dir, 'b.png'), 20, 20, 1);
    const out = path.join(dir, 'denoised');
    for (let run = 0; run < 3; run++) {
      const results = await denoiseFiles({ runner: model, manifest }, [dir], { outDir: out, sigma: 10, overwrite: true });
      expect(results.map((r) => path.basename(r.input))).toEqual(['a.png', 'b.png']);
    }
    expect((await fs.readdir(out)).sort()).toEqual(['a.png', 'b.png']);
  });

  it('sees through a symlinked output folder and refuses it when it is an input', async () => {
    const dir = path.join(tmp, 'linked-in');
    const input = await writePattern(path.join(dir, 'p.png'), 20, 20, 3);
    const before = await fs.readFile(input);
    const link = path.join(tmp, 'linked-out');
    await fs.symlink(dir, link);
    await expect(denoiseFiles({ runner: model, manifest }, [dir], { outDir: link, overwrite: true })).rejects.toThrow(/the output folder is one of the inputs/);
    // Given the file rather than its folder, the output goes beside it under a new name, never over it.
    const results = await denoiseFiles({ runner: model, manifest }, [input], { outDir: link, overwrite: true });
    expect(results[0]).toMatchObject({ ok: true, output: path.join(dir, 'p-1.png') });
    expect(await fs.readFile(input)).toEqual(before);
  });

  it('explains an output path that is a file, or whose parent cannot be written', async () => {
    const input = await writePattern(path.join(tmp, 'where', 'p.png'), 20, 20, 3);
    const file = path.join(tmp, 'where', 'a-file');
    await fs.writeFile(file, 'x');
    await expect(denoiseFiles({ runner: model, manifest }, [input], { outDir: file })).rejects.toThrow(`${file}: exists and is a file, not a folder`);
    await expect(denoiseFiles({ runner: model, manifest }, [input], { outDir: path.join(file, 'sub') })).rejects.toThrow(/a part of the path is a file/);
    // Where even root cannot create entries (and Node's recursive mkdir never returns):
    await expect(denoiseFiles({ runner: model, manifest }, [input], { outDir: '/proc/denoise-lab/out' })).rejects.toThrow('the folder /proc is not writable');
    if (process.getuid?.() !== 0) { // root writes anywhere else
      const locked = path.join(tmp, 'read-only');
      await fs.mkdir(locked);
      await fs.chmod(locked, 0o555);
      await expect(denoiseFiles({ runner: model, manifest }, [input], { outDir: path.join(locked, 'out') })).rejects.toThrow(`the folder ${locked} is not writable`);
    }
  });

  it('says which page of a multi-page file it used', async () => {
    const file = path.join(tmp, 'multi', 'scan.tif');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await sharp(Buffer.alloc(16 * 48 * 3, 90), { raw: { width: 16, height: 48, channels: 3, pageHeight: 16 } as sharp.CreateRaw }).tiff().toFile(file);
    const [r] = await denoiseFiles({ runner: model, manifest }, [file], { outDir: path.join(tmp, 'multi-out'), sigma: 10 });
    expect(r).toMatchObject({ ok: true, height: 16, note: 'page 1 of 3 used' });
  });

  it('sends each photo to the member of a pair the grey route picks, and says which and in how many passes', async () => {
    const grey = await writePattern(path.join(tmp, 'pair', 'grey.png'), 20, 20, 1);
    const colour = await writePattern(path.join(tmp, 'pair', 'colour.png'), 20, 20, 3);
    const counted = (runner: ModelRunner) => {
      const calls = { n: 0 };
      return { calls, runner: { ...runner, run: (...args: Parameters<ModelRunner['run']>) => (calls.n++, runner.run(...args)) } };
    };
    const main = counted(model);
    const layers = getArchitecture('ffdnet').build({ channels: 1, depth: 3, width: 8, seed: 2 });
    const companion = counted(tfjsRunner(layers));
    const greyModel = { runner: companion.runner, manifest: { ...manifest, channels: 1 as const, ...modelStats(layers) } };
    const results = await denoiseFiles({ runner: main.runner, manifest }, [colour, grey], { outDir: path.join(tmp, 'pair-out'), greyModel });
    expect(results.map((r) => r.ok && [path.basename(r.input), r.model])).toEqual([['colour.png', 'main'], ['grey.png', 'grey']]);
    // Small photos get eight passes (autoEnsemble), each one run of the member that was picked.
    expect(results.map((r) => r.ok && r.passes)).toEqual([8, 8]);
    expect([main.calls.n, companion.calls.n]).toEqual([8, 8]);
  });

  it('stops before the next photo when cancelled; the rest come back as cancelled', async () => {
    const a = await writePattern(path.join(tmp, 'cancel', 'a.png'), 20, 20, 3);
    const b = await writePattern(path.join(tmp, 'cancel', 'b.png'), 20, 20, 3);
    const controller = new AbortController();
    const results = await denoiseFiles({ runner: model, manifest }, [a, b], {
      outDir: path.join(tmp, 'cancel-out'), sigma: 10, signal: controller.signal, onFile: () => controller.abort(),
    });
    expect(results.map((r) => (r.ok ? 'ok' : r.error))).toEqual(['ok', 'cancelled']);
  });
});
