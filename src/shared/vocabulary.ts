/**
 * The project's vocabulary, each list kept once: the engine validates against
 * these, the IPC contract builds its schemas from them, and the app and CLI
 * offer them as choices.
 */
export const ARCHITECTURES = ['seed', 'dncnn', 'ffdnet', 'levelnet'] as const;
export type ArchitectureName = (typeof ARCHITECTURES)[number];

/** The bundled models' names: the default (colour photos) and its grey companion. */
export const DEFAULT_MODEL_NAME = 'default';
export const DEFAULT_GREY_MODEL_NAME = 'default-grey';

export const LR_SCHEDULES = ['constant', 'cosine', 'step'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

export const LOSSES = ['mse', 'l1', 'bce'] as const;
export type LossName = (typeof LOSSES)[number];

/** What computes training steps: ONNX Runtime when it loads and supports the model (auto), or either on request. */
export const TRAINERS = ['auto', 'onnxruntime', 'tfjs'] as const;
export type TrainerChoice = (typeof TRAINERS)[number];

/** The file extensions read as photos (folders are scanned for these, drops are checked against them). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.bmp', '.gif'] as const;
export const isImageName = (name: string): boolean => IMAGE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp', 'tiff'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
