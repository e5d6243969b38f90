/**
 * The models a denoiser's folder may hold beside its own, each in a folder of its own: its
 * level estimators (level-code.ts) and its guided chroma denoiser, an ffdnet with a guide input
 * (catalog.ts) that denoises a colour photo's chroma planes told what the denoised luma plane's
 * edges suggest (inference/opponent.ts, chromaGuide; training/config.ts, --planes chroma). Packages, carrying and messages handle them alike.
 */
import { ALL_LEVEL_ESTIMATOR_FOLDERS } from './level-code';

export const CHROMA_DENOISER_FOLDER = 'chroma';

export const COMPANION_FOLDERS: readonly string[] = [...ALL_LEVEL_ESTIMATOR_FOLDERS, CHROMA_DENOISER_FOLDER];
