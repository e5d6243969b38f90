/** Training advice: a run whose output is still its input, and one that stopped improving, are named; a learning run is left alone. */
import { describe, expect, it } from 'vitest';
import { describeAdvice, trainingAdvice } from '../../src/shared/training-advice';
import type { EpochMetrics } from '../../src/shared/epoch-metrics';

const epoch = (n: number, gain: number | null, valLoss = 0.01): EpochMetrics => ({
  epoch: n, loss: valLoss, valLoss, samplesPerSec: 10, seconds: 1, lr: 1e-3, tensors: 0,
  ...(gain === null ? {} : { psnr: 20 + gain, noisyPsnr: 20, ssim: 0.5 }),
});
const run = (gains: (number | null)[], losses: number[] = []) => gains.map((g, i) => epoch(i + 1, g, losses[i]));

describe('trainingAdvice', () => {
  it('says nothing after one epoch, or while the gain grows', () => {
    expect(trainingAdvice(run([0]))).toBeNull();
    expect(trainingAdvice(run([1, 2, 3, 4, 5, 6]))).toBeNull();
    expect(trainingAdvice(run([1, 2, 2.01, 2.02, 2.1]))).toBeNull(); // epoch 5 beats epoch 2 by more than 0.02 dB
  });

  it('names a model whose output is still its input', () => {
    const a = trainingAdvice(run([0.01, 0.02]));
    expect(a).toEqual({ kind: 'not-learning', epochs: 2, gainDb: expect.closeTo(0.02, 6) });
    expect(describeAdvice(a!)).toMatch(/^Not learning yet: after 2 epochs .*\(\+0\.02 dB\)/);
    expect(trainingAdvice(run([0.5, -0.3]))?.kind).toBe('not-learning');
  });

  it('names a plateau: no better validation score in the last three epochs', () => {
    const a = trainingAdvice(run([1, 3, 3.01, 2.9, 3.0]));
    expect(a).toEqual({ kind: 'plateau', epochs: 3, bestEpoch: 2, best: 3, unit: 'dB' });
    expect(describeAdvice(a!)).toMatch(/best \+3\.00 dB over noisy at epoch 2/);
  });

  it('judges self-supervised runs by their held-out loss', () => {
    expect(trainingAdvice(run([null, null, null, null, null], [5, 4, 3, 2, 1]))).toBeNull();
    const a = trainingAdvice(run([null, null, null, null, null], [5, 2, 2.5, 2.2, 2.1]));
    expect(a).toEqual({ kind: 'plateau', epochs: 3, bestEpoch: 2, best: 2, unit: 'loss' });
    expect(describeAdvice(a!)).toMatch(/best loss 2\.00 at epoch 2/);
  });
});
