/** A JPEG's metadata segments moved into another JPEG: what libvips then reads, and what is refused. */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { jpegMetadata, withJpegMetadata } from '../../../../src/main/engine/image/jpeg-segments';

const raw = (w: number, h: number) => ({ raw: { width: w, height: h, channels: 3 as const } });
const pattern = (w: number, h: number, seed: number) => Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => (i * seed) % 251));

describe('jpegMetadata / withJpegMetadata', () => {
  it('carries EXIF, orientation, XMP and the ICC profile, and leaves the pixels as they were encoded', async () => {
    const source = await sharp(pattern(32, 24, 37), raw(32, 24)).withExif({ IFD0: { Make: 'DenoiseCam' } }).withIccProfile('p3')
      .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>')
      .withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const bare = await sharp(pattern(32, 24, 11), raw(32, 24)).jpeg({ quality: 95 }).toBuffer();
    const segments = jpegMetadata(source)!;
    expect(segments.length).toBeGreaterThanOrEqual(3);
    const out = withJpegMetadata(bare, segments);
    const meta = await sharp(out).metadata();
    expect(meta.orientation).toBe(6);
    expect(meta.exif?.toString('latin1')).toContain('DenoiseCam');
    expect(meta.icc?.equals((await sharp(source).metadata()).icc!)).toBe(true);
    expect(meta.xmp?.toString()).toContain('xmpmeta');
    expect([meta.width, meta.height]).toEqual([32, 24]);
    expect((await sharp(out).raw().toBuffer()).equals(await sharp(bare).raw().toBuffer())).toBe(true);
  });

  it('replaces the encoded file\'s own metadata, and keeps its JFIF header when no EXIF comes', async () => {
    const withExif = await sharp(pattern(16, 16, 5), raw(16, 16)).withExif({ IFD0: { Make: 'Old' } }).jpeg().toBuffer();
    const iccOnly = await sharp(pattern(16, 16, 7), raw(16, 16)).withIccProfile('p3').jpeg().toBuffer();
    const out = withJpegMetadata(withExif, jpegMetadata(iccOnly)!);
    const meta = await sharp(out).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.icc?.length).toBeGreaterThan(100);
    expect(jpegMetadata(withJpegMetadata(withExif, []))).toEqual([]);
  });

  it('reads nothing from a file that is not a JPEG or is cut short, and refuses to write into one', async () => {
    const png = await sharp(pattern(8, 8, 3), raw(8, 8)).png().toBuffer();
    expect(jpegMetadata(png)).toBeNull();
    const jpeg = await sharp(pattern(8, 8, 3), raw(8, 8)).withExif({ IFD0: { Make: 'X' } }).jpeg().toBuffer();
    expect(jpegMetadata(jpeg.subarray(0, 30))).toBeNull();
    expect(() => withJpegMetadata(png, [])).toThrow(/not a JPEG/);
  });
});
