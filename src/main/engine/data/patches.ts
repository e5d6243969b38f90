/**
 * Random training patches: a random image, a random crop, and one of the eight
 * flips/rotations (the dihedral group), written straight into a batch buffer.
 */
import type { FloatImage } from '../image/float-image';
import type { Rng } from './rng';

/** Writes a `size` x `size` patch of `img`, transformed by `op` (0-7), into `out` at `offset`. */
function writePatch(img: FloatImage, x0: number, y0: number, size: number, op: number, out: Float32Array, offset: number): void {
  const c = img.channels;
  const last = size - 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Map the output coordinate back to the source crop for the chosen transform.
      let sx = x;
      let sy = y;
      if (op & 4) [sx, sy] = [sy, sx]; // transpose
      if (op & 1) sx = last - sx; // horizontal flip
      if (op & 2) sy = last - sy; // vertical flip
      const src = ((y0 + sy) * img.width + (x0 + sx)) * c;
      const dst = offset + (y * size + x) * c;
      for (let k = 0; k < c; k++) out[dst + k] = img.data[src + k];
    }
  }
}

/** A batch of `count` random augmented patches, [count, size, size, channels]. */
export function samplePatches(images: FloatImage[], count: number, size: number, rng: Rng, augment = true): Float32Array {
  const c = images[0].channels;
  const out = new Float32Array(count * size * size * c);
  for (let i = 0; i < count; i++) {
    const img = images[rng.int(images.length)];
    const x = rng.int(img.width - size + 1);
    const y = rng.int(img.height - size + 1);
    writePatch(img, x, y, size, augment ? rng.int(8) : 0, out, i * size * size * c);
  }
  return out;
}
