/**
 * Named noise specs the app offers beside its free-text noise field (Train
 * view and Datasets inspector); any spec the engine parses may still be typed.
 */
/**
 * The mix the bundled colour model's luma and chroma denoisers train on (docs/models.md, `MIX`, Sessions 13-23):
 * Gaussian, camera noise with and without JPEG and once more at its strong end, and shot + read noise.
 */
export const PHOTO_NOISE_MIX = 'gaussian:0-55+gaussian:0-55+camera+camera:0.0001-0.012+camera:0.004-0.012,60-100+poisson-gaussian:0.0005-0.02,0-10';

export const NOISE_PRESETS = [
  { label: "The notebook's noise (factor 0.3)", spec: 'factor:0.3' },
  { label: 'Gaussian, σ 0–55', spec: 'gaussian:0-55' },
  { label: 'Camera noise (sensor noise, then JPEG 60–100)', spec: 'camera' },
  { label: 'Camera noise, no JPEG', spec: 'camera:0.0001-0.012' },
  { label: 'Shot and read noise (Poisson-Gaussian)', spec: 'poisson-gaussian:0.0005-0.02,0-10' },
  { label: 'Grain-like noise (correlated, σ 0–30, 0.5–2 px)', spec: 'correlated:0-30' },
  { label: 'Photos: Gaussian and camera noise mixed (as the bundled model)', spec: PHOTO_NOISE_MIX },
] as const;

/** One part of a noise spec in words: e.g. `gaussian:0-55` is "Gaussian noise σ 0–55". */
function describePart(part: string): string {
  const [kind, arg = ''] = part.trim().split(':');
  switch (kind) {
    case 'none': return 'no added noise: its own noisy photos (self-supervised)';
    case 'factor': return `the notebook's noise (factor ${arg})`;
    case 'gaussian': return `Gaussian noise σ ${arg.replace('-', '–')}`;
    case 'poisson-gaussian': return 'shot and read noise';
    case 'salt-pepper': return 'salt-and-pepper noise';
    case 'correlated': return `grain-like (correlated) noise σ ${arg.split(',')[0].replace('-', '–')}`;
    case 'camera': {
      // Plain `camera` and `camera:S,Q[,M]` end in JPEG; `camera:S[,M]` does not. M names the mosaic.
      const [, ...rest] = arg.split(',');
      const mosaic = rest.map((p) => /^(as-)?([a-z]+)$/i.exec(p.trim())).find((m) => m !== null);
      const jpeg = arg === '' || rest.some((p) => /\d/.test(p));
      const where = mosaic ? ` (${mosaic[1] ? 'any mosaic, moved into ' : ''}${mosaic[2].toUpperCase()}${mosaic[1] ? '' : ' mosaic'})` : '';
      return `camera noise ${jpeg ? 'with' : 'without'} JPEG${where}`;
    }
    default: return part;
  }
}

/** A noise spec in words, for people: a preset's label, or its parts described once each. */
export function describeNoiseSpec(spec: string): string {
  const preset = NOISE_PRESETS.find((p) => p.spec === spec);
  if (preset) return preset.label;
  return [...new Set(spec.split('+').map(describePart))].join(', ');
}
