/**
 * The training loop: batches with on-the-fly noise (the targets: the clean
 * images, or for a level estimator their true noise levels, level-code.ts),
 * Adam with a learning-rate schedule, validation and a preview image every epoch (validation.ts), and a
 * checkpoint every epoch and every few minutes (checkpoints.ts), so
 * `resume` continues exactly where a run stopped, even after SIGKILL. Progress
 * goes out as events. `measureTraining` times a few real steps before a run.
 */
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic, explainFsError, ensureFolder } from '../atomic-fs';
import { initBackend } from '../runtime/backend';
import { formatNoiseSpec, namedMosaic, parseNoiseSpec, type NoiseSpec } from '../data/noise';
import { openSource, type TrainingSource } from '../data/sources';
import { UserError } from '../errors';
import { makeImage } from '../image/float-image';
import { encodeImage } from '../image/io';
import { getArchitecture, modelStats, type Architecture, type ArchOptions, type ModelStats } from '../models/architectures';
import { deepenInto } from '../models/deepen';
import { guideInto } from '../models/guide';
import { modelInput, modelInputData, UNKNOWN_NOISE_LEVEL } from '../models/input';
import { encodeLevel } from '../models/level-code';
import { estimateNoiseSigma } from '../inference/noise-level';
import { toOpponent } from '../inference/opponent';
import { carryCompanions, loadDenoiser, loadModelFiles, saveModel } from '../models/store';
import { MANIFEST_FORMAT, type DenoiserManifest } from '../models/manifest';
import { Rng } from '../data/rng';
import { trainableVariables, trainStep } from './steps/tfjs-step';
import { checkpointRoot, findCheckpoint, removeOrphans, restoreOptimizer, writeCheckpoint, type CheckpointState } from './checkpoints';
import { lockRun } from './run-lock';
import { adam } from './adam';
import { chooseNeighbours, gammaAt, regularisedTarget, subsample } from './neighbor2neighbor';
import { currentForward, type CurrentForward } from './steps/current-forward';
import { previewSheet, validate, validateLevels, validateSelfSupervised, type Validation } from './validation';
import { noisyBatch, pickPlane } from './samples';
import { DataParallel } from './steps/parallel/data-parallel';
import { OnnxTrainStep, onnxTrainingUnavailable } from './steps/onnx-step';
import { calibrateInt8 } from './int8-calibration';
import { stepSeconds } from './step-clock';
import { onnxRunner, tfjsRunner } from '../runtime/runner';
import { quantizableConvs, type ActivationScales } from '../onnx/int8';
import { ENGINE_VERSION } from '../version';
import { TRAIN_DEFAULTS, trainData, usesPlanes, guidedChroma, sampleSide, trainingWasmThreads, validateConfig, type LossName, type PlaneMode, type Int8Training, type ResumeOptions, type StepsEngine, type TrainConfig, type TrainerChoice, type TrainEvent } from './config';
import type { EpochMetrics } from '../../../shared/epoch-metrics';
import type { TrainingEstimate } from '../../../shared/training-estimate';

/** The learning rate at `step` of `totalSteps`: the schedule, scaled down linearly over the warm-up steps. */
function learningRate(c: TrainConfig, step: number, totalSteps: number): number {
  const warmup = c.warmupSteps > 0 ? Math.min(1, (step + 1) / c.warmupSteps) : 1;
  return warmup * scheduledRate(c, step / totalSteps);
}

function scheduledRate(c: TrainConfig, progress: number): number {
  switch (c.lrSchedule) {
    case 'constant': return c.lr;
    case 'cosine': return c.lrMin + 0.5 * (c.lr - c.lrMin) * (1 + Math.cos(Math.PI * Math.min(1, progress)));
    case 'step': return c.lr * (progress < 0.6 ? 1 : progress < 0.85 ? 0.1 : 0.01);
  }
}

/** A level estimator's targets: each sample's true level (level-code.ts) at every pixel. */
function levelTargets(levels: number[], size: number, c: number): Float32Array {
  const per = size * size * c;
  const y = new Float32Array(levels.length * per);
  levels.forEach((level, i) => y.fill(encodeLevel(level), i * per, (i + 1) * per));
  return y;
}

export interface TrainHandle {
  onEvent: (e: TrainEvent) => void;
  signal?: AbortSignal;
}

/** What a run has set up and keeps for its whole length. */
interface Run {
  config: TrainConfig;
  handle: TrainHandle;
  backend: { name: string; threads: number };
  arch: Architecture;
  archOptions: ArchOptions;
  spec: NoiseSpec;
  source: TrainingSource;
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  variables: tf.Variable[];
  stats: ModelStats;
  onnxStep: OnnxTrainStep | null;
  parallel: DataParallel | null;
  stepsEngine: StepsEngine;
  stepsPerEpoch: number;
  totalSteps: number;
  /** A model trained with "unknown" maps is validated on the path users take: blind. */
  blind: boolean;
  /** Self-supervised runs: the model's current output, for the regularised targets. */
  forward: CurrentForward | null;
  created: string;
}

/** Where the loop is: what a checkpoint saves, and the timing it does not need to. */
interface LoopState {
  epoch: number;
  step: number;
  plan: number[] | null;
  history: EpochMetrics[];
  elapsed: number;
  partial: CheckpointState['partial'];
  rng: Rng;
  lastCheckpoint: string;
  lastCheckpointTime: number;
  stepSecEma: number;
}

/**
 * Trains a model, writing checkpoints and the latest model to `config.out`.
 * With `resume`, the config comes from the newest checkpoint (only the epoch
 * target, the replica count and the trainer may change), and training continues from its
 * exact position. With `config.init`, the run starts from that model's weights.
 */
export async function train(requested: TrainConfig, handle: TrainHandle, resume?: ResumeOptions): Promise<EpochMetrics | undefined> {
  await ensureFolder(requested.out);
  const unlock = await lockRun(requested.out);
  try {
    for (const orphan of await removeOrphans(requested.out)) handle.onEvent({ type: 'log', level: 'info', message: `removed ${orphan}, left by an interrupted checkpoint write` });
    const restored = resume ? await resumePoint(requested, resume, handle) : null;
    return await trainLocked(restored?.state.config ?? requested, handle, restored);
  } finally {
    await unlock();
  }
}

async function trainLocked(requested: TrainConfig, handle: TrainHandle, restored: { dir: string; state: CheckpointState } | null): Promise<EpochMetrics | undefined> {
  const run = await setUp(requested, handle, restored?.dir ?? null);
  try {
    const state = startState(run, restored);
    const { config, stats, stepsEngine, source } = run;
    handle.onEvent({
      type: 'start', config, backend: run.backend.name, steps: stepsEngine, dataset: source.description, params: stats.params,
      trainableParams: stats.trainableParams, flopsPerPixel: stats.flopsPerPixel, stepsPerEpoch: run.stepsPerEpoch,
      resumedFrom: restored ? { epoch: restored.state.epoch, step: restored.state.step } : undefined,
    });
    while (state.epoch < config.epochs) {
      if (!(await runEpoch(run, state))) return await stop(run, state);
      await endEpoch(run, state);
    }
    const final = state.history[state.history.length - 1];
    handle.onEvent({ type: 'done', reason: 'completed', epochsDone: state.epoch, modelDir: config.out, checkpoint: state.lastCheckpoint, final });
    return final;
  } finally {
    await dispose(run);
  }
}

async function dispose(run: Run): Promise<void> {
  await run.parallel?.dispose();
  run.onnxStep?.dispose();
  run.forward?.dispose();
  run.model.dispose();
  run.optimizer.dispose();
}

/**
 * Times a run before it starts: sets it up as `train` does (in a scratch
 * folder, removed after), takes one step to warm up, times `steps` more and
 * one validation, and scales them to the epochs asked for.
 */
export async function measureTraining(requested: TrainConfig, steps = 3): Promise<TrainingEstimate> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'denoise-lab-estimate-'));
  try {
    const t0 = performance.now();
    const run = await setUp({ ...requested, out: scratch, checkpointMinutes: 0 }, { onEvent: () => undefined }, null);
    try {
      const s = startState(run, null);
      s.plan = run.source.epochPlan(s.rng);
      await step(run, s);
      const setupSeconds = (performance.now() - t0) / 1000;
      const timed = Math.max(1, Math.min(steps, run.stepsPerEpoch - 1));
      const t1 = performance.now();
      for (let i = 0; i < timed; i++) {
        s.step++;
        await step(run, s);
      }
      const secondsPerStep = (performance.now() - t1) / 1000 / timed;
      const t2 = performance.now();
      const { config } = run;
      await validateRun(run);
      const validationSeconds = (performance.now() - t2) / 1000;
      const secondsPerEpoch = secondsPerStep * run.stepsPerEpoch + validationSeconds;
      return { setupSeconds, secondsPerStep, stepsPerEpoch: run.stepsPerEpoch, validationSeconds, secondsPerEpoch, totalSeconds: setupSeconds + secondsPerEpoch * config.epochs, stepsTimed: timed };
    } finally {
      await dispose(run);
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** The newest intact checkpoint of `requested.out` and its state, with what the resume may change applied; damaged newer ones are reported. */
async function resumePoint(requested: TrainConfig, resume: ResumeOptions, handle: TrainHandle): Promise<{ dir: string; state: CheckpointState }> {
  const found = await findCheckpoint(requested.out);
  if (!found) throw new UserError('nothing to resume: no intact checkpoint found', requested.out);
  for (const s of found.skipped) handle.onEvent({ type: 'log', level: 'warn', message: `checkpoint ${path.basename(s.dir)} is damaged (${s.reason}); resuming from ${path.basename(found.dir)}` });
  const dir = found.dir;
  const state = JSON.parse(await fs.readFile(path.join(dir, 'state.json'), 'utf8')) as CheckpointState;
  state.config = { ...state.config, epochs: resume.epochs ?? state.config.epochs, workers: resume.workers ?? state.config.workers ?? 1, trainer: resume.trainer ?? state.config.trainer, out: requested.out };
  state.config.warmupSteps ??= 0; // checkpoints from before warm-up existed
  state.config.data = trainData(state.config.data); // and from before the data was a tagged union
  return { dir, state };
}

/** Set up: backend, data, model (from a checkpoint, a base model, grown, or new), optimizer and what computes the steps. */
async function setUp(requested: TrainConfig, handle: TrainHandle, checkpointDir: string | null): Promise<Run> {
  const emit = handle.onEvent;
  const config: TrainConfig = { ...requested };
  // Sized from the run's own replica count (a resumed run's comes from its checkpoint). Effective only
  // if this is the process's first backend call: the CLI's; engine hosts start it with the same count.
  const backend = await initBackend(undefined, trainingWasmThreads(config.workers));
  const initial = !checkpointDir && config.init ? await loadDenoiser(config.init) : null;
  // --init with a larger --depth grows the base model (identity layers); otherwise its architecture is kept.
  const baseDepth = (initial?.manifest.arch.options as ArchOptions | undefined)?.depth;
  const deeper = initial && requested.archOptions?.depth !== undefined && baseDepth !== undefined && requested.archOptions.depth > baseDepth
    ? requested.archOptions.depth : undefined;
  if (initial) {
    const { channels: _c, seed: _s, ...options } = initial.manifest.arch.options as ArchOptions;
    Object.assign(config, { arch: initial.manifest.arch.name, channels: initial.manifest.channels, archOptions: { ...options, ...(deeper ? { depth: deeper } : {}) } });
    // A plane model (the bundled default is one) or a chroma estimator keeps learning from the planes it learned from.
    const planes = initial.manifest.training?.planes as PlaneMode | undefined;
    if (planes !== undefined && usesPlanes({ planes }) && config.data.kind === 'folder') config.planes ??= planes;
    // A model that was always told its level keeps being told it (a blind base stays blind).
    config.blindFraction ??= initial.manifest.blind ? TRAIN_DEFAULTS.blindFraction : 0;
  }
  validateConfig(config);
  try {
    await fs.mkdir(checkpointRoot(config.out), { recursive: true });
    await fs.mkdir(path.join(config.out, 'previews'), { recursive: true });
  } catch (err) {
    throw explainFsError(err, config.out);
  }
  const arch = getArchitecture(config.arch);
  const spec = parseNoiseSpec(config.noise);
  config.mosaic ??= namedMosaic(spec) ?? initial?.manifest.mosaic;
  const source = await openSource({
    data: config.data, cacheDir: config.cacheDir, channels: usesPlanes(config) ? 3 : config.channels, patch: config.patch,
    patchesPerEpoch: config.patchesPerEpoch, valFraction: config.valFraction, valImages: config.valImages,
    valCrop: config.valCrop, sizeMultiple: arch.sizeMultiple, seed: config.seed,
  });
  for (const s of source.skipped) emit({ type: 'log', level: 'warn', message: `skipped ${s.path}: ${s.reason}` });
  // A plane model is grey whatever the photos are.
  const modelChannels = usesPlanes(config) ? 1 : source.channels;
  const guide = guidedChroma(config);
  const archOptions: ArchOptions = { ...arch.defaults, ...config.archOptions, channels: modelChannels, ...(guide ? { guide } : {}), seed: config.seed };
  if (initial && initial.manifest.channels !== modelChannels) {
    throw new UserError(`the model has ${initial.manifest.channels} channel(s) but the data was read with ${source.channels}`, config.init);
  }
  // An unguided base model starts a guided one with the guide's weights at zero (guide.ts).
  const addGuide = initial !== null && guide && !(initial.manifest.arch.options as ArchOptions).guide;
  if (initial && !guide && (initial.manifest.arch.options as ArchOptions).guide) throw new UserError('a guided chroma denoiser trains only on chroma planes (--planes chroma)', config.init);
  const model = checkpointDir ? await loadModelFiles(checkpointDir)
    : initial ? (deeper ? deepenInto(initial.model, arch.build(archOptions)) : addGuide ? guideInto(initial.model, arch.build(archOptions)) : initial.model)
      : arch.build(archOptions);
  // A guided chroma denoiser is itself a plane model's companion: it keeps none.
  const carried = initial && !guide ? await carryCompanions(config.init!, config.out) : [];
  if (carried.length) emit({ type: 'log', level: 'info', message: `kept the base model's companion models (${carried.map((f) => `${f}/`).join(', ')})` });
  if (initial && deeper) emit({ type: 'log', level: 'info', message: `deepened the base model from ${baseDepth} to ${deeper} layers (identity layers inserted; same function to start)` });
  if (initial && addGuide) emit({ type: 'log', level: 'info', message: 'added a guide input (the chroma plane filtered under the luma plane) to the base model, its weights at zero (same function to start)' });
  if (initial && (deeper || addGuide)) initial.model.dispose();
  const optimizer = adam(config.lr);
  if (checkpointDir) await restoreOptimizer(checkpointDir, optimizer);
  if (config.int8) {
    const why = config.trainer === 'tfjs' ? 'the TF.js trainer was chosen' : onnxTrainingUnavailable(model, config.loss);
    if (why) throw new UserError(`quantization-aware training (--int8) runs on ONNX Runtime steps only: ${why}`);
    config.int8 = await int8Ranges(config.int8, initial?.manifest, model, { config, source, archOptions, arch, spec }, emit);
  }
  const int8 = config.int8?.kind === 'calibrated' ? config.int8.scales : undefined;
  const onnxStep = await onnxTrainer(config.int8 ? 'onnxruntime' : config.trainer ?? 'auto', model, config.loss, backend.name, int8);
  if (onnxStep && config.microBatch > 0 && config.microBatch < config.batch) {
    emit({ type: 'log', level: 'info', message: 'ONNX Runtime computes whole batches (its memory is not the wasm heap); --micro-batch applies to TF.js steps only' });
  }
  const workers = Math.max(1, Math.floor(config.workers ?? 1));
  const replicate = !onnxStep && workers > 1 && backend.name !== 'tensorflow' && backend.threads === 1;
  if (!onnxStep && workers > 1 && !replicate) {
    emit({ type: 'log', level: 'info', message: `${backend.name} already computes on ${backend.threads} threads; training without data-parallel replicas` });
  }
  const parallel = replicate ? await DataParallel.create(model, workers, backend.name) : null;
  const stepsPerEpoch = source.stepsPerEpoch(config.batch);
  const forward = config.selfSupervised ? await currentForward(model, onnxStep !== null) : null;
  return {
    config, handle, backend, arch, archOptions, spec, source, model, optimizer, variables: trainableVariables(model), stats: modelStats(model),
    onnxStep, parallel, stepsPerEpoch, totalSteps: stepsPerEpoch * config.epochs,
    stepsEngine: onnxStep ? { name: 'onnxruntime', threads: onnxStep.threads, replicas: 1 } : { name: backend.name, threads: backend.threads, replicas: parallel ? workers : 1 },
    blind: arch.noiseMap && (config.blindFraction ?? 0) > 0,
    forward,
    created: new Date().toISOString(),
  };
}

/** The loop's starting point: a checkpoint's exact position, or the first step. */
function startState(run: Run, restored: { dir: string; state: CheckpointState } | null): LoopState {
  const saved = restored?.state;
  return {
    epoch: saved?.epoch ?? 0, step: saved?.step ?? 0, plan: saved?.plan ?? null, history: saved?.history ?? [],
    elapsed: saved?.elapsedSec ?? 0, partial: saved?.partial ?? { lossSum: 0, samples: 0, seconds: 0 },
    rng: new Rng(saved?.rng ?? run.config.seed), lastCheckpoint: restored?.dir ?? '', lastCheckpointTime: Date.now(), stepSecEma: 0,
  };
}

function snapshot(run: Run, s: LoopState): CheckpointState {
  return { config: run.config, epoch: s.epoch, step: s.step, rng: s.rng.state(), plan: s.plan, history: s.history, elapsedSec: s.elapsed, partial: s.partial, created: run.created };
}

/** What makes a supervised batch. */
type PairSource = Pick<Run, 'config' | 'source' | 'archOptions' | 'arch' | 'spec'>;

/** A supervised step's input and target: clean patches with noise added (samples.ts). */
function supervisedPair(run: PairSource, s: Pick<LoopState, 'step' | 'plan' | 'rng'>): { x: tf.Tensor4D; y: tf.Tensor4D; n: number } {
  const { config, source } = run;
  const size = source.sampleSize;
  const side = sampleSide(config, size);
  const cm = run.archOptions.channels;
  const { data: batch, n } = source.batch(s.step, config.batch, s.plan, s.rng);
  const estimator = run.arch.task === 'noise-level';
  const guided = run.archOptions.guide === true;
  const { clean, noisy, levels, sigmas } = noisyBatch({
    batch, n, size, channels: source.channels, spec: run.spec, blind: estimator ? 0 : config.blindFraction ?? 0,
    planes: config.planes ?? 'none', estimator, guided,
  }, s.rng);
  const target = estimator ? levelTargets(levels, side, cm) : clean;
  return { x: modelInput(noisy, n, side, side, cm + (guided ? 1 : 0), run.arch.noiseMap ? sigmas : null), y: tf.tensor4d(target, [n, side, side, cm]), n };
}

/**
 * A self-supervised step's input and target (neighbor2neighbor.ts): the noisy
 * patches' g1 sub-images, and g2 corrected by the model's current output on the
 * whole patches. A noise-map model is told each patch's wavelet estimate, or
 * "unknown" for the blind fraction, as it will be when denoising.
 */
async function selfSupervisedPair(run: Run, s: LoopState, forward: CurrentForward): Promise<{ x: tf.Tensor4D; y: tf.Tensor4D; n: number }> {
  const { config, source, model } = run;
  const size = source.sampleSize;
  const batch = source.batch(s.step, config.batch, s.plan, s.rng);
  const n = batch.n;
  // A plane model learns from one opponent plane of each noisy colour patch.
  const c = usesPlanes(config) ? 1 : source.channels;
  const noisy = usesPlanes(config) ? planesOf(batch.data, n, size, config.planes!, s.rng) : batch.data;
  const per = size * size * c;
  const sigmas: number[] = [];
  for (let i = 0; i < n; i++) {
    const level = estimateNoiseSigma(makeImage(size, size, c, noisy.subarray(i * per, (i + 1) * per))) / 255;
    sigmas.push((config.blindFraction ?? 0) > 0 && s.rng.next() < (config.blindFraction ?? 0) ? UNKNOWN_NOISE_LEVEL : level);
  }
  const maps = run.arch.noiseMap ? sigmas : null;
  const whole = await forward.run(model, modelInputData(noisy, n, size, size, c, maps), [n, size, size, maps ? c + 1 : c]);
  const choice = chooseNeighbours(n * (size / 2) ** 2, s.rng);
  const { g1, g2 } = subsample(noisy, n, size, c, choice);
  const fy = subsample(whole, n, size, c, choice);
  const gamma = gammaAt((s.epoch * run.stepsPerEpoch + s.step) / run.totalSteps);
  const half = size / 2;
  return { x: modelInput(g1, n, half, half, c, maps), y: tf.tensor4d(regularisedTarget(g2, fy.g1, fy.g2, gamma), [n, half, half, c]), n };
}

/** One opponent plane (pickPlane) of each of n noisy colour patches. */
function planesOf(colour: Float32Array, n: number, size: number, mode: PlaneMode, rng: Rng): Float32Array {
  const per = size * size;
  const out = new Float32Array(n * per);
  for (let i = 0; i < n; i++) out.set(toOpponent(makeImage(size, size, 3, colour.subarray(i * per * 3, (i + 1) * per * 3)))[pickPlane(mode, rng)].data, i * per);
  return out;
}

/** One training step at the state's position (the state's step counter is the caller's to advance). */
async function step(run: Run, s: LoopState): Promise<{ loss: number; lr: number; n: number }> {
  const { config, model, optimizer, variables } = run;
  const lr = learningRate(config, s.epoch * run.stepsPerEpoch + s.step, run.totalSteps);
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
  const { x, y, n } = run.forward ? await selfSupervisedPair(run, s, run.forward) : supervisedPair(run, s);
  const loss = run.onnxStep
    ? await run.onnxStep.step(optimizer, variables, x, y)
    : run.parallel
      ? await run.parallel.step(model, optimizer, variables, x, y, config.loss)
      : trainStep(model, optimizer, variables, x, y, config.loss, config.microBatch ?? 0);
  tf.dispose([x, y]);
  if (!Number.isFinite(loss)) throw new Error(`training diverged at epoch ${s.epoch + 1}, step ${s.step + 1} (loss ${loss}); try a lower --lr`);
  return { loss, lr, n };
}

/**
 * One epoch's steps (from where the state is), with a mid-epoch checkpoint every few minutes.
 * Returns false when the run was asked to stop (between steps).
 */
async function runEpoch(run: Run, s: LoopState): Promise<boolean> {
  const { config, source, model, optimizer, stepsPerEpoch, totalSteps } = run;
  if (s.step === 0) s.plan = source.epochPlan(s.rng);
  while (s.step < stepsPerEpoch) {
    // Let messages (a stop request in an engine host) in between steps.
    await new Promise((resolve) => setImmediate(resolve));
    if (run.handle.signal?.aborted) return false;
    const t0 = performance.now();
    const { loss, lr, n } = await step(run, s);
    const sec = stepSeconds((performance.now() - t0) / 1000, s.stepSecEma);
    s.elapsed += sec;
    s.partial = { lossSum: s.partial.lossSum + loss * n, samples: s.partial.samples + n, seconds: s.partial.seconds + sec };
    s.stepSecEma = s.stepSecEma === 0 ? sec : 0.9 * s.stepSecEma + 0.1 * sec;
    s.step++;
    const remaining = totalSteps - (s.epoch * stepsPerEpoch + s.step);
    run.handle.onEvent({ type: 'step', epoch: s.epoch + 1, step: s.step, stepsPerEpoch, loss, lr, samplesPerSec: n / sec, elapsedSec: s.elapsed, etaSec: remaining * s.stepSecEma });
    if (config.checkpointMinutes > 0 && Date.now() - s.lastCheckpointTime > config.checkpointMinutes * 60_000 && s.step < stepsPerEpoch) {
      s.lastCheckpoint = await writeCheckpoint(config.out, model, optimizer, snapshot(run, s));
      s.lastCheckpointTime = Date.now();
    }
  }
  return true;
}

/**
 * The run's validation: against clean images, self-supervised, or (a level estimator) of its levels;
 * a quantization-aware run's model as it will denoise, in 8-bit integer convolutions.
 */
async function validateRun(run: Run): Promise<Validation> {
  const { config, model, source, spec, arch } = run;
  // The TF.js runner over the run's own model, which validation must not dispose.
  const runner = config.int8?.kind === 'calibrated' ? await onnxRunner(model, { int8: config.int8.scales }) : { ...tfjsRunner(model), dispose: () => undefined };
  try {
    if (arch.task === 'noise-level') return await validateLevels(runner, source, config, spec);
    return await (config.selfSupervised ? validateSelfSupervised(runner, source, config, arch.noiseMap) : validate(runner, source, config, spec, arch.noiseMap, run.blind));
  } finally {
    runner.dispose();
  }
}

/** The end of an epoch: validate, save the preview sheet, checkpoint, save the model, report. */
async function endEpoch(run: Run, s: LoopState): Promise<void> {
  const { config, stepsPerEpoch, totalSteps } = run;
  const tv = performance.now();
  const v = await validateRun(run);
  s.elapsed += (performance.now() - tv) / 1000;
  const previewFile = path.join(config.out, 'previews', `epoch-${String(s.epoch + 1).padStart(4, '0')}.png`);
  await writeFileAtomic(previewFile, await encodeImage(previewSheet(v.preview), { format: 'png' }));
  const summary: EpochMetrics = {
    epoch: s.epoch + 1, loss: s.partial.lossSum / Math.max(1, s.partial.samples), valLoss: v.valLoss, ...v.quality, samplesPerSec: s.partial.samples / Math.max(1e-9, s.partial.seconds), seconds: s.partial.seconds,
    lr: learningRate(config, (s.epoch + 1) * stepsPerEpoch, totalSteps), tensors: tf.memory().numTensors, preview: previewFile,
  };
  s.history.push(summary);
  s.epoch++;
  s.step = 0;
  s.plan = null;
  s.partial = { lossSum: 0, samples: 0, seconds: 0 };
  s.lastCheckpoint = await writeCheckpoint(config.out, run.model, run.optimizer, snapshot(run, s));
  s.lastCheckpointTime = Date.now();
  await saveModel(config.out, run.model, manifestOf(run, s));
  run.handle.onEvent({ type: 'epoch', ...summary, epochs: config.epochs, elapsedSec: s.elapsed, etaSec: (config.epochs - s.epoch) * stepsPerEpoch * s.stepSecEma, checkpoint: s.lastCheckpoint });
}

/** A stop request: checkpoint where the loop is, save the model, report. */
async function stop(run: Run, s: LoopState): Promise<EpochMetrics | undefined> {
  s.lastCheckpoint = await writeCheckpoint(run.config.out, run.model, run.optimizer, snapshot(run, s));
  await saveModel(run.config.out, run.model, manifestOf(run, s));
  const final = s.history[s.history.length - 1];
  run.handle.onEvent({ type: 'done', reason: 'stopped', epochsDone: s.epoch, modelDir: run.config.out, checkpoint: s.lastCheckpoint, final });
  return final;
}

/** The saved model's manifest, as of the last finished epoch. */
function manifestOf(run: Run, s: LoopState): DenoiserManifest {
  const { config, arch, archOptions, spec, stats, backend, stepsEngine } = run;
  const last = s.history[s.history.length - 1];
  return {
    format: MANIFEST_FORMAT, formatVersion: 1, name: path.basename(path.resolve(config.out)),
    arch: { name: arch.name, options: archOptions }, channels: archOptions.channels, noiseMap: arch.noiseMap, blind: run.blind, sizeMultiple: arch.sizeMultiple,
    noise: formatNoiseSpec(spec), defaultSigma: spec.kind === 'gaussian' ? (spec.sigma[0] + spec.sigma[1]) / 2 : undefined,
    params: stats.params, trainableParams: stats.trainableParams, flopsPerPixel: stats.flopsPerPixel,
    ...(config.int8?.kind === 'calibrated' ? { int8: config.int8.scales } : {}),
    ...(config.mosaic ? { mosaic: config.mosaic } : {}),
    training: { ...config, int8: config.int8 !== undefined, epochsDone: s.history.length, wallSeconds: Math.round(s.elapsed), backend: backend.name, steps: stepsEngine.name },
    metrics: last ? { valLoss: last.valLoss, valPsnr: last.psnr, valSsim: last.ssim, noisyPsnr: last.noisyPsnr, epoch: last.epoch } : undefined,
    created: run.created, updated: new Date().toISOString(),
    engine: { version: ENGINE_VERSION, tfjs: tf.version.tfjs, backend: backend.name },
  };
}

/** The ONNX Runtime step runner the run asked for (rounding as 8-bit integers where `int8` gives ranges), or null for TF.js steps. */
async function onnxTrainer(choice: TrainerChoice, model: tf.LayersModel, loss: LossName, backend: string, int8?: ActivationScales): Promise<OnnxTrainStep | null> {
  if (choice === 'tfjs' || (choice === 'auto' && backend === 'tensorflow')) return null;
  const reason = onnxTrainingUnavailable(model, loss);
  if (reason) {
    if (choice === 'onnxruntime') throw new UserError(`cannot train on ONNX Runtime: ${reason}`);
    return null;
  }
  return OnnxTrainStep.create(model, loss, { int8 });
}

/** Training batches the calibration of a quantization-aware run draws. */
const CALIBRATION_BATCHES = 8;

/**
 * The fixed input ranges of a quantization-aware run: its own once calibrated (a resumed run), its
 * --init model's if that model was trained for 8-bit inference with the same convs, else calibrated now on training
 * batches of its own (from a random state apart from the steps', so the steps are as without it).
 */
async function int8Ranges(
  asked: Int8Training, initial: DenoiserManifest | undefined, model: tf.LayersModel, pairs: PairSource, emit: TrainHandle['onEvent'],
): Promise<Int8Training> {
  if (asked.kind === 'calibrated') return asked;
  // The base model's ranges, when they are for this model's convs (a deepened model has others).
  const convs = quantizableConvs(model);
  if (initial?.int8 && Object.keys(initial.int8).sort().join() === [...convs].sort().join()) {
    emit({ type: 'log', level: 'info', message: 'kept the base model\'s 8-bit input ranges' });
    return { kind: 'calibrated', scales: initial.int8 };
  }
  const rng = new Rng(pairs.config.seed + 104729);
  const batches = Array.from({ length: CALIBRATION_BATCHES }, (_, step) => supervisedPair(pairs, { step, plan: null, rng }));
  try {
    const scales = await calibrateInt8(model, batches.map((b) => b.x));
    emit({ type: 'log', level: 'info', message: `calibrated the 8-bit input ranges of ${Object.keys(scales).length} convolutions on ${CALIBRATION_BATCHES} training batches` });
    return { kind: 'calibrated', scales };
  } finally {
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
  }
}
