/** Reading a photo's colour mosaic from its noise, and shifting a photo into a model's mosaic. */
import { describe, expect, it } from 'vitest';
import { CFA_PATTERNS, mosaicShift, readMosaic, shifted, type CfaPattern, type MosaicReading } from '../../../../src/main/engine/image/mosaic';
import { applyNoise, parseNoiseSpec } from '../../../../src/main/engine/data/noise';
import { makeImage, toChannels } from '../../../../src/main/engine/image/float-image';
import { Rng } from '../../../../src/main/engine/data/rng';
import { smoothImage } from '../../../helpers/images';

const PATTERNS = Object.keys(CFA_PATTERNS) as CfaPattern[];
const photo = smoothImage(120, 96, 3);
/** The photo with camera noise made in `spec`'s mosaic, from the same camera and raw noise each time. */
const noisy = (spec: string, seed = 3) => makeImage(photo.width, photo.height, 3, applyNoise(photo, parseNoiseSpec(spec), new Rng(seed)).noisy);

describe('readMosaic', () => {
  it.each(PATTERNS)('reads %s from camera noise, with and without JPEG', (pattern) => {
    expect(readMosaic(noisy(`camera:0.01,${pattern}`))).toEqual({ kind: 'pattern', pattern });
    expect(readMosaic(noisy(`camera:0.01,90,${pattern}`))).toEqual({ kind: 'pattern', pattern });
  });
  it.each(PATTERNS)('reads nothing from a grey photo (the luma of one in %s): its red and blue sites do not show', (pattern) => {
    expect(readMosaic(toChannels(noisy(`camera:0.01,90,${pattern}`), 1))).toEqual({ kind: 'unseen' });
  });
  it('reads nothing from weak camera noise under heavy JPEG', () => {
    expect(readMosaic(noisy('camera:0.004,50,grbg'))).toEqual({ kind: 'unseen' });
  });
  it('sees no mosaic in white noise, nor in a clean photo, nor in one too small to tell', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      expect(readMosaic(noisy('gaussian:25', seed))).toEqual({ kind: 'unseen' });
    }
    expect(readMosaic(photo)).toEqual({ kind: 'unseen' });
    expect(readMosaic(makeImage(3, 3, 3))).toEqual({ kind: 'unseen' });
  });
});

describe('mosaicShift and shifted', () => {
  it('moves a photo into the target pattern: read again after the shift, it shows the target', () => {
    for (const from of PATTERNS) {
      const img = noisy(`camera:0.01,${from}`);
      for (const target of PATTERNS) {
        const { image } = shifted(img, mosaicShift(readMosaic(img), target));
        expect([from, target, readMosaic(image)]).toEqual([from, target, { kind: 'pattern', pattern: target }]);
      }
    }
  });
  it('leaves a photo whose mosaic is unseen where it is', () => {
    const unseen: MosaicReading = { kind: 'unseen' };
    expect(mosaicShift(unseen, 'bggr')).toEqual({ x: 0, y: 0 });
    const img = noisy('gaussian:25');
    expect(shifted(img, { x: 0, y: 0 }).image).toBe(img);
  });
  it('adds a mirrored column at the left and a mirrored row at the top, and cuts them off again', () => {
    const img = makeImage(3, 2, 1, Float32Array.from([1, 2, 3, 4, 5, 6]));
    const { image, back } = shifted(img, { x: 1, y: 1 });
    expect([image.width, image.height]).toEqual([4, 3]);
    expect(Array.from(image.data)).toEqual([5, 4, 5, 6, 2, 1, 2, 3, 5, 4, 5, 6]);
    expect(back(image)).toEqual(img);
  });
});
