/**
 * Models the user can denoise with: bundled ones (resources/models), imported
 * ones (user-data/models) and the models of training runs. Import and export
 * go through one-file model packages (.denoiser); import never replaces a
 * model; bundled models cannot be deleted.
 */
import { watch, type FSWatcher } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../engine/errors';
import { BUNDLED_PURPOSE } from '../engine/models/registry';
import { DEFAULT_GREY_MODEL_NAME, DEFAULT_MODEL_NAME } from '../../shared/vocabulary';
import { readManifest, type DenoiserManifest } from '../engine/models/manifest';
import { fileNameFor, packModel, unpackModel, PACKAGE_EXTENSION } from '../engine/models/package';
import { trainData, type TrainData } from '../engine/training/config';
import type { ModelEntry, ModelSpeed } from '../../shared/contract';
import { readJson, updateJson } from './app-state';
import type { FileKind, ServiceContext } from './context';

type Source = 'bundled' | 'user' | 'run';

const PACKAGE_KIND: FileKind = { name: 'Denoise Lab model', extensions: [PACKAGE_EXTENSION.slice(1)] };

const BUNDLED_DEFAULT = `bundled:${DEFAULT_MODEL_NAME}`;
const BUNDLED_GREY = `bundled:${DEFAULT_GREY_MODEL_NAME}`;

/** A model folder and the name the app shows for it, with the grey companion grey photos may go to. */
export interface ResolvedModel {
  id: string;
  dir: string;
  name: string;
  grey?: { id: string; dir: string; name: string };
}

/** A model's timing on this computer: its speed on the largest photo it denoised here, per pass (a Best-quality run makes eight). */
interface Timing {
  secondsPerMegapixel: number;
  megapixels: number;
}

const TWELVE_MP = 12;
/** Photos from this size up stand for a model's speed per megapixel; smaller ones are mostly fixed costs. */
const TIMING_MIN_MP = 1;

/**
 * Measured where known; else scaled by work per pixel from the model of the same architecture
 * closest in work that was measured on a photo of 1 MP or more (other architectures' fixed costs,
 * and small photos', differ too much).
 */
function speedOf(m: ScannedModel, all: ScannedModel[], timings: Record<string, Timing>): ModelSpeed | undefined {
  const own = timings[m.id];
  if (own) return { kind: 'measured', secondsPer12MP: own.secondsPerMegapixel * TWELVE_MP, megapixels: own.megapixels };
  const flops = (x: ScannedModel) => x.manifest.flopsPerPixel;
  const ref = all.filter((x) => (timings[x.id]?.megapixels ?? 0) >= TIMING_MIN_MP && flops(x) > 0 && x.manifest.arch.name === m.manifest.arch.name)
    .sort((a, b) => Math.abs(Math.log(flops(a) / flops(m))) - Math.abs(Math.log(flops(b) / flops(m))))[0];
  if (!ref || !(flops(m) > 0)) return undefined;
  return { kind: 'estimated', secondsPer12MP: timings[ref.id].secondsPerMegapixel * TWELVE_MP * (flops(m) / flops(ref)), from: ref.label };
}

/** A bundled model's stated purpose, or what a user's model was trained on. */
function purposeOf(source: Source, m: DenoiserManifest): string {
  if (source === 'bundled' && BUNDLED_PURPOSE[m.name]) return BUNDLED_PURPOSE[m.name];
  const recorded = m.training?.data as TrainData | string | undefined;
  const trained = recorded === undefined ? undefined : trainData(recorded);
  const data = trained?.kind === 'folder' ? trained.path.split(/[\\/]/).filter(Boolean).pop() : trained?.kind === 'fashion-mnist' ? 'Fashion-MNIST' : undefined;
  const how = m.training?.selfSupervised ? 'self-supervised on the noisy photos' : `with ${m.noise} noise`;
  return `${m.channels === 3 ? 'Colour' : 'Grey'} photos; trained${data ? ` on ${data}` : ''} ${how}${m.int8 ? ', for 8-bit integer convolutions' : ''}`;
}

interface ScannedModel {
  id: string;
  source: Source;
  dir: string;
  manifest: DenoiserManifest;
  /** The model's own name: its run's name for a run's model. */
  name: string;
  /** What the Models list shows: the name, marked when it is a run's model. */
  label: string;
}

export class ModelService {
  /**
   * The scanned model folders, kept until a model is imported, deleted or saved by a run (changed()),
   * or a folder appears in or leaves one of the roots (a watcher on each).
   */
  private index: Promise<ScannedModel[]> | null = null;
  private readonly watchers = new Map<string, FSWatcher>();

  constructor(private readonly ctx: ServiceContext) {}

  /** Drops the index: the next request scans the model folders again. */
  changed(): void {
    this.index = null;
  }

  /** Stops watching the model folders. */
  dispose(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Watches each root; one that did not exist before and does now is itself a change. */
  private watchRoots(): void {
    for (const [, root] of this.roots()) {
      if (this.watchers.has(root)) continue;
      try {
        const w = watch(root, () => this.changed());
        w.on('error', () => {
          w.close();
          this.watchers.delete(root);
          this.changed();
        });
        this.watchers.set(root, w);
        this.changed();
      } catch {
        // not there (yet): listed as empty, and tried again at the next request
      }
    }
  }

  private scan(): Promise<ScannedModel[]> {
    this.watchRoots();
    if (!this.index) {
      const scanning = this.scanFolders();
      this.index = scanning;
      scanning.catch(() => {
        if (this.index === scanning) this.index = null;
      });
    }
    return this.index;
  }

  private get timingsFile(): string {
    return path.join(this.ctx.paths.root, 'model-timings.json');
  }

  /**
   * Notes how long one pass of a model took on a photo here. The largest photo so far
   * stands for the model (small ones are mostly fixed costs); ties go to the latest.
   */
  async recordTiming(id: string, megapixels: number, secondsPerPass: number): Promise<void> {
    if (!(megapixels > 0 && secondsPerPass > 0)) return;
    await updateJson<Record<string, Timing>>(this.timingsFile, (timings) => ((timings[id]?.megapixels ?? 0) > megapixels
      ? timings
      : { ...timings, [id]: { secondsPerMegapixel: secondsPerPass / megapixels, megapixels } }));
  }

  private roots(): [Source, string][] {
    return [['bundled', this.ctx.bundledModels], ['user', this.ctx.paths.models], ['run', this.ctx.paths.runs]];
  }

  private async scanFolders(): Promise<ScannedModel[]> {
    const out: ScannedModel[] = [];
    for (const [source, root] of this.roots()) {
      const names = await fs.readdir(root).catch(() => [] as string[]);
      // Hidden folders are not models (a package being unpacked, a file manager's own).
      for (const name of names.filter((n) => !n.startsWith('.')).sort()) {
        const dir = path.join(root, name);
        try {
          const manifest = await readManifest(dir);
          // A run's model is shown under the run's own name.
          const run = source === 'run' ? await readJson<{ name?: string } | null>(path.join(dir, 'run.json'), null) : null;
          out.push({ id: `${source}:${name}`, source, dir, manifest, name: run?.name ?? manifest.name, label: run?.name ? `${run.name} (run)` : manifest.name });
        } catch {
          // not a model folder (yet: a run before its first epoch)
        }
      }
    }
    return out;
  }

  private async defaultId(all: { id: string }[]): Promise<string | undefined> {
    const settings = await readJson<{ defaultModel?: string }>(this.ctx.paths.settings, {});
    if (settings.defaultModel && all.some((m) => m.id === settings.defaultModel)) return settings.defaultModel;
    return all.find((m) => m.id === BUNDLED_DEFAULT)?.id ?? all[0]?.id;
  }

  async list(): Promise<ModelEntry[]> {
    const all = await this.scan();
    const def = await this.defaultId(all);
    const timings = await readJson<Record<string, Timing>>(this.timingsFile, {});
    return all.map((scanned) => {
      const { id, source, dir, manifest: m, label } = scanned;
      return {
        id, name: label, dir, bundled: source === 'bundled', isDefault: id === def,
        arch: m.arch.name, channels: m.channels, noise: m.noise, purpose: purposeOf(source, m), noiseMap: m.noiseMap, blind: m.blind ?? false,
        params: m.trainableParams, flopsPerPixel: m.flopsPerPixel, speed: speedOf(scanned, all, timings),
        metrics: m.metrics, updated: m.updated,
      };
    });
  }

  /**
   * The model a request names (or the default), with the grey companion that grey
   * photos may go to (grey-route.ts): only beside the bundled default, when one is bundled.
   */
  async resolve(id?: string): Promise<ResolvedModel> {
    const all = await this.scan();
    const want = id ?? (await this.defaultId(all));
    const found = all.find((m) => m.id === want);
    if (!found) throw new UserError(id ? `unknown model "${id}"` : 'no model yet: train one, or import a model (.denoiser)');
    const grey = want === BUNDLED_DEFAULT ? all.find((m) => m.id === BUNDLED_GREY) : undefined;
    return { id: found.id, dir: found.dir, name: found.label, grey: grey && { id: grey.id, dir: grey.dir, name: grey.label } };
  }

  /** A model's own name (a run's model: the run's name, unmarked), or undefined for an unknown id. */
  async nameOf(id: string): Promise<string | undefined> {
    return (await this.scan()).find((m) => m.id === id)?.name;
  }

  async resolveDir(id?: string): Promise<string> {
    return (await this.resolve(id)).dir;
  }

  /** Imports a model package the user picks; it is named after the model inside. */
  async import(): Promise<ModelEntry | null> {
    const file = await this.ctx.dialogs.pickFile('Import a Denoise Lab model', PACKAGE_KIND);
    if (!file) return null;
    const { dir } = await unpackModel(file, this.ctx.paths.models);
    this.changed();
    return (await this.list()).find((m) => m.dir === dir) ?? null;
  }

  /** Exports a model as one package file, named after the model (a run's model: its run's name). */
  async export(id: string): Promise<string | null> {
    const src = await this.resolveDir(id);
    const name = (await this.nameOf(id)) ?? path.basename(src);
    const fileName = fileNameFor(name) || path.basename(src);
    const chosen = await this.ctx.dialogs.saveFile('Export the model as…', `${fileName}${PACKAGE_EXTENSION}`, PACKAGE_KIND);
    if (!chosen) return null;
    const file = chosen.endsWith(PACKAGE_EXTENSION) ? chosen : `${chosen}${PACKAGE_EXTENSION}`;
    await packModel(src, file, name);
    return file;
  }

  async delete(id: string): Promise<void> {
    if (id.startsWith('bundled:')) throw new UserError('bundled models cannot be deleted');
    const dir = await this.resolveDir(id);
    await fs.rm(dir, { recursive: true, force: true });
    this.changed();
  }

  async setDefault(id: string): Promise<void> {
    await this.resolveDir(id);
    await updateJson<Record<string, unknown>>(this.ctx.paths.settings, (s) => ({ ...s, defaultModel: id }));
  }
}
