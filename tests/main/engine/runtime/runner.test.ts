/** ONNX Runtime's thread count: DENOISE_ONNX_THREADS when it is a whole number of at least 1, else every core. */
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { onnxThreads } from '../../../../src/main/engine/runtime/runner';

describe('onnxThreads', () => {
  const saved = process.env.DENOISE_ONNX_THREADS;
  afterEach(() => {
    if (saved === undefined) delete process.env.DENOISE_ONNX_THREADS;
    else process.env.DENOISE_ONNX_THREADS = saved;
  });

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
