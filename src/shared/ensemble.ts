/** Self-ensemble sizes: how many flipped and turned passes a photo may be denoised in (engine, contract and app). */
export const ENSEMBLE_PASSES = [1, 2, 4, 8] as const;
export type EnsemblePasses = (typeof ENSEMBLE_PASSES)[number];

/**
 * When no pass count is asked for, a photo gets as many passes as fit in this many pixels: up to
 * 0.25 MP (web and crop sizes) eight, up to 0.5 MP four, up to 1 MP two, larger photos one. A
 * photo's passes then cost at most one pass over a 2 MP photo, and a phone's 12 MP photo keeps its
 * one pass (docs/models.md, Session 27: eight passes gain 0.1-0.2 dB).
 */
export const AUTO_ENSEMBLE_PIXELS = 2_000_000;

/** The passes a photo of `pixels` pixels gets when none are asked for (AUTO_ENSEMBLE_PIXELS). */
export function autoEnsemble(pixels: number): EnsemblePasses {
  return [...ENSEMBLE_PASSES].reverse().find((p) => p * pixels <= AUTO_ENSEMBLE_PIXELS) ?? 1;
}
