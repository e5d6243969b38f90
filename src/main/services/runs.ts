/**
 * Training runs: each runs in its own engine process, so a crash (or a kill)
 * ends only that run; the window stays up and the run can resume from its
 * last checkpoint. Runs are kept as run.json beside their model folder; a run
 * left 'running' by a crashed app comes back as 'paused', ready to resume.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../engine/errors';
import { buildTrainConfig, ConfigError, type ConfigSetting, type TrainData, describeSteps, type TrainChoices, type TrainConfig, type TrainEvent } from '../engine/training/config';
import type { Run, TrainRequest } from '../../shared/contract';
import type { TrainingEstimate } from '../../shared/training-estimate';
import { readJson, writeJson } from './app-state';
import type { ServiceContext } from './context';
import type { DatasetService } from './datasets';
import type { ModelService } from './models';
import { EngineClient } from '../host/client';

const MAX_STEP_POINTS = 3000;

/** The Train view's name for each setting it offers, for messages about a bad value. */
const SETTING_LABEL: Partial<Record<ConfigSetting, string>> = {
  arch: 'Architecture', noise: 'Noise', epochs: 'Epochs', batch: 'Batch', lr: 'Learning rate', lrSchedule: 'Schedule',
  loss: 'Loss', patch: 'Patch size', patchesPerEpoch: 'Patches per epoch', warmupSteps: 'Warm-up steps', depth: 'Depth', width: 'Width',
};

/**
 * The config a Train view request chooses, with where the run's files are; the rest takes
 * buildTrainConfig's defaults. A bad setting is named by its field in the Train view.
 */
export function trainConfigFromRequest(req: TrainRequest, where: { data: TrainData; out: string; cacheDir: string; init?: string }): TrainConfig {
  const choices: TrainChoices = {
    ...where, arch: req.arch, noise: req.selfSupervised ? 'none' : req.noise, selfSupervised: req.selfSupervised || undefined,
    depth: req.depth, width: req.width, channels: req.channels,
    epochs: req.epochs, batch: req.batch, lr: req.lr, lrSchedule: req.lrSchedule, loss: req.loss,
    patch: req.patch, patchesPerEpoch: req.patchesPerEpoch, warmupSteps: req.warmupSteps,
    int8: req.int8 ? { kind: 'requested' } : undefined,
  };
  try {
    return buildTrainConfig(choices);
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(`${SETTING_LABEL[err.setting] ?? err.setting} ${err.problem}`);
    throw err;
  }
}

export class RunService {
  private runs = new Map<string, Run>();
  private active = new Map<string, { client: EngineClient; requestId: number }>();
  private loaded = false;

  constructor(private readonly ctx: ServiceContext, private readonly datasets: DatasetService, private readonly models: ModelService) {}

  private runFile(id: string): string {
    return path.join(this.ctx.paths.runs, id, 'run.json');
  }

  private async save(run: Run): Promise<void> {
    await writeJson(this.runFile(run.id), run);
  }

  private publish(run: Run): void {
    this.ctx.emit('run:update', run);
  }

  /** Loads runs from disk once; runs interrupted by an app crash become 'paused'. */
  async list(): Promise<Run[]> {
    if (!this.loaded) {
      this.loaded = true;
      this.ctx.media.allow(this.ctx.paths.runs);
      const ids = await fs.readdir(this.ctx.paths.runs).catch(() => [] as string[]);
      for (const id of ids) {
        const run = await readJson<Run | null>(this.runFile(id), null);
        if (!run) continue;
        if (run.status === 'running' && !this.active.has(id)) {
          run.status = 'paused';
          run.lastError = 'The app closed while this run was training. Resume continues from its last checkpoint.';
          await this.save(run);
          this.ctx.emit('app:notice', { level: 'warn', message: `Run "${run.name}" was interrupted; you can resume it from its last checkpoint.` });
        }
        this.runs.set(id, run);
      }
    }
    return [...this.runs.values()].sort((a, b) => b.created.localeCompare(a.created));
  }

  /** The engine config for a request; a resumed run takes its weights from its checkpoint, so its base model is not looked up. */
  private async config(req: TrainRequest, out: string, resuming = false): Promise<TrainConfig> {
    const data = await this.datasets.trainingData(req.datasetId);
    const init = req.initModelId && !resuming ? await this.models.resolveDir(req.initModelId) : undefined;
    return trainConfigFromRequest(req, { data, out, cacheDir: this.ctx.paths.fashionMnist, init });
  }

  async start(req: TrainRequest): Promise<Run> {
    await this.list();
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    const id = `run-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
    const modelDir = path.join(this.ctx.paths.runs, id);
    const config = await this.config(req, modelDir);
    const base = req.initModelId ? await this.models.nameOf(req.initModelId) : undefined;
    const what = config.init ? `${base ?? path.basename(config.init)} fine-tuned` : req.arch;
    const run: Run = {
      id, name: this.freeName(req.name ?? `${what} on ${(await this.datasets.get(req.datasetId)).name}`), request: req, status: 'running',
      created: new Date().toISOString(), modelDir, epochs: [], steps: [], elapsedSec: 0, etaSec: 0, samplesPerSec: 0,
    };
    this.runs.set(id, run);
    await this.save(run);
    this.launch(run, config, false);
    return run;
  }

  /**
   * Times a few real steps of the run a request describes, in an engine process of
   * its own (as the run will have), closed after; nothing is written to the runs folder.
   */
  async estimate(req: TrainRequest): Promise<TrainingEstimate> {
    const config = await this.config(req, path.join(this.ctx.paths.runs, 'estimate'));
    const client = new EngineClient(this.ctx.spawnHost, 'estimate');
    try {
      return await client.request('estimateTraining', { config });
    } finally {
      client.kill();
    }
  }

  /** `name`, or `name #2`, `#3`… when another run already has it, so runs and their models stay distinguishable. */
  private freeName(name: string): string {
    const taken = new Set([...this.runs.values()].map((r) => r.name));
    let candidate = name;
    for (let n = 2; taken.has(candidate); n++) candidate = `${name} #${n}`;
    return candidate;
  }

  async resume(runId: string): Promise<Run> {
    await this.list();
    const run = this.runs.get(runId);
    if (!run) throw new Error(`unknown run "${runId}"`);
    if (this.active.has(runId)) return run;
    run.status = 'running';
    run.lastError = undefined;
    await this.save(run);
    this.launch(run, await this.config(run.request, run.modelDir, true), true);
    return run;
  }

  /** Stops after the current step, with a checkpoint; the run can resume later. */
  async stop(runId: string): Promise<void> {
    const a = this.active.get(runId);
    if (a) await a.client.cancel(a.requestId);
  }

  /** The engine process of a run (tests kill it to check crash handling). */
  processOf(runId: string): EngineClient | undefined {
    return this.active.get(runId)?.client;
  }

  private launch(run: Run, config: TrainConfig, resume: boolean): void {
    const client = new EngineClient(this.ctx.spawnHost, `train-${run.id}`);
    this.ctx.keepAwake(true);
    let lastSave = 0;
    const onEvent = (e: TrainEvent) => {
      if (e.type === 'step') {
        run.steps.push({ t: (e.epoch - 1) + e.step / e.stepsPerEpoch, loss: e.loss });
        if (run.steps.length > MAX_STEP_POINTS) run.steps = run.steps.filter((_, i) => i % 2 === 0);
        run.elapsedSec = e.elapsedSec;
        run.etaSec = e.etaSec;
        run.samplesPerSec = e.samplesPerSec;
        if (Date.now() - lastSave > 30_000) {
          lastSave = Date.now();
          void this.save(run);
        }
      } else if (e.type === 'epoch') {
        const { type: _t, epochs: _e, elapsedSec: _s, etaSec: _eta, checkpoint: _c, ...metrics } = e;
        run.epochs.push({ ...metrics, preview: e.preview ? this.ctx.media.fileUrl(e.preview) : undefined });
        run.elapsedSec = e.elapsedSec;
        run.etaSec = e.etaSec;
        this.models.changed(); // the run's model was saved (its first, or a better one)
        void this.save(run);
      } else if (e.type === 'start') {
        run.engine = describeSteps(e.steps);
        if (e.resumedFrom) run.epochs = run.epochs.slice(0, e.resumedFrom.epoch);
      }
      this.publish(run);
    };
    client.request('train', { config, resume }, onEvent, (requestId) => this.active.set(run.id, { client, requestId }))
      .then((final) => {
        run.status = run.epochs.length >= config.epochs ? 'completed' : 'paused';
        if (run.status === 'completed') {
          const last = run.epochs.at(-1);
          const score = last?.psnr !== undefined ? `PSNR ${last.psnr.toFixed(2)} dB` : `validation loss ${last?.valLoss.toFixed(5)}`;
          this.ctx.notify('Training finished', `${run.name}: ${last ? `${score} after ${last.epoch} epochs` : 'done'}`);
        }
        return final;
      })
      .catch((err: Error) => {
        run.status = run.epochs.length > 0 || resume ? 'paused' : 'crashed';
        run.lastError = err.message;
        this.ctx.emit('app:notice', { level: 'error', message: `Training "${run.name}" stopped: ${err.message}. Resume continues from the last checkpoint.` });
        this.ctx.notify('Training stopped', `${run.name}: ${err.message}`);
      })
      .finally(async () => {
        this.models.changed();
        this.active.delete(run.id);
        client.kill();
        this.ctx.keepAwake(this.active.size > 0);
        await this.save(run);
        this.publish(run);
      });
  }

  async shutdown(): Promise<void> {
    for (const { client } of this.active.values()) client.kill();
  }
}
