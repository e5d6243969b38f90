/**
 * What an engine host can be asked to do. Pure engine calls, no Electron:
 * info, train (streaming events), denoise a batch of files, export results,
 * live previews, dataset inspection (as PNG data URLs), and images converted
 * for display (so decoders never run in the app's main process).
 */
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../engine/runtime/backend';
import { loadFashionMnist } from '../engine/data/fashion-mnist';
import { applyNoise, parseNoiseSpec } from '../engine/data/noise';
import { denoiseFiles } from '../engine/inference/denoise-files';
import { UserError } from '../engine/errors';
import { makeImage, type FloatImage } from '../engine/image/float-image';
import { encodeImage, readImage, writeImage } from '../engine/image/io';
import { outputPath, realPath } from '../engine/inference/outputs';
import { denoiseRouted } from '../engine/inference/grey-route';
import { psnr } from '../engine/image/metrics';
import { ALL_ARCHITECTURES, architectureStats } from '../engine/models/architectures';
import { openDenoiser, type OpenModel } from '../engine/models/store';
import { usesOnnxRuntime } from '../engine/runtime/runner';
import type { HostMethod, HostParams, HostResult } from './protocol';
import { Rng } from '../engine/data/rng';
import { measureTraining, train } from '../engine/training/loop';
import { trainingWasmThreads } from '../engine/training/config';

export interface HostContext {
  signal: AbortSignal;
  emit(event: unknown): void;
}

const models = new Map<string, Promise<OpenModel>>();
function model(dir: string) {
  let m = models.get(dir);
  if (!m) {
    m = openDenoiser(dir);
    models.set(dir, m);
    m.catch(() => models.delete(dir));
  }
  return m;
}

async function dataUrl(img: FloatImage): Promise<string> {
  return `data:image/png;base64,${(await encodeImage(img, { format: 'png' })).toString('base64')}`;
}

type InspectSource = HostParams<'inspect'>['source'];

const fashionMnist = new Map<string, ReturnType<typeof loadFashionMnist>>();

/** A dataset image: a Fashion-MNIST one by index (the dataset stays loaded), or a photo file (fitted to `maxSide` when given). */
async function sourceImage(source: InspectSource, index: number, maxSide?: number): Promise<{ image: FloatImage; label?: string }> {
  if (source.kind === 'file') return { image: (await readImage(source.path, { autoOrient: true, maxSide })).image };
  let loading = fashionMnist.get(source.cacheDir);
  if (!loading) {
    loading = loadFashionMnist(source.cacheDir);
    fashionMnist.set(source.cacheDir, loading);
    loading.catch(() => fashionMnist.delete(source.cacheDir));
  }
  const { train: t, classes } = await loading;
  if (!Number.isInteger(index) || index < 0 || index >= t.count) throw new UserError(`image ${index} is out of range`);
  const px = t.width * t.height;
  return {
    image: makeImage(t.width, t.height, 1, Float32Array.from(t.pixels.subarray(index * px, (index + 1) * px), (v) => v / 255)),
    label: classes[t.labels[index]],
  };
}

type Handlers = { [M in Exclude<HostMethod, 'cancel'>]: (params: HostParams<M>, ctx: HostContext) => Promise<HostResult<M>> };

const handlers: Handlers = {
  info: async () => {
    // The Train view trains denoisers; a level estimator is trained with the CLI (docs/models.md).
    const architectures = ALL_ARCHITECTURES.filter((arch) => arch.task === 'denoise').map((arch) => {
      const { grey, colour } = architectureStats(arch);
      return {
        name: arch.name, description: arch.description, noiseMap: arch.noiseMap,
        defaults: { depth: arch.defaults.depth, width: arch.defaults.width },
        params: { grey: grey.trainableParams, colour: colour.trainableParams },
        flopsPerPixel: { grey: grey.flopsPerPixel, colour: colour.flopsPerPixel },
      };
    });
    return { backend: (await initBackend()).name, accelerator: usesOnnxRuntime() ? 'onnxruntime' : undefined, cpus: os.availableParallelism(), architectures };
  },
  memory: async () => ({ rssMb: process.memoryUsage().rss / 1e6 }),
  train: async ({ config, resume }, ctx) => {
    await initBackend(undefined, trainingWasmThreads(config.workers));
    return train(config, { onEvent: ctx.emit, signal: ctx.signal }, resume ? {} : undefined);
  },
  estimateTraining: async ({ config }) => {
    await initBackend(undefined, trainingWasmThreads(config.workers));
    return measureTraining(config);
  },
  // A batch through denoiseFiles' pipeline (decode ahead, write behind), into lossless PNGs that export encodes once.
  denoise: async (p, ctx) => {
    const main = await model(p.modelDir);
    const greyModel = p.greyModelDir ? await model(p.greyModelDir) : undefined;
    const results = await denoiseFiles(main, p.inputs, {
      outDir: p.outDir, sigma: p.sigma, strength: p.strength, ensemble: p.ensemble, format: 'png', greyModel, signal: ctx.signal,
      onFile: (f) => ctx.emit({ index: f.index, fraction: f.tilesDone / f.tilesTotal }),
    });
    return results.map((r) => (r.ok ? { ...r, modelDir: r.model === 'grey' ? p.greyModelDir! : p.modelDir } : r));
  },
  export: async (p) => {
    const protect = new Set(await Promise.all(p.protect.map(realPath)));
    const dir = await realPath(p.dir);
    const claimed = new Set<string>();
    const results: HostResult<'export'> = [];
    for (const item of p.items) {
      try {
        const decoded = await readImage(item.output, { autoOrient: false, maxMegapixels: 1000 });
        const out = await outputPath(item.original, dir, p.format, protect, false, claimed, p.suffix);
        claimed.add(path.resolve(out));
        await writeImage(out, decoded.image, { format: p.format, quality: p.quality, alpha: decoded.alpha, metadataFrom: item.original });
        results.push({ ok: true, output: out });
      } catch (err) {
        results.push({ ok: false, error: (err as Error).message });
      }
    }
    return results;
  },
  preview: async (p) => {
    const { image: small } = await readImage(p.input, { autoOrient: true, maxSide: p.maxSide });
    const pair = { main: await model(p.modelDir), grey: small.channels === 1 && p.greyModelDir ? await model(p.greyModelDir) : undefined }; // the companion serves grey photos only
    const r = await denoiseRouted(pair, small, { sigma: p.sigma, strength: p.strength, ensemble: p.ensemble });
    return { before: await dataUrl(small), after: await dataUrl(r.image), noise: r.noise, passes: r.passes, modelDir: r.model === 'grey' ? p.greyModelDir! : p.modelDir };
  },
  inspect: async (p) => {
    const { image: clean, label } = await sourceImage(p.source, p.index, 1024);
    const { noisy } = applyNoise(clean, parseNoiseSpec(p.noise), new Rng(p.seed));
    const noisyImg = makeImage(clean.width, clean.height, clean.channels, noisy);
    return { clean: await dataUrl(clean), noisy: await dataUrl(noisyImg), psnr: psnr(noisy, clean.data), label };
  },
  displayable: async (p) => {
    const { image } = await sourceImage(p.source, p.index, p.maxSide);
    return { png: (await encodeImage(image, { format: 'png' })).toString('base64') };
  },
};

/** Runs one request that arrived over the wire; the sender typed its params through HostMethods. */
export async function handleHostRequest(method: HostMethod, params: unknown, ctx: HostContext): Promise<unknown> {
  if (method === 'cancel' || !Object.hasOwn(handlers, method)) throw new Error(`unknown engine host method "${method}"`);
  if (method !== 'train' && method !== 'estimateTraining') await initBackend();
  return (handlers[method] as (p: unknown, c: HostContext) => Promise<unknown>)(params, ctx);
}
