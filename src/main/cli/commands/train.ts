/**
 * `train`: trains a model with progress lines (or a bar on a terminal), stops
 * gracefully on Ctrl-C / SIGTERM with a checkpoint, and resumes with --resume.
 */
import path from 'node:path';
import { UserError } from '../../engine/errors';
import { buildTrainConfig, ConfigError, TRAIN_DEFAULTS, PLANE_MODES, type ConfigSetting, describeSteps, type TrainChoices, type TrainConfig, type TrainEvent } from '../../engine/training/config';
import { train } from '../../engine/training/loop';
import { architectureFacts } from '../../engine/models/catalog';
import { ARCHITECTURES, LOSSES, LR_SCHEDULES, TRAINERS } from '../../../shared/vocabulary';
import { NOISE_SPEC_FORMS } from '../../engine/data/noise';
import { describeAdvice, trainingAdvice, type TrainingAdvice } from '../../../shared/training-advice';
import type { EpochMetrics } from '../../../shared/epoch-metrics';
import { choice, num, parse, required, str, type Values } from '../args';
import { defaultCacheDir } from './dataset';
import { Progress, formatDuration } from '../progress';

export const TRAIN_USAGE = `usage: train --data <dir|fashion-mnist> --arch <${ARCHITECTURES.join('|')}> --noise <spec> --out <modelDir>
             [--init <modelDir> (fine-tune: start from that model's weights and architecture; a larger --depth grows it)]
             [--epochs N] [--batch B] [--lr X] [--lr-schedule ${LR_SCHEDULES.join('|')}] [--lr-min X] [--warmup STEPS]
             [--loss ${LOSSES.join('|')}] [--patch P] [--patches-per-epoch N] [--channels 1|3]
             [--depth D] [--width W] [--no-batch-norm] [--val-images N] [--val-crop P]
             [--seed S] [--cache DIR] [--checkpoint-minutes M] [--micro-batch M] [--workers N (data-parallel replicas; default: all cores, 1 for fashion-mnist)]
             [--trainer ${TRAINERS.join('|')} (what computes the steps; auto: ONNX Runtime when it loads)] [--resume] [--json]
             [--blind F (noise-map models: fraction of samples told "unknown level", so the model denoises blind; default ${TRAIN_DEFAULTS.blindFraction}, with --init the base model's way)]
             [--planes ${PLANE_MODES.join('|')} (opponent: a grey model learns from colour photos' luma and chroma planes, noise added in RGB;
                       luma: from their luma planes only (a plane model whose chroma/ denoiser serves the chroma planes);
                       chroma: the chroma planes at half resolution: a levelnet learns to read their level, as a denoiser's level-chroma/,
                               or an ffdnet to denoise them told the plane filtered under the luma plane's edges, as a plane model's chroma/ (--init from it);
                       none, the default: the photos as they are, also after --init from a plane model)]
             [--self-supervised (learn from a folder of noisy photos alone, with --noise none: Neighbor2Neighbor)]
             [--int8 (quantization-aware: learn weights that keep their quality in 8-bit integer convolutions, which denoise
                      about twice as fast; the saved model then runs them, DENOISE_INT8=0 to run it in float; ONNX Runtime steps only)]
noise specs: ${NOISE_SPEC_FORMS.join(', ')}
             (e.g. gaussian:0-55+camera; camera is camera:0.0001-0.012,60-100: raw shot/read noise through a camera pipeline, then JPEG)`;

/** The flag for each setting whose name differs from its flag's (the rest: --<setting> in kebab case). */
const FLAG: Partial<Record<ConfigSetting, string>> = { warmupSteps: 'warmup', blindFraction: 'blind', cacheDir: 'cache', data: 'data' };

function flagOf(setting: ConfigSetting): string {
  return `--${FLAG[setting] ?? setting.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The config the flags choose; a bad setting is named by its flag. */
export function trainConfigFromFlags(v: Values, resume: boolean): TrainConfig {
  try {
    return buildTrainConfig(trainChoicesFromFlags(v, resume));
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(`${flagOf(err.setting)} ${err.problem}\n\n${TRAIN_USAGE}`);
    throw err;
  }
}

/** What the flags choose; everything not given takes buildTrainConfig's default. With --resume the checkpoint holds the config. */
function trainChoicesFromFlags(v: Values, resume: boolean): TrainChoices {
  const out = required(v, 'out', TRAIN_USAGE);
  const data = resume ? (str(v, 'data') ?? '') : required(v, 'data', TRAIN_USAGE);
  const init = str(v, 'init');
  const channels = str(v, 'channels');
  if (channels && channels !== '1' && channels !== '3') throw new UserError('--channels must be 1 or 3');
  return {
    data: data === 'fashion-mnist' ? { kind: 'fashion-mnist' } : { kind: 'folder', path: path.resolve(data || '.') },
    out: path.resolve(out),
    cacheDir: str(v, 'cache') ?? defaultCacheDir(),
    arch: resume || init ? (str(v, 'arch') ?? 'ffdnet') : required(v, 'arch', TRAIN_USAGE),
    noise: resume ? (str(v, 'noise') ?? 'none') : required(v, 'noise', TRAIN_USAGE),
    init: init ? path.resolve(init) : undefined,
    depth: num(v, 'depth'), width: num(v, 'width'), batchNorm: v['no-batch-norm'] ? false : undefined,
    channels: channels ? (Number(channels) as 1 | 3) : undefined,
    epochs: num(v, 'epochs'), batch: num(v, 'batch'), lr: num(v, 'lr'), lrMin: num(v, 'lr-min'),
    lrSchedule: choice(v, 'lr-schedule', LR_SCHEDULES), loss: choice(v, 'loss', LOSSES),
    patch: num(v, 'patch'), patchesPerEpoch: num(v, 'patches-per-epoch'),
    valFraction: num(v, 'val-fraction'), valImages: num(v, 'val-images'), valCrop: num(v, 'val-crop'),
    seed: num(v, 'seed'), checkpointMinutes: num(v, 'checkpoint-minutes'), microBatch: num(v, 'micro-batch'),
    workers: num(v, 'workers'), warmupSteps: num(v, 'warmup'), trainer: choice(v, 'trainer', TRAINERS), blindFraction: num(v, 'blind'),
    planes: choice(v, 'planes', PLANE_MODES), selfSupervised: v['self-supervised'] ? true : undefined,
    int8: v.int8 ? { kind: 'requested' } : undefined,
  };
}

const TRAIN_OPTIONS = {
    data: { type: 'string' }, arch: { type: 'string' }, init: { type: 'string' }, warmup: { type: 'string' }, noise: { type: 'string' }, out: { type: 'string' },
    epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, 'lr-schedule': { type: 'string' },
    'lr-min': { type: 'string' }, loss: { type: 'string' }, patch: { type: 'string' }, 'patches-per-epoch': { type: 'string' },
    channels: { type: 'string' }, depth: { type: 'string' }, width: { type: 'string' }, 'no-batch-norm': { type: 'boolean' },
    'val-images': { type: 'string' }, 'val-crop': { type: 'string' }, 'val-fraction': { type: 'string' }, seed: { type: 'string' },
    cache: { type: 'string' }, 'checkpoint-minutes': { type: 'string' }, 'micro-batch': { type: 'string' }, workers: { type: 'string' }, trainer: { type: 'string' }, resume: { type: 'boolean' }, json: { type: 'boolean' }, blind: { type: 'string' }, planes: { type: 'string' },
    'self-supervised': { type: 'boolean' }, int8: { type: 'boolean' },
} as const;

export function parseTrainArgs(argv: string[]) {
  return parse(argv, TRAIN_OPTIONS, TRAIN_USAGE);
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { values: v } = parseTrainArgs(argv);
  const resume = Boolean(v.resume);
  const config = trainConfigFromFlags(v, resume);
  if (!config.init) delete config.init;

  const controller = new AbortController();
  const bar = new Progress();
  let signals = 0;
  const onSignal = (sig: string) => {
    if (++signals > 1) process.exit(130);
    bar.line(`${sig}: stopping after this step and saving a checkpoint (press again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const json = Boolean(v.json);
  // The epochs seen by this process, and the advice last printed (printed again only when it changes).
  const epochs: EpochMetrics[] = [];
  let advised: TrainingAdvice['kind'] | undefined;
  let estimator = false; // a level estimator's validation is its levels' error, not PSNR
  const quality = (e: EpochMetrics) => estimator ? `(levels ${(100 * Math.sqrt(e.valLoss)).toFixed(1)} % off, RMS of log) `
    : e.psnr !== undefined ? `PSNR ${e.psnr.toFixed(2)} dB (noisy ${e.noisyPsnr?.toFixed(2)}) SSIM ${e.ssim?.toFixed(4)} ` : '(self-supervised, no clean images) ';
  const onEvent = (e: TrainEvent) => {
    if (json) {
      if (e.type !== 'step' || e.step === 1 || e.step % 10 === 0 || e.step === e.stepsPerEpoch) console.log(JSON.stringify(e));
      return;
    }
    switch (e.type) {
      case 'start':
        estimator = architectureFacts(e.config.arch).task === 'noise-level';
        bar.line(`${e.resumedFrom ? `resuming at epoch ${e.resumedFrom.epoch + 1}, step ${e.resumedFrom.step}` : 'training'} ${e.config.arch} ` +
          `(${e.trainableParams.toLocaleString('en-US')} params, ${e.flopsPerPixel.toLocaleString('en-US')} FLOPs/pixel) on ${e.dataset}`);
        bar.line(`steps on ${describeSteps(e.steps)}; ` +
          `updates on ${e.backend}, noise ${e.config.noise}, loss ${e.config.loss}, batch ${e.config.batch}, ${e.stepsPerEpoch} steps/epoch, ${e.config.epochs} epochs`);
        break;
      case 'log':
        bar.line(`${e.level}: ${e.message}`);
        break;
      case 'step':
        bar.update(e.step / e.stepsPerEpoch, `epoch ${e.epoch} step ${e.step}/${e.stepsPerEpoch} loss ${e.loss.toFixed(5)} ` +
          `${e.samplesPerSec.toFixed(1)} samples/s elapsed ${formatDuration(e.elapsedSec)} ETA ${formatDuration(e.etaSec)}`);
        break;
      case 'epoch':
        bar.line(`epoch ${e.epoch}/${e.epochs}: loss ${e.loss.toFixed(5)} val_loss ${e.valLoss.toFixed(5)} ` +
          quality(e) +
          `${e.samplesPerSec.toFixed(1)} samples/s elapsed ${formatDuration(e.elapsedSec)} ETA ${formatDuration(e.etaSec)}`);
        epochs.push(e);
        {
          const advice = trainingAdvice(epochs);
          if (advice && advice.kind !== advised) bar.line(`note: ${describeAdvice(advice)}`);
          advised = advice?.kind;
        }
        break;
      case 'done':
        bar.line(e.reason === 'stopped'
          ? `stopped; checkpoint saved in ${e.checkpoint}. Continue with --resume --out ${e.modelDir}`
          : `done: model saved in ${e.modelDir}`);
        break;
    }
  };
  await train(config, { onEvent, signal: controller.signal }, resume ? { epochs: num(v, 'epochs'), workers: num(v, 'workers'), trainer: v.trainer ? config.trainer : undefined } : undefined);
  return 0;
}
