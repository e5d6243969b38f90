/** `export-onnx`: writes a saved model as an ONNX file (for ONNX Runtime, including its GPU providers). */
import fs from 'node:fs/promises';
import path from 'node:path';
import { initBackend } from '../../engine/runtime/backend';
import { writeFileAtomic } from '../../engine/atomic-fs';
import { UserError } from '../../engine/errors';
import { loadDenoiser } from '../../engine/models/store';
import { exportOnnx } from '../../engine/onnx/export';
import { int8InUse } from '../../engine/runtime/runner';
import { parse, required } from '../args';

export const EXPORT_ONNX_USAGE = 'usage: export-onnx --model <dir> --out <file.onnx>';

export async function exportOnnxCommand(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, { model: { type: 'string' }, out: { type: 'string' } }, EXPORT_ONNX_USAGE);
  const modelDir = required(v, 'model', EXPORT_ONNX_USAGE);
  const out = required(v, 'out', EXPORT_ONNX_USAGE);
  if (path.resolve(out).startsWith(path.resolve(modelDir) + path.sep) && path.basename(out) === 'model.json') {
    throw new UserError('refusing to write over the model itself', out);
  }
  await initBackend();
  const { model, manifest } = await loadDenoiser(modelDir);
  // A model trained for 8-bit inference is written as it runs here: its integer convolutions (QDQ), unless DENOISE_INT8=0.
  const int8 = int8InUse(manifest.int8);
  const bytes = exportOnnx(model, { producer: `denoise-lab ${manifest.arch.name}`, int8 });
  await fs.mkdir(path.dirname(path.resolve(out)), { recursive: true });
  await writeFileAtomic(out, bytes);
  const cin = manifest.noiseMap ? manifest.channels + 1 : manifest.channels;
  console.log(`wrote ${out} (${(bytes.length / 1e6).toFixed(2)} MB): input "input" [N,H,W,${cin}] in [0,1]` +
    `${manifest.noiseMap ? ' (last channel: noise sigma / 255)' : ''}, output "output" [N,H,W,${manifest.channels}]; H and W multiples of ${manifest.sizeMultiple}` +
    `${int8 ? `; ${Object.keys(int8).length} convolutions in 8-bit integers (QuantizeLinear / DequantizeLinear; DENOISE_INT8=0 for float)` : ''}`);
  return 0;
}
