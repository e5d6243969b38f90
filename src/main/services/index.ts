/**
 * Builds the main-side services and the handler for every contract channel.
 * Electron's IPC adapter and the test harness both call these handlers, after
 * validating payloads against the contract.
 */
import fs from 'node:fs/promises';
import { validatePayload, type RequestChannel, type RequestPayload, type RequestResults, type EngineStatus } from '../../shared/contract';
import type { RemoteFile } from '../engine/data/download';
import type { HostResult } from '../host/protocol';
import { ENGINE_VERSION } from '../engine/version';
import { appPaths } from './app-state';
import type { Dialogs, ServiceContext } from './context';
import { DatasetService } from './datasets';
import { DenoiseQueue } from './denoise-queue';
import { EngineClient, type SpawnHost } from '../host/client';
import { MediaServer } from './media';
import { PathGrants } from './grants';
import { ModelService } from './models';
import { RunService } from './runs';

export interface ServicesOptions {
  userData: string;
  bundledModels: string;
  mediaBase: string;
  spawnHost: SpawnHost;
  dialogs: Dialogs;
  emit: ServiceContext['emit'];
  notify?: ServiceContext['notify'];
  keepAwake?: ServiceContext['keepAwake'];
  reveal?: ServiceContext['reveal'];
  /** A Fashion-MNIST mirror with its own file list (tests serve one on 127.0.0.1). */
  fashionMnistMirror?: { baseUrl: string; files: RemoteFile[] };
}

export type Handlers = { [C in RequestChannel]: (payload: RequestPayload<C>) => Promise<RequestResults[C]> };

export interface Services {
  handlers: Handlers;
  media: MediaServer;
  /** Where Electron's preload (or a test standing in for it) records dropped paths. */
  grants: PathGrants;
  runs: RunService;
  /** Validates then handles one request. */
  handle<C extends RequestChannel>(channel: C, payload: unknown): Promise<RequestResults[C]>;
  shutdown(): Promise<void>;
}

export async function createServices(opts: ServicesOptions): Promise<Services> {
  const paths = appPaths(opts.userData);
  for (const dir of [paths.runs, paths.models, paths.denoised]) await fs.mkdir(dir, { recursive: true });
  // Images the browser cannot show are rendered by the engine worker, never in this process.
  const media = new MediaServer(opts.mediaBase, {
    file: async (file, maxSide) => Buffer.from((await getWorker().request('displayable', { source: { kind: 'file', path: file }, index: 0, maxSide })).png, 'base64'),
    fashionMnist: async (index) => Buffer.from((await getWorker().request('displayable', { source: { kind: 'fashion-mnist', cacheDir: paths.fashionMnist }, index })).png, 'base64'),
  });
  media.allow(paths.denoised);
  media.allow(paths.runs);

  let worker: EngineClient | null = null;
  let restarts = 0;
  let status: EngineStatus = { state: 'starting', backend: '?', threads: 0, memoryMb: 0, restarts: 0 };
  const setStatus = (s: Partial<EngineStatus>) => {
    status = { ...status, ...s, restarts };
    opts.emit('engine:status', status);
  };
  let info: Promise<HostResult<'info'>> | null = null;
  const getWorker = (): EngineClient => {
    if (worker && !worker.exited) return worker;
    const client = new EngineClient(opts.spawnHost, 'worker');
    worker = client;
    info = client.request('info', undefined);
    info.then((i) => setStatus({ state: 'ready', backend: i.backend, accelerator: i.accelerator, threads: i.cpus })).catch(() => undefined);
    client.onExit((code) => {
      if (worker !== client) return;
      restarts++;
      setStatus({ state: 'crashed', lastError: `engine process exited (code ${code}); restarting` });
      opts.emit('app:notice', { level: 'warn', message: 'The engine process stopped unexpectedly and was restarted.' });
      setTimeout(() => getWorker(), 200);
    });
    return client;
  };

  const grants = new PathGrants();
  const ctx: ServiceContext = {
    paths, media, grants, spawnHost: opts.spawnHost, worker: getWorker, dialogs: opts.dialogs, emit: opts.emit,
    notify: opts.notify ?? (() => undefined), reveal: opts.reveal ?? (() => undefined), keepAwake: opts.keepAwake ?? (() => undefined), bundledModels: opts.bundledModels,
  };
  media.allow(opts.bundledModels);
  const datasets = new DatasetService(ctx, opts.fashionMnistMirror);
  const models = new ModelService(ctx);
  const runs = new RunService(ctx, datasets, models);
  const queue = new DenoiseQueue(ctx, models);
  getWorker();

  const handlers: Handlers = {
    'app:info': async () => {
      getWorker();
      const i = await info!;
      return { version: ENGINE_VERSION, architectures: i.architectures, userData: paths.root };
    },
    'engine:status': async () => {
      const w = getWorker();
      const mem = await w.request('memory', undefined).catch(() => ({ rssMb: 0 }));
      status = { ...status, memoryMb: Math.round(mem.rssMb + process.memoryUsage().rss / 1e6) };
      return status;
    },
    'datasets:list': () => datasets.list(),
    'datasets:addFolder': (p) => datasets.addFolder(p.path),
    'datasets:remove': (p) => datasets.remove(p.id),
    'datasets:downloadFashionMnist': () => datasets.download(),
    'datasets:page': (p) => datasets.page(p.id, p.offset, p.limit, p.label),
    'datasets:inspect': (p) => datasets.inspect(p.id, p.index, p.noise, p.seed),
    'train:start': (p) => runs.start(p),
    'train:estimate': (p) => runs.estimate(p),
    'train:stop': (p) => runs.stop(p.runId),
    'train:resume': (p) => runs.resume(p.runId),
    'runs:list': () => runs.list(),
    'denoise:add': (p) => queue.add(p.paths),
    'denoise:openDialog': () => queue.openDialog(),
    'denoise:remove': async (p) => queue.remove(p.ids),
    'denoise:run': ({ ids, ...settings }) => queue.run(ids, settings),
    'denoise:preview': ({ id, ...settings }) => queue.preview(id, settings),
    'denoise:export': ({ ids, format, ...options }) => queue.export(ids, format, options),
    'denoise:reveal': async () => queue.reveal(),
    'denoise:cancel': () => queue.cancel(),
    'models:list': () => models.list(),
    'models:import': () => models.import(),
    'models:export': (p) => models.export(p.id),
    'models:delete': (p) => models.delete(p.id),
    'models:setDefault': (p) => models.setDefault(p.id),
  };

  return {
    handlers, media, grants, runs,
    handle: async (channel, payload) => (handlers[channel] as (p: unknown) => Promise<never>)(validatePayload(channel, payload) ?? {}),
    shutdown: async () => {
      await runs.shutdown();
      models.dispose();
      const w = worker;
      worker = null;
      w?.kill();
    },
  };
}
