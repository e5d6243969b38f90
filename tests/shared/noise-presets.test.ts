/** Noise specs in words, as the Models view shows what a model was trained on. */
import { describe, expect, it } from 'vitest';
import { NOISE_PRESETS, describeNoiseSpec } from '../../src/shared/noise-presets';

describe('describeNoiseSpec', () => {
  it("names a preset by the preset's label", () => {
    for (const p of NOISE_PRESETS) expect(describeNoiseSpec(p.spec)).toBe(p.label);
  });
  it.each([
    ['gaussian:25+camera', 'Gaussian noise σ 25, camera noise with JPEG'],
    ['camera:0.004', 'camera noise without JPEG'],
    ['camera:0.004,90', 'camera noise with JPEG'],
    ['camera:0.004,grbg', 'camera noise without JPEG (GRBG mosaic)'],
    ['camera:0.0001-0.012,60-100,bggr', 'camera noise with JPEG (BGGR mosaic)'],
    ['camera:0.01,90,as-rggb', 'camera noise with JPEG (any mosaic, moved into RGGB)'],
  ])('describes %s as "%s"', (spec, words) => {
    expect(describeNoiseSpec(spec)).toBe(words);
  });
  it('describes each kind of part once in a mixture', () => {
    expect(describeNoiseSpec('gaussian:0-55+gaussian:0-55+camera:0.004,90+camera:0.01,90')).toBe('Gaussian noise σ 0–55, camera noise with JPEG');
  });
});
