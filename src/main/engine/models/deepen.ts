/**
 * Function-preserving growth of a plain conv stack (Net2DeeperNet, Chen et al.
 * 2016): the deeper model gets the base model's layers, spread through its
 * stack, and identity convolutions in the new slots. Every inserted conv sees
 * a ReLU output (non-negative), so identity weights and a ReLU after them pass
 * it on unchanged: the deeper model starts as exactly the base model's
 * function and training goes on from there with the added capacity.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';

/** A model's trainable convolutions, in order (the fixed ones, pixel (un)shuffle and channel selection, left out). */
export const trainableConvs = (model: tf.LayersModel) => model.layers.filter((l) => l.getClassName() === 'Conv2D' && l.trainableWeights.length > 0);

/** Copies `base` into the deeper `target` (same architecture, more middle layers) and returns `target`. */
export function deepenInto(base: tf.LayersModel, target: tf.LayersModel): tf.LayersModel {
  if (base.layers.some((l) => l.getClassName() === 'BatchNormalization')) {
    throw new UserError('only models without BatchNorm can be deepened (a BatchNorm layer is not an identity)');
  }
  const from = trainableConvs(base);
  const to = trainableConvs(target);
  const oldMiddle = from.slice(1, -1);
  const newMiddle = to.slice(1, -1);
  if (newMiddle.length < oldMiddle.length) throw new UserError(`cannot make a model shallower (${from.length} to ${to.length} layers)`);
  const slots = oldMiddle.map((_, i) => Math.round(((i + 0.5) * newMiddle.length) / oldMiddle.length - 0.5));
  const copy = (src: tf.layers.Layer, dst: tf.layers.Layer) => {
    const weights = src.getWeights();
    const expected = dst.getWeights();
    if (weights.length !== expected.length || weights.some((w, j) => w.shape.join() !== expected[j].shape.join())) {
      throw new UserError(`layer ${src.name} does not fit ${dst.name}: the models differ in more than depth`);
    }
    dst.setWeights(weights);
  };
  copy(from[0], to[0]);
  copy(from[from.length - 1], to[to.length - 1]);
  newMiddle.forEach((layer, s) => {
    const i = slots.indexOf(s);
    if (i >= 0) return copy(oldMiddle[i], layer);
    const [kh, kw, cin, cout] = layer.getWeights()[0].shape;
    if (cin !== cout || kh % 2 === 0 || kw % 2 === 0) throw new UserError(`layer ${layer.name} cannot start as an identity`);
    const kernel = new Float32Array(kh * kw * cin * cout);
    const centre = ((kh - 1) / 2) * kw + (kw - 1) / 2;
    for (let c = 0; c < cin; c++) kernel[(centre * cin + c) * cout + c] = 1;
    const weights = [tf.tensor4d(kernel, [kh, kw, cin, cout]), ...layer.getWeights().slice(1).map((w) => tf.zerosLike(w))];
    layer.setWeights(weights);
    tf.dispose(weights);
  });
  return target;
}
