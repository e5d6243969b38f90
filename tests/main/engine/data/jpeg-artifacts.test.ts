/** JPEG's lossy steps: close to the input at high quality, blockier at low quality, and in line with a real encoder. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegRoundTrip, quantTable } from '../../../../src/main/engine/data/jpeg-artifacts';
import { psnr } from '../../../../src/main/engine/image/metrics';

function texture(w: number, h: number): Float32Array {
  const d = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) {
    d[(y * w + x) * 3 + k] = Math.round((0.5 + 0.3 * Math.sin(x / 3 + k) * Math.cos(y / 5) + 0.1 * Math.sin(x * y / 17)) * 255) / 255;
  }
  return d;
}

describe('jpegRoundTrip', () => {
  it('scales the tables as libjpeg does', () => {
    expect(quantTable([16, 11], 50)).toEqual(Float32Array.from([16, 11]));
    expect(quantTable([16, 11], 100)).toEqual(Float32Array.from([1, 1]));
    expect(quantTable([16, 11], 10)).toEqual(Float32Array.from([80, 55]));
  });

  it('loses more at lower quality and matches a real JPEG encoder to within a dB or so', async () => {
    const [w, h] = [64, 48];
    const img = texture(w, h);
    const q90 = psnr(jpegRoundTrip(img, w, h, 3, 90), img);
    const q50 = psnr(jpegRoundTrip(img, w, h, 3, 50), img);
    expect(q90).toBeGreaterThan(q50 + 2);
    const raw = Buffer.from(Uint8Array.from(img, (v) => Math.round(v * 255)));
    for (const [q, ours] of [[90, q90], [50, q50]]) {
      const jpeg = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: q, chromaSubsampling: '4:2:0' }).toBuffer();
      const decoded = await sharp(jpeg).raw().toBuffer();
      const real = psnr(Float32Array.from(decoded, (v) => v / 255), img);
      expect(Math.abs(real - ours)).toBeLessThan(1.5);
    }
  });

  it('handles grey images and sizes that are not multiples of 8', () => {
    const grey = Float32Array.from({ length: 13 * 9 }, (_, i) => (i % 7) / 7);
    const out = jpegRoundTrip(grey, 13, 9, 1, 75);
    expect(out.length).toBe(13 * 9);
    expect(psnr(out, grey)).toBeGreaterThan(25);
  });
});
