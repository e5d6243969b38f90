/** The media server serves only files inside allowed roots: no ../ escapes, no symlink escapes, no other types. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaServer } from '../../../src/main/services/media';
import { writePattern } from '../../helpers/images';

let tmp: string;
let media: MediaServer;
let allowed: string;
let secret: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'media-'));
  allowed = await writePattern(path.join(tmp, 'allowed dir', 'ok ü.png'), 8, 8, 1);
  secret = await writePattern(path.join(tmp, 'secret', 'private.png'), 8, 8, 1);
  await fs.writeFile(path.join(tmp, 'allowed dir', 'notes.txt'), 'text');
  await fs.symlink(secret, path.join(tmp, 'allowed dir', 'link.png'));
  await writePattern(path.join(tmp, 'allowed dir', 'scan.tif'), 8, 8, 3);
  execFileSync('mkfifo', [path.join(tmp, 'allowed dir', 'pipe.jpg')]);
  media = new MediaServer('dlab://media', {
    file: async (f, maxSide) => Buffer.from(`rendered ${path.basename(f)}${maxSide ? ` at ${maxSide}` : ''}`),
    fashionMnist: async (i) => Buffer.from(`fmnist ${i}`),
  });
  media.allow(path.join(tmp, 'allowed dir'));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

const tokenOf = (p: string) => Buffer.from(p).toString('base64url');

describe('MediaServer', () => {
  it('serves allowed images by token', async () => {
    const url = media.fileUrl(allowed);
    expect(url.startsWith('dlab://media/file/')).toBe(true);
    const r = await media.handle(url.slice('dlab://media'.length));
    expect(r.status).toBe(200);
    expect(r.type).toBe('image/png');
  });

  it.each([
    ['a file outside the roots', () => secret],
    ['a ../ escape', () => path.join(tmp, 'allowed dir', '..', 'secret', 'private.png')],
    ['a raw ../ path', () => `${path.join(tmp, 'allowed dir')}/../secret/private.png`],
    ['a symlink pointing outside', () => path.join(tmp, 'allowed dir', 'link.png')],
    ['a non-image inside the root', () => path.join(tmp, 'allowed dir', 'notes.txt')],
    ['a relative path', () => 'allowed dir/ok ü.png'],
    ['/etc/passwd', () => '/etc/passwd'],
  ])('refuses %s', async (_name, target) => {
    const r = await media.handle(`/file/${tokenOf(target())}`);
    expect(r.status).toBe(403);
  });

  it('answers 404 for malformed URLs', async () => {
    expect((await media.handle('/file/../../etc/passwd')).status).toBe(404);
    expect((await media.handle('/other')).status).toBe(404);
  });

  it('has the engine host render what browsers cannot show, and never reads a FIFO inside a root', async () => {
    const tif = await media.handle(media.fileUrl(path.join(tmp, 'allowed dir', 'scan.tif')).slice('dlab://media'.length));
    expect([tif.status, tif.type, tif.body.toString()]).toEqual([200, 'image/png', 'rendered scan.tif']);
    const thumb = await media.handle('/fmnist/12.png');
    expect(thumb.body.toString()).toBe('fmnist 12');
    // Queue thumbnails: any photo in a root, rendered small; the same checks as files.
    const small = await media.handle(media.thumbnailUrl(allowed).slice('dlab://media'.length));
    expect([small.status, small.type, small.body.toString()]).toEqual([200, 'image/png', 'rendered ok ü.png at 96']);
    expect((await media.handle(`/thumb/${tokenOf(secret)}`)).status).toBe(403);
    expect((await media.handle(`/thumb/${tokenOf(path.join(tmp, 'allowed dir', 'link.png'))}`)).status).toBe(403);
    const t0 = performance.now();
    const fifo = await media.handle(media.fileUrl(path.join(tmp, 'allowed dir', 'pipe.jpg')).slice('dlab://media'.length));
    expect(fifo.status).toBe(404);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
