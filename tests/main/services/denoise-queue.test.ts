/** DenoiseQueue: one batch request per run with per-photo progress, the model each photo went through, and export through the host. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DenoiseQueue } from '../../../src/main/services/denoise-queue';
import { ModelService } from '../../../src/main/services/models';
import { fakeModel, serviceContext, type FakeWorker } from '../../helpers/service-context';

async function setup(answer: FakeWorker['answer']) {
  const s = await serviceContext({ answer });
  await fakeModel(path.join(s.ctx.bundledModels, 'default'), 'default', { blind: true });
  await fakeModel(path.join(s.ctx.bundledModels, 'default-grey'), 'default-grey', { channels: 1 });
  const photos = path.join(s.root, 'photos');
  await fs.mkdir(photos);
  for (const f of ['a.jpg', 'b.png', 'c.jpg']) await fs.writeFile(path.join(photos, f), 'x');
  const queue = new DenoiseQueue(s.ctx, new ModelService(s.ctx));
  const dropped = ['a.jpg', 'b.png', 'c.jpg'].map((f) => path.join(photos, f));
  dropped.forEach((f) => s.ctx.grants.grant(f));
  const items = await queue.add(dropped);
  return { ...s, queue, items, photos };
}

describe('DenoiseQueue', () => {
  it('denoises the photos as one batch and says which model each went through', async () => {
    const { queue, items, worker, events, ctx } = await setup((_method, params, emit) => {
      const p = params as { inputs: string[]; outDir: string; modelDir: string; greyModelDir: string };
      emit({ index: 1, fraction: 0.5 });
      return p.inputs.map((input, i) => i === 2
        ? { input, ok: false, error: 'c.jpg: unsupported image' }
        : { input, ok: true, output: path.join(p.outDir, `${i}.png`), width: 4, height: 4, channels: i === 1 ? 1 : 3, seconds: 0.1,
            noise: { kind: 'blind', sigma: 9 }, modelDir: i === 1 ? p.greyModelDir : p.modelDir });
    });
    const done = await queue.run(items.map((i) => i.id), {});
    expect(worker.calls.map((c) => c.method)).toEqual(['denoise']);
    expect((worker.calls[0].params as { inputs: string[] }).inputs).toHaveLength(3);
    expect((worker.calls[0].params as { greyModelDir?: string }).greyModelDir).toBe(path.join(ctx.bundledModels, 'default-grey'));
    expect(done.map((d) => d.state)).toEqual(['done', 'done', 'error']);
    expect(done.map((d) => d.model)).toEqual(['default', 'default-grey', undefined]);
    expect(done[0].noise).toEqual({ kind: 'blind', sigma: 9 });
    expect(done[2].error).toMatch(/unsupported/);
    expect(events.some((e) => e.channel === 'denoise:item' && (e.payload as { fraction: number }).fraction === 0.5)).toBe(true);
  });

  it('marks every photo of a batch failed when the engine fails, and keeps the window-side state', async () => {
    const { queue, items } = await setup(() => { throw new Error('engine process exited'); });
    const done = await queue.run(items.map((i) => i.id), {});
    expect(done.every((d) => d.state === 'error' && d.error === 'engine process exited')).toBe(true);
  });

  it('exports through the host, refusing photos not yet denoised and protecting every queued original', async () => {
    const { queue, items, worker, root, photos, ctx } = await setup((method, params) => {
      if (method === 'denoise') {
        const p = params as { inputs: string[]; outDir: string; modelDir: string };
        return p.inputs.map((input, i) => ({ input, ok: true, output: path.join(p.outDir, `${i}.png`), width: 4, height: 4, channels: 3, seconds: 0, modelDir: p.modelDir }));
      }
      const p = params as { items: { output: string; original: string }[]; dir: string };
      return p.items.map((it) => ({ ok: true, output: path.join(p.dir, path.basename(it.original)) }));
    });
    await queue.run([items[0].id], {});
    const out = path.join(root, 'out');
    ctx.dialogs.pickFolder = async () => out;
    const r = await queue.export([items[0].id, items[1].id], 'jpeg');
    expect(r).toEqual({ written: [path.join(out, 'a.jpg')], errors: [{ id: items[1].id, error: 'not denoised yet' }] });
    const call = worker.calls.find((c) => c.method === 'export')!.params as { items: unknown[]; format: string; protect: string[] };
    expect(call.items).toHaveLength(1);
    expect(call.format).toBe('jpeg');
    expect(call.protect.sort()).toEqual(['a.jpg', 'b.png', 'c.jpg'].map((f) => path.join(photos, f)));
    // The next export's dialog opens at the folder chosen last, also after a restart (a new queue).
    const starts: (string | undefined)[] = [];
    ctx.dialogs.pickFolder = async (_title, start) => (starts.push(start), null);
    await queue.export([items[0].id], 'png');
    await new DenoiseQueue(ctx, new ModelService(ctx)).export([items[0].id], 'png');
    expect(starts).toEqual([out, out]);
  });

  it('queues only paths the user dropped; a folder dropped is expanded', async () => {
    const { queue, ctx, photos, root } = await setup(() => null);
    await expect(queue.add(['/etc'])).rejects.toThrow('/etc: the app opens only what you drop on the window or choose in a dialog');
    await expect(queue.add([path.join(photos, 'x', '..', '..', 'photos')])).rejects.toThrow(/only what you drop/);
    await fs.writeFile(path.join(root, 'private.jpg'), 'x');
    await expect(queue.add([path.join(photos, '..', 'private.jpg')])).rejects.toThrow(/only what you drop/);
    ctx.grants.grant(photos);
    expect((await queue.add([photos])).map((i) => i.name)).toEqual(['a.jpg', 'b.png', 'c.jpg']);
  });

  it('keeps the photos of a drop with a stray file in it, names what it skipped, and never queues a photo twice', async () => {
    const { queue, ctx, photos, events, items } = await setup(() => null);
    const notes = path.join(photos, 'notes.txt');
    await fs.writeFile(notes, 'x');
    const extra = path.join(photos, 'd.jpg');
    await fs.writeFile(extra, 'x');
    for (const p of [notes, extra, path.join(photos, 'a.jpg')]) ctx.grants.grant(p);
    const added = await queue.add([notes, extra, path.join(photos, 'a.jpg')]);
    expect(added.map((i) => i.name)).toEqual(['d.jpg', 'a.jpg']);
    expect(added[1].id).toBe(items[0].id); // already queued: the same entry
    expect(events.find((e) => e.channel === 'app:notice')?.payload).toMatchObject({ level: 'warn', message: expect.stringMatching(/Skipped 1 file\(s\): notes\.txt \(not an image\)/) });
    await expect(queue.add([notes])).rejects.toThrow(/none of the dropped files is a photo/);
  });

  it('opens photos picked in the dialog without a drop', async () => {
    const { queue, ctx, photos } = await setup(() => null);
    const picked = path.join(photos, 'picked.png');
    await fs.writeFile(picked, 'x');
    ctx.dialogs.pickImages = async () => [picked];
    expect((await queue.openDialog()).map((i) => i.name)).toEqual(['picked.png']);
  });

  it('cancels a running batch: photos it did not reach go back to queued', async () => {
    let cancelled!: () => void;
    const cancel = new Promise<void>((resolve) => (cancelled = resolve));
    const { queue, items, worker } = await setup(async (method, params) => {
      if (method === 'cancel') return void cancelled();
      const p = params as { inputs: string[]; outDir: string; modelDir: string };
      await cancel; // the engine works until told to stop
      return p.inputs.map((input, i) => i === 0
        ? { input, ok: true, output: path.join(p.outDir, '0.png'), width: 4, height: 4, channels: 3, seconds: 0, modelDir: p.modelDir }
        : { input, ok: false, error: 'cancelled' });
    });
    const running = queue.run(items.map((i) => i.id), {});
    while (!worker.calls.some((c) => c.method === 'denoise')) await new Promise((r) => setTimeout(r, 5));
    await queue.cancel();
    expect(worker.calls.find((c) => c.method === 'cancel')).toEqual({ method: 'cancel', params: { id: 1 } });
    expect((await running).map((d) => d.state)).toEqual(['done', 'queued', 'queued']);
  });
});
