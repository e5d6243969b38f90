/** Runtime validation of IPC payloads, including hostile ones. */
import { describe, expect, it } from 'vitest';
import { REQUEST_CHANNELS, isRequestChannel, requestSchemas, validatePayload } from '../../src/shared/contract';
import { NOISE_PRESETS } from '../../src/shared/noise-presets';

const goodTrain = {
  datasetId: 'fashion-mnist', arch: 'seed', noise: 'factor:0.3', epochs: 10, batch: 200, lr: 0.001,
  lrSchedule: 'constant', loss: 'bce', patch: 64, patchesPerEpoch: 4096,
};

describe('validatePayload', () => {
  it('accepts well-formed payloads', () => {
    expect(validatePayload('train:start', goodTrain)).toMatchObject({ arch: 'seed' });
    expect(validatePayload('datasets:page', { id: 'fashion-mnist', offset: 0, limit: 100, label: null })).toBeTruthy();
    expect(validatePayload('datasets:list', undefined)).toBeUndefined();
    expect(validatePayload('denoise:run', { ids: ['item-1'], sigma: 25, ensemble: 8 })).toMatchObject({ ensemble: 8 });
  });

  it.each(NOISE_PRESETS.map((p) => [p.label, p.spec]))('accepts the noise preset %s in a run and in the inspector', (_label, spec) => {
    expect(validatePayload('train:start', { ...goodTrain, noise: spec })).toMatchObject({ noise: spec });
    expect(validatePayload('datasets:inspect', { id: 'fashion-mnist', index: 0, noise: spec, seed: 1 })).toMatchObject({ noise: spec });
  });

  it.each([
    ['a noise spec of thousands of characters', 'train:start', { ...goodTrain, noise: 'gaussian:25+'.repeat(200) }, /noise/],
    ['wrong types', 'train:start', { ...goodTrain, epochs: '10' }, /epochs/],
    ['unknown architecture', 'train:start', { ...goodTrain, arch: 'evil' }, /arch/],
    ['extra keys', 'train:start', { ...goodTrain, __proto__x: 1, shell: 'rm -rf /' }, /Unrecognized key/],
    ['negative numbers', 'datasets:page', { id: 'x', offset: -5, limit: 10 }, /offset/],
    ['huge limits', 'datasets:page', { id: 'x', offset: 0, limit: 1e9 }, /limit/],
    ['huge arrays', 'denoise:add', { paths: Array.from({ length: 5000 }, (_, i) => `/p/${i}.png`) }, /paths/],
    ['empty arrays', 'denoise:run', { ids: [] }, /ids/],
    ['path traversal in ids', 'datasets:remove', { id: '../../etc/passwd' }, /invalid id/],
    ['NUL bytes in paths', 'denoise:add', { paths: ['/tmp/a\0.png'] }, /invalid path/],
    ['very long paths', 'datasets:addFolder', { path: 'a'.repeat(5000) }, /path/],
    ['non-object payloads', 'train:stop', 'run-1', /expected object/],
    ['out-of-range sigma', 'denoise:preview', { id: 'item-1', sigma: 1000 }, /sigma/],
    ['NaN', 'denoise:preview', { id: 'item-1', strength: NaN }, /strength/],
    ['an ensemble size that is not 1, 2, 4 or 8', 'denoise:run', { ids: ['item-1'], ensemble: 3 }, /ensemble/],
    ['bad export format', 'denoise:export', { ids: ['item-1'], format: 'exe' }, /format/],
  ])('rejects %s', (_name, channel, payload, message) => {
    expect(() => validatePayload(channel as never, payload)).toThrow(message as RegExp);
  });

  it('knows its channels and nothing else', () => {
    expect(isRequestChannel('train:start')).toBe(true);
    expect(isRequestChannel('constructor')).toBe(false);
    expect(isRequestChannel('__proto__')).toBe(false);
    expect(() => validatePayload('nope' as never, {})).toThrow(/unknown channel/);
    expect([...REQUEST_CHANNELS].sort()).toEqual(Object.keys(requestSchemas).sort());
  });
});
