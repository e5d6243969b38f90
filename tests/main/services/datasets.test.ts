/** DatasetService: Fashion-MNIST listed before download, photo folders added once, paged, inspected through the host, removed. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetService } from '../../../src/main/services/datasets';
import { serviceContext } from '../../helpers/service-context';

async function setup() {
  const s = await serviceContext({ answer: (_m, params) => ({ clean: 'data:clean', noisy: 'data:noisy', psnr: 20, echo: params }) });
  const photos = path.join(s.root, 'photos');
  await fs.mkdir(path.join(photos, 'sub'), { recursive: true });
  for (const f of ['b.png', 'a.jpg', 'sub/c.webp', 'notes.txt']) await fs.writeFile(path.join(photos, f), 'x');
  s.ctx.grants.grant(photos); // dropped on the window
  return { ...s, photos, datasets: new DatasetService(s.ctx) };
}

describe('DatasetService', () => {
  it('lists Fashion-MNIST (not downloaded) and a folder added once, with its image count', async () => {
    const { datasets, photos } = await setup();
    const [fm] = await datasets.list();
    expect(fm).toMatchObject({ kind: 'fashion-mnist', downloaded: false });
    const added = await datasets.addFolder(photos);
    expect(added).toMatchObject({ kind: 'folder', name: 'photos', count: 3 });
    expect((await datasets.addFolder(photos))!.id).toBe(added!.id);
    expect((await datasets.list()).map((d) => d.kind)).toEqual(['fashion-mnist', 'folder']);
    expect(await datasets.trainingData(added!.id)).toEqual({ kind: 'folder', path: photos });
    expect(await datasets.trainingData(fm.id)).toEqual({ kind: 'fashion-mnist' });
  });

  it('pages a folder in path order and inspects an image through the engine host', async () => {
    const { datasets, photos, worker } = await setup();
    const { id } = (await datasets.addFolder(photos))!;
    const page = await datasets.page(id, 1, 5);
    expect(page.total).toBe(3);
    expect(page.items.map((i) => i.name)).toEqual(['b.png', 'c.webp']);
    await datasets.inspect(id, 2, 'camera', 7);
    expect(worker.calls.at(-1)).toEqual({ method: 'inspect', params: { source: { kind: 'file', path: path.join(photos, 'sub', 'c.webp') }, index: 2, noise: 'camera', seed: 7 } });
    await expect(datasets.inspect(id, 9, 'camera', 7)).rejects.toThrow(/out of range/);
  });

  it('refuses a missing folder and forgets a removed one', async () => {
    const { datasets, photos, root, ctx } = await setup();
    ctx.grants.grant(path.join(root, 'nope'));
    await expect(datasets.addFolder(path.join(root, 'nope'))).rejects.toThrow(/folder not found/);
    const { id } = (await datasets.addFolder(photos))!;
    await datasets.remove(id);
    expect((await datasets.list()).map((d) => d.kind)).toEqual(['fashion-mnist']);
  });

  it('adds a folder only if it was dropped or picked in a dialog, so the media server never widens on the renderer\'s word', async () => {
    const { datasets, ctx, root } = await setup();
    const secret = path.join(root, 'private');
    await fs.mkdir(secret);
    await fs.writeFile(path.join(secret, 'me.jpg'), 'x');
    for (const p of ['/etc', secret, `${secret}/`, path.join(root, 'photos', '..', 'private')]) {
      await expect(datasets.addFolder(p)).rejects.toThrow(/only what you drop/);
    }
    expect(await ctx.media.isAllowed(path.join(secret, 'me.jpg'))).toBe(false);
    ctx.dialogs.pickFolder = async () => secret;
    expect(await datasets.addFolder()).toMatchObject({ name: 'private', count: 1 });
    expect(await ctx.media.isAllowed(path.join(secret, 'me.jpg'))).toBe(true);
  });
});
