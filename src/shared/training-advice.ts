/**
 * What a run's epochs say about its progress, in words a user can act on:
 * a model that still returns its input, or one that stopped getting better.
 * The Train view shows it over the charts; `train` prints it after an epoch.
 */
import type { EpochMetrics } from './epoch-metrics';

export type TrainingAdvice =
  | { kind: 'not-learning'; epochs: number; gainDb: number }
  | { kind: 'plateau'; epochs: number; bestEpoch: number; best: number; unit: 'dB' | 'loss' };

/** A gain over the noisy input below this is an output that is still (almost) the input. */
export const NOT_LEARNING_DB = 0.1;
/** Epochs without a better validation score before a run counts as not improving. */
export const PLATEAU_EPOCHS = 3;
/** What counts as better: this many dB of gain, or this fraction of the validation loss. */
const BETTER_DB = 0.02;
const BETTER_LOSS = 0.002;

const gainOf = (e: EpochMetrics) => (e.psnr !== undefined && e.noisyPsnr !== undefined ? e.psnr - e.noisyPsnr : undefined);

/** The advice for a run so far, or null when it is learning as it should (or it is too early to tell). */
export function trainingAdvice(epochs: EpochMetrics[]): TrainingAdvice | null {
  const last = epochs.at(-1);
  if (!last || epochs.length < 2) return null;
  const gain = gainOf(last);
  if (gain !== undefined && gain < NOT_LEARNING_DB) return { kind: 'not-learning', epochs: epochs.length, gainDb: gain };
  if (epochs.length <= PLATEAU_EPOCHS) return null;
  // Supervised runs are judged on the gain over noisy, self-supervised ones on their held-out loss.
  const supervised = gain !== undefined;
  const score = (e: EpochMetrics) => (supervised ? gainOf(e) ?? -Infinity : -e.valLoss);
  const earlier = epochs.slice(0, -PLATEAU_EPOCHS);
  const best = earlier.reduce((b, e) => (score(e) > score(b) ? e : b));
  const recent = Math.max(...epochs.slice(-PLATEAU_EPOCHS).map(score));
  const margin = supervised ? BETTER_DB : BETTER_LOSS * best.valLoss;
  if (recent > score(best) + margin) return null;
  return { kind: 'plateau', epochs: PLATEAU_EPOCHS, bestEpoch: best.epoch, best: supervised ? score(best) : best.valLoss, unit: supervised ? 'dB' : 'loss' };
}

/** The advice as a sentence. */
export function describeAdvice(a: TrainingAdvice): string {
  switch (a.kind) {
    case 'not-learning':
      return `Not learning yet: after ${a.epochs} epochs the output is still about the noisy input (${a.gainDb >= 0 ? '+' : ''}${a.gainDb.toFixed(2)} dB). ` +
        'A new model can take many epochs to start; starting from a trained model (Start from) learns at once.';
    case 'plateau':
      return `Not improving: no better validation score in the last ${a.epochs} epochs (best ${a.unit === 'dB' ? `+${a.best.toFixed(2)} dB over noisy` : `loss ${a.best.toPrecision(3)}`} at epoch ${a.bestEpoch}). ` +
        'A lower learning rate or more photos may help; otherwise the model has learned what it can here.';
  }
}
