/**
 * Checkpoints under stress: resume bit for bit after hundreds of steps (Adam's bias corrections
 * saved exactly), damaged checkpoints passed over for the newest intact one, one training per
 * run folder, and kill -9 at random moments leaving no temporary folders behind.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { loadModelFiles } from '../../../../src/main/engine/models/store';
import { train } from '../../../../src/main/engine/training/loop';
import { TRAIN_DEFAULTS, type TrainConfig, type TrainEvent } from '../../../../src/main/engine/training/config';
import { checkpointRoot, latestCheckpoint } from '../../../../src/main/engine/training/checkpoints';
import { jsonLines, startCli } from '../../../helpers/cli';
import { writePattern } from '../../../helpers/images';

let tmp: string;
let photos: string;

beforeAll(async () => {
  await initBackend();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-'));
  photos = path.join(tmp, 'photos');
  for (let i = 0; i < 4; i++) await writePattern(path.join(photos, `img-${i}.png`), 40 + 8 * i, 40, 1, i);
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

/** A tiny grey model, `steps` steps per epoch of one 16x16 patch. */
const tiny = (out: string, epochs: number, steps: number): TrainConfig => ({
  ...TRAIN_DEFAULTS, data: { kind: 'folder', path: photos }, cacheDir: tmp, arch: 'ffdnet', archOptions: { depth: 3, width: 8 }, channels: 1,
  noise: 'gaussian:10-30', epochs, batch: 1, patch: 16, patchesPerEpoch: steps, valImages: 1, valCrop: 16, out, checkpointMinutes: 0, workers: 1,
});

async function weights(dir: string): Promise<Float32Array[]> {
  const model = await loadModelFiles(dir);
  const values = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  return values;
}

const logs = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.message] : []));

describe('checkpoints', () => {
  it('stops at step 300, resumes, and ends with the same weights bit for bit as an uninterrupted run', async () => {
    const straight = path.join(tmp, 'straight');
    await train(tiny(straight, 2, 200), { onEvent: () => undefined });
    const split = path.join(tmp, 'split');
    const controller = new AbortController();
    await train(tiny(split, 2, 200), {
      signal: controller.signal,
      onEvent: (e) => { if (e.type === 'step' && e.epoch === 2 && e.step === 100) controller.abort(); },
    });
    expect(await latestCheckpoint(split)).toMatchObject({ epoch: 1, step: 100 });
    await train(tiny(split, 2, 200), { onEvent: () => undefined }, {});
    const a = await weights(straight);
    const b = await weights(split);
    a.forEach((w, i) => expect(Buffer.from(b[i].buffer).equals(Buffer.from(w.buffer)), `weight ${i}`).toBe(true));
  }, 120_000);

  it('passes over a damaged newest checkpoint (and a garbage latest.json) for the newest intact one, and says so', async () => {
    const out = path.join(tmp, 'damaged');
    await train(tiny(out, 3, 4), { onEvent: () => undefined });
    const root = checkpointRoot(out);
    const dirs = (await fs.readdir(root)).filter((d) => d.startsWith('epoch-')).sort();
    expect(dirs).toEqual(['epoch-0002-step-000000', 'epoch-0003-step-000000']);
    const optimizer = path.join(root, dirs[1], 'optimizer.bin');
    const bytes = await fs.readFile(optimizer);
    bytes[bytes.length - 1] ^= 0xff; // one flipped byte
    await fs.writeFile(optimizer, bytes);
    await fs.writeFile(path.join(root, 'latest.json'), '{"dir": "../../etc"');
    expect(await latestCheckpoint(out)).toMatchObject({ epoch: 2 });
    const events: TrainEvent[] = [];
    await train(tiny(out, 3, 4), { onEvent: (e) => events.push(e) }, {});
    expect(logs(events)).toContain('checkpoint epoch-0003-step-000000 is damaged (optimizer.bin does not match its checksum); resuming from epoch-0002-step-000000');
    expect(events.find((e) => e.type === 'start')).toMatchObject({ resumedFrom: { epoch: 2, step: 0 } });
    expect(events.at(-1)).toMatchObject({ type: 'done', reason: 'completed', epochsDone: 3 });

    // With every checkpoint damaged, resume says there is nothing intact rather than failing deep inside.
    for (const d of (await fs.readdir(root)).filter((n) => n.startsWith('epoch-'))) await fs.rm(path.join(root, d, 'state.json'));
    await expect(train(tiny(out, 4, 4), { onEvent: () => undefined }, {})).rejects.toThrow(/nothing to resume: no intact checkpoint found/);
  }, 60_000);

  it('refuses a second training on the same folder while the first runs, and takes over a dead one\'s lock', async () => {
    const out = path.join(tmp, 'locked');
    const controller = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const first = train(tiny(out, 50, 4), { signal: controller.signal, onEvent: (e) => { if (e.type === 'step') started(); } });
    await running;
    await expect(train(tiny(out, 1, 4), { onEvent: () => undefined })).rejects.toThrow(/another training \(process \d+, since .*\) is writing to this folder/);
    controller.abort();
    await first;
    // A lock left by a process that no longer exists is taken over.
    await fs.writeFile(path.join(out, 'train.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), since: 'then' }));
    await expect(train(tiny(out, 1, 4), { onEvent: () => undefined }, {})).resolves.toBeDefined();
    await expect(fs.access(path.join(out, 'train.lock'))).rejects.toThrow(); // released
  }, 60_000);

  it('survives kill -9 at random moments: every resume starts from an intact checkpoint and no temporary folders are left', async () => {
    const out = path.join(tmp, 'killed');
    const args = ['train', '--data', photos, '--arch', 'ffdnet', '--depth', '3', '--width', '8', '--channels', '1', '--noise', 'gaussian:25',
      '--batch', '1', '--patch', '16', '--patches-per-epoch', '3', '--val-images', '1', '--val-crop', '16', '--workers', '1', '--out', out, '--json'];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let resumed = 0;
    for (let round = 0; round < 4; round++) {
      const child = startCli([...args, '--epochs', '1000', ...(round ? ['--resume'] : [])]);
      let text = '';
      const epochs = await new Promise<number>((resolve, reject) => {
        child.stdout!.on('data', (d) => {
          text += d;
          const done = jsonLines(text).filter((e) => e.type === 'epoch').length;
          // Killed some milliseconds after its second epoch starts writing a checkpoint.
          if (done >= 2 && !child.killed) setTimeout(() => { child.kill('SIGKILL'); resolve(done); }, Math.floor(random() * 40));
        });
        child.on('close', (code) => { if (!child.killed) reject(new Error(`ended by itself (${code}): ${text.slice(-300)}`)); });
      });
      expect(epochs).toBeGreaterThanOrEqual(2);
      await new Promise((r) => child.once('close', r));
      if (round) resumed += jsonLines(text).some((e) => e.type === 'start' && e.resumedFrom) ? 1 : 0;
      expect(await latestCheckpoint(out)).not.toBeNull();
    }
    expect(resumed).toBe(3);
    // A last resume finishes; it removes what interrupted writes left behind.
    const last = await latestCheckpoint(out);
    const child = startCli([...args, '--epochs', String(last!.epoch + 1), '--resume']);
    await new Promise((r) => child.once('close', r));
    expect(child.exitCode).toBe(0);
    expect((await fs.readdir(checkpointRoot(out))).filter((d) => d.includes('.tmp-'))).toEqual([]);
    await expect(fs.access(path.join(out, 'train.lock'))).rejects.toThrow();
  }, 180_000);
});
