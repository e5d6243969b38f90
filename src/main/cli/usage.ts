/** Per-command usage texts for --help. */
import { DATASET_USAGE } from './commands/dataset';
import { DENOISE_USAGE } from './commands/denoise';
import { EVAL_USAGE } from './commands/eval';
import { EXPORT_ONNX_USAGE } from './commands/export-onnx';
import { TRAIN_USAGE } from './commands/train';

export function usageFor(command: string): string {
  return ({ dataset: DATASET_USAGE, train: TRAIN_USAGE, denoise: DENOISE_USAGE, eval: EVAL_USAGE, 'export-onnx': EXPORT_ONNX_USAGE } as Record<string, string>)[command]
    ?? 'usage: info';
}
