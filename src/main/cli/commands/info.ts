/** `info`: the backend, versions, and the architectures with their sizes. */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../engine/runtime/backend';
import { ALL_ARCHITECTURES, architectureStats } from '../../engine/models/architectures';
import { ENGINE_VERSION } from '../../engine/version';
import { gradientGraphSupport } from '../../engine/onnx/gradients';
import { ENGINE_GLIBC_TUNABLE, engineProcessEnv } from '../../engine/runtime/allocator';
import { int8Inference, loadOnnxRuntime, onnxProviders, onnxThreads, onnxUnavailable } from '../../engine/runtime/runner';
import { nchwcBlockSize } from '../../engine/runtime/nchwc';

export async function infoCommand(): Promise<number> {
  const backend = await initBackend();
  console.log(`Denoise Lab engine ${ENGINE_VERSION}`);
  console.log(`backend: ${backend.name}${backend.simd ? ' (SIMD)' : ''}, threads: ${backend.threads}`);
  if (backend.threadsNote) console.log(`  ${backend.threadsNote}`);
  for (const s of backend.skipped) console.log(`  skipped ${s.name}: ${s.reason}`);
  console.log(`TensorFlow.js ${backend.tfjsVersion}, Node ${process.versions.node}`);
  const ort = loadOnnxRuntime();
  const threads = onnxThreads();
  console.log(`inference: ${ort ? `onnxruntime-node ${ort.env.versions.node} (${onnxProviders().join(', ')}; ${threads} thread${threads === 1 ? '' : 's'})` : `TF.js (onnxruntime-node unavailable: ${onnxUnavailable})`}`);
  if (ort) console.log(`  models trained with --int8 run ${int8Inference() ? '8-bit integer convolutions (DENOISE_INT8=0: float)' : 'in float (DENOISE_INT8=0)'}`);
  if (process.platform === 'linux') {
    const on = engineProcessEnv() === process.env;
    console.log(`memory: ${on ? 'transparent huge pages for large buffers' : 'glibc defaults'} (GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? ''}${on ? '' : `; the engine asks for ${ENGINE_GLIBC_TUNABLE}`})`);
  }
  const block = ort ? await nchwcBlockSize() : 0;
  const blocked = block ? `; blocked NCHWc convolutions, ${block} channels a block` : ort ? '; no blocked (NCHWc) convolutions here' : '';
  console.log(`training steps: ${ort ? `onnxruntime-node for the architectures marked *, TF.js for the others${blocked}` : 'TF.js'}`);
  console.log('\narchitectures (defaults, grey / colour):');
  for (const arch of ALL_ARCHITECTURES) {
    const { grey, colour } = architectureStats(arch);
    const fmt = (n: number) => n.toLocaleString('en-US');
    const onnxTrained = ort && !gradientGraphSupport(arch.build({ channels: 1, seed: 1 }), arch.sigmoidOutput ? 'bce' : 'mse');
    console.log(`  ${`${arch.name}${onnxTrained ? '*' : ''}`.padEnd(7)} ${fmt(grey.trainableParams).padStart(9)} / ${fmt(colour.trainableParams).padStart(9)} params, ` +
      `${fmt(grey.flopsPerPixel).padStart(9)} / ${fmt(colour.flopsPerPixel).padStart(9)} FLOPs/pixel  ${arch.description}`);
  }
  tf.disposeVariables();
  return 0;
}
