/**
 * The Denoise view's queue: dropped or opened photos, denoised one by one in
 * the engine worker into the app's own folder, live previews for the strength
 * slider, and export to a chosen folder and format that never overwrites.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { outputPath } from '../engine/denoise-files';
import { UserError } from '../engine/errors';
import { IMAGE_EXTENSIONS, readImage, writeImage, type OutputFormat } from '../engine/image-io';
import type { DenoiseSettings, ExportResult, QueueItem, RequestResults } from '../../shared/contract';
import type { ServiceContext } from './context';
import type { ModelService, ResolvedModel } from './models';

/** The name of the model the engine host says it used: the chosen one or its grey companion. */
function nameUsed(model: ResolvedModel, dir: string): string {
  return model.grey && dir === model.grey.dir ? model.grey.name : model.name;
}

export class DenoiseQueue {
  private items = new Map<string, QueueItem>();
  private counter = 0;

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

  /** Adds image files (folders are expanded one level deep into their images). */
  async add(paths: string[]): Promise<QueueItem[]> {
    const files: string[] = [];
    for (const p of paths) {
      const stat = await fs.stat(p).catch(() => null);
      if (!stat) throw new UserError('file not found', p);
      if (stat.isDirectory()) {
        const { scanImageFolder } = await import('../engine/data/image-folder');
        files.push(...(await scanImageFolder(p)).map((f) => f.path));
      } else if (IMAGE_EXTENSIONS.includes(path.extname(p).toLowerCase())) files.push(p);
      else throw new UserError(`not an image file (expected ${IMAGE_EXTENSIONS.join(', ')})`, p);
    }
    return files.map((file) => {
      this.ctx.media.allow(file);
      const id = `item-${++this.counter}`;
      return this.update({ id, path: file, name: path.basename(file), state: 'queued', fraction: 0, inputUrl: this.ctx.media.fileUrl(file) });
    });
  }

  async openDialog(): Promise<QueueItem[]> {
    const files = await this.ctx.dialogs.pickImages();
    return files.length ? this.add(files) : [];
  }

  remove(ids: string[]): void {
    for (const id of ids) this.items.delete(id);
  }

  async run(ids: string[], { modelId, ...settings }: DenoiseSettings): Promise<QueueItem[]> {
    const model = await this.models.resolve(modelId);
    const done: QueueItem[] = [];
    for (const id of ids) {
      const item = this.get(id);
      this.update({ ...item, state: 'working', fraction: 0, error: undefined });
      const outDir = path.join(this.ctx.paths.denoised, id);
      try {
        await fs.rm(outDir, { recursive: true, force: true });
        const r = await this.ctx.worker().request(
          'denoise', { modelDir: model.dir, greyModelDir: model.grey?.dir, input: item.path, outDir, ...settings },
          (e) => this.update({ ...this.get(id), fraction: e.fraction }),
        );
        this.ctx.media.allow(outDir);
        done.push(this.update({ ...this.get(id), state: 'done', fraction: 1, output: r.output, model: nameUsed(model, r.modelDir), noise: r.noise, outputUrl: this.ctx.media.fileUrl(r.output) }));
      } catch (err) {
        done.push(this.update({ ...this.get(id), state: 'error', error: (err as Error).message }));
      }
    }
    return done;
  }

  async preview(id: string, { modelId, ...settings }: DenoiseSettings): Promise<RequestResults['denoise:preview']> {
    const item = this.get(id);
    const model = await this.models.resolve(modelId);
    const { modelDir, ...r } = await this.ctx.worker().request('preview', {
      modelDir: model.dir, greyModelDir: model.grey?.dir, input: item.path, ...settings, maxSide: 1200,
    });
    return { ...r, model: nameUsed(model, modelDir) };
  }

  /** Writes the denoised results to `dir` in `format`, keeping the originals' metadata. */
  async export(ids: string[], format: OutputFormat, dir?: string): Promise<ExportResult | null> {
    const target = dir ?? (await this.ctx.dialogs.pickFolder('Export denoised photos to…'));
    if (!target) return null;
    await fs.mkdir(target, { recursive: true });
    const originals = new Set([...this.items.values()].map((i) => path.resolve(i.path)));
    const result: ExportResult = { written: [], errors: [] };
    for (const id of ids) {
      const item = this.items.get(id);
      try {
        if (!item?.output) throw new UserError('not denoised yet');
        const decoded = await readImage(item.output, { autoOrient: false, maxMegapixels: 1000 });
        const out = await outputPath(item.path, target, format, originals, false);
        await writeImage(out, decoded.image, { format, alpha: decoded.alpha, metadataFrom: item.path });
        result.written.push(out);
      } catch (err) {
        result.errors.push({ id, error: (err as Error).message });
      }
    }
    return result;
  }
}
