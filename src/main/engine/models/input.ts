/**
 * Builds a model's input tensor: the noisy pixels (with a guide model's guide channel), plus a
 * constant noise-level channel per image for noise-map models.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * The map value that tells a blind-trained noise-map model "estimate the noise
 * yourself" (manifest `blind`). Levels are otherwise 0 or more (0-1 scale), so
 * this value is never a real level.
 */
export const UNKNOWN_NOISE_LEVEL = -0.2;

export function modelInput(
  noisy: Float32Array, n: number, h: number, w: number, c: number, sigmas: number[] | null,
): tf.Tensor4D {
  return tf.tensor4d(modelInputData(noisy, n, h, w, c, sigmas), [n, h, w, sigmas ? c + 1 : c]);
}

/** The input values, [n, h, w, c (+1 noise channel)]. */
export function modelInputData(noisy: Float32Array, n: number, h: number, w: number, c: number, sigmas: number[] | null): Float32Array {
  if (!sigmas) return noisy;
  const cin = c + 1;
  const out = new Float32Array(n * h * w * cin);
  for (let b = 0; b < n; b++) {
    const s = sigmas[b];
    for (let p = 0, base = b * h * w; p < h * w; p++) {
      const src = (base + p) * c;
      const dst = (base + p) * cin;
      for (let k = 0; k < c; k++) out[dst + k] = noisy[src + k];
      out[dst + c] = s;
    }
  }
  return out;
}

/** `c`-channel pixels with one guide channel after each pixel's own: a guided model's image input (catalog.ts). */
export function withGuide(pixels: Float32Array, c: number, guide: Float32Array): Float32Array {
  const out = new Float32Array(guide.length * (c + 1));
  for (let p = 0; p < guide.length; p++) {
    for (let k = 0; k < c; k++) out[p * (c + 1) + k] = pixels[p * c + k];
    out[p * (c + 1) + c] = guide[p];
  }
  return out;
}
