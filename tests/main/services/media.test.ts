/** The media server serves only files inside allowed roots: no ../ escapes, no symlink escapes, no other types. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
  media = new MediaServer('dlab://media');
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
});
