/**
 * Runs the built renderer in real Chromium against the real main-side
 * services: the renderer is served from 127.0.0.1, and window.denoiseLab is
 * bound with page.exposeFunction to the same handlers Electron's IPC adapter
 * calls (payloads validated against the contract, engine in forked host
 * processes, real files). Only Electron's own pieces are stood in for: file
 * dialogs return preset paths, and dropped files map to paths by name (what
 * Electron's webUtils.getPathForFile does), which are granted as the preload
 * reports them.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServices, type Services, type ServicesOptions } from '../../src/main/services';
import { nodeHostSpawner } from '../../src/main/host/node-spawner';
import { ROOT } from './cli';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml' };

export interface Harness {
  page: Page;
  services: Services;
  /** What the dialogs answer: a folder, photos, or a file (to open or to save as); `starts`: where each folder dialog opened. */
  dialogs: { folder: string | null; images: string[]; file: string | null; starts: (string | undefined)[] };
  /** Files the app asked the system to show in a file manager. */
  revealed: string[];
  dropFile(file: string): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(opts: Pick<ServicesOptions, 'userData' | 'bundledModels' | 'fashionMnistMirror'>): Promise<Harness> {
  const rendererDir = path.join(ROOT, 'out', 'renderer');
  await fs.access(path.join(rendererDir, 'index.html')).catch(() => {
    throw new Error('the renderer is not built: run `npm run build` first (npm test does)');
  });
  let page: Page | null = null;
  const queued: [string, unknown][] = [];
  const dialogs = { folder: null as string | null, images: [] as string[], file: null as string | null, starts: [] as (string | undefined)[] };
  const revealed: string[] = [];
  let port = 0;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/media/')) {
      const r = await services.media.handle(url.pathname.slice('/media'.length));
      res.writeHead(r.status, { 'content-type': r.type }).end(r.body);
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = path.join(rendererDir, rel);
    if (!file.startsWith(rendererDir)) return void res.writeHead(403).end();
    const body = await fs.readFile(file).catch(() => null);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;

  const services = await createServices({
    ...opts,
    mediaBase: `http://127.0.0.1:${port}/media`,
    spawnHost: nodeHostSpawner(path.join(ROOT, 'src/main/host/entry.ts')),
    dialogs: { pickFolder: async (_title, start) => (dialogs.starts.push(start), dialogs.folder), pickImages: async () => dialogs.images, pickFile: async () => dialogs.file, saveFile: async () => dialogs.file },
    reveal: (file) => revealed.push(file),
    emit: (channel, payload) => {
      if (page) void page.evaluate(([c, p]) => (window as unknown as { __dlabEmit(c: string, p: unknown): void }).__dlabEmit(c, p), [channel, payload] as [string, unknown]).catch(() => undefined);
      else queued.push([channel, payload]);
    },
  });

  const browser: Browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--no-first-run'],
  });
  const p = await browser.newPage({ viewport: { width: 1360, height: 880 } });
  p.on('pageerror', (err) => console.error('renderer error:', err.message));
  await p.exposeFunction('__dlabInvoke', async (channel: string, payload: unknown) => {
    try {
      return { ok: true, value: await services.handle(channel as never, payload) };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  });
  await p.addInitScript(() => {
    const listeners = new Map<string, Set<(p: unknown) => void>>();
    const w = window as unknown as Record<string, unknown>;
    w.__dlabPaths = {} as Record<string, string>;
    w.__dlabEmit = (c: string, payload: unknown) => listeners.get(c)?.forEach((l) => l(payload));
    w.denoiseLab = {
      invoke: async (channel: string, payload: unknown) => {
        const r = await (w.__dlabInvoke as (c: string, p: unknown) => Promise<{ ok: boolean; value?: unknown; error?: string }>)(channel, payload);
        if (!r.ok) throw new Error(r.error);
        return r.value;
      },
      on: (channel: string, listener: (p: unknown) => void) => {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(listener);
        return () => listeners.get(channel)!.delete(listener);
      },
      pathForFile: (file: File) => (w.__dlabPaths as Record<string, string>)[file.name] ?? '',
    };
  });
  await p.goto(`http://127.0.0.1:${port}/`);
  page = p;
  for (const [c, payload] of queued.splice(0)) await p.evaluate(([ch, pl]) => (window as unknown as { __dlabEmit(c: string, p: unknown): void }).__dlabEmit(ch, pl), [c, payload] as [string, unknown]);

  return {
    page: p, services, dialogs, revealed,
    async dropFile(file: string) {
      services.grants.grant(file); // what the preload's pathForFile reports for a real drop
      const bytes = [...(await fs.readFile(file))];
      await p.evaluate(({ name, full, data }) => {
        (window as unknown as { __dlabPaths: Record<string, string> }).__dlabPaths[name] = full;
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(data)], name));
        document.querySelector('.shell')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, { name: path.basename(file), full: file, data: bytes });
    },
    async close() {
      await browser.close();
      await services.shutdown();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
