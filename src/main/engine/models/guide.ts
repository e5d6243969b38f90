/**
 * A guided copy of an ffdnet model: the same network with one more input channel, a guide
 * image (catalog.ts, ArchOptions.guide), whose weights start at zero. The guided model
 * therefore starts as exactly the base model's function and learns from there how far to
 * follow the guide: a plane model's weights start a luma-guided chroma denoiser.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { trainableConvs } from './deepen';

/**
 * Copies the unguided `base` into `target` (the same ffdnet with `guide`) and returns `target`.
 * The first conv sees the pixel-unshuffled input, whose block channel (2*dy+dx)*cin + k holds
 * input channel k: the image's channels keep their weights, the guide's are zero, the noise
 * map's move one place on.
 */
export function guideInto(base: tf.LayersModel, target: tf.LayersModel): tf.LayersModel {
  const from = trainableConvs(base);
  const to = trainableConvs(target);
  if (from.length !== to.length) throw new UserError(`cannot add a guide and change the depth at once (${from.length} to ${to.length} layers)`);
  to.forEach((dst, i) => {
    const weights = from[i].getWeights();
    if (i > 0) return dst.setWeights(weights);
    const [kernel, ...rest] = weights as [tf.Tensor, ...tf.Tensor[]];
    const [kh, kw, blocksIn, cout] = kernel.shape as [number, number, number, number];
    const targetShape = dst.getWeights()[0].shape as [number, number, number, number];
    const cinBase = blocksIn / 4;
    const cin = targetShape[2] / 4;
    if (cin !== cinBase + 1 || targetShape[3] !== cout) throw new UserError(`layer ${dst.name} does not fit: the models differ in more than the guide`);
    const imageChannels = cinBase - 1; // the base's inputs: the image, then the noise map
    const src = kernel.dataSync();
    const out = new Float32Array(kh * kw * 4 * cin * cout);
    for (let p = 0; p < kh * kw; p++) for (let b = 0; b < 4; b++) for (let k = 0; k < cinBase; k++) {
      const kt = k < imageChannels ? k : k + 1; // the noise map moves past the guide
      out.set(src.subarray(((p * 4 + b) * cinBase + k) * cout, ((p * 4 + b) * cinBase + k + 1) * cout), ((p * 4 + b) * cin + kt) * cout);
    }
    const widened = tf.tensor4d(out, [kh, kw, 4 * cin, cout]);
    dst.setWeights([widened, ...rest]);
    widened.dispose();
  });
  return target;
}
