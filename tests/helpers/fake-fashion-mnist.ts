/**
 * A tiny Fashion-MNIST look-alike for tests: generated 28x28 images (bright
 * shapes on black, one shape per class) as gzipped IDX files, served over HTTP
 * on 127.0.0.1 with switches for failures.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../../src/main/engine/data/idx';
import type { RemoteFile } from '../../src/main/engine/data/download';
import { Rng } from '../../src/main/engine/data/rng';

function shapes(count: number, seed: number): { pixels: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = rng.int(10);
    labels[i] = label;
    const cx = 9 + rng.int(10);
    const cy = 9 + rng.int(10);
    const r = 4 + (label % 5);
    const level = 150 + rng.int(100);
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
      const inside = label < 5 ? (x - cx) ** 2 + (y - cy) ** 2 <= r * r : Math.abs(x - cx) <= r && Math.abs(y - cy) <= r / 2 + 1;
      pixels[i * 784 + y * 28 + x] = inside ? level : 0;
    }
  }
  return { pixels, labels };
}

export function fakeFashionMnistFiles(train = 400, test = 100): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const [prefix, count, seed] of [['train', train, 1], ['t10k', test, 2]] as const) {
    const { pixels, labels } = shapes(count, seed);
    files.set(`${prefix}-images-idx3-ubyte.gz`, gzipSync(encodeIdx([count, 28, 28], pixels)));
    files.set(`${prefix}-labels-idx1-ubyte.gz`, gzipSync(encodeIdx([count], labels)));
  }
  return files;
}

export function manifestOf(files: Map<string, Buffer>): RemoteFile[] {
  return [...files].map(([name, body]) => ({ name, size: body.length, md5: createHash('md5').update(body).digest('hex') }));
}

export interface FakeServer {
  url: string;
  requests: string[];
  /** Requests to fail with HTTP 500 before serving normally. */
  failNext: number;
  /** Requests whose body is cut short (the connection drops mid-file). */
  truncateNext: number;
  /** Serve flipped bytes (a checksum mismatch). */
  corrupt: boolean;
  close(): Promise<void>;
}

export async function serveFiles(files: Map<string, Buffer>): Promise<FakeServer> {
  const state = { requests: [] as string[], failNext: 0, truncateNext: 0, corrupt: false };
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    state.requests.push(name);
    const body = files.get(name);
    if (!body) return void res.writeHead(404).end();
    if (state.failNext > 0) {
      state.failNext--;
      return void res.writeHead(500).end('try later');
    }
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    if (state.truncateNext > 0) {
      state.truncateNext--;
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      return void res.destroy();
    }
    const out = state.corrupt ? Buffer.from(body.map((b) => b ^ 0xff)) : body;
    res.end(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
