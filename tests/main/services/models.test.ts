/** ModelService: lists bundled, imported and run models with what each is for, resolves the default with its grey companion, and guards bundled models. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readZip } from '../../../src/main/engine/models/zip';
import { ModelService } from '../../../src/main/services/models';
import { fakeModel, serviceContext } from '../../helpers/service-context';

async function setup() {
  const s = await serviceContext();
  await fakeModel(path.join(s.ctx.bundledModels, 'default'), 'default', { blind: true });
  await fakeModel(path.join(s.ctx.bundledModels, 'default-grey'), 'default-grey', { channels: 1 });
  await fakeModel(path.join(s.ctx.paths.models, 'mine'), 'mine', { training: { data: '/home/me/Pictures/holiday' }, noise: 'camera' });
  return { ...s, models: new ModelService(s.ctx) };
}

describe('ModelService', () => {
  it('lists every model with its purpose, noise map and blind flags, the bundled default first as default', async () => {
    const { models } = await setup();
    const list = await models.list();
    expect(list.map((m) => m.id)).toEqual(['bundled:default', 'bundled:default-grey', 'user:mine']);
    const [def, grey, mine] = list;
    expect(def).toMatchObject({ isDefault: true, bundled: true, noiseMap: true, blind: true });
    expect(def.purpose).toMatch(/Colour photos/);
    expect(grey.purpose).toMatch(/Grey/);
    expect(grey.blind).toBe(false);
    expect(mine.purpose).toBe('Colour photos; trained on holiday with camera noise');
  });

  it('resolves the default with its grey companion, and other models without one', async () => {
    const { models, ctx } = await setup();
    expect(await models.resolve()).toEqual({
      id: 'bundled:default', dir: path.join(ctx.bundledModels, 'default'), name: 'default',
      grey: { id: 'bundled:default-grey', dir: path.join(ctx.bundledModels, 'default-grey'), name: 'default-grey' },
    });
    expect((await models.resolve('user:mine')).grey).toBeUndefined();
    await expect(models.resolve('user:nope')).rejects.toThrow(/unknown model "user:nope"/);
  });

  it('keeps a chosen default, and refuses to delete a bundled model', async () => {
    const { models, ctx } = await setup();
    await models.setDefault('user:mine');
    expect((await models.list()).find((m) => m.isDefault)?.id).toBe('user:mine');
    expect((await models.resolve()).grey).toBeUndefined();
    await expect(models.delete('bundled:default')).rejects.toThrow(/cannot be deleted/);
    await models.delete('user:mine');
    await expect(fs.access(path.join(ctx.paths.models, 'mine'))).rejects.toThrow();
  });

  it('scans the model folders once, and again after a change: one it is told of, or a folder appearing', async () => {
    const { models, ctx } = await setup();
    expect(await models.list()).toHaveLength(3);
    // A model written inside an existing folder is not seen until the service is told.
    await fakeModel(path.join(ctx.paths.models, 'mine'), 'renamed');
    expect((await models.list()).find((m) => m.id === 'user:mine')?.name).toBe('mine');
    models.changed();
    expect((await models.list()).find((m) => m.id === 'user:mine')?.name).toBe('renamed');
    // A new model folder in a root is noticed by the watcher.
    await fakeModel(path.join(ctx.paths.runs, 'run-1'), 'run-1');
    await expect.poll(async () => (await models.list()).map((m) => m.id)).toContain('run:run-1');
    models.dispose();
  });

  it("exports a run's model as one package named after the run, without its checkpoints, previews, record or lock, and imports it back", async () => {
    const { models, ctx, root } = await setup();
    const run = path.join(ctx.paths.runs, 'run-20261129T1200-abcd');
    await fakeModel(run, 'run-20261129T1200-abcd');
    await fs.writeFile(path.join(run, 'run.json'), JSON.stringify({ name: 'Night: street shots' }));
    for (const sub of ['checkpoints/epoch-0001-step-000000', 'previews']) await fs.mkdir(path.join(run, sub), { recursive: true });
    await fs.writeFile(path.join(run, 'checkpoints', 'epoch-0001-step-000000', 'state.json'), '{}');
    await fs.writeFile(path.join(run, 'previews', 'epoch-0001.png'), 'x');
    await fs.writeFile(path.join(run, 'train.lock'), '{}');
    let offered = '';
    ctx.dialogs.saveFile = async (_title, name) => path.join(root, (offered = name).replace('.denoiser', '')); // the user drops the extension
    models.changed();
    const file = await models.export('run:run-20261129T1200-abcd');
    expect(offered).toBe('Night- street shots.denoiser');
    expect(file).toBe(path.join(root, 'Night- street shots.denoiser'));
    const names = (await readZip(await fs.readFile(file!), { maxEntries: 9, maxTotalBytes: 1e6 })).map((e) => e.name);
    expect(names).toEqual(['denoiser.json', 'model.json', 'weights-00ab.bin']);

    ctx.dialogs.pickFile = async () => file;
    const imported = await models.import();
    expect(imported).toMatchObject({ id: 'user:Night- street shots', name: 'Night: street shots', bundled: false });
    expect((await fs.readdir(imported!.dir)).sort()).toEqual(['denoiser.json', 'model.json', 'weights-00ab.bin']);
    // A second import of the same package takes a new name; nothing is replaced.
    expect((await models.import())?.id).toBe('user:Night- street shots-1');
    ctx.dialogs.pickFile = async () => null;
    expect(await models.import()).toBeNull();
  });

  it('says how fast each model is here: measured on the largest photo it denoised, else estimated from the same architecture by work per pixel', async () => {
    const { models, ctx } = await setup();
    await fakeModel(path.join(ctx.paths.models, 'twice'), 'twice', { flopsPerPixel: 20 });
    await fakeModel(path.join(ctx.paths.models, 'other'), 'other', { arch: { name: 'dncnn', options: { channels: 3 } } });
    models.changed();
    await models.recordTiming('user:mine', 2, 1); // 0.5 s per MP
    await models.recordTiming('user:mine', 0.1, 5); // a smaller photo does not replace it
    const speed = Object.fromEntries((await models.list()).map((m) => [m.id, m.speed]));
    expect(speed['user:mine']).toEqual({ kind: 'measured', secondsPer12MP: 6, megapixels: 2 });
    expect(speed['user:twice']).toEqual({ kind: 'estimated', secondsPer12MP: 12, from: 'mine' });
    expect(speed['bundled:default']).toEqual({ kind: 'estimated', secondsPer12MP: 6, from: 'mine' });
    expect(speed['user:other']).toBeUndefined();
    await models.recordTiming('user:mine', 4, 4); // a larger one does
    expect((await models.list()).find((m) => m.id === 'user:mine')?.speed).toEqual({ kind: 'measured', secondsPer12MP: 12, megapixels: 4 });
    // A model timed only on a small photo is measured, but estimates are not made from it.
    await fakeModel(path.join(ctx.paths.models, 'small'), 'small', { arch: { name: 'dncnn', options: { channels: 3 } } });
    models.changed();
    await models.recordTiming('user:small', 0.02, 0.5);
    const after = Object.fromEntries((await models.list()).map((m) => [m.id, m.speed]));
    expect(after['user:small']).toEqual({ kind: 'measured', secondsPer12MP: 300, megapixels: 0.02 });
    expect(after['user:other']).toBeUndefined();
  });
});
