/**
 * The engine host's export (one encode per file from the lossless result, the original's metadata kept, originals never
 * overwritten) and its rendering of images the browser cannot show.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { handleHostRequest } from '../../../src/main/host/handlers';
import { pattern } from '../../helpers/images';
import { encodeBmp } from '../../../src/main/engine/image/bmp';

describe('host export', () => {
  it('writes each result once in the chosen format, with the original name and metadata, beside a protected original', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dlab-export-'));
    const original = path.join(dir, 'photo.jpg');
    await sharp(pattern(48, 32, 3), { raw: { width: 48, height: 32, channels: 3 } }).jpeg({ quality: 90 })
      .withExifMerge({ IFD0: { Artist: 'Denoise Lab test' } }).toFile(original);
    const result = path.join(dir, 'result.png');
    await sharp(pattern(48, 32, 3, 1), { raw: { width: 48, height: 32, channels: 3 } }).png().toFile(result);
    const ctx = { signal: new AbortController().signal, emit: () => undefined };
    const params = { items: [{ output: result, original }], dir, format: 'jpeg', protect: [original] };
    const [r] = (await handleHostRequest('export', params, ctx)) as { ok: true; output: string }[];
    expect(r.ok).toBe(true);
    expect(r.output).toBe(path.join(dir, 'photo-1.jpg')); // the original is protected
    const meta = await sharp(r.output).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 48, 32]);
    expect(meta.exif?.toString('latin1')).toContain('Denoise Lab test');
    // One encode: the exported JPEG is as close to the lossless result as one JPEG at the default quality gets.
    const [a, b] = await Promise.all([r.output, result].map((f) => sharp(f).raw().toBuffer()));
    let sq = 0;
    for (let i = 0; i < a.length; i++) sq += (a[i] - b[i]) ** 2;
    expect(10 * Math.log10((255 * 255) / (sq / a.length))).toBeGreaterThan(30);
    // A quality and a name suffix, as the Denoise view's export sets them.
    const [small] = (await handleHostRequest('export', { ...params, quality: 30, suffix: '-denoised' }, ctx)) as { ok: true; output: string }[];
    expect(small.output).toBe(path.join(dir, 'photo-denoised.jpg'));
    expect((await fs.stat(small.output)).size).toBeLessThan((await fs.stat(r.output)).size);
    const missing = (await handleHostRequest('export', { ...params, items: [{ output: path.join(dir, 'gone.png'), original }] }, ctx)) as { ok: false; error: string }[];
    expect(missing[0].ok).toBe(false);
    expect(missing[0].error).toMatch(/gone\.png/);
  });
});

describe('host displayable', () => {
  it('converts a BMP to a PNG of the same pixels, and refuses a hostile one with a message', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dlab-display-'));
    const file = path.join(dir, 'scan.bmp');
    const pixels = pattern(6, 4, 3);
    await fs.writeFile(file, encodeBmp({ width: 6, height: 4, channels: 3, data: pixels }));
    const ctx = { signal: new AbortController().signal, emit: () => undefined };
    const { png } = (await handleHostRequest('displayable', { source: { kind: 'file', path: file }, index: 0 }, ctx)) as { png: string };
    expect(await sharp(Buffer.from(png, 'base64')).raw().toBuffer()).toEqual(pixels);
    const bomb = path.join(dir, 'bomb.bmp');
    const bytes = encodeBmp({ width: 6, height: 4, channels: 3, data: pixels });
    new DataView(bytes.buffer).setInt32(18, 60000, true);
    await fs.writeFile(bomb, bytes);
    await expect(handleHostRequest('displayable', { source: { kind: 'file', path: bomb }, index: 0 }, ctx)).rejects.toThrow(/bomb\.bmp: BMP pixel data is truncated/);
  });
});
