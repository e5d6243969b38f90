/**
 * Downloads files into a cache folder: streamed with progress, checked for size
 * and MD5, retried with back-off, and renamed into place only when complete, so
 * a partial file is never mistaken for a finished one.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../errors';

export interface RemoteFile {
  name: string;
  size: number;
  md5: string;
}

export interface DownloadProgress {
  file: string;
  received: number;
  total: number;
  /** 'cached' when a verified copy was already present. */
  state: 'downloading' | 'done' | 'cached' | 'retrying';
  attempt: number;
}

export interface DownloadOptions {
  baseUrl: string;
  cacheDir: string;
  files: RemoteFile[];
  retries?: number;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Base delay between attempts, doubled each time. */
  backoffMs?: number;
}

async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

async function isVerified(file: string, spec: RemoteFile): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    return stat.size === spec.size && (await md5File(file)) === spec.md5;
  } catch {
    return false;
  }
}

async function fetchOnce(url: string, dest: string, spec: RemoteFile, attempt: number, opts: DownloadOptions): Promise<void> {
  const partial = `${dest}.partial-${process.pid}`;
  try {
    const res = await fetch(url, { signal: opts.signal });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    const total = Number(res.headers.get('content-length')) || spec.size;
    let received = 0;
    const hash = createHash('md5');
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      hash.update(chunk);
      opts.onProgress?.({ file: spec.name, received, total, state: 'downloading', attempt });
    });
    await pipeline(body, createWriteStream(partial));
    if (received !== spec.size) throw new Error(`expected ${spec.size} bytes, received ${received}`);
    const digest = hash.digest('hex');
    if (digest !== spec.md5) throw new Error(`checksum mismatch: expected MD5 ${spec.md5}, got ${digest}`);
    await fs.rename(partial, dest);
    opts.onProgress?.({ file: spec.name, received, total, state: 'done', attempt });
  } finally {
    await fs.rm(partial, { force: true });
  }
}

/** Ensures every file is present and verified in the cache; returns their paths. */
export async function downloadAll(opts: DownloadOptions): Promise<string[]> {
  await fs.mkdir(opts.cacheDir, { recursive: true });
  const retries = opts.retries ?? 3;
  const paths: string[] = [];
  for (const spec of opts.files) {
    const dest = path.join(opts.cacheDir, spec.name);
    if (await isVerified(dest, spec)) {
      opts.onProgress?.({ file: spec.name, received: spec.size, total: spec.size, state: 'cached', attempt: 0 });
      paths.push(dest);
      continue;
    }
    const url = new URL(spec.name, opts.baseUrl.endsWith('/') ? opts.baseUrl : opts.baseUrl + '/').toString();
    for (let attempt = 1; ; attempt++) {
      try {
        await fetchOnce(url, dest, spec, attempt, opts);
        break;
      } catch (err) {
        if (opts.signal?.aborted) throw new UserError(`download of ${spec.name} was cancelled`);
        const reason = err instanceof Error ? err.message : String(err);
        if (attempt > retries) throw new UserError(`could not download ${url} after ${attempt} attempts: ${reason}`);
        opts.onProgress?.({ file: spec.name, received: 0, total: spec.size, state: 'retrying', attempt });
        await new Promise((r) => setTimeout(r, (opts.backoffMs ?? 500) * 2 ** (attempt - 1)));
      }
    }
    paths.push(dest);
  }
  return paths;
}
