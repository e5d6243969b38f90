/**
 * Which model of the bundled pair denoises a grey photo. `default-grey` learned white noise
 * only; `default`'s luma model learned the camera mix (sensor noise through demosaicing and
 * JPEG). On grey photos with camera noise the luma model is 0.2-2 dB ahead, and on strong
 * white noise up to 4.9 dB behind (a grey photo's white noise reaches it at √3 times the
 * level it learned for the same σ). The two kinds of noise tell themselves apart by how the
 * wavelet estimate, which sees only the finest scale, compares with `default-grey`'s level
 * estimator: about 1 on white noise, 0.6-0.7 on camera noise, whose grain is coarser than a
 * pixel (docs/models.md, Sessions 25 and 26). Colour photos, and any photo when the user
 * gives σ (a white-noise level), go where they always went.
 */
import type { FloatImage } from '../image/float-image';
import { denoiseImage, readLevel, type DenoiseModel, type DenoiseOptions, type DenoiseResult } from './denoise-image';
import { estimateNoiseSigma } from './noise-level';
import type { PairMember } from './outputs';

/** A model and, for the bundled pair, its grey companion. */
export interface ModelPair {
  main: DenoiseModel;
  grey?: DenoiseModel;
}

/**
 * Below this share of the grey companion's reading, the wavelet estimate marks camera noise.
 * On 31 held-out grey files every white-noise file (σ 5-50) read 0.80 or more, and 90 % of
 * those with camera noise at shot 0.01 and 0.03 read under 0.66; routed at 0.75, no
 * white-noise file of BSD68 or the held-out set left `default-grey` (docs/models.md, Session 25).
 */
export const CAMERA_NOISE_SHARE = 0.75;

/** The member picked; for the grey companion, the level its estimator read on the way (0-1), if it read one. */
export type Route = { member: 'main' } | { member: 'grey'; level?: number };

/** The member of `pair` that denoises `img`, told `sigma` (0-255) when the user gives one. */
export async function pickModel(pair: ModelPair, img: FloatImage, sigma?: number): Promise<Route> {
  const { grey } = pair;
  if (!grey || img.channels !== 1) return { member: 'main' };
  if (sigma !== undefined || !grey.level) return { member: 'grey' };
  const reading = await readLevel(grey.level, grey.manifest, img);
  return estimateNoiseSigma(img) / 255 < CAMERA_NOISE_SHARE * reading ? { member: 'main' } : { member: 'grey', level: reading };
}

/** The model itself for a member of the pair. */
export const memberModel = (pair: ModelPair, member: PairMember): DenoiseModel =>
  member === 'grey' && pair.grey ? pair.grey : pair.main;

/** Denoises `img` with the member pickModel picks (a level read to pick it is not read again), and says which. */
export async function denoiseRouted(pair: ModelPair, img: FloatImage, opts: DenoiseOptions = {}): Promise<DenoiseResult & { model: PairMember }> {
  const route = await pickModel(pair, img, opts.sigma);
  const levelRead = route.member === 'grey' ? route.level : undefined;
  const r = await denoiseImage(memberModel(pair, route.member), img, { ...opts, levelRead });
  return { ...r, model: route.member };
}
