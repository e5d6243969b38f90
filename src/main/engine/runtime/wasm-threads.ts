/**
 * Multi-threaded SIMD wasm under Node (CLI, tests, Electron's utility process).
 *
 * The npm package can only start its threaded build in browsers: it hands
 * Emscripten's pthread workers a `blob:` URL, which Node's worker_threads
 * refuse. Here the same build is created with a file-backed worker script
 * (written once per package version to the temp folder) and the glue file's
 * own path as the script each worker imports. The package also caps its
 * XNNPACK thread pool at half the logical cores (it assumes hyper-threading),
 * so the core count it reads during start-up is doubled for the requested
 * pool. The result is registered as the 'wasm' backend, kernels unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The Emscripten module as far as this file and BackendWasm use it. */
interface EmscriptenWasmModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  PThread: { runningWorkers: { unref(): void }[] };
  tfjs?: Record<string, (...args: number[]) => number>;
}
type WasmFactory = (config: { locateFile(file: string, prefix: string): string; mainScriptUrlOrBlob: string }) => Promise<EmscriptenWasmModule>;

function packageDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

/** Files a worker thread reads itself must sit outside Electron's asar archive. */
function unpacked(file: string): string {
  return file.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
}

/** Writes the pthread worker script that ships as a string in the package to a file (atomically, once). */
function workerScriptFile(): string {
  const { wasmWorkerContents } = require(path.join(packageDir(), 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The string's "\n" escapes became real newlines inside string literals; put the escapes back.
  const script = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(script).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `denoise-lab-wasm-pthread-${hash}.cjs`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, script);
    fs.renameSync(tmp, file);
  }
  return file;
}

/** Runs `fn` while Node reports `cores` logical cores twice over (see the header). */
async function withDoubledCores<T>(cores: number, fn: () => Promise<T>): Promise<T> {
  const real = os.cpus;
  const one = real()[0];
  (os as { cpus: () => os.CpuInfo[] }).cpus = () => Array.from({ length: 2 * cores }, () => one);
  try {
    return await fn();
  } finally {
    os.cpus = real;
  }
}

/**
 * Registers the threaded-SIMD build as the 'wasm' backend with a pool of
 * `threads` XNNPACK threads, replacing the package's single-threaded factory.
 * Call before the wasm backend is first used; `wasmDir` holds the .wasm files.
 */
export async function registerThreadedWasm(threads: number, wasmDir: string): Promise<void> {
  const wasmPackage = await import('@tensorflow/tfjs-backend-wasm');
  const glue = path.join(packageDir(), 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const factory = require(glue) as WasmFactory;
  const worker = workerScriptFile();
  const module = await withDoubledCores(threads, () => factory({
    locateFile: (file, prefix) => (file.endsWith('.worker.js') ? worker : file.endsWith('.wasm') ? path.join(wasmDir, file) : prefix + file),
    mainScriptUrlOrBlob: unpacked(glue),
  }));
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  wasmPackage.setThreadsCount(threads);
  tf.removeBackend('wasm');
  const registered = tf.registerBackend('wasm', () => {
    const backend = new wasmPackage.BackendWasm(module as unknown as ConstructorParameters<typeof wasmPackage.BackendWasm>[0]);
    // The pool's threads live as long as the process; they must not keep it from exiting.
    for (const w of module.PThread.runningWorkers) w.unref();
    return backend;
  }, 2);
  if (!registered) throw new Error('could not register the threaded wasm backend');
}

/** XNNPACK threads of the active wasm backend (1 for the single-threaded build). */
export async function wasmThreadCount(): Promise<number> {
  const wasmPackage = await import('@tensorflow/tfjs-backend-wasm');
  return wasmPackage.getThreadsCount();
}
