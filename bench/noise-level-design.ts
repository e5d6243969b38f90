/**
 * The design table of docs/models.md ("Blind by default"): a colour image's opponent planes
 * through a blind plane model, each plane's level set five ways (one pass told "unknown",
 * the wavelet estimate, the RMS a blind pass removes, the larger of those two as the engine
 * does, the true RMS), mean PSNR over a folder.
 *   tsx bench/noise-level-design.ts <model dir> <clean folder> <noise spec>
 */
import { initBackend } from '../src/main/engine/runtime/backend';
import { openDenoiser } from '../src/main/engine/models/store';
import { denoiseImage } from '../src/main/engine/inference/denoise-image';
import { estimateNoiseSigma } from '../src/main/engine/inference/noise-level';
import { readImage } from '../src/main/engine/image/io';
import { makeImage, type FloatImage } from '../src/main/engine/image/float-image';
import { psnr, mse } from '../src/main/engine/image/metrics';
import { Rng } from '../src/main/engine/data/rng';
import { applyNoise, parseNoiseSpec } from '../src/main/engine/data/noise';
import { modelInputData, UNKNOWN_NOISE_LEVEL } from '../src/main/engine/models/input';
import { toOpponent, fromOpponent } from '../src/main/engine/inference/opponent';
import { halve, double } from '../src/main/engine/image/resample';
import fs from 'node:fs/promises';
await initBackend();
const [model, dir, spec] = process.argv.slice(2);
const { runner, manifest } = await openDenoiser(model);
const told = { ...manifest, blind: false };
const rng = new Rng(0);
const sums: Record<string, number> = {};
let n = 0;
for (const f of (await fs.readdir(dir)).sort()) {
  const { image } = await readImage(`${dir}/${f}`);
  const noisy = makeImage(image.width, image.height, 3, applyNoise(image, parseNoiseSpec(spec), rng).noisy);
  const cp = toOpponent(image).map((p, k) => (k === 0 ? p : halve(p)));
  const np = toOpponent(noisy).map((p, k) => (k === 0 ? p : halve(p)));
  const rows: Record<string, (k: number) => Promise<FloatImage>> = {
    onePassUnknown: (k) => oneUnknown(np[k]),
    wavelet: async (k) => (await denoiseImage({ runner, manifest: told }, np[k], { sigma: estimateNoiseSigma(np[k]) })).image,
    blindPassLevel: async (k) => { const first = await oneUnknown(np[k]); return (await denoiseImage({ runner, manifest: told }, np[k], { sigma: Math.sqrt(mse(np[k].data, first.data)) * 255 })).image; },
    engine: async (k) => (await denoiseImage({ runner, manifest }, np[k])).image,
    trueLevel: async (k) => (await denoiseImage({ runner, manifest: told }, np[k], { sigma: Math.sqrt(mse(np[k].data, cp[k].data)) * 255 })).image,
  };
  for (const [name, run] of Object.entries(rows)) {
    const outs: FloatImage[] = [];
    for (let k = 0; k < 3; k++) { const o = await run(k); outs.push(k === 0 ? o : double(o, image.width, image.height)); }
    sums[name] = (sums[name] ?? 0) + psnr(fromOpponent(outs as any).data, image.data);
  }
  n++;
}
async function oneUnknown(p: FloatImage): Promise<FloatImage> {
  // One pass told "unknown", straight through the runner (the even-sized part; an odd last row or column stays as it was).
  const w = p.width - (p.width % 2), h = p.height - (p.height % 2);
  const src = makeImage(w, h, 1); for (let y = 0; y < h; y++) src.data.set(p.data.subarray(y * p.width, y * p.width + w), y * w);
  const out = await runner.run(modelInputData(src.data, 1, h, w, 1, [UNKNOWN_NOISE_LEVEL]), 1, h, w, 2);
  const full = makeImage(p.width, p.height, 1, Float32Array.from(p.data));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) full.data[y * p.width + x] = Math.min(1, Math.max(0, out[y * w + x]));
  return full;
}
console.log(spec, Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, (v / n).toFixed(2)])));
