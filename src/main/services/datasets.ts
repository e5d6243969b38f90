/** Datasets: Fashion-MNIST (download with progress) and the user's image folders. */
import type { TrainData } from '../engine/training/config';
import path from 'node:path';
import { downloadFashionMnist, loadFashionMnist, FASHION_MNIST_CLASSES, type FashionMnist } from '../engine/data/fashion-mnist';
import type { RemoteFile } from '../engine/data/download';
import { scanImageFolder } from '../engine/data/image-folder';
import type { Dataset, DatasetItem, RequestResults } from '../../shared/contract';
import { readJson, writeJson } from './app-state';
import type { ServiceContext } from './context';

const FASHION_MNIST_ID = 'fashion-mnist';

export class DatasetService {
  private folders: { id: string; path: string }[] | null = null;
  private fmnist: Promise<FashionMnist> | null = null;
  private files = new Map<string, string[]>();

  constructor(private readonly ctx: ServiceContext, private readonly mirror?: { baseUrl: string; files: RemoteFile[] }) {}

  private get file(): string {
    return path.join(this.ctx.paths.root, 'datasets.json');
  }

  private async loadFolders() {
    this.folders ??= await readJson<{ id: string; path: string }[]>(this.file, []);
    for (const f of this.folders) this.ctx.media.allow(f.path);
    return this.folders;
  }

  fashionMnist(): Promise<FashionMnist> {
    if (!this.fmnist) {
      this.fmnist = loadFashionMnist(this.ctx.paths.fashionMnist);
      this.fmnist.catch(() => (this.fmnist = null));
    }
    return this.fmnist;
  }

  private async folderFiles(id: string): Promise<string[]> {
    const folder = (await this.loadFolders()).find((f) => f.id === id);
    if (!folder) throw new Error(`unknown dataset "${id}"`);
    let files = this.files.get(id);
    if (!files) {
      files = (await scanImageFolder(folder.path)).map((f) => f.path);
      this.files.set(id, files);
    }
    return files;
  }

  async get(id: string): Promise<Dataset> {
    if (id === FASHION_MNIST_ID) {
      const ds = await this.fashionMnist().catch(() => null);
      return {
        id, kind: 'fashion-mnist', name: 'Fashion-MNIST', count: ds?.train.count ?? 0, downloaded: Boolean(ds),
        classes: [...FASHION_MNIST_CLASSES], path: this.ctx.paths.fashionMnist,
      };
    }
    const folder = (await this.loadFolders()).find((f) => f.id === id);
    if (!folder) throw new Error(`unknown dataset "${id}"`);
    return { id, kind: 'folder', name: path.basename(folder.path), path: folder.path, count: (await this.folderFiles(id)).length, downloaded: true };
  }

  async list(): Promise<Dataset[]> {
    const folders = await this.loadFolders();
    return Promise.all([FASHION_MNIST_ID, ...folders.map((f) => f.id)].map((id) => this.get(id)));
  }

  /** Adds a dropped folder (`p`, which the user must have dropped), or one picked in a dialog. */
  async addFolder(p?: string): Promise<Dataset | null> {
    const chosen = p !== undefined ? this.ctx.grants.require(p) : await this.ctx.dialogs.pickFolder('Add a folder of photos');
    if (!chosen) return null;
    const resolved = path.resolve(chosen);
    await scanImageFolder(resolved); // validates: exists and is a folder
    const folders = await this.loadFolders();
    let entry = folders.find((f) => f.path === resolved);
    if (!entry) {
      entry = { id: `folder-${Date.now().toString(36)}-${folders.length}`, path: resolved };
      folders.push(entry);
      await writeJson(this.file, folders);
    }
    this.ctx.media.allow(resolved);
    return this.get(entry.id);
  }

  async remove(id: string): Promise<void> {
    const folders = await this.loadFolders();
    this.folders = folders.filter((f) => f.id !== id);
    this.files.delete(id);
    await writeJson(this.file, this.folders);
  }

  async download(): Promise<Dataset> {
    await downloadFashionMnist({
      cacheDir: this.ctx.paths.fashionMnist, baseUrl: this.mirror?.baseUrl, files: this.mirror?.files,
      onProgress: (p) => this.ctx.emit('datasets:progress', { file: p.file, received: p.received, total: p.total, state: p.state }),
    });
    this.fmnist = null;
    return this.get(FASHION_MNIST_ID);
  }

  async page(id: string, offset: number, limit: number, label?: number | null): Promise<RequestResults['datasets:page']> {
    if (id === FASHION_MNIST_ID) {
      const ds = await this.fashionMnist();
      let indices: number[] | null = null;
      if (label !== undefined && label !== null) {
        indices = [];
        for (let i = 0; i < ds.train.count; i++) if (ds.train.labels[i] === label) indices.push(i);
      }
      const total = indices ? indices.length : ds.train.count;
      const items: DatasetItem[] = [];
      for (let k = offset; k < Math.min(total, offset + limit); k++) {
        const index = indices ? indices[k] : k;
        items.push({ index, name: `#${index}`, label: ds.classes[ds.train.labels[index]], url: this.ctx.media.fashionMnistUrl(index) });
      }
      return { total, items };
    }
    const files = await this.folderFiles(id);
    return {
      total: files.length,
      items: files.slice(offset, offset + limit).map((f, k) => ({ index: offset + k, name: path.basename(f), url: this.ctx.media.fileUrl(f) })),
    };
  }

  async inspect(id: string, index: number, noise: string, seed: number): Promise<RequestResults['datasets:inspect']> {
    const source = id === FASHION_MNIST_ID
      ? { kind: 'fashion-mnist' as const, cacheDir: this.ctx.paths.fashionMnist }
      : { kind: 'file' as const, path: (await this.folderFiles(id))[index] };
    if (source.kind === 'file' && !source.path) throw new Error(`image ${index} is out of range`);
    return this.ctx.worker().request('inspect', { source, index, noise, seed });
  }

  /** What a run on this dataset trains on. */
  async trainingData(id: string): Promise<TrainData> {
    if (id === FASHION_MNIST_ID) return { kind: 'fashion-mnist' };
    return { kind: 'folder', path: (await this.get(id)).path! };
  }
}
