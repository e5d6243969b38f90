/**
 * A training batch's samples: which opponent plane a plane model learns from.
 */
import { describe, expect, it } from 'vitest';
import { applyNoise, parseNoiseSpec } from '../../../../src/main/engine/data/noise';
import { Rng } from '../../../../src/main/engine/data/rng';
import { toOpponent } from '../../../../src/main/engine/inference/opponent';
import { planeSample } from '../../../../src/main/engine/training/samples';
import { smoothImage } from '../../../helpers/images';

describe('planeSample', () => {
  it('draws only luma planes for a luma-only plane model, and all three for an opponent one', () => {
    const image = smoothImage(16, 16, 3);
    const noisy = applyNoise(image, parseNoiseSpec('gaussian:20'), new Rng(1)).noisy;
    const luma = toOpponent(image)[0].data;
    const isLuma = (d: { clean: { data: Float32Array } }) => d.clean.data.every((v, i) => v === luma[i]);
    const rng = new Rng(5);
    const draws = (mode: 'luma' | 'opponent') => Array.from({ length: 24 }, () => planeSample(image, noisy, mode, false, rng));
    expect(draws('luma').every(isLuma)).toBe(true);
    const mixed = draws('opponent').filter(isLuma).length;
    expect(mixed).toBeGreaterThan(4);
    expect(mixed).toBeLessThan(20);
  });
});
