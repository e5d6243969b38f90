/**
 * ONNX Runtime's settings from the environment: the thread count (DENOISE_ONNX_THREADS when it is a whole
 * number of at least 1, else every core) and the execution providers (DENOISE_ONNX_PROVIDERS, else the CPU).
 */
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunner, loadOnnxRuntime, onnxProviders, onnxThreads } from '../../../../src/main/engine/runtime/runner';
import { getArchitecture } from '../../../../src/main/engine/models/architectures';
import { initBackend } from '../../../../src/main/engine/runtime/backend';

/** Puts an environment variable back as it was after each test of the block. */
function restoreAfterEach(name: string) {
  const saved = process.env[name];
  afterEach(() => {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  });
}

describe('onnxThreads', () => {
  restoreAfterEach('DENOISE_ONNX_THREADS');

  it('is every core unless told otherwise', () => {
    delete process.env.DENOISE_ONNX_THREADS;
    expect(onnxThreads()).toBe(os.availableParallelism());
  });
  it.each([['1', 1], ['3', 3]])('is DENOISE_ONNX_THREADS=%s', (value, want) => {
    process.env.DENOISE_ONNX_THREADS = value;
    expect(onnxThreads()).toBe(want);
  });
  it.each(['0', '-2', '1.5', 'many', ''])('ignores DENOISE_ONNX_THREADS=%j', (value) => {
    process.env.DENOISE_ONNX_THREADS = value;
    expect(onnxThreads()).toBe(os.availableParallelism());
  });
});

describe('onnxProviders', () => {
  restoreAfterEach('DENOISE_ONNX_PROVIDERS');

  it('is the CPU unless told otherwise, and the list given, in order', () => {
    delete process.env.DENOISE_ONNX_PROVIDERS;
    expect(onnxProviders()).toEqual(['cpu']);
    process.env.DENOISE_ONNX_PROVIDERS = ' CUDA, cpu ';
    expect(onnxProviders()).toEqual(['cuda', 'cpu']);
  });
  it('refuses a name it does not know, listing the ones it does', () => {
    process.env.DENOISE_ONNX_PROVIDERS = 'cpu,gpu';
    expect(() => onnxProviders()).toThrow('DENOISE_ONNX_PROVIDERS names gpu; choose from cpu, cuda, tensorrt, dml, coreml');
  });
  it.skipIf(!loadOnnxRuntime())('runs on the provider named, and says why when the installed build lacks it instead of falling back', async () => {
    await initBackend();
    const model = getArchitecture('ffdnet').build({ channels: 1, depth: 3, width: 4, seed: 1 });
    process.env.DENOISE_ONNX_PROVIDERS = 'cpu';
    const runner = await createRunner(model);
    expect(runner.kind).toBe('onnxruntime');
    expect((await runner.run(new Float32Array(4 * 4 * 2).fill(0.5), 1, 4, 4, 2)).length).toBe(16);
    runner.dispose();
    // This machine's onnxruntime-node has no CUDA binaries (.npmrc skips them).
    process.env.DENOISE_ONNX_PROVIDERS = 'cuda';
    await expect(createRunner(model)).rejects.toThrow(/ONNX Runtime could not start with DENOISE_ONNX_PROVIDERS=cuda/);
    model.dispose();
  });
});
