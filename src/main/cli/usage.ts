/** Per-command usage texts for --help. */
import { DATASET_USAGE } from './commands/dataset';
import { DENOISE_USAGE } from './commands/denoise';
import { EVAL_USAGE } from './commands/eval';
import { TRAIN_USAGE } from './commands/train';

export function usageFor(command: string): string {
  return ({ dataset: DATASET_USAGE, train: TRAIN_USAGE, denoise: DENOISE_USAGE, eval: EVAL_USAGE } as Record<string, string>)[command]
    ?? 'usage: info';
}
