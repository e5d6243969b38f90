/**
 * The Denoise view's queue: dropped or opened photos, denoised in batches by
 * the engine worker into lossless files in the app's own folder, live previews
 * for the strength slider, and export (one encode per photo, in the engine
 * host) to a chosen folder and format that never overwrites.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../engine/errors';
import { ensureFolder } from '../engine/atomic-fs';
import { CANCELLED } from '../engine/inference/outputs';
import { IMAGE_EXTENSIONS, isImageName } from '../../shared/vocabulary';
import type { OutputFormat } from '../../shared/vocabulary';
import type { DenoiseSettings, ExportResult, QueueItem, RequestResults } from '../../shared/contract';
import type { ServiceContext } from './context';
import { readJson, updateJson } from './app-state';
import type { ModelService, ResolvedModel } from './models';

/** The model the engine host says it used: the chosen one or its grey companion. */
function modelUsed(model: ResolvedModel, dir: string): { id: string; name: string } {
  return model.grey && dir === model.grey.dir ? model.grey : model;
}

export class DenoiseQueue {
  private items = new Map<string, QueueItem>();
  private counter = 0;
  private batches = 0;

  constructor(private readonly ctx: ServiceContext, private readonly models: ModelService) {}

  private update(item: QueueItem): QueueItem {
    this.items.set(item.id, item);
    this.ctx.emit('denoise:item', item);
    return item;
  }

  private get(id: string): QueueItem {
    const item = this.items.get(id);
    if (!item) throw new UserError(`no queued image with id "${id}"`);
    return item;
  }

  /** Adds dropped photos (the user must have dropped each path); see enqueue. */
  async add(paths: string[]): Promise<QueueItem[]> {
    return this.enqueue(paths.map((d) => this.ctx.grants.require(d)));
  }

  async openDialog(): Promise<QueueItem[]> {
    const files = await this.ctx.dialogs.pickImages();
    return files.length ? this.enqueue(files) : [];
  }

  /**
   * Queues image files, and the images inside folders (recursively). What is
   * not an image is skipped and named in one notice, so one stray file does
   * not cost the rest of a drop; a photo already queued is not queued twice
   * (its existing entry is returned).
   */
  private async enqueue(paths: string[]): Promise<QueueItem[]> {
    const files: string[] = [];
    const skipped: string[] = [];
    for (const p of paths) {
      const stat = await fs.stat(p).catch(() => null);
      if (stat?.isDirectory()) {
        const { scanImageFolder } = await import('../engine/data/image-folder');
        files.push(...(await scanImageFolder(p)).map((f) => f.path));
      } else if (stat?.isFile() && isImageName(p)) files.push(p);
      else skipped.push(`${path.basename(p)} (${stat ? 'not an image' : 'not found'})`);
    }
    if (skipped.length) {
      const names = skipped.slice(0, 3).join(', ') + (skipped.length > 3 ? ` and ${skipped.length - 3} more` : '');
      this.ctx.emit('app:notice', { level: 'warn', message: `Skipped ${skipped.length} file(s): ${names}. Photos can be ${IMAGE_EXTENSIONS.join(', ')}.` });
    }
    if (files.length === 0 && skipped.length) throw new UserError('none of the dropped files is a photo');
    const queued = new Map([...this.items.values()].map((item) => [path.resolve(item.path), item]));
    return [...new Set(files.map((f) => path.resolve(f)))].map((file) => {
      const existing = queued.get(file);
      if (existing) return existing;
      this.ctx.media.allow(file);
      const id = `item-${++this.counter}`;
      return this.update({ id, path: file, name: path.basename(file), state: 'queued', fraction: 0, inputUrl: this.ctx.media.fileUrl(file), thumbUrl: this.ctx.media.thumbnailUrl(file) });
    });
  }

  remove(ids: string[]): void {
    for (const id of ids) this.items.delete(id);
  }

  /** The batches running in the engine worker (their request ids), which cancel stops. */
  private running = new Set<number>();

  /** Stops the running batches before their next photo; photos not reached go back to queued. */
  async cancel(): Promise<void> {
    await Promise.all([...this.running].map((id) => this.ctx.worker().cancel(id)));
  }

  /** Denoises the photos as one batch in the engine host (its pipeline decodes ahead and writes behind). */
  async run(ids: string[], { modelId, ...settings }: DenoiseSettings): Promise<QueueItem[]> {
    const model = await this.models.resolve(modelId);
    const items = ids.map((id) => this.get(id));
    for (const item of items) this.update({ ...item, state: 'working', fraction: 0, error: undefined });
    const outDir = path.join(this.ctx.paths.denoised, `batch-${Date.now()}-${++this.batches}`);
    try {
      await fs.rm(outDir, { recursive: true, force: true });
      let requestId = 0;
      const results = await this.ctx.worker().request(
        'denoise', { modelDir: model.dir, greyModelDir: model.grey?.dir, inputs: items.map((i) => i.path), outDir, ...settings },
        (e) => this.update({ ...this.get(items[e.index].id), fraction: e.fraction }),
        (id) => this.running.add((requestId = id)),
      ).finally(() => this.running.delete(requestId));
      this.ctx.media.allow(outDir);
      return await Promise.all(results.map(async (r, k) => {
        const item = this.get(items[k].id);
        if (!r.ok && r.error === CANCELLED) return this.update({ ...item, state: 'queued', fraction: 0 });
        if (!r.ok) return this.update({ ...item, state: 'error', error: r.error });
        // The photo's earlier result, if any, is replaced.
        if (item.output) await fs.rm(item.output, { force: true });
        const used = modelUsed(model, r.modelDir);
        await this.models.recordTiming(used.id, (r.width * r.height) / 1e6, r.seconds / r.passes);
        return this.update({ ...item, state: 'done', fraction: 1, output: r.output, model: used.name, noise: r.noise, passes: r.passes, note: r.note, outputUrl: this.ctx.media.fileUrl(r.output) });
      }));
    } catch (err) {
      return items.map((item) => this.update({ ...this.get(item.id), state: 'error', error: (err as Error).message }));
    }
  }

  async preview(id: string, { modelId, ...settings }: DenoiseSettings): Promise<RequestResults['denoise:preview']> {
    const item = this.get(id);
    const model = await this.models.resolve(modelId);
    const { modelDir, ...r } = await this.ctx.worker().request('preview', {
      modelDir: model.dir, greyModelDir: model.grey?.dir, input: item.path, ...settings, maxSide: 1200,
    });
    return { ...r, model: modelUsed(model, modelDir).name };
  }

  /** The files the last export wrote (what Show in folder shows). */
  private lastExport: string[] = [];

  /**
   * Writes the denoised results, to a folder the user picks, in `format` (at
   * `quality` for JPEG and WebP, names given `suffix`), keeping the originals'
   * metadata.
   */
  async export(ids: string[], format: OutputFormat, options: { quality?: number; suffix?: string } = {}): Promise<ExportResult | null> {
    const settings = await readJson<{ exportFolder?: string }>(this.ctx.paths.settings, {});
    const target = await this.ctx.dialogs.pickFolder('Export denoised photos to…', settings.exportFolder);
    if (!target) return null;
    await ensureFolder(target);
    // The next export's dialog opens here.
    await updateJson<Record<string, unknown>>(this.ctx.paths.settings, (s) => ({ ...s, exportFolder: target }));
    const result: ExportResult = { written: [], errors: [] };
    const ready = ids.map((id) => ({ id, item: this.items.get(id) })).filter(({ id, item }) => {
      if (!item?.output) result.errors.push({ id, error: 'not denoised yet' });
      return Boolean(item?.output);
    });
    if (ready.length === 0) return result;
    const written = await this.ctx.worker().request('export', {
      items: ready.map(({ item }) => ({ output: item!.output!, original: item!.path })), dir: target, format, ...options,
      protect: [...this.items.values()].map((i) => i.path),
    });
    written.forEach((w, k) => (w.ok ? result.written.push(w.output) : result.errors.push({ id: ready[k].id, error: w.error })));
    this.lastExport = result.written;
    return result;
  }

  /** Shows the last export's files in the system's file manager. */
  reveal(): void {
    if (this.lastExport.length === 0) throw new UserError('nothing has been exported yet');
    this.ctx.reveal(this.lastExport[0]);
  }
}
