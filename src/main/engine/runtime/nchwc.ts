/**
 * ONNX Runtime's blocked (NCHWc) convolutions on this CPU: their channel block (16 with AVX-512,
 * 8 with AVX2), found once by running its ReorderInput op on four channels (the least it takes)
 * and reading how far it pads them; 0 where the build has no such kernels or the sessions run on
 * another execution provider. ONNX Runtime blocks only convolutions whose kernels are constants, so
 * graphs whose kernels are inputs ask for them themselves (onnx/blocked-conv.ts).
 * DENOISE_ONNX_NCHWC=0 turns them off (to compare).
 */
import { encodeModel, NCHWC_DOMAIN, valueInfo } from '../onnx/graph';
import { createOnnxSession, loadOnnxRuntime, onnxProviders } from './runner';

let block: Promise<number> | undefined;

/** The NCHWc channel block ONNX Runtime uses here, or 0 for none. */
export function nchwcBlockSize(): Promise<number> {
  block ??= probe().catch(() => 0);
  return block;
}

async function probe(): Promise<number> {
  const ort = loadOnnxRuntime();
  if (!ort || process.env.DENOISE_ONNX_NCHWC === '0' || onnxProviders().some((p) => p !== 'cpu')) return 0;
  const graph = {
    name: 'nchwc_probe', node: [{ opType: 'ReorderInput', domain: NCHWC_DOMAIN, input: ['x'], output: ['y'] }],
    input: [valueInfo('x', [1, 4, 1, 1])], output: [valueInfo('y', [1, 'C', 1, 1])],
  };
  const session = await createOnnxSession(ort, encodeModel(graph, 'denoise-lab'), 1);
  try {
    const { y } = await session.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
    return y.dims[1];
  } finally {
    await session.release();
  }
}
