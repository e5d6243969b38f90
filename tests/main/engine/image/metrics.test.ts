/** PSNR and SSIM against known values (reference: skimage 0.19.3, see comments). */
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../../../src/main/engine/image/float-image';
import { psnr, ssim } from '../../../../src/main/engine/image/metrics';

/** The two 40x32 test patterns used to compute the skimage reference values below. */
function patterns() {
  const w = 40;
  const h = 32;
  const a = makeImage(w, h, 1);
  const b = makeImage(w, h, 1);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    a.data[y * w + x] = ((x * 7 + y * 13) % 256) / 255;
    b.data[y * w + x] = ((x * 7 + y * 13 + ((x * y) % 17)) % 256) / 255;
  }
  return { a, b };
}

describe('psnr', () => {
  it('is 20 dB for an RMS error of 0.1 and infinite for identical signals', () => {
    const a = new Float32Array([0.5, 0.5, 0.5, 0.5]);
    const b = new Float32Array([0.6, 0.4, 0.6, 0.4]);
    expect(psnr(a, b)).toBeCloseTo(20, 4);
    expect(psnr(a, a)).toBe(Infinity);
  });
  it('matches skimage.metrics.peak_signal_noise_ratio(a, b, data_range=1)', () => {
    const { a, b } = patterns();
    expect(psnr(a.data, b.data)).toBeCloseTo(16.250705851152784, 4);
  });
});

describe('ssim', () => {
  it('is 1 for identical images', () => {
    const { a } = patterns();
    expect(ssim(a, a)).toBeCloseTo(1, 10);
  });
  it('matches skimage structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1)', () => {
    const { a, b } = patterns();
    expect(ssim(a, b)).toBeCloseTo(0.8266707257744573, 5);
  });
  it('averages colour channels and rejects mismatched inputs', () => {
    const { a, b } = patterns();
    const ca = makeImage(40, 32, 3);
    const cb = makeImage(40, 32, 3);
    for (let i = 0; i < 40 * 32; i++) for (let k = 0; k < 3; k++) {
      ca.data[i * 3 + k] = a.data[i];
      cb.data[i * 3 + k] = b.data[i];
    }
    expect(ssim(ca, cb)).toBeCloseTo(0.8266707257744573, 5);
    expect(() => ssim(a, ca)).toThrow(/same size and channels/);
  });
});
