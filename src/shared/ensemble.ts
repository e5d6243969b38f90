/** Self-ensemble sizes: how many flipped and turned passes a photo may be denoised in (engine, contract and app). */
export const ENSEMBLE_PASSES = [1, 2, 4, 8] as const;
export type EnsemblePasses = (typeof ENSEMBLE_PASSES)[number];
