/** ModelService: lists bundled, imported and run models with what each is for, resolves the default with its grey companion, and guards bundled models. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
      dir: path.join(ctx.bundledModels, 'default'), name: 'default', grey: { dir: path.join(ctx.bundledModels, 'default-grey'), name: 'default-grey' },
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

  it('exports a run\'s model under the run\'s name, without its checkpoints, previews, record or lock', async () => {
    const { models, ctx, root } = await setup();
    const run = path.join(ctx.paths.runs, 'run-20261129T1200-abcd');
    await fakeModel(run, 'run-20261129T1200-abcd');
    await fs.writeFile(path.join(run, 'run.json'), JSON.stringify({ name: 'Night: street shots' }));
    for (const sub of ['checkpoints/epoch-0001-step-000000', 'previews']) await fs.mkdir(path.join(run, sub), { recursive: true });
    await fs.writeFile(path.join(run, 'checkpoints', 'epoch-0001-step-000000', 'state.json'), '{}');
    await fs.writeFile(path.join(run, 'previews', 'epoch-0001.png'), 'x');
    await fs.writeFile(path.join(run, 'train.lock'), '{}');
    await fs.writeFile(path.join(run, 'weights.bin'), 'w');
    const target = path.join(root, 'exported');
    await fs.mkdir(target);
    ctx.dialogs.pickFolder = async () => target;
    models.changed();
    const dest = await models.export('run:run-20261129T1200-abcd');
    expect(dest).toBe(path.join(target, 'Night- street shots'));
    expect((await fs.readdir(dest!)).sort()).toEqual(['denoiser.json', 'weights.bin']);
  });
});
