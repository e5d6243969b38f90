/**
 * Opponent colour channels, as CBM3D denoises colour: a luma plane (R+G+B)/3
 * and two chroma planes (R-B)/2 and (R-2G+B)/4, offset by 0.5 so they lie in
 * [0, 1]. The transform's rows are orthogonal, so white RGB noise of level σ
 * stays white and independent in each plane, at σ times the plane's scale;
 * the chroma planes hold little detail, so a grey model cleans them hard
 * without blurring the picture, and at half resolution (image/resample.ts): a
 * quarter of the work, and measured no worse (bundled grey model, 10 CBSD68
 * images, σ 25: 30.79 dB against 30.74 at full resolution).
 */
import { makeImage, type FloatImage } from '../image/float-image';
import { guidedFilter } from '../image/guided-filter';

/** The noise level of each plane for white RGB noise of level 1: the norms of the transform's rows. */
export const OPPONENT_NOISE_SCALE = [1 / Math.sqrt(3), 1 / Math.SQRT2, Math.sqrt(6) / 4] as const;

export function toOpponent(img: FloatImage): [FloatImage, FloatImage, FloatImage] {
  const n = img.width * img.height;
  const planes = [0, 1, 2].map(() => makeImage(img.width, img.height, 1)) as [FloatImage, FloatImage, FloatImage];
  const [y, u, v] = planes.map((p) => p.data);
  const d = img.data;
  for (let p = 0; p < n; p++) {
    const r = d[3 * p], g = d[3 * p + 1], b = d[3 * p + 2];
    y[p] = (r + g + b) / 3;
    u[p] = (r - b) / 2 + 0.5;
    v[p] = (r - 2 * g + b) / 4 + 0.5;
  }
  return planes;
}

export function fromOpponent([yp, up, vp]: [FloatImage, FloatImage, FloatImage]): FloatImage {
  const out = makeImage(yp.width, yp.height, 3);
  const [ys, us, vs, o] = [yp.data, up.data, vp.data, out.data];
  for (let p = 0, n = yp.width * yp.height; p < n; p++) {
    const y = ys[p], u = us[p] - 0.5, v = vs[p] - 0.5;
    const g = y - (4 / 3) * v;
    o[3 * p] = Math.min(1, Math.max(0, y + u + (2 / 3) * v));
    o[3 * p + 1] = Math.min(1, Math.max(0, g));
    o[3 * p + 2] = Math.min(1, Math.max(0, y - u + (2 / 3) * v));
  }
  return out;
}

/**
 * What a guided chroma denoiser (models/guide.ts) is told beside a noisy chroma plane (the returned
 * function, for a luma plane): what a
 * guided filter under the luma plane's edges (radius 3, ε 1e-3) would change in that plane, both
 * at the chroma planes' resolution. The luma plane is the clean one in training and the denoised
 * one when denoising. Colour edges mostly follow brightness edges, so the filtered plane is
 * already a good estimate (measured on 10 CBSD68 images' halved chroma planes, clean luma: 42.9 dB
 * at AWGN σ 15 and 39.4 at camera shot 0.004, against 41.5 and 34.8 guided by the noisy chroma
 * itself). Told as a change (zero-mean, at the noise's scale) rather than as the filtered plane:
 * the guide's weights start at zero, and a plane's mean level would drown the gradient that says
 * how far to trust the estimate (measured: weights on the luma plane itself, or on the filtered
 * plane, stayed near zero through 500 steps).
 */
export function chromaGuide(luma: FloatImage): (noisyChroma: FloatImage) => FloatImage {
  const filter = guidedFilter(luma, 3, 1e-3); // the luma plane's statistics, once for both chroma planes
  return (noisyChroma) => {
    const change = filter(noisyChroma).data;
    const noisy = noisyChroma.data;
    for (let i = 0; i < change.length; i++) change[i] -= noisy[i];
    return makeImage(luma.width, luma.height, 1, change);
  };
}
