/**
 * Hostile and unusual inputs to readImage (the reliability issue's cases): header bombs, files
 * that are not regular files, links that loop, junk, oversized files, alpha in every mode that
 * has it, and multi-page files. Each fails fast with a message naming the file, or reads fully.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBmp } from '../../../../src/main/engine/image/bmp';
import { readImage } from '../../../../src/main/engine/image/io';
import { MAX_INPUT_BYTES } from '../../../../src/main/engine/image/read-file';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'hostile-'));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

/** Reading `file` must fail within `ms` with an error naming the file and matching `message`. */
async function refused(file: string, message: RegExp, ms = 2000): Promise<void> {
  const t0 = performance.now();
  const err = await readImage(file).then(() => null, (e: Error) => e);
  expect(err, 'should have failed').not.toBeNull();
  expect(err!.name).toBe('UserError');
  expect(err!.message).toContain(file);
  expect(err!.message).toMatch(message);
  expect(performance.now() - t0).toBeLessThan(ms);
}

function bmpWithHeader(edit: (v: DataView) => void, bpp = 8): Uint8Array {
  const bmp = encodeBmp({ width: 4, height: 4, channels: 3, data: new Uint8Array(48).fill(90) });
  const v = new DataView(bmp.buffer);
  v.setUint16(28, bpp, true);
  edit(v);
  return bmp;
}

/** A grey PNG whose transparency is a tRNS chunk (one grey value is transparent), built by hand. */
function greyPngWithTrns(width: number, height: number, pixels: Uint8Array, transparent: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(zlib.crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grey
  const rows = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) Buffer.from(pixels.subarray(y * width, (y + 1) * width)).copy(rows, y * (width + 1) + 1);
  const trns = Buffer.alloc(2);
  trns.writeUInt16BE(transparent, 0);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('tRNS', trns), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('hostile inputs', () => {
  it('a 5 KB BMP declaring 0xFFFFFFFF palette colours fails at once', async () => {
    const bmp = new Uint8Array(5000);
    bmp.set(bmpWithHeader((v) => v.setUint32(46, 0xffffffff, true)));
    new DataView(bmp.buffer).setUint32(10, 1078, true);
    const file = path.join(tmp, 'palette-bomb.bmp');
    await fs.writeFile(file, bmp);
    await refused(file, /palette is corrupt/);
  });

  it('a BMP whose header claims 60000x60000 pixels fails before allocating them', async () => {
    const file = path.join(tmp, 'size-bomb.bmp');
    await fs.writeFile(file, bmpWithHeader((v) => { v.setInt32(18, 60000, true); v.setInt32(22, 60000, true); }, 24));
    await refused(file, /truncated/);
  });

  it('a BMP whose sections point outside the file fails', async () => {
    const file = path.join(tmp, 'offset.bmp');
    await fs.writeFile(file, bmpWithHeader((v) => v.setUint32(10, 0xfffffff0, true), 24));
    await refused(file, /header is corrupt/);
  });

  it('/dev/zero is refused without reading it', async () => {
    await refused('/dev/zero', /not a regular file \(a device\)/);
  });

  it('a FIFO named like a photo is refused instead of hanging', async () => {
    const fifo = path.join(tmp, 'x.jpg');
    execFileSync('mkfifo', [fifo]);
    await refused(fifo, /not a regular file \(a named pipe\)/);
  });

  it('a symlink loop says so', async () => {
    const a = path.join(tmp, 'loop-a.jpg');
    const b = path.join(tmp, 'loop-b.jpg');
    await fs.symlink(b, a);
    await fs.symlink(a, b);
    await refused(a, /loop of symbolic links/);
  });

  it('a file over the size cap is refused before it is read (a sparse file, so the test stays small)', async () => {
    const file = path.join(tmp, 'huge.tif');
    const handle = await fs.open(file, 'w');
    await handle.truncate(MAX_INPUT_BYTES + 1);
    await handle.close();
    await refused(file, /over the 512 MB limit/);
  });

  it('HEIC photos and junk named .heic get one clear line each', async () => {
    const heic = path.join(tmp, 'phone.heic');
    await fs.writeFile(heic, Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(200, 7)]));
    await refused(heic, /HEIC\/HEIF photos are not supported/);
    const junk = path.join(tmp, 'junk.heic');
    await fs.writeFile(junk, Buffer.alloc(4096, 0x5a));
    await refused(junk, /not a supported image/);
  });

  it('keeps alpha for grey+alpha PNGs', async () => {
    const file = path.join(tmp, 'grey-alpha.png');
    await sharp(Buffer.from([10, 255, 128, 100, 250, 0, 64, 200]), { raw: { width: 2, height: 2, channels: 2 } }).toColourspace('b-w').png().toFile(file);
    const { image, alpha } = await readImage(file);
    expect(image.channels).toBe(1);
    expect(Array.from(image.data, (v) => Math.round(v * 255))).toEqual([10, 128, 250, 64]);
    expect(Array.from(alpha!)).toEqual([255, 100, 0, 200]);
  });

  it('keeps alpha for grey PNGs with a tRNS chunk', async () => {
    const file = path.join(tmp, 'grey-trns.png');
    await fs.writeFile(file, greyPngWithTrns(3, 1, Uint8Array.from([0, 77, 200]), 77));
    const { image, alpha } = await readImage(file);
    expect(image.channels).toBe(1);
    expect(Array.from(image.data, (v) => Math.round(v * 255))).toEqual([0, 77, 200]);
    expect(Array.from(alpha!)).toEqual([255, 0, 255]);
  });

  it('says how many pages a multi-page TIFF has (the first is read)', async () => {
    const file = path.join(tmp, 'pages.tif');
    const page = 6 * 8 * 3;
    const pixels = Buffer.alloc(3 * page);
    pixels.fill(30, 0, page).fill(120, page, 2 * page).fill(220, 2 * page);
    await sharp(pixels, { raw: { width: 8, height: 18, channels: 3, pageHeight: 6 } as sharp.CreateRaw }).tiff().toFile(file);
    const r = await readImage(file);
    expect(r.pages).toBe(3);
    expect([r.image.width, r.image.height]).toEqual([8, 6]);
    expect(Math.round(r.image.data[0] * 255)).toBe(30);
  });
});
