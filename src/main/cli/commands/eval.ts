/** `eval`: per-image and mean PSNR/SSIM on a clean folder, then one JSON line. */
import { initBackend } from '../../engine/runtime/backend';
import { evaluate, EVAL_PROTOCOLS, type EvalProtocol } from '../../engine/inference/evaluate';
import { openModels } from '../../engine/models/store';
import { choice, num, parse, required, str } from '../args';

export const EVAL_USAGE = `usage: eval --clean <dir> --noise gaussian:25 [--model <dir>] [--seed 0] [--protocol user|paper]
            [--ensemble 1|2|4|8] (self-ensemble passes; by default by image size, as denoise does)
  --protocol user (default): 8-bit noisy inputs and no noise level given, as a user's photo goes
                             (the bundled default model and its grey companion unless --model is given)
  --protocol paper:          the papers' AWGN protocol: float noise, true sigma given`;

export async function evalCommand(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    model: { type: 'string' }, clean: { type: 'string' }, noise: { type: 'string' }, seed: { type: 'string' },
    protocol: { type: 'string' }, ensemble: { type: 'string' },
  }, EVAL_USAGE);
  const modelDir = str(v, 'model');
  const protocol = choice<EvalProtocol>(v, 'protocol', EVAL_PROTOCOLS, 'user');
  const clean = required(v, 'clean', EVAL_USAGE);
  const noise = required(v, 'noise', EVAL_USAGE);
  const ensemble = num(v, 'ensemble');
  const backend = await initBackend();
  const models = await openModels(modelDir);
  console.log(`${'image'.padEnd(24)} ${'noisy dB'.padStart(9)} ${'PSNR dB'.padStart(9)} ${'noisy SSIM'.padStart(11)} ${'SSIM'.padStart(7)} ${'sec'.padStart(6)}`);
  const report = await evaluate(models, clean, noise, num(v, 'seed', 0), {
    protocol, ensemble,
    onRow: (r) => console.log(`${r.file.padEnd(24)} ${r.noisyPsnr.toFixed(2).padStart(9)} ${r.psnr.toFixed(2).padStart(9)} ${r.noisySsim.toFixed(4).padStart(11)} ${r.ssim.toFixed(4).padStart(7)} ${r.seconds.toFixed(2).padStart(6)}`),
  });
  const m = report.mean;
  console.log(`${'mean'.padEnd(24)} ${m.noisyPsnr.toFixed(2).padStart(9)} ${m.psnr.toFixed(2).padStart(9)} ${m.noisySsim.toFixed(4).padStart(11)} ${m.ssim.toFixed(4).padStart(7)} ${m.seconds.toFixed(2).padStart(6)}`);
  console.log(JSON.stringify({
    eval: { model: modelDir ?? 'default', clean, noise, protocol, seed: report.seed, ensemble: ensemble ?? 'auto', passes: [...new Set(report.rows.map((r) => r.passes))], images: report.rows.length, backend: backend.name, inference: models.runner.kind },
    psnr: m.psnr, ssim: m.ssim, noisyPsnr: m.noisyPsnr, noisySsim: m.noisySsim,
  }));
  return 0;
}
