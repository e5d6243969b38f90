/**
 * The built Electron main bundle (out/main/index.js, built by `npm test` before
 * vitest) loads no ML runtime and no image decoder: following every import it
 * makes, relative chunks included, reaches no TF.js, ONNX Runtime, onnx-proto
 * or sharp. The engine host's own bundle is the one that does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli';

const ML = /^(@tensorflow\/|onnxruntime-node|onnx-proto)/;
/** Image decoders: a hostile file must never stall the process that owns the window. */
const DECODERS = /^(sharp|@img\/)/;

/** Every module specifier a bundle file reaches, following its relative imports. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const specs = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = fs.readFileSync(file, 'utf8');
    for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']/g)) {
      const spec = m[1];
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else specs.add(spec);
    }
  };
  visit(entry);
  return specs;
}

describe('the built main bundle', () => {
  it('imports no ML runtime and no image decoder, while the engine host bundle does', () => {
    const main = reachable(path.join(ROOT, 'out/main/index.js'));
    expect(main.has('electron')).toBe(true);
    expect([...main].filter((s) => ML.test(s) || DECODERS.test(s))).toEqual([]);
    const host = reachable(path.join(ROOT, 'out/main/engine-host.js'));
    expect([...host].filter((s) => ML.test(s)).length).toBeGreaterThan(0);
  });
});
