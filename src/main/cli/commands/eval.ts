/** `eval`: per-image and mean PSNR/SSIM on a clean folder, then one JSON line. */
import { initBackend } from '../../engine/backend';
import { evaluate } from '../../engine/evaluate';
import { openDenoiser } from '../../engine/models/store';
import { num, parse, required } from '../args';

export const EVAL_USAGE = 'usage: eval --model <dir> --clean <dir> --noise gaussian:25 [--seed 0] [--estimate-sigma] [--ensemble 1|2|4|8]';

export async function evalCommand(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    model: { type: 'string' }, clean: { type: 'string' }, noise: { type: 'string' }, seed: { type: 'string' },
    'estimate-sigma': { type: 'boolean' }, ensemble: { type: 'string' },
  }, EVAL_USAGE);
  const modelDir = required(v, 'model', EVAL_USAGE);
  const clean = required(v, 'clean', EVAL_USAGE);
  const noise = required(v, 'noise', EVAL_USAGE);
  const ensemble = num(v, 'ensemble');
  const backend = await initBackend();
  const { runner, manifest } = await openDenoiser(modelDir);
  console.log(`${'image'.padEnd(24)} ${'noisy dB'.padStart(9)} ${'PSNR dB'.padStart(9)} ${'noisy SSIM'.padStart(11)} ${'SSIM'.padStart(7)} ${'sec'.padStart(6)}`);
  const report = await evaluate(runner, manifest, clean, noise, num(v, 'seed', 0), {
    estimateSigma: Boolean(v['estimate-sigma']), ensemble,
    onRow: (r) => console.log(`${r.file.padEnd(24)} ${r.noisyPsnr.toFixed(2).padStart(9)} ${r.psnr.toFixed(2).padStart(9)} ${r.noisySsim.toFixed(4).padStart(11)} ${r.ssim.toFixed(4).padStart(7)} ${r.seconds.toFixed(2).padStart(6)}`),
  });
  const m = report.mean;
  console.log(`${'mean'.padEnd(24)} ${m.noisyPsnr.toFixed(2).padStart(9)} ${m.psnr.toFixed(2).padStart(9)} ${m.noisySsim.toFixed(4).padStart(11)} ${m.ssim.toFixed(4).padStart(7)} ${m.seconds.toFixed(2).padStart(6)}`);
  console.log(JSON.stringify({
    eval: { model: modelDir, clean, noise, seed: report.seed, ensemble: ensemble ?? 1, images: report.rows.length, backend: backend.name, inference: runner.kind },
    psnr: m.psnr, ssim: m.ssim, noisyPsnr: m.noisyPsnr, noisySsim: m.noisySsim,
  }));
  return 0;
}
