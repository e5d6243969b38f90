/** The Fashion-MNIST downloader and IDX parser, against a local HTTP server. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadFashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_FILES, loadFashionMnist } from '../../../../src/main/engine/data/fashion-mnist';
import type { DownloadProgress } from '../../../../src/main/engine/data/download';
import { encodeIdx, parseIdx } from '../../../../src/main/engine/data/idx';
import { fakeFashionMnistFiles, manifestOf, serveFiles, type FakeServer } from '../../../helpers/fake-fashion-mnist';

const files = fakeFashionMnistFiles(200, 50);
let server: FakeServer;
let tmp: string;

beforeAll(async () => {
  server = await serveFiles(files);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'fmnist-'));
});
afterAll(async () => {
  await server.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('IDX', () => {
  it('round-trips and validates headers', () => {
    const data = Uint8Array.from({ length: 24 }, (_, i) => i);
    const idx = parseIdx(encodeIdx([2, 3, 4], data));
    expect(idx.shape).toEqual([2, 3, 4]);
    expect(Array.from(idx.data)).toEqual(Array.from(data));
    expect(() => parseIdx(new Uint8Array([1, 2, 3, 4]), 'x.idx')).toThrow(/bad magic/);
    expect(() => parseIdx(encodeIdx([5], new Uint8Array(5)).subarray(0, 10), 'y.idx')).toThrow(/payload has 2 bytes, header says 5/);
  });
  it('lists the canonical files and ten classes', () => {
    expect(FASHION_MNIST_FILES.map((f) => f.name)).toContain('train-images-idx3-ubyte.gz');
    expect(FASHION_MNIST_CLASSES).toHaveLength(10);
    expect(FASHION_MNIST_CLASSES[9]).toBe('Ankle boot');
  });
});

describe('downloadFashionMnist', () => {
  const opts = (cacheDir: string, events: DownloadProgress[] = []) => ({
    cacheDir, baseUrl: server.url, files: manifestOf(files), backoffMs: 1, onProgress: (p: DownloadProgress) => events.push(p),
  });

  it('downloads with progress, verifies, then serves from the cache', async () => {
    const dir = path.join(tmp, 'a');
    const events: DownloadProgress[] = [];
    await downloadFashionMnist(opts(dir, events));
    expect(events.filter((e) => e.state === 'done')).toHaveLength(4);
    expect(events.some((e) => e.state === 'downloading' && e.received > 0)).toBe(true);
    const ds = await loadFashionMnist(dir);
    expect(ds.train.count).toBe(200);
    expect(ds.test.count).toBe(50);
    expect(ds.train.width).toBe(28);
    const before = server.requests.length;
    const again: DownloadProgress[] = [];
    await downloadFashionMnist(opts(dir, again));
    expect(server.requests.length).toBe(before);
    expect(again.every((e) => e.state === 'cached')).toBe(true);
  });

  it('retries after server errors and dropped connections, leaving no partial files', async () => {
    const dir = path.join(tmp, 'b');
    server.failNext = 2;
    server.truncateNext = 1;
    const events: DownloadProgress[] = [];
    await downloadFashionMnist({ ...opts(dir, events), retries: 4 });
    expect(events.filter((e) => e.state === 'retrying').length).toBe(3);
    const names = await fs.readdir(dir);
    expect(names.sort()).toEqual([...files.keys()].sort());
  });

  it('rejects a checksum mismatch and never leaves the bad file as complete', async () => {
    const dir = path.join(tmp, 'c');
    server.corrupt = true;
    try {
      await expect(downloadFashionMnist({ ...opts(dir), retries: 1 })).rejects.toThrow(/checksum mismatch/);
    } finally {
      server.corrupt = false;
    }
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('explains a missing download', async () => {
    await expect(loadFashionMnist(path.join(tmp, 'nothing'))).rejects.toThrow(/not downloaded/);
  });
});
