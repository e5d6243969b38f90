/** The grey route: which of the bundled pair denoises a grey photo, read from the noise itself. */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { openModels, type OpenModel } from '../../../../src/main/engine/models/store';
import { applyNoise, parseNoiseSpec } from '../../../../src/main/engine/data/noise';
import { makeImage, type FloatImage } from '../../../../src/main/engine/image/float-image';
import { Rng } from '../../../../src/main/engine/data/rng';
import { memberModel, pickModel, type ModelPair } from '../../../../src/main/engine/inference/grey-route';
import { smoothImage } from '../../../helpers/images';

let pair: ModelPair & { grey: OpenModel };

beforeAll(async () => {
  await initBackend();
  const { grey, ...main } = await openModels(); // the bundled pair, with default-grey's level estimator
  if (!grey?.level) throw new Error('the bundled default-grey has a level estimator');
  pair = { main, grey };
});

const noisy = (img: FloatImage, spec: string) => makeImage(img.width, img.height, img.channels, applyNoise(img, parseNoiseSpec(spec), new Rng(1)).noisy);

describe('pickModel', () => {
  const grey = smoothImage(192, 160, 1);

  it('sends a grey photo with white noise to the grey companion, at any level', async () => {
    for (const spec of ['gaussian:5', 'gaussian:25', 'gaussian:50']) expect([spec, await pickModel(pair, noisy(grey, spec))]).toEqual([spec, 'grey']);
  });

  it('sends a grey photo with camera noise (demosaiced, JPEG) to the main model', async () => {
    for (const spec of ['camera:0.004,90', 'camera:0.01,90', 'camera:0.03,90']) expect([spec, await pickModel(pair, noisy(grey, spec))]).toEqual([spec, 'main']);
  });

  it('keeps the grey companion when the user gives σ, and has no choice without one', async () => {
    const camera = noisy(grey, 'camera:0.01,90');
    expect(await pickModel(pair, camera, 12)).toBe('grey');
    expect(await pickModel({ main: pair.main }, camera)).toBe('main');
    expect(await pickModel({ main: pair.main, grey: { ...pair.grey, level: undefined } }, camera)).toBe('grey'); // no reading to compare with
  });

  it('sends colour photos to the main model', async () => {
    expect(await pickModel(pair, noisy(smoothImage(64, 48, 3), 'gaussian:25'))).toBe('main');
  });

  it('gives the model of the member picked', () => {
    expect(memberModel(pair, 'grey')).toBe(pair.grey);
    expect(memberModel(pair, 'main')).toBe(pair.main);
    expect(memberModel({ main: pair.main }, 'grey')).toBe(pair.main);
  });
});
