/** RunService: a run's config from the Train view's request, its events into the run record, distinct names, and a crashed engine leaving a resumable run. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetService } from '../../../src/main/services/datasets';
import { ModelService } from '../../../src/main/services/models';
import { RunService } from '../../../src/main/services/runs';
import type { HostMessage, HostRequest } from '../../../src/main/host/protocol';
import type { TrainConfig } from '../../../src/main/engine/training/config';
import type { TrainRequest } from '../../../src/shared/contract';
import { serviceContext } from '../../helpers/service-context';

const request: TrainRequest = {
  datasetId: 'fashion-mnist', arch: 'seed', noise: 'factor:0.3', epochs: 2, batch: 200, lr: 1e-3, lrSchedule: 'constant', loss: 'bce',
  patch: 64, patchesPerEpoch: 4096,
};
const metrics = (epoch: number) => ({ epoch, loss: 0.1 / epoch, valLoss: 0.1, psnr: 20 + epoch, ssim: 0.5, noisyPsnr: 15, samplesPerSec: 100, seconds: 1, lr: 1e-3, tensors: 10 });

/** A fake engine process: it answers a train request with a start, one epoch per `epochs`, then a result, or dies after the first epoch. */
function fakeHost(configs: TrainConfig[], die = false) {
  return () => {
    let onMessage: (m: HostMessage) => void = () => undefined;
    let onExit: (code: number | null) => void = () => undefined;
    return {
      send(req: HostRequest) {
        if (req.method !== 'train') return;
        const { config } = req.params as { config: TrainConfig };
        configs.push(config);
        setImmediate(() => {
          onMessage({ id: req.id, event: { type: 'start', config, backend: 'wasm', steps: { name: 'onnxruntime', threads: 2, replicas: 1 }, dataset: 'fm', params: 1, trainableParams: 1, flopsPerPixel: 1, stepsPerEpoch: 1 } });
          for (let e = 1; e <= (die ? 1 : config.epochs); e++) onMessage({ id: req.id, event: { type: 'epoch', ...metrics(e), epochs: config.epochs, elapsedSec: e, etaSec: 0, checkpoint: 'c' } });
          if (die) onExit(137);
          else onMessage({ id: req.id, result: metrics(config.epochs) });
        });
      },
      onMessage: (cb: (m: HostMessage) => void) => void (onMessage = cb),
      onExit: (cb: (code: number | null) => void) => void (onExit = cb),
      kill: () => undefined,
    };
  };
}

async function setup(die = false) {
  const configs: TrainConfig[] = [];
  const s = await serviceContext();
  s.ctx.spawnHost = fakeHost(configs, die);
  const models = new ModelService(s.ctx);
  const runs = new RunService(s.ctx, new DatasetService(s.ctx), models);
  return { ...s, runs, configs, models };
}

const settled = async (runs: RunService, id: string) => {
  for (let i = 0; i < 100; i++) {
    const run = (await runs.list()).find((r) => r.id === id)!;
    if (run.status !== 'running') return run;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('run never settled');
};

describe('RunService', () => {
  it('builds the config from the request, records each epoch, and completes', async () => {
    const { runs, configs, ctx, models } = await setup();
    const run = await runs.start(request);
    const done = await settled(runs, run.id);
    expect(done.status).toBe('completed');
    expect(done.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(done.epochs[1]).toMatchObject({ psnr: 22, lr: 1e-3, seconds: 1 });
    expect(done.engine).toBe('onnxruntime, 2 threads');
    expect(configs[0]).toMatchObject({ data: { kind: 'fashion-mnist' }, channels: 1, valImages: 1000, out: path.join(ctx.paths.runs, run.id), checkpointMinutes: 5 });
    models.dispose();
  });

  it('names a second run with the same settings distinctly', async () => {
    const { runs, models } = await setup();
    const a = await runs.start(request);
    const b = await runs.start(request);
    expect(b.name).toBe(`${a.name} #2`);
    await settled(runs, b.id);
    models.dispose();
  });

  it('keeps a run whose engine process died as paused, with what it had done, ready to resume', async () => {
    const { runs, events, models } = await setup(true);
    const run = await runs.start(request);
    const done = await settled(runs, run.id);
    expect(done.status).toBe('paused');
    expect(done.epochs).toHaveLength(1);
    expect(done.lastError).toBeTruthy();
    expect(events.some((e) => e.channel === 'app:notice')).toBe(true);
    models.dispose();
  });
});
