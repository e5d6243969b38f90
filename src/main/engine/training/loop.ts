/**
 * The training loop: batches with on-the-fly noise, Adam with a learning-rate
 * schedule, validation and a preview image every epoch (validation.ts), and a
 * checkpoint every epoch and every few minutes (checkpoints.ts), so
 * `resume` continues exactly where a run stopped, even after SIGKILL. Progress
 * goes out as events.
 */
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic, explainFsError } from '../atomic-fs';
import { initBackend } from '../runtime/backend';
import { applyNoise, formatNoiseSpec, parseNoiseSpec, type NoiseSpec } from '../data/noise';
import { openSource } from '../data/sources';
import { UserError } from '../errors';
import { makeImage } from '../image/float-image';
import { encodeImage } from '../image/io';
import { getArchitecture, modelStats, type ArchOptions } from '../models/architectures';
import { deepenInto } from '../models/deepen';
import { modelInput, UNKNOWN_NOISE_LEVEL } from '../models/input';
import { loadDenoiser, loadModelFiles, saveModel } from '../models/store';
import { MANIFEST_FORMAT, type DenoiserManifest } from '../models/manifest';
import { Rng } from '../data/rng';
import { trainableVariables, trainStep } from './steps/tfjs-step';
import { checkpointRoot, readLatest, restoreOptimizer, writeCheckpoint, type CheckpointState } from './checkpoints';
import { previewSheet, validate } from './validation';
import { DataParallel } from './steps/parallel/data-parallel';
import { OnnxTrainStep, onnxTrainingUnavailable } from './steps/onnx-step';
import { ENGINE_VERSION } from '../version';
import { trainingWasmThreads, validateConfig, type EpochSummary, type LossName, type ResumeOptions, type StepsEngine, type TrainConfig, type TrainerChoice, type TrainEvent } from './config';

/** The learning rate at `step` of `totalSteps`: the schedule, scaled down linearly over the warm-up steps. */
export function learningRate(c: TrainConfig, step: number, totalSteps: number): number {
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

/**
 * Adds noise to each `size` x `size` image of a clean batch; returns noisy pixels and the
 * per-image levels a noise-map model is told (UNKNOWN_NOISE_LEVEL for a `blind` fraction).
 */
function noisyBatch(clean: Float32Array, n: number, size: number, c: 1 | 3, spec: NoiseSpec, blind: number, rng: Rng): { noisy: Float32Array; sigmas: number[] } {
  const per = clean.length / n;
  const noisy = new Float32Array(clean.length);
  const sigmas: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = applyNoise(makeImage(size, size, c, clean.subarray(i * per, (i + 1) * per)), spec, rng);
    noisy.set(r.noisy, i * per);
    // No draw when blind is 0, so runs from before blind training resume bit-exactly.
    sigmas.push(blind > 0 && rng.next() < blind ? UNKNOWN_NOISE_LEVEL : r.sigma);
  }
  return { noisy, sigmas };
}

export interface TrainHandle {
  onEvent: (e: TrainEvent) => void;
  signal?: AbortSignal;
}

/**
 * Trains a model, writing checkpoints and the latest model to `config.out`.
 * With `resume`, the config comes from the newest checkpoint (only the epoch
 * target, the replica count and the trainer may change), and training continues from its
 * exact position. With `config.init`, the run starts from that model's weights.
 */
export async function train(requested: TrainConfig, handle: TrainHandle, resume?: ResumeOptions): Promise<EpochSummary | undefined> {
  const emit = handle.onEvent;
  let state: CheckpointState | null = null;
  let checkpointDir: string | null = null;
  if (resume) {
    checkpointDir = await readLatest(requested.out);
    if (!checkpointDir) throw new UserError('nothing to resume: no checkpoint found', requested.out);
    state = JSON.parse(await fs.readFile(path.join(checkpointDir, 'state.json'), 'utf8')) as CheckpointState;
    state.config = { ...state.config, epochs: resume.epochs ?? state.config.epochs, workers: resume.workers ?? state.config.workers ?? 1, trainer: resume.trainer ?? state.config.trainer, out: requested.out };
  }
  const config: TrainConfig = { ...(state?.config ?? requested) };
  config.warmupSteps ??= 0; // checkpoints from before warm-up existed
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
  const source = await openSource({
    data: config.data, cacheDir: config.cacheDir, channels: config.channels, patch: config.patch,
    patchesPerEpoch: config.patchesPerEpoch, valFraction: config.valFraction, valImages: config.valImages,
    valCrop: config.valCrop, sizeMultiple: arch.sizeMultiple, seed: config.seed,
  });
  for (const s of source.skipped) emit({ type: 'log', level: 'warn', message: `skipped ${s.path}: ${s.reason}` });
  const archOptions: ArchOptions = { ...arch.defaults, ...config.archOptions, channels: source.channels, seed: config.seed };
  if (initial && initial.manifest.channels !== source.channels) {
    throw new UserError(`the model has ${initial.manifest.channels} channel(s) but the data was read with ${source.channels}`, config.init);
  }
  const model = checkpointDir ? await loadModelFiles(checkpointDir)
    : initial ? (deeper ? deepenInto(initial.model, arch.build(archOptions)) : initial.model)
      : arch.build(archOptions);
  if (initial && deeper) {
    emit({ type: 'log', level: 'info', message: `deepened the base model from ${baseDepth} to ${deeper} layers (identity layers inserted; same function to start)` });
    initial.model.dispose();
  }
  const stats = modelStats(model);
  const optimizer = tf.train.adam(config.lr);
  const variables = trainableVariables(model);
  if (checkpointDir) await restoreOptimizer(checkpointDir, optimizer);

  const onnxStep = await onnxTrainer(config.trainer ?? 'auto', model, config.loss, backend.name);
  if (onnxStep && config.microBatch > 0 && config.microBatch < config.batch) {
    emit({ type: 'log', level: 'info', message: 'ONNX Runtime computes whole batches (its memory is not the wasm heap); --micro-batch applies to TF.js steps only' });
  }
  const workers = Math.max(1, Math.floor(config.workers ?? 1));
  const replicate = !onnxStep && workers > 1 && backend.name !== 'tensorflow' && backend.threads === 1;
  if (!onnxStep && workers > 1 && !replicate) {
    emit({ type: 'log', level: 'info', message: `${backend.name} already computes on ${backend.threads} threads; training without data-parallel replicas` });
  }
  const parallel = replicate ? await DataParallel.create(model, workers, backend.name) : null;
  const stepsEngine: StepsEngine = onnxStep
    ? { name: 'onnxruntime', threads: onnxStep.threads, replicas: 1 }
    : { name: backend.name, threads: backend.threads, replicas: parallel ? workers : 1 };
  try {
    return await runLoop();
  } finally {
    await parallel?.dispose();
    onnxStep?.dispose();
  }

  async function runLoop(): Promise<EpochSummary | undefined> {
    const stepsPerEpoch = source.stepsPerEpoch(config.batch);
    const totalSteps = stepsPerEpoch * config.epochs;
    const rng = new Rng(state?.rng ?? config.seed);
    let epoch = state?.epoch ?? 0;
    let step = state?.step ?? 0;
    let plan = state?.plan ?? null;
    const history: EpochSummary[] = state?.history ?? [];
    let elapsed = state?.elapsedSec ?? 0;
    let partial = state?.partial ?? { lossSum: 0, samples: 0, seconds: 0 };
    emit({
      type: 'start', config, backend: backend.name, steps: stepsEngine, dataset: source.description, params: stats.params,
      trainableParams: stats.trainableParams, flopsPerPixel: stats.flopsPerPixel, stepsPerEpoch,
      resumedFrom: state ? { epoch: state.epoch, step: state.step } : undefined,
    });

    const created = new Date().toISOString();
    const snapshot = (): CheckpointState => ({ config, epoch, step, rng: rng.state(), plan, history, elapsedSec: elapsed, partial, created });
    let lastCheckpoint = checkpointDir ?? '';
    let lastCheckpointTime = Date.now();
    let stepSecEma = 0;
    const size = source.sampleSize;
    const c = source.channels;
    // A model trained with "unknown" maps is validated on the path users take: blind.
    const blind = arch.noiseMap && (config.blindFraction ?? 0) > 0;

    const manifest = (): DenoiserManifest => {
      const last = history[history.length - 1];
      return {
        format: MANIFEST_FORMAT, formatVersion: 1, name: path.basename(path.resolve(config.out)),
        arch: { name: arch.name, options: archOptions }, channels: c, noiseMap: arch.noiseMap, blind, sizeMultiple: arch.sizeMultiple,
        noise: formatNoiseSpec(spec), defaultSigma: spec.kind === 'gaussian' ? (spec.sigma[0] + spec.sigma[1]) / 2 : undefined,
        params: stats.params, trainableParams: stats.trainableParams, flopsPerPixel: stats.flopsPerPixel,
        training: { ...config, epochsDone: history.length, wallSeconds: Math.round(elapsed), backend: backend.name, steps: stepsEngine.name },
        metrics: last ? { valLoss: last.valLoss, valPsnr: last.psnr, valSsim: last.ssim, noisyPsnr: last.noisyPsnr, epoch: last.epoch } : undefined,
        created, updated: new Date().toISOString(),
        engine: { version: ENGINE_VERSION, tfjs: tf.version.tfjs, backend: backend.name },
      };
    };

    while (epoch < config.epochs) {
      if (step === 0) plan = source.epochPlan(rng);
      for (; step < stepsPerEpoch; ) {
        // Let messages (a stop request in an engine host) in between steps.
        await new Promise((resolve) => setImmediate(resolve));
        if (handle.signal?.aborted) {
          lastCheckpoint = await writeCheckpoint(config.out, model, optimizer, snapshot());
          await saveModel(config.out, model, manifest());
          emit({ type: 'done', reason: 'stopped', epochsDone: epoch, modelDir: config.out, checkpoint: lastCheckpoint, final: history[history.length - 1] });
          model.dispose();
          optimizer.dispose();
          return history[history.length - 1];
        }
        const t0 = performance.now();
        const lr = learningRate(config, epoch * stepsPerEpoch + step, totalSteps);
        (optimizer as unknown as { learningRate: number }).learningRate = lr;
        const { data: clean, n } = source.batch(step, config.batch, plan, rng);
        const { noisy, sigmas } = noisyBatch(clean, n, size, c, spec, config.blindFraction ?? 0, rng);
        const x = modelInput(noisy, n, size, size, c, arch.noiseMap ? sigmas : null);
        const y = tf.tensor4d(clean, [n, size, size, c]);
        const loss = onnxStep
          ? await onnxStep.step(optimizer, variables, x, y)
          : parallel
            ? await parallel.step(model, optimizer, variables, x, y, config.loss)
            : trainStep(model, optimizer, variables, x, y, config.loss, config.microBatch ?? 0);
        tf.dispose([x, y]);
        if (!Number.isFinite(loss)) throw new Error(`training diverged at epoch ${epoch + 1}, step ${step + 1} (loss ${loss}); try a lower --lr`);
        const sec = (performance.now() - t0) / 1000;
        elapsed += sec;
        partial = { lossSum: partial.lossSum + loss * n, samples: partial.samples + n, seconds: partial.seconds + sec };
        stepSecEma = stepSecEma === 0 ? sec : 0.9 * stepSecEma + 0.1 * sec;
        step++;
        const remaining = totalSteps - (epoch * stepsPerEpoch + step);
        emit({ type: 'step', epoch: epoch + 1, step, stepsPerEpoch, loss, lr, samplesPerSec: n / sec, elapsedSec: elapsed, etaSec: remaining * stepSecEma });
        if (config.checkpointMinutes > 0 && Date.now() - lastCheckpointTime > config.checkpointMinutes * 60_000 && step < stepsPerEpoch) {
          lastCheckpoint = await writeCheckpoint(config.out, model, optimizer, snapshot());
          lastCheckpointTime = Date.now();
        }
      }
      const tv = performance.now();
      const v = validate(model, source, config, spec, arch.noiseMap, blind);
      elapsed += (performance.now() - tv) / 1000;
      const previewFile = path.join(config.out, 'previews', `epoch-${String(epoch + 1).padStart(4, '0')}.png`);
      await writeFileAtomic(previewFile, await encodeImage(previewSheet(v.preview), { format: 'png' }));
      const summary: EpochSummary = {
        epoch: epoch + 1, loss: partial.lossSum / Math.max(1, partial.samples), valLoss: v.valLoss, psnr: v.psnr, ssim: v.ssim,
        noisyPsnr: v.noisyPsnr, samplesPerSec: partial.samples / Math.max(1e-9, partial.seconds), seconds: partial.seconds,
        lr: learningRate(config, (epoch + 1) * stepsPerEpoch, totalSteps), tensors: tf.memory().numTensors, preview: previewFile,
      };
      history.push(summary);
      epoch++;
      step = 0;
      plan = null;
      partial = { lossSum: 0, samples: 0, seconds: 0 };
      lastCheckpoint = await writeCheckpoint(config.out, model, optimizer, snapshot());
      lastCheckpointTime = Date.now();
      await saveModel(config.out, model, manifest());
      emit({ type: 'epoch', ...summary, epochs: config.epochs, elapsedSec: elapsed, etaSec: (config.epochs - epoch) * stepsPerEpoch * stepSecEma, checkpoint: lastCheckpoint });
    }
    const final = history[history.length - 1];
    emit({ type: 'done', reason: 'completed', epochsDone: epoch, modelDir: config.out, checkpoint: lastCheckpoint, final });
    model.dispose();
    optimizer.dispose();
    return final;
  }
}

/** The ONNX Runtime step runner the run asked for, or null for TF.js steps. */
async function onnxTrainer(choice: TrainerChoice, model: tf.LayersModel, loss: LossName, backend: string): Promise<OnnxTrainStep | null> {
  if (choice === 'tfjs' || (choice === 'auto' && backend === 'tensorflow')) return null;
  const reason = onnxTrainingUnavailable(model, loss);
  if (reason) {
    if (choice === 'onnxruntime') throw new UserError(`cannot train on ONNX Runtime: ${reason}`);
    return null;
  }
  return OnnxTrainStep.create(model, loss);
}
