/** `info`: the backend, versions, and the architectures with their sizes. */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../engine/backend';
import { ARCHITECTURES, modelStats } from '../../engine/models/architectures';
import { ENGINE_VERSION } from '../../engine/version';
import { loadOnnxRuntime, onnxUnavailable } from '../../engine/runner';

export async function infoCommand(): Promise<number> {
  const backend = await initBackend();
  console.log(`Denoise Lab engine ${ENGINE_VERSION}`);
  console.log(`backend: ${backend.name}${backend.simd ? ' (SIMD)' : ''}, threads: ${backend.threads}`);
  for (const s of backend.skipped) console.log(`  skipped ${s.name}: ${s.reason}`);
  console.log(`TensorFlow.js ${backend.tfjsVersion}, Node ${process.versions.node}`);
  const ort = loadOnnxRuntime();
  console.log(`inference: ${ort ? `onnxruntime-node ${ort.env.versions.node} (CPU, all cores)` : `TF.js (onnxruntime-node unavailable: ${onnxUnavailable})`}`);
  console.log('\narchitectures (defaults, grey / colour):');
  for (const arch of Object.values(ARCHITECTURES)) {
    const stats = ([1, 3] as const).map((channels) => {
      const model = arch.build({ ...arch.defaults, channels });
      const s = modelStats(model);
      model.dispose();
      return s;
    });
    const fmt = (n: number) => n.toLocaleString('en-US');
    console.log(`  ${arch.name.padEnd(7)} ${fmt(stats[0].trainableParams).padStart(9)} / ${fmt(stats[1].trainableParams).padStart(9)} params, ` +
      `${fmt(stats[0].flopsPerPixel).padStart(9)} / ${fmt(stats[1].flopsPerPixel).padStart(9)} FLOPs/pixel  ${arch.description}`);
  }
  tf.disposeVariables();
  return 0;
}
