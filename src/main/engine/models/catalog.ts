/**
 * What each architecture is, without building one: the facts the training
 * config, the app and the CLI need (noise map, size multiple, defaults), kept
 * apart from architectures.ts so that reading them loads no TF.js.
 */
import { UserError } from '../errors';
import { ARCHITECTURES, type ArchitectureName } from '../../../shared/vocabulary';

export interface ArchOptions {
  /** Image channels: 1 (grey) or 3 (colour). */
  channels: 1 | 3;
  depth?: number;
  width?: number;
  batchNorm?: boolean;
  /**
   * Guidable architectures only: one more input channel, after the image's, that a guide image fills (a
   * denoiser's `chroma/` model: each chroma plane filtered under the luma plane's edges, opponent.ts); the output
   * keeps `channels`.
   */
  guide?: boolean;
  /** Seeds the weight initialisers, so a run's starting weights are reproducible. */
  seed?: number;
}

/**
 * What a model's output is: a denoised image, or (a level estimator, levels.ts) a map of the log of
 * its input's noise level, which the engine reads to tell a blind denoiser the level of a photo.
 */
export type ModelTask = 'denoise' | 'noise-level';

export interface ArchitectureFacts {
  name: ArchitectureName;
  task: ModelTask;
  description: string;
  /** Whether the model takes a noise-level map as an extra input channel. */
  noiseMap: boolean;
  /** Whether it can take a guide image as one more input (ArchOptions.guide). */
  guidable: boolean;
  /** Input height and width must be multiples of this (the tiler pads to it). */
  sizeMultiple: number;
  /** Output activation is a sigmoid (suits BCE loss). */
  sigmoidOutput: boolean;
  /** How many input pixels one pixel of the conv stack's activations stands for (4 after a 2×2 pixel-unshuffle). */
  pixelsPerActivation: number;
  defaults: Required<Omit<ArchOptions, 'channels' | 'seed' | 'guide'>>;
}

export const ARCHITECTURE_FACTS: Record<ArchitectureName, ArchitectureFacts> = {
  seed: {
    name: 'seed', task: 'denoise',
    description: "The original notebook's autoencoder: two stride-2 convs, one conv, two stride-2 transposed convs, sigmoid output",
    noiseMap: false, guidable: false, sizeMultiple: 4, sigmoidOutput: true, pixelsPerActivation: 1, defaults: { depth: 5, width: 16, batchNorm: false },
  },
  dncnn: {
    name: 'dncnn', task: 'denoise',
    description: 'DnCNN: a full-resolution conv stack with BatchNorm that predicts the noise, subtracted from the input',
    noiseMap: false, guidable: false, sizeMultiple: 1, sigmoidOutput: false, pixelsPerActivation: 1, defaults: { depth: 17, width: 64, batchNorm: true },
  },
  ffdnet: {
    name: 'ffdnet', task: 'denoise',
    description: 'FFDNet-style model: pixel-unshuffle, a quarter-resolution conv stack with a noise-level map (or "unknown", blind), pixel-shuffle, global residual',
    noiseMap: true, guidable: true, sizeMultiple: 2, sigmoidOutput: false, pixelsPerActivation: 4, defaults: { depth: 12, width: 64, batchNorm: false },
  },
  levelnet: {
    name: 'levelnet', task: 'noise-level',
    description: 'Noise-level estimator: pixel-unshuffle, the Haar detail bands of each 2x2 block, a quarter-resolution conv stack, pixel-shuffle; outputs the log of the noise level at each pixel, which tells a blind denoiser how strong a photo\'s noise is',
    noiseMap: false, guidable: false, sizeMultiple: 2, sigmoidOutput: false, pixelsPerActivation: 4, defaults: { depth: 8, width: 32, batchNorm: false },
  },
};

export function architectureFacts(name: string): ArchitectureFacts {
  if (!(ARCHITECTURES as readonly string[]).includes(name)) {
    throw new UserError(`unknown architecture "${name}" (choose from ${ARCHITECTURES.join(', ')})`);
  }
  return ARCHITECTURE_FACTS[name as ArchitectureName];
}
