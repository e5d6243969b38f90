/**
 * How the noise level of a denoised photo was set, for the CLI and the app to
 * show: given by the user, estimated from the photo before denoising, or left
 * to a blind model (then `sigma` is the level the model was told after finding it).
 * Levels are on the 0-255 scale.
 */
export type NoiseReading =
  | { kind: 'given'; sigma: number }
  | { kind: 'estimated'; sigma: number }
  | { kind: 'blind'; sigma: number };

/** E.g. "σ 25 (set)", "σ ≈ 12 (estimated)", "σ ≈ 9 (found by the model)". */
export function describeNoise(n: NoiseReading): string {
  switch (n.kind) {
    case 'given': return `σ ${n.sigma.toFixed(1)} (set)`;
    case 'estimated': return `σ ≈ ${n.sigma.toFixed(1)} (estimated)`;
    case 'blind': return `σ ≈ ${n.sigma.toFixed(1)} (found by the model)`;
  }
}
