/**
 * Adam for training runs: TF.js's AdamOptimizer, computed bit for bit (each float32 operation of its
 * update rounded as its kernels round it), in one JavaScript loop per weight. The moments live in this
 * object's own arrays, so ONNX Runtime's gradients go in as the arrays they come out as (`update`),
 * with no TF.js tensor made of each; TF.js's gradients come as tensors (`applyGradients`).
 *
 * Its whole state round-trips through a checkpoint, under TF.js's names and order (`iter`, the
 * first moments `<weight>/m`, the second `<weight>/v`) and two more: TF.js keeps the bias corrections
 * β₁ᵗ and β₂ᵗ as running products but recomputes them with pow() on setWeights, which differs in the
 * last float bits, so a resumed run would drift from an uninterrupted one; both products are saved
 * and restored exactly (checkpoints without them fall back to TF.js's recomputation).
 */
import * as tf from '@tensorflow/tfjs';

type NamedTensor = { name: string; tensor: tf.Tensor };

const ITERATIONS = 'iter';
const BIAS_PRODUCTS = ['adam/beta1_power', 'adam/beta2_power'] as const;
const f32 = Math.fround;

export class Adam extends tf.Optimizer {
  static get className(): string {
    return 'Adam';
  }

  /** The moments of each weight, by its place in the gradients (as TF.js keeps them), named after the variable first seen there. */
  private moments: { name: string; m: Float32Array; v: Float32Array }[] = [];
  private beta1Power: number;
  private beta2Power: number;

  constructor(public learningRate: number, readonly beta1 = 0.9, readonly beta2 = 0.999, readonly epsilon = tf.backend().epsilon()) {
    super();
    this.iterations_ = 0;
    this.beta1Power = f32(beta1);
    this.beta2Power = f32(beta2);
  }

  override applyGradients(grads: tf.NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(grads) ? grads : Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
    const registered = tf.engine().registeredVariables;
    this.update(list.map(({ name, tensor }) => ({ variable: registered[name], grad: tensor.dataSync() as Float32Array })));
  }

  /** One step: each variable moved by its gradient (`grad`: its values in the variable's layout). */
  update(updates: { variable: tf.Variable; grad: Float32Array }[]): void {
    const [b1, b2, eps, negLr] = [f32(this.beta1), f32(this.beta2), f32(this.epsilon), f32(-this.learningRate)];
    const [g1, g2] = [f32(1 - this.beta1), f32(1 - this.beta2)];
    const [c1, c2] = [f32(1 - this.beta1Power), f32(1 - this.beta2Power)];
    updates.forEach(({ variable, grad }, place) => {
      this.moments[place] ??= { name: variable.name, m: new Float32Array(grad.length), v: new Float32Array(grad.length) };
      const { m, v } = this.moments[place];
      const w = (variable.dataSync() as Float32Array).slice(); // a copy: the cpu backend hands out its own array
      for (let i = 0; i < w.length; i++) {
        const g = grad[i];
        const mi = f32(f32(m[i] * b1) + f32(g * g1));
        const vi = f32(f32(v[i] * b2) + f32(f32(g * g) * g2));
        m[i] = mi;
        v[i] = vi;
        const step = f32(f32(mi / c1) / f32(f32(Math.sqrt(f32(vi / c2))) + eps));
        w[i] = f32(f32(step * negLr) + w[i]);
      }
      const next = tf.tensor(w, variable.shape);
      variable.assign(next);
      next.dispose();
    });
    this.beta1Power = f32(this.beta1Power * b1);
    this.beta2Power = f32(this.beta2Power * b2);
    this.incrementIterations();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const named = (suffix: 'm' | 'v') => this.moments.map((mv) => ({ name: `${mv.name}/${suffix}`, tensor: tf.tensor(mv[suffix]) }));
    return [
      { name: ITERATIONS, tensor: tf.scalar(this.iterations_, 'int32') }, ...named('m'), ...named('v'),
      { name: BIAS_PRODUCTS[0], tensor: tf.scalar(this.beta1Power) }, { name: BIAS_PRODUCTS[1], tensor: tf.scalar(this.beta2Power) },
    ];
  }

  override async setWeights(weights: NamedTensor[]): Promise<void> {
    const values = async (w: NamedTensor | undefined) => (w ? ((await w.tensor.data()) as Float32Array).slice() : undefined);
    const byName = (name: string) => weights.find((w) => w.name === name);
    this.iterations_ = (await values(byName(ITERATIONS)))?.[0] ?? 0;
    // As TF.js's Adam: the first half of the rest are the first moments, the second half the second.
    const rest = weights.filter((w) => w.name !== ITERATIONS && !(BIAS_PRODUCTS as readonly string[]).includes(w.name));
    const half = rest.length / 2;
    this.moments = [];
    for (let place = 0; place < half; place++) {
      const [m, v] = [(await values(rest[place]))!, (await values(rest[half + place]))!];
      this.moments.push({ name: rest[place].name.replace(/\/m$/, ''), m, v });
    }
    const [p1, p2] = [await values(byName(BIAS_PRODUCTS[0])), await values(byName(BIAS_PRODUCTS[1]))];
    this.beta1Power = p1?.[0] ?? f32(Math.pow(f32(this.beta1), this.iterations_ + 1));
    this.beta2Power = p2?.[0] ?? f32(Math.pow(f32(this.beta2), this.iterations_ + 1));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/** Whether `optimizer` is this Adam (TF.js makes `instanceof` true of any optimizer for any optimizer class). */
export const isArrayAdam = (optimizer: tf.Optimizer): optimizer is Adam => Adam.prototype.isPrototypeOf(optimizer);

/** tf.train.adam's defaults: β₁ 0.9, β₂ 0.999, ε the backend's. */
export function adam(learningRate: number): Adam {
  return new Adam(learningRate);
}
