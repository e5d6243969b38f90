/**
 * `npm run bench [-- --vs-torch] [--quick] [--only NAME,...] [--wasm-threads N] [--model DIR]`:
 * speed and memory figures, one JSON line each: {"bench", "value", "unit",
 * "backend", ...}. Medians over repeats after warm-up. Training is timed on
 * ONNX Runtime (the gradient graph, where the model allows it), on the wasm
 * thread pool (all cores unless --wasm-threads) and with data-parallel
 * replicas on one-thread wasm (--threads of them); each figure is the fastest
 * mode, with every mode and the best wasm-only one in the line. With
 * --vs-torch, runs the PyTorch peer (../shared/bench/torch_peer.py, needs
 * Debian's python3-torch; --torch-runs N whole runs, median, default 3) in the
 * same run and prints the ratios; its ffdnet figures take the default model's depth and width, and
 * ffdnet training is also timed on both sides in fresh processes and paired alone against alone.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { initBackend } from '../src/main/engine/runtime/backend';
import { getArchitecture, modelStats } from '../src/main/engine/models/architectures';
import { DataParallel } from '../src/main/engine/training/steps/parallel/data-parallel';
import { trainableVariables, trainStep, type LossName } from '../src/main/engine/training/steps/tfjs-step';
import { createRunner, onnxThreads, tfjsRunner } from '../src/main/engine/runtime/runner';
import { nchwcBlockSize } from '../src/main/engine/runtime/nchwc';
import { OnnxTrainStep, onnxTrainingUnavailable } from '../src/main/engine/training/steps/onnx-step';
import { denoiseFiles } from '../src/main/engine/inference/denoise-files';
import { defaultModelDir } from '../src/main/engine/models/registry';
import { openDenoiser } from '../src/main/engine/models/store';
import { applyNoise, parseNoiseSpec } from '../src/main/engine/data/noise';
import { samplePatches } from '../src/main/engine/data/patches';
import { Rng } from '../src/main/engine/data/rng';
import { makeImage } from '../src/main/engine/image/float-image';
import { PHOTO_NOISE_MIX } from '../src/shared/noise-presets';
import { relaunchWithEngineEnv } from '../src/main/cli/relaunch';
import { adam } from '../src/main/engine/training/adam';

// The engine's process environment (allocator.ts), as the app and the CLI run it; the children and the peer inherit it.
const relaunched = await relaunchWithEngineEnv();
if (relaunched !== null) process.exit(relaunched);

const { values: args } = parseArgs({
  options: {
    'vs-torch': { type: 'boolean' }, quick: { type: 'boolean' }, only: { type: 'string' },
    'torch-peer': { type: 'string', default: path.resolve('../shared/bench/torch_peer.py') },
    'torch-runs': { type: 'string', default: '3' },
    threads: { type: 'string' },
    'wasm-threads': { type: 'string' },
    model: { type: 'string' },
    'with-tfjs': { type: 'boolean' },
    'no-onnx-training': { type: 'boolean' },
  },
});
const quick = Boolean(args.quick);
const only = args.only?.split(',');
const wanted = (name: string) => !only || only.some((o) => name.startsWith(o));
const figures: Record<string, number> = {};
const replicas = Number(args.threads ?? os.availableParallelism());

function print(bench: string, value: number, unit: string, backend: string, extra: object = {}) {
  figures[bench] = value;
  console.log(JSON.stringify({ bench, value: Number(value.toPrecision(4)), unit, backend, ...extra }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Seconds per call of `step`, median over `steps` calls after `warmup`. */
async function medianStepSeconds(step: () => Promise<unknown>, warmup: number, steps: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

/** Seconds per TF.js training step, median over `steps` after `warmup`; data-parallel over `threads` when > 1. */
async function timeTraining(model: tf.LayersModel, x: tf.Tensor4D, y: tf.Tensor4D, loss: LossName, warmup: number, steps: number, threads: number, microBatch = 0): Promise<number> {
  const opt = adam(1e-3); // the optimizer `train` uses
  const vars = trainableVariables(model);
  const parallel = threads > 1 ? await DataParallel.create(model, threads, tf.getBackend()) : null;
  const seconds = await medianStepSeconds(
    () => (parallel ? parallel.step(model, opt, vars, x, y, loss) : Promise.resolve(trainStep(model, opt, vars, x, y, loss, microBatch))), warmup, steps);
  await parallel?.dispose();
  opt.dispose();
  return seconds;
}

/** Seconds per training step with the forward and backward passes on ONNX Runtime; undefined where it cannot run them. */
async function timeOnnxTraining(model: tf.LayersModel, x: tf.Tensor4D, y: tf.Tensor4D, loss: LossName, warmup: number, steps: number): Promise<number | undefined> {
  if (args['no-onnx-training'] || onnxTrainingUnavailable(model, loss)) return undefined;
  const opt = adam(1e-3); // the optimizer `train` uses
  const vars = trainableVariables(model);
  const onnx = await OnnxTrainStep.create(model, loss);
  const seconds = await medianStepSeconds(() => onnx.step(opt, vars, x, y), warmup, steps);
  onnx.dispose();
  opt.dispose();
  return seconds;
}

type Figure = { bench: string; value: number; mode: string } & Record<string, unknown>;

/** The figures a fresh process of this bench prints with `flags` (and --quick when this run has it), by name. */
function childFigures(flags: string[]): Record<string, Figure> {
  const child = spawnSync(process.execPath, ['--import', 'tsx', path.resolve('bench/run.ts'), ...flags, ...(quick ? ['--quick'] : [])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const out: Record<string, Figure> = {};
  for (const line of child.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const d = JSON.parse(line) as Figure;
    out[d.bench] = d;
  }
  return out;
}

/**
 * Training figures with data-parallel replicas on one-thread wasm, measured in
 * a child process (a process's wasm thread pool is fixed once started).
 */
function replicaFigures(names: string[]): Record<string, Figure> {
  if (!names.length) return {};
  const figs = childFigures(['--only', names.join(','), '--wasm-threads', '1', '--no-onnx-training', '--threads', String(replicas)]);
  return Object.fromEntries(Object.entries(figs).filter(([name]) => name.startsWith('train_')));
}

/** Our ffdnet training figure from a fresh process of this bench (`--only train_ffdnet`), or undefined when it printed none. */
function ffdnetTrainingAlone(): number | undefined {
  return childFigures(['--only', 'train_ffdnet', ...(args.model ? ['--model', args.model] : [])]).train_ffdnet_patches_per_s?.value;
}

async function main() {
  const backend = await initBackend(undefined, args['wasm-threads'] ? Number(args['wasm-threads']) : undefined);
  const b = backend.name;
  print('backend', 1, 'name', b, { simd: backend.simd, threads: backend.threads, skipped: backend.skipped, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, glibcTunables: process.env.GLIBC_TUNABLES ?? null, nchwcBlock: await nchwcBlockSize() });
  // One-thread wasm: this process also times replicas; a thread pool: a child process does.
  const threads = backend.threads === 1 ? replicas : 1;
  const replicaRuns = backend.threads > 1 && replicas > 1 ? replicaFigures(['train_seed', 'train_ffdnet', 'train_dncnn17'].filter(wanted)) : {};
  /**
   * Prints a training figure: the fastest of ONNX Runtime, this process's wasm modes and the
   * replica child's, with each mode's value and the best wasm-only one (also kept as NAME_wasm).
   */
  const report = (name: string, one: number, many: number, unit: string, extra: object, onnx?: number): number => {
    const here = Math.max(one, many);
    const hereMode = many > one ? `data-parallel x${threads}, one wasm thread each` : backend.threads > 1 ? `wasm thread pool x${backend.threads}` : 'one wasm thread';
    const alt = replicaRuns[name];
    const modes = backend.threads > 1
      ? { thread_pool: one, one_thread: alt?.one_thread, data_parallel: alt?.data_parallel }
      : { one_thread: one, data_parallel: threads > 1 ? many : undefined };
    const wasm = alt && alt.value > here ? { value: alt.value, mode: alt.mode } : { value: here, mode: hereMode };
    figures[`${name}_wasm`] = wasm.value;
    if (onnx !== undefined && onnx > wasm.value) {
      print(name, onnx, unit, 'onnxruntime', { ...extra, mode: `onnxruntime x${onnxThreads()} threads`, onnxruntime: onnx, ...modes, wasm_best: wasm.value });
      return onnx;
    }
    print(name, wasm.value, unit, b, { ...extra, mode: wasm.mode, onnxruntime: onnx, ...modes, wasm_best: wasm.value });
    return wasm.value;
  };

  if (wanted('train_seed')) {
    const model = getArchitecture('seed').build({ channels: 1, seed: 1 });
    const x = tf.randomUniform([200, 28, 28, 1]) as tf.Tensor4D;
    const sec1 = await timeTraining(model, x, x, 'bce', 3, quick ? 5 : 30, 1);
    const secN = threads > 1 ? await timeTraining(model, x, x, 'bce', 3, quick ? 5 : 30, threads) : sec1;
    const onnxSec = await timeOnnxTraining(model, x, x, 'bce', 3, quick ? 5 : 30);
    report('train_seed_samples_per_s', 200 / sec1, 200 / secN, 'samples/s', { batch: 200, input: '28x28x1' }, onnxSec && 200 / onnxSec);
    tf.dispose([x]);
    model.dispose();
  }

  if (wanted('data_noise')) {
    // The training data pipeline on one core: random 96x96 colour patches made noisy, per noise spec,
    // against what the trainer consumes (the bundled luma model trains at about 5-7 patches/s of 160x160 here).
    const rng = new Rng(1);
    const images = Array.from({ length: 4 }, () => makeImage(256, 256, 3, Float32Array.from({ length: 256 * 256 * 3 }, () => Math.round(rng.next() * 255) / 255)));
    for (const [label, spec] of [['gaussian', 'gaussian:0-55'], ['camera_raw', 'camera:0.0001-0.012'], ['camera_jpeg', 'camera'], ['poisson_gaussian', 'poisson-gaussian:0.0005-0.02,0-10'], ['photo_mix', PHOTO_NOISE_MIX]] as const) {
      const parsed = parseNoiseSpec(spec);
      const batch = 16;
      const sec = await medianStepSeconds(async () => {
        const clean = samplePatches(images, batch, 96, rng);
        for (let i = 0; i < batch; i++) applyNoise(makeImage(96, 96, 3, clean.subarray(i * 96 * 96 * 3, (i + 1) * 96 * 96 * 3)), parsed, rng);
      }, 1, quick ? 3 : 10);
      print(`data_noise_${label}_patches_per_s`, batch / sec, 'patches/s', 'js (one core)', { patch: '96x96x3', noise: spec });
    }
  }

  if (wanted('train_ffdnet')) {
    // The default model's depth and width, as the PyTorch peer's ffdnet_train has them: colour 64x64 patches, batch 32, noise map input.
    const { depth, width } = await defaultModelSize();
    const model = getArchitecture('ffdnet').build({ channels: 3, depth, width, seed: 1 });
    const x = tf.randomUniform([32, 64, 64, 4]) as tf.Tensor4D;
    const y = tf.randomUniform([32, 64, 64, 3]) as tf.Tensor4D;
    const sec1 = await timeTraining(model, x, y, 'mse', 1, quick ? 2 : 5, 1);
    const secN = threads > 1 ? await timeTraining(model, x, y, 'mse', 1, quick ? 2 : 5, threads) : sec1;
    // As many steps after as many warm-up steps as the peer's ffdnet_train (2 and 10).
    const onnxSec = await timeOnnxTraining(model, x, y, 'mse', quick ? 1 : 2, quick ? 2 : 10);
    report('train_ffdnet_patches_per_s', 32 / sec1, 32 / secN, 'patches/s', { batch: 32, patch: '64x64x3', model: `ffdnet depth ${depth} width ${width}` }, onnxSec && 32 / onnxSec);
    tf.dispose([x, y]);
    model.dispose();
  }

  if (wanted('train_dncnn17') || wanted('train_gflops')) {
    const model = getArchitecture('dncnn').build({ channels: 1, depth: 17, width: 64, batchNorm: true, seed: 1 });
    const batch = 64;
    const patch = 40;
    const x = tf.randomUniform([batch, patch, patch, 1]) as tf.Tensor4D;
    const microBatch = 16; // in one wasm instance the whole batch does not fit the 4 GB heap
    const sec1 = await timeTraining(model, x, x, 'mse', 1, quick ? 1 : 3, 1, microBatch);
    const secN = threads > 1 ? await timeTraining(model, x, x, 'mse', 1, quick ? 1 : 3, threads) : sec1;
    const onnxSec = await timeOnnxTraining(model, x, x, 'mse', 1, quick ? 1 : 3);
    const perSec = report('train_dncnn17_patches_per_s', batch / sec1, batch / secN, 'patches/s', { batch, patch: '40x40x1', one_instance_micro_batch: 16 }, onnxSec && batch / onnxSec);
    const { flopsPerPixel } = modelStats(model);
    // Backward costs about twice the forward pass (input and weight gradients).
    const gflopsAt = (patchesPerSec: number) => (3 * flopsPerPixel * patch * patch * patchesPerSec) / 1e9;
    const wasmGflops = gflopsAt(figures.train_dncnn17_patches_per_s_wasm);
    print('train_gflops', gflopsAt(perSec), 'GFLOP/s', perSec > figures.train_dncnn17_patches_per_s_wasm ? 'onnxruntime' : b, {
      model: 'dncnn17', cpu_ceiling_gflops: 270, fraction_of_cpu_ceiling: gflopsAt(perSec) / 270,
      wasm_gflops: wasmGflops, wasm_simd_ceiling_gflops: 67, wasm_fraction_of_ceiling: wasmGflops / 67,
    });
    tf.dispose([x]);
    model.dispose();
  }

  if (wanted('infer_dncnn20c')) {
    const model = getArchitecture('dncnn').build({ channels: 3, depth: 20, width: 64, batchNorm: true, seed: 1 });
    const size = quick ? 256 : 1024;
    const x = tf.randomUniform([1, size, size, 3]).dataSync() as Float32Array;
    // The runner the app and CLI use: ONNX Runtime when it loads, else TF.js.
    const runners = [await createRunner(model)];
    if (args['with-tfjs'] && runners[0].kind !== 'tfjs') runners.push(tfjsRunner(model));
    for (const [i, runner] of runners.entries()) {
      const times: number[] = [];
      for (let r = 0; r < (quick ? 1 : 3); r++) {
        const t0 = performance.now();
        await runner.run(x, 1, size, size, 3);
        times.push((performance.now() - t0) / 1000);
      }
      print(i === 0 ? 'infer_dncnn20c_1mp_s' : 'infer_dncnn20c_1mp_s_tfjs', median(times), 's',
        runner.kind === 'onnxruntime' ? 'onnxruntime' : b, { image: `${size}x${size}x3`, repeats: times.length });
    }
    model.dispose();
  }

  if (wanted('infer_default')) {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-'));
    const [w, h] = quick ? [1000, 750] : [4000, 3000];
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.resolve('bench/denoise-child.ts'), tmp, String(w), String(h), args.model ?? ''],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const result = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}');
    if (child.status !== 0 || !result.seconds) throw new Error(`denoise child failed: ${child.stdout}`);
    print('infer_default_12mp_s', result.seconds, 's', result.backend, { image: `${w}x${h}x3`, model: result.model, tiles: result.tiles, file_to_file: true });
    print('infer_default_12mp_peak_rss_mb', result.peakRssMb, 'MB', result.backend, { image: `${w}x${h}x3` });
    await fs.rm(tmp, { recursive: true, force: true });
  }

  if (wanted('infer_batch')) {
    // Eight 3 MP colour JPEGs in one call (decode ahead, write behind) against the same files one call each.
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-batch-'));
    const [w, h] = quick ? [800, 600] : [2000, 1500];
    const files: string[] = [];
    for (let i = 0; i < 8; i++) {
      const px = Buffer.alloc(w * h * 3);
      for (let j = 0; j < px.length; j++) px[j] = (j * 2654435761 + i * 97) % 251;
      files.push(path.join(tmp, `photo-${i}.jpg`));
      await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(files[i]);
    }
    const model = await openDenoiser(args.model ?? (await defaultModelDir()));
    const timeIt = async (f: () => Promise<unknown>) => {
      const t0 = performance.now();
      await f();
      return (performance.now() - t0) / 1000;
    };
    await denoiseFiles(model, [files[0]], { outDir: path.join(tmp, 'warm'), sigma: 25 });
    const oneByOne = await timeIt(async () => {
      for (const f of files) await denoiseFiles(model, [f], { outDir: path.join(tmp, 'single'), sigma: 25 });
    });
    const pipelined = await timeIt(() => denoiseFiles(model, files, { outDir: path.join(tmp, 'batch'), sigma: 25 }));
    print('infer_batch_8x3mp_s', pipelined, 's', model.runner.kind === 'onnxruntime' ? 'onnxruntime' : b,
      { images: `8 x ${w}x${h}x3 JPEG`, one_call_per_file_s: oneByOne, speedup: oneByOne / pipelined });
    await fs.rm(tmp, { recursive: true, force: true });
  }

  if (args['vs-torch']) await vsTorch();
}

/** The first Python that imports torch: $PYTHON, python3 on the PATH, then Debian's (python3-torch installs there). */
function pythonWithTorch(): string | null {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => Boolean(p));
  return candidates.find((py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) ?? null;
}

/** The default model's depth and width (its architecture's defaults when it does not say). */
async function defaultModelSize(): Promise<{ depth: number; width: number }> {
  const { manifest } = await openDenoiser(args.model ?? (await defaultModelDir()));
  const o = manifest.arch.options;
  return { depth: o.depth ?? 12, width: o.width ?? 64 };
}

/** One run of the PyTorch peer with `extra` arguments: its figures by name, or null (said on stdout) when it did not run. */
function runPeer(python: string, extra: string[]): Record<string, number> | null {
  const peer = spawnSync(python, [args['torch-peer']!, '--runs', args['torch-runs']!, ...extra, ...(quick ? ['--quick'] : [])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (peer.status !== 0) {
    console.log(JSON.stringify({ bench: 'vs_torch', error: 'the PyTorch peer did not run (apt-get install -y python3-torch)' }));
    return null;
  }
  const figs: Record<string, number> = {};
  for (const line of peer.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const d = JSON.parse(line);
    if (d.figure) figs[d.figure] = d.value;
  }
  return figs;
}

async function vsTorch() {
  const python = pythonWithTorch();
  if (!python) {
    console.log(JSON.stringify({ bench: 'vs_torch', error: 'no Python with torch found (apt-get install -y python3-torch)' }));
    return;
  }
  // The peer's ffdnet figures at the default model's depth and width, as ours are.
  const { depth, width } = await defaultModelSize();
  const size = ['--ffdnet-depth', String(depth), '--ffdnet-width', String(width)];
  const torch = runPeer(python, size);
  if (!torch) return;
  // Its ffdnet training again in a fresh process, its other figures shrunk to nothing: in the full
  // sequence it runs after a 1 MP and a 12 MP inference and measured 29-42 patches/s there, against
  // 61-76 alone (docs/performance.md, Session 19); a user's training script starts fresh.
  const alone = runPeer(python, [...size, '--seed-steps', '1', '--seed-warmup', '0', '--seed-infer-iters', '1', '--dncnn-steps', '1',
    '--infer-repeats', '1', '--gray-size', '64', '--color-size', '64', '--photo-size', '64x64']);
  if (alone?.ffdnet_train !== undefined) torch.ffdnet_train_alone = alone.ffdnet_train;
  // Ours the same way: in the sequence it runs after the seed and data benches and reads lower than in
  // a fresh process (37.7 against 45-56 patches/s in Session 20), so alone is paired with alone.
  const oursAlone = ffdnetTrainingAlone();
  if (oursAlone !== undefined) print('train_ffdnet_patches_per_s_alone', oursAlone, 'patches/s', 'onnxruntime', { process: 'fresh, --only train_ffdnet' });
  // [our figure, the peer's, which is better, the printed name when not `${ours}_vs_torch`]
  const pairs: [string, string, 'higher' | 'lower', string?][] = [
    ['train_seed_samples_per_s', 'seed_ae_train', 'higher'],
    ['train_dncnn17_patches_per_s', 'dncnn17_train', 'higher'],
    ['infer_dncnn20c_1mp_s', 'dncnn20c_infer_color', 'lower'],
    ['train_ffdnet_patches_per_s', 'ffdnet_train', 'higher'],
    ['train_ffdnet_patches_per_s_alone', 'ffdnet_train_alone', 'higher', 'train_ffdnet_patches_per_s_vs_torch_alone'],
    // Ours: the bundled model's whole path, file to file (a luma and two chroma planes, the level-finding
    // pass, decode and encode); the peer: one colour pass of the same depth and width over the photo in memory.
    ['infer_default_12mp_s', 'ffdnet_infer_photo', 'lower'],
  ];
  // Training figures also as wasm alone: what a machine without onnxruntime-node gets.
  pairs.splice(2, 0, ['train_seed_samples_per_s_wasm', 'seed_ae_train', 'higher'], ['train_dncnn17_patches_per_s_wasm', 'dncnn17_train', 'higher']);
  for (const [ours, theirs, better, name] of pairs) {
    if (figures[ours] === undefined || torch[theirs] === undefined) continue;
    const ratio = better === 'higher' ? figures[ours] / torch[theirs] : torch[theirs] / figures[ours];
    console.log(JSON.stringify({ bench: name ?? `${ours}_vs_torch`, value: Number(ratio.toPrecision(3)), unit: 'x PyTorch speed', ours: figures[ours], torch: torch[theirs] }));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
