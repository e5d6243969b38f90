/** `denoise`: files or folders to an output folder, with the bundled model by default. */
import { initBackend } from '../../engine/runtime/backend';
import { denoiseFiles } from '../../engine/inference/denoise-files';
import { UserError } from '../../engine/errors';
import { DEFAULT_GREY_MODEL_NAME, DEFAULT_MODEL_NAME, OUTPUT_FORMATS, type OutputFormat } from '../../../shared/vocabulary';
import { openModels } from '../../engine/models/store';
import { choice, num, parse, required, str } from '../args';
import { Progress } from '../progress';
import { describeNoise } from '../../../shared/noise-reading';

export const DENOISE_USAGE = `usage: denoise <files or folders...> --out <dir> [--model <dir>] [--sigma S | --strength X]
               [--format png|jpeg|webp|tiff] [--quality Q] [--tile T] [--overwrite] [--max-megapixels N]
               [--ensemble 1|2|4|8] (self-ensemble passes; by default as many as fit in 2 MP: small photos get more)`;

export async function denoiseCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, {
    out: { type: 'string' }, model: { type: 'string' }, sigma: { type: 'string' }, strength: { type: 'string' },
    format: { type: 'string' }, quality: { type: 'string' }, tile: { type: 'string' }, overwrite: { type: 'boolean' },
    'max-megapixels': { type: 'string' }, ensemble: { type: 'string' },
  }, DENOISE_USAGE);
  if (positionals.length === 0) throw new UserError(`no input files given\n\n${DENOISE_USAGE}`);
  const outDir = required(v, 'out', DENOISE_USAGE);
  if (v.sigma !== undefined && v.strength !== undefined) throw new UserError('give either --sigma or --strength, not both');
  const sigma = num(v, 'sigma');
  const strength = num(v, 'strength');
  if (sigma !== undefined && !(sigma >= 0 && sigma <= 255)) throw new UserError(`--sigma must be between 0 and 255 (a noise level in 8-bit steps), not ${sigma}`);
  if (strength !== undefined && !(strength >= 0 && strength <= 1)) throw new UserError(`--strength must be between 0 and 1, not ${strength}`);
  const quality = num(v, 'quality');
  if (quality !== undefined && !(quality >= 1 && quality <= 100)) throw new UserError('--quality must be between 1 and 100');
  await initBackend();
  const { grey: greyModel, ...model } = await openModels(str(v, 'model'));
  const bar = new Progress();
  const results = await denoiseFiles(model, positionals, {
    outDir, sigma, strength, quality, tile: num(v, 'tile'), ensemble: num(v, 'ensemble'),
    format: choice<OutputFormat>(v, 'format', OUTPUT_FORMATS), overwrite: Boolean(v.overwrite),
    maxMegapixels: num(v, 'max-megapixels'), greyModel,
    onFile: (p) => bar.update(p.tilesDone / p.tilesTotal, `[${p.index + 1}/${p.total}] ${p.input} tile ${p.tilesDone}/${p.tilesTotal}`, 5000),
  });
  let failed = 0;
  for (const r of results) {
    if (r.ok) {
      const through = greyModel ? `, ${r.model === 'grey' ? DEFAULT_GREY_MODEL_NAME : DEFAULT_MODEL_NAME}` : ''; // which of the bundled pair
      bar.line(`${r.input} -> ${r.output} (${r.width}x${r.height}${through}${r.noise ? `, ${describeNoise(r.noise)}` : ''}${r.mosaic ? `, ${r.mosaic.toUpperCase()} mosaic` : ''}${r.passes > 1 ? `, ${r.passes} passes` : ''}, ${r.seconds.toFixed(2)} s)${r.note ? `; ${r.note}` : ''}`);
    } else {
      failed++;
      bar.line(`error: ${r.error}`);
    }
  }
  if (results.length === 0) throw new UserError('no images found in the given inputs');
  bar.line(`${results.length - failed} denoised, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}
