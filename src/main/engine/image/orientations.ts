/**
 * The eight flips and 90-degree turns of an image (the dihedral group D4), for
 * geometric self-ensembles: a photo is denoised in several orientations, each
 * result is turned back, and the results are averaged. Orientation `t` holds
 * three bits: 1 flips left-right, 2 flips top-bottom, 4 swaps the axes after
 * the flips. `orientKeepingParity` turns a photo so that every pixel keeps the
 * parity of its row and column.
 */
import { crop, makeImage, reflectPadded, type FloatImage } from './float-image';

export const ORIENTATIONS = 8;

/** The image in orientation `t`; with `inverse`, an image in orientation `t` turned back. */
export function orient(img: FloatImage, t: number, inverse = false): FloatImage {
  if (!Number.isInteger(t) || t < 0 || t >= ORIENTATIONS) throw new Error(`orientation ${t} is not 0-7`);
  if (t === 0) return img;
  const fx = (t & 1) !== 0;
  const fy = (t & 2) !== 0;
  const swap = (t & 4) !== 0;
  const [ow, oh] = swap ? [img.height, img.width] : [img.width, img.height];
  // The unturned image's size: the input's going forward, the output's going back.
  const [w, h] = inverse ? [ow, oh] : [img.width, img.height];
  const c = img.channels;
  const out = makeImage(ow, oh, c);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let src: number;
      if (!inverse) {
        // out(x, y) = flipped(a, b) with (a, b) = swap ? (y, x) : (x, y).
        const [a, b] = swap ? [y, x] : [x, y];
        src = (fy ? h - 1 - b : b) * img.width + (fx ? w - 1 - a : a);
      } else {
        // out(x, y) = flipped(a, b), which the input holds at swap ? (b, a) : (a, b).
        const a = fx ? w - 1 - x : x;
        const b = fy ? h - 1 - y : y;
        src = swap ? a * img.width + b : b * img.width + a;
      }
      const dst = (y * ow + x) * c;
      for (let k = 0; k < c; k++) out.data[dst + k] = img.data[src * c + k];
    }
  }
  return out;
}

/**
 * Orientation `t` of a photo, turned so that every pixel keeps the parity of its row and column:
 * a flip of an axis of even length first adds a mirrored pixel at its end (reflectPadded). Camera photos keep a
 * 2x2 phase (the sensor's colour mosaic, JPEG's halved chroma) that models with a pixel-unshuffle
 * see, and a flip that moves it costs them up to 2 dB (docs/models.md, Session 27). `back` turns a
 * result the other way and cuts it to `width` x `height`, the photo's size.
 */
export function orientKeepingParity(img: FloatImage, t: number): { turned: FloatImage; back: (out: FloatImage) => FloatImage } {
  const { width, height } = img;
  const x = (t & 1) !== 0 && width % 2 === 0 ? 1 : 0;
  const y = (t & 2) !== 0 && height % 2 === 0 ? 1 : 0;
  const padded = x || y ? reflectPadded(img, 0, 0, width, height, width + x, height + y) : img;
  return { turned: orient(padded, t), back: (out) => crop(orient(out, t, true), 0, 0, width, height) };
}
