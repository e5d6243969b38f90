/**
 * A fuzz test of every IPC request channel, through the same entry point as Electron's IPC
 * adapter (services.handle: contract validation, then the services), with generated payloads
 * (fast-check): hostile paths, ids and values in every field of every channel. After each
 * sequence of calls, no path outside what the user handed over (a drop, a dialog) or the app's
 * own folders has been accepted: not by the media server, not in a request to the engine, not in
 * the datasets list, and nothing was written outside them.
 */
import fc from 'fast-check';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REQUEST_CHANNELS, requestSchemas, type RequestChannel } from '../../../src/shared/contract';
import { createServices, type Services } from '../../../src/main/services';
import type { HostMessage, HostRequest } from '../../../src/main/host/protocol';
import type { HostProcess } from '../../../src/main/host/client';
import { fakeFashionMnistFiles, manifestOf, serveFiles } from '../../helpers/fake-fashion-mnist';
import { fakeModel } from '../../helpers/service-context';

let root: string;
let services: Services;
const hostRequests: HostRequest[] = [];
let allowedRoots: string[];
let secret: string;
let secretFile: string;
let dropped: string;
let mirror: Awaited<ReturnType<typeof serveFiles>>;

/** An engine host that answers at once, recording every request (nothing is computed). */
function fakeHost(): HostProcess {
  let listener: (m: HostMessage) => void = () => undefined;
  return {
    send(req) {
      hostRequests.push(req);
      const p = req.params as Record<string, unknown>;
      const answers: Record<string, () => unknown> = {
        info: () => ({ backend: 'fake', cpus: 1, architectures: [] }),
        memory: () => ({ rssMb: 0 }),
        denoise: () => (p.inputs as string[]).map((input, i) => ({ input, ok: true, output: path.join(p.outDir as string, `${i}.png`), width: 2, height: 2, channels: 3, seconds: 0, modelDir: p.modelDir })),
        preview: () => ({ before: '', after: '', modelDir: p.modelDir }),
        export: () => (p.items as { original: string }[]).map((it) => ({ ok: true, output: path.join(p.dir as string, path.basename(it.original)) })),
        inspect: () => ({ clean: '', noisy: '', psnr: 0 }),
        cancel: () => null,
      };
      const answer = answers[req.method];
      setImmediate(() => listener(answer ? { id: req.id, result: answer() } : { id: req.id, error: { message: 'not in this fake', user: true } }));
    },
    onMessage: (cb) => void (listener = cb),
    onExit: () => undefined,
    kill: () => undefined,
  };
}

async function listing(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, { recursive: true })).map(String).sort();
}

beforeAll(async () => {
  root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'ipc-fuzz-')));
  const userData = path.join(root, 'user');
  const bundled = path.join(root, 'bundled');
  await fakeModel(path.join(bundled, 'default'), 'default', { blind: true });
  await fakeModel(path.join(bundled, 'default-grey'), 'default-grey', { channels: 1 });
  dropped = path.join(root, 'dropped');
  await fs.mkdir(dropped);
  for (const f of ['a.jpg', 'b.png']) await fs.writeFile(path.join(dropped, f), 'x');
  const picked = path.join(root, 'picked');
  await fs.mkdir(picked);
  secret = path.join(root, 'private');
  await fs.mkdir(path.join(secret, 'album'), { recursive: true });
  secretFile = path.join(secret, 'album', 'me.jpg');
  await fs.writeFile(secretFile, 'x');
  const fmnist = fakeFashionMnistFiles(10, 10);
  mirror = await serveFiles(fmnist);
  services = await createServices({
    userData, bundledModels: bundled, mediaBase: 'http://127.0.0.1:1/media', spawnHost: () => fakeHost(),
    // The user picks `picked` in every dialog; Fashion-MNIST comes from a mirror on 127.0.0.1.
    dialogs: { pickFolder: async () => picked, pickImages: async () => [path.join(dropped, 'a.jpg')], pickFile: async () => path.join(picked, 'a.denoiser'), saveFile: async (_t, name) => path.join(picked, name) },
    emit: () => undefined,
    fashionMnistMirror: { baseUrl: mirror.url, files: manifestOf(fmnist) },
  });
  services.grants.grant(dropped); // what the preload reports for a real drop
  await services.handle('datasets:downloadFashionMnist', undefined);
  allowedRoots = [userData, bundled, dropped, picked];
});
afterAll(async () => {
  await services.shutdown();
  await mirror.close();
  await fs.rm(root, { recursive: true, force: true });
});

/** Paths an attacker would try: system files, the private folder by every spelling, traversal, links' targets, junk. */
const hostilePath = () => fc.oneof(
  fc.constantFrom('/etc', '/etc/passwd', '/usr', '/', '/proc/self/environ', '..', '.', '~', 'C:\\Windows\\System32', '\\\\server\\share'),
  fc.constantFrom('private', 'private/album/me.jpg', 'dropped/../private', 'dropped/../private/album', 'private/', 'user/../private', 'picked/../private')
    .map((rel) => path.join(root, rel)),
  fc.string({ maxLength: 40 }).map((s) => path.join(root, 'private', s)),
  fc.string({ maxLength: 40 }),
);
/** LIVE0 and LIVE1 stand for the ids of the photos each run queues first (see `live`). */
const hostileId = () => fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('LIVE0', 'LIVE1', 'bundled:default', 'fashion-mnist') },
  { weight: 2, arbitrary: fc.constantFrom('item-99', 'bundled:..', 'user:..', 'run:..', 'folder-x', '__proto__', 'constructor', '..') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

/** `value` with LIVE0/LIVE1 replaced by real queue ids. */
function live(value: unknown, ids: string[]): unknown {
  if (value === 'LIVE0' || value === 'LIVE1') return ids[Number(value.slice(4))];
  if (value === 'DROPPED') return dropped;
  if (Array.isArray(value)) return value.map((v) => live(v, ids));
  if (value && typeof value === 'object') { // fast-check's records may have a null prototype
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, live(v, ids)]));
  }
  return value;
}
const value = () => fc.oneof(
  hostilePath(), hostileId(), fc.array(hostilePath(), { maxLength: 4 }), fc.array(hostileId(), { maxLength: 4 }),
  fc.integer(), fc.double(), fc.boolean(), fc.constant(undefined), fc.constant(null), fc.constantFrom('png', 'jpeg', 'gaussian:25', 'ffdnet', 'mse', 'cosine'),
);

/** Values for a field, hostile ones of the field's own kind most of the time (so calls get past validation). */
const FIELD: Record<string, () => fc.Arbitrary<unknown>> = {
  paths: () => fc.array(hostilePath(), { minLength: 1, maxLength: 4 }),
  path: hostilePath,
  dir: hostilePath,
  ids: () => fc.array(hostileId(), { minLength: 1, maxLength: 2 }),
  id: () => fc.oneof({ weight: 3, arbitrary: fc.constantFrom('fashion-mnist', 'LIVE0', 'bundled:default') }, { weight: 1, arbitrary: hostileId() }),
  modelId: () => fc.constantFrom(undefined, 'bundled:default', 'bundled:..', 'user:..', '__proto__'),
  format: () => fc.constantFrom('png', 'jpeg', 'webp', 'tiff'),
  index: () => fc.integer({ min: -1, max: 30 }),
  noise: () => fc.constantFrom('gaussian:25', 'camera', 'bogus:1'),
  seed: () => fc.nat(),
  quality: () => fc.integer({ min: -5, max: 120 }),
  suffix: () => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(undefined, '-denoised') }, { weight: 1, arbitrary: fc.constantFrom('/../../private/x', '..\\..\\x', 'a/b') }),
};
/** A field's own kind of value most of the time; otherwise absent or anything. */
const field = (key: string) => fc.oneof(
  { weight: 5, arbitrary: FIELD[key] ? FIELD[key]() : fc.constant(undefined) },
  { weight: 1, arbitrary: value() },
);

/** A valid payload per channel (LIVE0 is a queued photo), for mutations that get past validation. */
const VALID: Partial<Record<RequestChannel, Record<string, unknown>>> = {
  'datasets:addFolder': { path: 'DROPPED' },
  'datasets:remove': { id: 'folder-x' },
  'datasets:page': { id: 'fashion-mnist', offset: 0, limit: 10 },
  'datasets:inspect': { id: 'fashion-mnist', index: 0, noise: 'gaussian:25', seed: 0 },
  'train:stop': { runId: 'run-x' },
  'train:resume': { runId: 'run-x' },
  'denoise:add': { paths: ['DROPPED'] },
  'denoise:remove': { ids: ['LIVE1'] },
  'denoise:run': { ids: ['LIVE0'] },
  'denoise:preview': { id: 'LIVE0' },
  'denoise:export': { ids: ['LIVE0'], format: 'png' },
  'models:export': { id: 'bundled:default' },
  'models:setDefault': { id: 'bundled:default' },
};

/**
 * A payload for `channel`: mostly a valid one with one field made hostile (so calls reach the
 * services), else its schema's own keys with hostile values, or anything at all.
 */
function payload(channel: RequestChannel): fc.Arbitrary<unknown> {
  const schema = requestSchemas[channel] as z.ZodTypeAny;
  const shape = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const keyed = shape.length ? fc.record(Object.fromEntries(shape.map((k) => [k, field(k)])), { requiredKeys: [] }) : fc.constant(undefined);
  const valid = VALID[channel];
  const mutated = valid && shape.length
    ? fc.constantFrom(...shape).chain((key) => field(key).map((v) => ({ ...valid, [key]: v })))
    : keyed;
  return fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 2, arbitrary: keyed }, { weight: 1, arbitrary: fc.anything() });
}

const call = fc.constantFrom(...REQUEST_CHANNELS).chain((channel) => payload(channel).map((p) => ({ channel, p })));

function inside(p: string): boolean {
  const resolved = path.resolve(p);
  return allowedRoots.some((r) => resolved === r || resolved.startsWith(r + path.sep));
}

/** Every absolute path in a host request's params. */
function pathsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string' && path.isAbsolute(value)) out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => pathsIn(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => pathsIn(v, out));
  return out;
}

describe('IPC fuzz', () => {
  it('accepts no path outside what the user handed over, on any channel, whatever the payload', async () => {
    const before = await listing(secret);
    await fc.assert(fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 8 }), async (calls) => {
      // Each run first queues and denoises the dropped folder, as a user would, so ids in payloads name real photos.
      const ids = (await services.handle('denoise:add', { paths: [dropped] })).map((i) => i.id);
      await services.handle('denoise:run', { ids });
      for (const { channel, p } of calls) await services.handle(channel, live(p, ids)).catch(() => undefined);
      expect(await services.media.isAllowed(secretFile)).toBe(false);
      expect(await services.media.isAllowed('/etc/passwd')).toBe(false);
      const stray = hostRequests.flatMap((r) => pathsIn(r.params)).filter((p) => !inside(p));
      expect(stray).toEqual([]);
      const folders = (await services.handle('datasets:list', undefined)).flatMap((d) => (d.path ? [d.path] : []));
      expect(folders.filter((f) => !inside(f))).toEqual([]);
    }), { numRuns: 200, seed: 20261129 }); // a fixed seed: the same payloads on every machine
    expect(await listing(secret)).toEqual(before);
    // The fuzz got past validation to the engine (so the checks above saw real requests).
    const methods = new Set(hostRequests.map((r) => r.method));
    for (const m of ['preview', 'export', 'inspect']) expect(methods).toContain(m);
  }, 120_000);
});
