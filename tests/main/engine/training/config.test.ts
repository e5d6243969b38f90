/**
 * One training config: the CLI's flags and the app's Train view request build
 * the same config for the same choices, defaults come from one place, and a bad
 * value is named as each front end names it (a flag, a form field).
 */
import { describe, expect, it } from 'vitest';
import { buildTrainConfig, ConfigError, TRAIN_DEFAULTS, trainData } from '../../../../src/main/engine/training/config';
import { parseTrainArgs, trainConfigFromFlags } from '../../../../src/main/cli/commands/train';
import { trainConfigFromRequest } from '../../../../src/main/services/runs';
import type { TrainRequest } from '../../../../src/shared/contract';

const where = { data: { kind: 'folder' as const, path: '/photos' }, out: '/runs/r1', cacheDir: '/cache' };

function fromFlags(args: string[]) {
  const { values } = parseTrainArgs(['--data', where.data.path, '--out', where.out, '--cache', where.cacheDir, ...args]);
  return trainConfigFromFlags(values, false);
}

describe('buildTrainConfig', () => {
  it('makes the same config from CLI flags and from the app request for the same choices', () => {
    const req: TrainRequest = {
      datasetId: 'folder-1', arch: 'ffdnet', noise: 'camera', epochs: 12, batch: 16, lr: 2e-4, lrSchedule: 'cosine', loss: 'l1',
      patch: 96, patchesPerEpoch: 1024, depth: 15, width: 32, channels: 3, warmupSteps: 100, int8: true,
    };
    const app = trainConfigFromRequest(req, where);
    const cli = fromFlags([
      '--arch', 'ffdnet', '--noise', 'camera', '--epochs', '12', '--batch', '16', '--lr', '2e-4', '--lr-schedule', 'cosine', '--loss', 'l1',
      '--patch', '96', '--patches-per-epoch', '1024', '--depth', '15', '--width', '32', '--channels', '3', '--warmup', '100', '--int8',
    ]);
    expect(cli).toEqual(app);
    expect(app).toMatchObject({ arch: 'ffdnet', archOptions: { depth: 15, width: 32 }, blindFraction: TRAIN_DEFAULTS.blindFraction, checkpointMinutes: TRAIN_DEFAULTS.checkpointMinutes, int8: { kind: 'requested' } });
  });

  it('takes the data-dependent defaults once: Fashion-MNIST is grey, batch 200, 1,000 validation images; the loss follows the architecture', () => {
    const fm = buildTrainConfig({ data: { kind: 'fashion-mnist' }, out: '/o', cacheDir: '/c', arch: 'seed', noise: 'factor:0.3' });
    expect(fm).toMatchObject({ channels: 1, batch: 200, valImages: 1000, loss: 'bce', workers: 1 });
    const photos = buildTrainConfig({ ...where, arch: 'dncnn', noise: 'gaussian:25' });
    expect(photos).toMatchObject({ batch: TRAIN_DEFAULTS.batch, valImages: TRAIN_DEFAULTS.valImages, loss: 'mse' });
    expect(photos.channels).toBeUndefined();
  });

  it.each([
    [{ patch: 30 }, 'patch', /multiple of 4/],
    [{ epochs: 2.5 }, 'epochs', /positive whole number/],
    [{ lr: 2 }, 'lr', /between 0 and 1/],
    [{ noise: 'blur:3' }, 'noise', /unknown noise model/],
    [{ blindFraction: 1.5 }, 'blindFraction', /between 0 and 1/],
    [{ valImages: 0 }, 'valImages', /positive whole number/],
    [{ valCrop: 3 }, 'valCrop', /at least 16/],
    [{ depth: 1000 }, 'depth', /from 3 to 100/],
    [{ width: 1.5 }, 'width', /from 2 to 512/],
    [{ workers: 64 }, 'workers', /from 1 to/],
    [{ microBatch: -1 }, 'microBatch', /at least 0/],
    [{ checkpointMinutes: -1 }, 'checkpointMinutes', /0 .* or more/],
    [{ lrMin: -5 }, 'lrMin', /between 0 and the learning rate/],
    [{ lrSchedule: 'cosine', lr: 1e-4, lrMin: 1e-3 }, 'lrMin', /between 0 and the learning rate/],
  ] as const)('refuses %o, naming the setting', (bad, setting, problem) => {
    try {
      buildTrainConfig({ ...where, arch: 'ffdnet', noise: 'gaussian:25', ...bad });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).setting).toBe(setting);
      expect((err as ConfigError).problem).toMatch(problem);
    }
  });

  it('names the field in the app', () => {
    const req: TrainRequest = { datasetId: 'd', arch: 'ffdnet', noise: 'gaussian:25', epochs: 1, batch: 4, lr: 1e-3, lrSchedule: 'constant', loss: 'mse', patch: 30, patchesPerEpoch: 8 };
    expect(() => trainConfigFromRequest(req, where)).toThrow(/^Patch size must be a multiple of 4/);
  });

  it('names the flag on the command line', () => {
    expect(() => fromFlags(['--arch', 'ffdnet', '--noise', 'gaussian:25', '--patch', '30'])).toThrow(/^--patch must be a multiple of 4/);
    expect(() => fromFlags(['--arch', 'ffdnet', '--noise', 'gaussian:25', '--patches-per-epoch', '0'])).toThrow(/^--patches-per-epoch must be/);
    expect(() => fromFlags(['--arch', 'ffdnet', '--noise', 'gaussian:25', '--blind', '3'])).toThrow(/^--blind must be/);
    expect(() => fromFlags(['--arch', 'ffdnet', '--noise', 'gaussian:25', '--val-crop', '3'])).toThrow(/^--val-crop must be/);
    expect(() => fromFlags(['--arch', 'ffdnet', '--noise', 'gaussian:25', '--depth', '0'])).toThrow(/^--depth must be/);
  });

  it('reads the training data older checkpoints and manifests recorded as a string', () => {
    expect(trainData('fashion-mnist')).toEqual({ kind: 'fashion-mnist' });
    expect(trainData('/home/me/photos')).toEqual({ kind: 'folder', path: '/home/me/photos' });
    expect(trainData({ kind: 'folder', path: '/x' })).toEqual({ kind: 'folder', path: '/x' });
  });
});
