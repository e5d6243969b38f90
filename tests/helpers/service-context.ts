/**
 * A ServiceContext for unit tests of one service: a temporary user-data
 * folder, a real media server, empty path grants, recorded events, and an engine worker that
 * answers with whatever the test gives it (no engine process is started).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { appPaths } from '../../src/main/services/app-state';
import type { ServiceContext } from '../../src/main/services/context';
import type { EngineClient } from '../../src/main/host/client';
import { MediaServer } from '../../src/main/services/media';
import { PathGrants } from '../../src/main/services/grants';

export interface FakeWorker {
  calls: { method: string; params: unknown }[];
  /** Answers a request; `emit` sends the request's events. */
  answer: (method: string, params: unknown, emit: (e: unknown) => void) => unknown | Promise<unknown>;
}

export async function serviceContext(fake: Partial<FakeWorker> = {}): Promise<{ ctx: ServiceContext; root: string; events: { channel: string; payload: unknown }[]; worker: FakeWorker }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dlab-svc-'));
  const paths = appPaths(path.join(root, 'user'));
  for (const dir of [paths.runs, paths.models, paths.denoised]) await fs.mkdir(dir, { recursive: true });
  const events: { channel: string; payload: unknown }[] = [];
  const worker: FakeWorker = { calls: [], answer: fake.answer ?? (() => null) };
  let nextId = 1;
  const client = {
    request: async (method: string, params: unknown, onEvent?: (e: unknown) => void, started?: (id: number) => void) => {
      worker.calls.push({ method, params });
      started?.(nextId++);
      return worker.answer(method, params, (e) => onEvent?.(e));
    },
    cancel: async (id: number) => {
      worker.calls.push({ method: 'cancel', params: { id } });
      await worker.answer('cancel', { id }, () => undefined);
    },
  } as unknown as EngineClient;
  const bundled = path.join(root, 'bundled');
  await fs.mkdir(bundled, { recursive: true });
  const ctx: ServiceContext = {
    paths, media: new MediaServer('media://x'), grants: new PathGrants(), spawnHost: () => { throw new Error('no engine process in unit tests'); },
    worker: () => client, dialogs: { pickFolder: async () => null, pickImages: async () => [], pickFile: async () => null, saveFile: async () => null },
    emit: (channel, payload) => events.push({ channel, payload }), notify: () => undefined, reveal: () => undefined, keepAwake: () => undefined, bundledModels: bundled,
  };
  return { ctx, root, events, worker };
}

/** Writes a model folder with a manifest (what listing and resolving read), a model.json and the weights file it names. */
export async function fakeModel(dir: string, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'denoiser.json'), JSON.stringify({
    format: 'denoise-lab/denoiser', formatVersion: 1, name, arch: { name: 'ffdnet', options: { channels: 3 } }, channels: 3, noiseMap: true,
    sizeMultiple: 2, noise: 'gaussian:25', params: 10, trainableParams: 10, flopsPerPixel: 10, created: '', updated: '2026-01-01T00:00:00Z',
    engine: { version: '', tfjs: '', backend: '' }, ...extra,
  }));
  await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', weightsManifest: [{ paths: ['weights-00ab.bin'], weights: [] }] }));
  await fs.writeFile(path.join(dir, 'weights-00ab.bin'), Buffer.from([1, 2, 3, 4]));
  return dir;
}
