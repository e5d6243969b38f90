/** The grey route: which of the bundled pair denoises a grey photo, read from the noise itself. */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/engine/runtime/backend';
import { openModels, type OpenModel } from '../../../../src/main/engine/models/store';
import { applyNoise, parseNoiseSpec } from '../../../../src/main/engine/data/noise';
import { makeImage, type FloatImage } from '../../../../src/main/engine/image/float-image';
import { Rng } from '../../../../src/main/engine/data/rng';
import { denoiseRouted, memberModel, pickModel, type ModelPair } from '../../../../src/main/engine/inference/grey-route';
import { denoiseImage } from '../../../../src/main/engine/inference/denoise-image';
import type { ModelRunner } from '../../../../src/main/engine/runtime/runner';
import { smoothImage } from '../../../helpers/images';

let pair: ModelPair & { grey: OpenModel };

beforeAll(async () => {
  await initBackend();
  const { grey, ...main } = await openModels(); // the bundled pair, with default-grey's level estimator
  if (!grey?.level) throw new Error('the bundled default-grey has a level estimator');
  pair = { main, grey };
});

/** The member pickModel picks. */
const picked = async (...args: Parameters<typeof pickModel>) => (await pickModel(...args)).member;

const noisy = (img: FloatImage, spec: string) => makeImage(img.width, img.height, img.channels, applyNoise(img, parseNoiseSpec(spec), new Rng(1)).noisy);

describe('pickModel', () => {
  const grey = smoothImage(192, 160, 1);

  it('sends a grey photo with white noise to the grey companion, at any level', async () => {
    for (const spec of ['gaussian:5', 'gaussian:25', 'gaussian:50']) expect([spec, await picked(pair, noisy(grey, spec))]).toEqual([spec, 'grey']);
  });

  it('sends a grey photo with noise coarser than a pixel (grain) to the main model, at any level', async () => {
    // Camera noise goes the same way where demosaicing left it coarse, which depends on the mosaic's phase (docs/models.md, Session 27).
    for (const spec of ['correlated:8,1', 'correlated:15,1', 'correlated:25,1.5']) expect([spec, await picked(pair, noisy(grey, spec))]).toEqual([spec, 'main']);
  });

  it('keeps the grey companion when the user gives σ, and has no choice without one', async () => {
    const grain = noisy(grey, 'correlated:15,1');
    expect(await picked(pair, grain)).toBe('main'); // left to the route
    expect(await pickModel(pair, grain, 12)).toEqual({ member: 'grey' });
    expect(await picked({ main: pair.main }, grain)).toBe('main');
    expect(await pickModel({ main: pair.main, grey: { ...pair.grey, level: undefined } }, grain)).toEqual({ member: 'grey' }); // no reading to compare with
  });

  it('sends colour photos to the main model', async () => {
    expect(await picked(pair, noisy(smoothImage(64, 48, 3), 'gaussian:25'))).toBe('main');
  });

  it('gives the model of the member picked', () => {
    expect(memberModel(pair, 'grey')).toBe(pair.grey);
    expect(memberModel(pair, 'main')).toBe(pair.main);
    expect(memberModel({ main: pair.main }, 'grey')).toBe(pair.main);
  });
});

describe('denoiseRouted', () => {
  it("reads the grey companion's level once, for the route and the model, and denoises as the model alone does", async () => {
    const img = noisy(smoothImage(96, 80, 1), 'gaussian:25');
    let reads = 0;
    const level = pair.grey.level!;
    const counting: ModelRunner = { ...level, run: (...args) => (reads++, level.run(...args)) };
    const routed = await denoiseRouted({ main: pair.main, grey: { ...pair.grey, level: counting } }, img, { ensemble: 1 });
    const readsRouted = reads;
    reads = 0;
    await pickModel({ main: pair.main, grey: { ...pair.grey, level: counting } }, img);
    expect(routed.model).toBe('grey');
    expect(readsRouted).toBe(reads); // the route's reading only
    const alone = await denoiseImage(pair.grey, img, { ensemble: 1 });
    expect(routed.noise).toEqual(alone.noise);
    expect(Array.from(routed.image.data)).toEqual(Array.from(alone.image.data));
  });
});
