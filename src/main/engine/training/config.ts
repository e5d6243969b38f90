/**
 * The training configuration, kept once: its types, its defaults, its
 * validation, and the one builder both front ends use (the CLI from its flags,
 * the app from the Train view's request), so the same choices make the same
 * config. Plain data: importing it loads no TF.js, so the app's main process
 * can build and check configs without the ML runtime.
 */
import os from 'node:os';
import { parseNoiseSpec } from '../data/noise';
import { UserError } from '../errors';
import { architectureFacts, type ArchOptions } from '../models/catalog';
import { LOSSES, LR_SCHEDULES, TRAINERS, type LossName, type LrSchedule, type TrainerChoice } from '../../../shared/vocabulary';
import type { EpochMetrics } from '../../../shared/epoch-metrics';
import type { ActivationScales } from '../models/manifest';
import type { CfaPattern } from '../image/mosaic';

export type { LossName, LrSchedule, TrainerChoice };

/** What a run trains on: the Fashion-MNIST download (in cacheDir), or a folder of photos. */
export type TrainData = { kind: 'fashion-mnist' } | { kind: 'folder'; path: string };

/** The training data a checkpoint or manifest records: older ones wrote 'fashion-mnist' or the folder path as a string. */
export function trainData(recorded: TrainData | string): TrainData {
  if (typeof recorded !== 'string') return recorded;
  return recorded === 'fashion-mnist' ? { kind: 'fashion-mnist' } : { kind: 'folder', path: recorded };
}

/**
 * How training samples are made from photos: their opponent colour planes, only their luma
 * plane, only their chroma planes at half resolution (a level estimator or a guided denoiser
 * for them), or the photos as they are.
 */
export const PLANE_MODES = ['opponent', 'luma', 'chroma', 'none'] as const;
export type PlaneMode = (typeof PLANE_MODES)[number];

/** Whether a run learns from colour photos' opponent planes (TrainConfig.planes). */
export const usesPlanes = (c: { planes?: PlaneMode }): boolean => c.planes !== undefined && c.planes !== 'none';

/** Whether a run trains a luma-guided chroma denoiser (ArchOptions.guide): chroma planes for a guidable architecture. */
export const guidedChroma = (c: { planes?: PlaneMode; arch: string }): boolean => c.planes === 'chroma' && architectureFacts(c.arch).guidable;

/** The side of a training sample from a patch of side `patch`: chroma planes are halved, as the engine denoises them. */
export const sampleSide = (c: { planes?: PlaneMode }, patch: number): number => (c.planes === 'chroma' ? patch / 2 : patch);

export interface TrainConfig {
  data: TrainData;
  cacheDir: string;
  arch: string;
  archOptions?: Partial<Omit<ArchOptions, 'channels'>>;
  channels?: 1 | 3;
  noise: string;
  epochs: number;
  batch: number;
  lr: number;
  lrSchedule: LrSchedule;
  lrMin: number;
  loss: LossName;
  patch: number;
  patchesPerEpoch: number;
  valFraction: number;
  valImages: number;
  valCrop: number;
  seed: number;
  out: string;
  /** Minutes between mid-epoch checkpoints (0 = only at epoch ends). */
  checkpointMinutes: number;
  /** Split each batch into micro-batches of this size (0 = whole batch) to bound memory. */
  microBatch: number;
  /**
   * Data-parallel replicas on worker threads, each on a one-thread wasm
   * instance (1 = no replicas: the backend's own thread pool uses the cores).
   */
  workers: number;
  /** Steps of linear learning-rate warm-up at the start of the run (0 = none). */
  warmupSteps: number;
  /** A saved model folder whose weights start this run (fine-tuning); its architecture is used. */
  init?: string;
  /**
   * Noise-map models: the fraction of training samples whose map says "unknown"
   * (UNKNOWN_NOISE_LEVEL) instead of the true level, so that one model both
   * estimates the noise itself (the default, blind path) and follows a level
   * the user sets. 0 trains a model that must always be told the level. Not given with `init`:
   * the base model's way (0 for a model that is always told its level, else the default), so
   * fine-tuning does not start by feeding a model a level code it never learned.
   */
  blindFraction?: number;
  /**
   * 'opponent': a grey model learns from colour photos' opponent planes (opponent.ts):
   * each sample is a colour patch made noisy in RGB (so camera noise keeps its colour
   * structure), turned into luma and chroma planes, one of which (luma half the time)
   * is the sample. Such a model serves colour photos plane by plane, and grey photos.
   * 'luma': the same, always the luma plane: a plane model whose chroma planes its `chroma/`
   * denoiser serves spends all it learns on the luma plane (a level estimator learns from the
   * luma plane with either).
   * 'chroma': the chroma planes at half resolution, as the engine denoises them: a level
   * estimator learns to read their level (a denoiser's `level-chroma/`: camera noise is far
   * stronger in chroma than white noise of the luma plane's level would be), or an ffdnet
   * learns to denoise them guided by the luma plane (a denoiser's `chroma/`; guidedChroma).
   * 'none' (the default): the photos as they are, in the model's channels; it also
   * stops a run started with --init from a plane model from taking its planes.
   */
  planes?: PlaneMode;
  /**
   * The mosaic pattern the model learns camera photos in, so that photos are shifted into it before
   * they are denoised (image/mosaic.ts). Set at the start of a run: the pattern every camera part of
   * the noise spec names (`camera:S,Q,rggb`), else the --init model's.
   */
  mosaic?: CfaPattern;
  /**
   * What computes the training steps: ONNX Runtime's native kernels through the gradient
   * graph, or TF.js on its backend. 'auto' takes ONNX Runtime when it loads and supports the
   * model, unless the backend is native TensorFlow.
   */
  trainer?: TrainerChoice;
  /**
   * Learn from noisy photos alone (neighbor2neighbor.ts): the folder's photos are
   * the noisy inputs and no noise is added (noise 'none'). Validation reports the
   * self-supervised loss on held-out noisy photos, since there is nothing clean.
   */
  selfSupervised?: boolean;
  /**
   * Quantization-aware training for 8-bit integer inference (onnx/int8.ts): every step rounds the
   * middle convs' inputs and kernels as the integer export will. Asked for as 'requested'; the run
   * then calibrates the inputs' ranges on its first batches (or keeps its --init model's) and holds
   * them fixed, so checkpoints keep them and a resumed run rounds as before.
   */
  int8?: Int8Training;
}

export type Int8Training = { kind: 'requested' } | { kind: 'calibrated'; scales: ActivationScales };

export const TRAIN_DEFAULTS: Omit<TrainConfig, 'data' | 'arch' | 'noise' | 'out' | 'cacheDir'> = {
  epochs: 10,
  batch: 32,
  lr: 1e-3,
  lrSchedule: 'constant',
  lrMin: 1e-5,
  loss: 'mse',
  patch: 64,
  patchesPerEpoch: 4096,
  valFraction: 0.1,
  valImages: 8,
  valCrop: 256,
  seed: 0,
  checkpointMinutes: 5,
  microBatch: 0,
  workers: 1,
  warmupSteps: 0,
  blindFraction: 0.5,
};

/** What computes the training steps: ONNX Runtime or the TF.js backend, on how many threads and replicas. */
export interface StepsEngine {
  name: string;
  threads: number;
  replicas: number;
}

/** E.g. "onnxruntime, 2 threads" or "wasm, 1 thread x 2 replicas". */
export function describeSteps({ name, threads, replicas }: StepsEngine): string {
  return `${name}, ${threads} thread${threads > 1 ? 's' : ''}${replicas > 1 ? ` x ${replicas} replicas` : ''}`;
}

export type TrainEvent =
  | { type: 'start'; config: TrainConfig; backend: string; steps: StepsEngine; dataset: string; params: number; trainableParams: number; flopsPerPixel: number; stepsPerEpoch: number; resumedFrom?: { epoch: number; step: number } }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'step'; epoch: number; step: number; stepsPerEpoch: number; loss: number; lr: number; samplesPerSec: number; elapsedSec: number; etaSec: number }
  | ({ type: 'epoch'; epochs: number; elapsedSec: number; etaSec: number; checkpoint: string } & EpochMetrics)
  | { type: 'done'; reason: 'completed' | 'stopped'; epochsDone: number; modelDir: string; checkpoint: string; final?: EpochMetrics };


/**
 * A setting that fails validation. `setting` names the config field, so each
 * front end can name it its own way: the CLI as a flag, the app as a form field.
 */
export type ConfigSetting = keyof TrainConfig | 'depth' | 'width';

export class ConfigError extends UserError {
  constructor(readonly setting: ConfigSetting, readonly problem: string) {
    super(`${setting} ${problem}`);
  }
}

export function validateConfig(c: TrainConfig): void {
  const positiveInt = (setting: ConfigSetting, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(setting, `must be a positive whole number, not ${v}`);
  };
  positiveInt('epochs', c.epochs);
  positiveInt('batch', c.batch);
  positiveInt('patch', c.patch);
  positiveInt('patchesPerEpoch', c.patchesPerEpoch);
  positiveInt('valImages', c.valImages);
  const wholeAtLeast = (setting: ConfigSetting, v: number | undefined, min: number, max = Infinity) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min && v <= max)) {
      throw new ConfigError(setting, `must be a whole number${max < Infinity ? ` from ${min} to ${max}` : ` of at least ${min}`}, not ${v}`);
    }
  };
  wholeAtLeast('valCrop', c.valCrop, 16);
  wholeAtLeast('microBatch', c.microBatch, 0);
  wholeAtLeast('seed', c.seed, 0);
  wholeAtLeast('workers', c.workers, 1, Math.max(1, os.availableParallelism()));
  if (!(c.checkpointMinutes >= 0)) throw new ConfigError('checkpointMinutes', `must be 0 (epoch ends only) or more, not ${c.checkpointMinutes}`);
  if (!(c.lr > 0 && c.lr < 1)) throw new ConfigError('lr', `must be between 0 and 1, not ${c.lr}`);
  // The floor of the cosine schedule (the other schedules do not use it).
  if (!(c.lrMin >= 0 && (c.lrSchedule !== 'cosine' || c.lrMin <= c.lr))) throw new ConfigError('lrMin', `must be between 0 and the learning rate (${c.lr}), not ${c.lrMin}`);
  if (!LOSSES.includes(c.loss)) throw new ConfigError('loss', `must be one of ${LOSSES.join(', ')}, not "${c.loss}"`);
  if (!LR_SCHEDULES.includes(c.lrSchedule)) throw new ConfigError('lrSchedule', `must be one of ${LR_SCHEDULES.join(', ')}, not "${c.lrSchedule}"`);
  if (c.trainer !== undefined && !TRAINERS.includes(c.trainer)) throw new ConfigError('trainer', `must be one of ${TRAINERS.join(', ')}, not "${c.trainer}"`);
  if (!(Number.isInteger(c.warmupSteps) && c.warmupSteps >= 0)) throw new ConfigError('warmupSteps', `must be a whole number of steps, not ${c.warmupSteps}`);
  if (!(c.valFraction > 0 && c.valFraction < 1)) throw new ConfigError('valFraction', `must be between 0 and 1, not ${c.valFraction}`);
  if (c.blindFraction !== undefined && !(c.blindFraction >= 0 && c.blindFraction <= 1)) throw new ConfigError('blindFraction', `must be between 0 and 1, not ${c.blindFraction}`);
  if (c.planes !== undefined && !(PLANE_MODES as readonly string[]).includes(c.planes)) throw new ConfigError('planes', `must be one of ${PLANE_MODES.join(', ')}, not "${c.planes}"`);
  if (usesPlanes(c) && c.channels === 3) throw new ConfigError('planes', 'trains a grey model (channels 1) from colour photos');
  const arch = architectureFacts(c.arch);
  if (c.planes === 'chroma' && arch.task !== 'noise-level' && !guidedChroma(c)) throw new ConfigError('planes', `chroma trains a level estimator (levelnet) or a guided chroma denoiser (ffdnet), not a ${arch.name} model`);
  if (guidedChroma(c) && c.selfSupervised) throw new ConfigError('selfSupervised', 'a guided chroma denoiser makes its guide with clean luma planes');
  if (c.archOptions?.depth !== undefined) wholeAtLeast('depth', c.archOptions.depth, 3, 100);
  if (c.archOptions?.width !== undefined) wholeAtLeast('width', c.archOptions.width, 2, 512);
  // Self-supervised steps train on half-size sub-images of each patch.
  const multiple = Math.max(4, arch.sizeMultiple) * (c.selfSupervised || c.planes === 'chroma' ? 2 : 1);
  const why = c.selfSupervised ? ' (self-supervised)' : c.planes === 'chroma' ? ' (halved chroma planes)' : '';
  if (c.patch % multiple !== 0) throw new ConfigError('patch', `must be a multiple of ${multiple} for ${arch.name}${why}, not ${c.patch}`);
  if (arch.task === 'noise-level') {
    if (c.loss !== 'mse') throw new ConfigError('loss', `must be mse for ${arch.name} (a squared error of log levels), not "${c.loss}"`);
    if (c.selfSupervised) throw new ConfigError('selfSupervised', `${arch.name} learns noise levels, which need clean images`);
  }
  if (c.selfSupervised) {
    if (c.data.kind !== 'folder') throw new ConfigError('selfSupervised', 'needs a folder of noisy photos');
    if (c.noise !== 'none') throw new ConfigError('noise', `must be none for self-supervised training (the photos are the noisy inputs), not "${c.noise}"`);
    if (arch.name === 'seed') throw new ConfigError('arch', 'seed cannot learn self-supervised; use ffdnet or dncnn');
    if (c.loss !== 'mse') throw new ConfigError('loss', 'must be mse for self-supervised training');
  }
  try {
    parseNoiseSpec(c.noise);
  } catch (err) {
    throw new ConfigError('noise', (err as Error).message);
  }
}

/**
 * What a person chooses, in the Train view or as CLI flags; everything left
 * out takes its default, some of which depend on the data (Fashion-MNIST: grey,
 * batch 200, 1,000 validation images) or the architecture (loss).
 */
export interface TrainChoices extends Partial<Omit<TrainConfig, 'data' | 'out' | 'cacheDir' | 'noise' | 'archOptions'>> {
  data: TrainData;
  out: string;
  cacheDir: string;
  noise: string;
  depth?: number;
  width?: number;
  batchNorm?: boolean;
}

/** The one way to a TrainConfig: defaults filled in, then validated. */
export function buildTrainConfig(choices: TrainChoices): TrainConfig {
  const { depth, width, batchNorm, ...rest } = choices;
  const given = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<TrainConfig>;
  const fmnist = choices.data.kind === 'fashion-mnist';
  const arch = architectureFacts(choices.arch ?? 'ffdnet');
  const archOptions: Partial<Omit<ArchOptions, 'channels'>> = {
    ...(depth !== undefined ? { depth } : {}), ...(width !== undefined ? { width } : {}), ...(batchNorm !== undefined ? { batchNorm } : {}),
  };
  const config: TrainConfig = {
    ...TRAIN_DEFAULTS,
    arch: arch.name,
    loss: arch.sigmoidOutput ? 'bce' : 'mse',
    workers: defaultTrainingWorkers(choices.data),
    ...(fmnist ? { batch: 200, valImages: 1000 } : {}),
    ...given,
    ...(given.init !== undefined && given.blindFraction === undefined ? { blindFraction: undefined } : {}), // the base model's (loop.ts)
    ...(fmnist ? { channels: 1 as const } : {}),
    data: choices.data, out: choices.out, cacheDir: choices.cacheDir, noise: choices.noise,
    archOptions,
  };
  validateConfig(config);
  return config;
}

/** How to resume: from the newest checkpoint in `config.out`, optionally with a new epoch target or thread count. */
export interface ResumeOptions {
  epochs?: number;
  workers?: number;
  trainer?: TrainerChoice;
}

/**
 * Default data-parallel replicas. Measured here (2 cores, wasm): for photo
 * patches, one-thread replicas beat the wasm thread pool (DnCNN-17 6.0 against
 * 4.0 patches/s; FFDNet about equal); for Fashion-MNIST's 28x28 images the
 * per-step messaging costs more than it saves, and the thread pool wins
 * (seed model 4,823 against 2,428 samples/s).
 */
function defaultTrainingWorkers(data: TrainData): number {
  return data.kind === 'fashion-mnist' ? 1 : os.availableParallelism();
}

/**
 * Wasm threads for a training process: data-parallel replicas bring their own
 * threads, so the backend runs on one; without replicas it uses every core.
 */
export function trainingWasmThreads(workers: number | undefined): number | undefined {
  return (workers ?? 1) > 1 ? 1 : undefined;
}

