/**
 * Adam whose whole state round-trips through a checkpoint. TF.js's Adam keeps
 * the bias corrections β₁ᵗ and β₂ᵗ as running products, but leaves them out of
 * getWeights and recomputes them with pow() on setWeights, which differs from
 * the product in the last float bits; over hundreds of steps a resumed run then
 * drifts from an uninterrupted one. This subclass saves both products as two
 * extra named weights and restores them exactly (checkpoints without them fall
 * back to TF.js's recomputation).
 */
import * as tf from '@tensorflow/tfjs';

/** The two running products, which TF.js declares private. */
interface BiasCorrections {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

type NamedTensor = { name: string; tensor: tf.Tensor };

const SAVED = ['adam/beta1_power', 'adam/beta2_power'] as const;

export class ResumableAdam extends tf.AdamOptimizer {
  private get corrections(): BiasCorrections {
    return this as unknown as BiasCorrections;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const { accBeta1, accBeta2 } = this.corrections;
    return [...(await super.getWeights()), { name: SAVED[0], tensor: accBeta1.clone() }, { name: SAVED[1], tensor: accBeta2.clone() }];
  }

  override async setWeights(weights: NamedTensor[]): Promise<void> {
    const saved = SAVED.map((name) => weights.find((w) => w.name === name));
    await super.setWeights(weights.filter((w) => !(SAVED as readonly string[]).includes(w.name)));
    const { accBeta1, accBeta2 } = this.corrections;
    if (saved[0]) accBeta1.assign(saved[0].tensor.reshape([]));
    if (saved[1]) accBeta2.assign(saved[1].tensor.reshape([]));
  }
}

/** tf.train.adam's defaults: β₁ 0.9, β₂ 0.999, ε the backend's. */
export function adam(learningRate: number): ResumableAdam {
  return new ResumableAdam(learningRate, 0.9, 0.999);
}
