/** Reading and writing photos: formats, metadata kept, and clear errors for bad input. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBmp } from '../../../../src/main/engine/image/bmp';
import { UserError } from '../../../../src/main/engine/errors';
import { makeImage } from '../../../../src/main/engine/image/float-image';
import { readImage, writeImage } from '../../../../src/main/engine/image/io';
import { greyAware, pattern } from '../../../helpers/images';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'imageio-'));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

const raw = (w: number, h: number, c: 1 | 3) => ({ raw: { width: w, height: h, channels: c } });

describe('readImage', () => {
  it.each(['png', 'jpeg', 'webp', 'tiff', 'gif'] as const)('reads colour %s', async (fmt) => {
    const file = path.join(tmp, `c.${fmt}`);
    await sharp(pattern(30, 20, 3), raw(30, 20, 3)).toFormat(fmt).toFile(file);
    const { image } = await readImage(file);
    expect([image.width, image.height]).toEqual([30, 20]);
    expect(image.channels).toBe(3);
  });

  it('reads grey PNGs as one channel and drops alpha into its own array', async () => {
    const grey = path.join(tmp, 'g.png');
    await greyAware(sharp(pattern(16, 12, 1), raw(16, 12, 1)), 1).png().toFile(grey);
    expect((await readImage(grey)).image.channels).toBe(1);
    const rgba = path.join(tmp, 'a.png');
    const px = Buffer.alloc(16 * 12 * 4, 200);
    await sharp(px, { raw: { width: 16, height: 12, channels: 4 } }).png().toFile(rgba);
    const decoded = await readImage(rgba);
    expect(decoded.image.channels).toBe(3);
    expect(decoded.alpha?.length).toBe(16 * 12);
  });

  it('reads BMP with its own decoder, pixel for pixel', async () => {
    const data = pattern(13, 7, 3);
    const file = path.join(tmp, 'p.bmp');
    await fs.writeFile(file, encodeBmp({ width: 13, height: 7, channels: 3, data }));
    const { image } = await readImage(file);
    expect(Array.from(image.data.subarray(0, 30), (v) => Math.round(v * 255))).toEqual(Array.from(data.subarray(0, 30)));
  });

  it('applies EXIF orientation only when asked', async () => {
    const file = path.join(tmp, 'rot.jpg');
    await sharp(pattern(40, 20, 3), raw(40, 20, 3)).withMetadata({ orientation: 6 }).jpeg().toFile(file);
    expect((await readImage(file)).image.width).toBe(40);
    expect((await readImage(file, { autoOrient: true })).image.width).toBe(20);
  });

  it.each([
    ['empty.png', async (f: string) => fs.writeFile(f, ''), /empty \(0 bytes\)/],
    ['notes.png', async (f: string) => fs.writeFile(f, 'this is not an image at all'), /not a supported image/],
    ['cut.jpg', async (f: string) => fs.writeFile(f, (await sharp(pattern(64, 64, 3), raw(64, 64, 3)).jpeg().toBuffer()).subarray(0, 400)), /corrupt or truncated/],
    ['cmyk.jpg', async (f: string) => sharp(pattern(16, 16, 3), raw(16, 16, 3)).toColourspace('cmyk').jpeg().toFile(f), /CMYK/],
    ['deep.png', async (f: string) => sharp(Buffer.alloc(16 * 16 * 3 * 2, 9), raw(16, 16, 3)).toColourspace('rgb16').png().toFile(f), /16-bit/],
    ['missing.png', async () => undefined, /file not found/],
  ])('explains %s and names the file', async (name, make, message) => {
    const file = path.join(tmp, name);
    await make(file);
    const err = await readImage(file).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(file);
  });

  it('scales down while decoding when asked (previews), keeping the shape and the channels', async () => {
    const file = path.join(tmp, 'wide.jpg');
    await sharp(pattern(400, 100, 1), raw(400, 100, 1)).toColourspace('b-w').jpeg().toFile(file);
    const { image } = await readImage(file, { maxSide: 100 });
    expect([image.width, image.height, image.channels]).toEqual([100, 25, 1]);
    const small = await readImage(file, { maxSide: 1000 }); // never enlarged
    expect([small.image.width, small.image.height]).toEqual([400, 100]);
  });

  it('refuses images over the megapixel limit', async () => {
    const file = path.join(tmp, 'big.png');
    await sharp(pattern(200, 100, 1), raw(200, 100, 1)).png().toFile(file);
    await expect(readImage(file, { maxMegapixels: 0.01 })).rejects.toThrow(/2\.0 MP|0\.02 MP|over the 0\.01 MP limit/);
  });
});

describe('writeImage', () => {
  it('keeps EXIF, ICC and orientation from the source, and the colour type', async () => {
    const src = path.join(tmp, 'src.jpg');
    await sharp(pattern(24, 16, 3), raw(24, 16, 3)).withExif({ IFD0: { Make: 'DenoiseCam' } }).withIccProfile('p3')
      .withMetadata({ orientation: 6 }).jpeg().toFile(src);
    const img = makeImage(24, 16, 3, new Float32Array(24 * 16 * 3).fill(0.5));
    for (const format of ['jpeg', 'png', 'webp', 'tiff'] as const) {
      const out = path.join(tmp, `out.${format}`);
      await writeImage(out, img, { format, metadataFrom: src });
      const meta = await sharp(out).metadata();
      expect(meta.format).toBe(format);
      expect(meta.channels).toBe(3);
      expect(meta.orientation).toBe(6);
      expect(meta.icc?.length).toBeGreaterThan(100);
      if (format !== 'tiff') expect(meta.exif?.toString('latin1')).toContain('DenoiseCam');
    }
    const grey = makeImage(24, 16, 1, new Float32Array(24 * 16).fill(0.25));
    const g = path.join(tmp, 'grey-out.png');
    await writeImage(g, grey, { format: 'png', metadataFrom: src });
    expect((await sharp(g).metadata()).channels).toBe(1);
  });

  it('writes atomically and explains an unwritable folder', async () => {
    const dir = path.join(tmp, 'locked');
    await fs.mkdir(dir);
    await fs.chmod(dir, 0o500);
    const img = makeImage(8, 8, 1);
    try {
      if (process.getuid?.() === 0) return; // root can write anywhere; the message path is covered elsewhere
      await expect(writeImage(path.join(dir, 'x.png'), img, { format: 'png' })).rejects.toThrow(/not writable/);
    } finally {
      await fs.chmod(dir, 0o700);
    }
    await writeImage(path.join(dir, 'x.png'), img, { format: 'png' });
    expect((await fs.readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
