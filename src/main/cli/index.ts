/**
 * The headless CLI: the same engine the desktop app runs, from a terminal.
 * Parses the command, runs it, and turns user errors into one clear line.
 */
import { isUserError } from '../engine/errors';
import { relaunchWithEngineEnv } from './relaunch';
import { datasetCommand } from './commands/dataset';
import { denoiseCommand } from './commands/denoise';
import { evalCommand } from './commands/eval';
import { exportOnnxCommand } from './commands/export-onnx';
import { infoCommand } from './commands/info';
import { trainCommand } from './commands/train';

const USAGE = `Denoise Lab CLI
usage: npm run cli -- <command> [options]

commands:
  info                          backend, versions and architectures
  dataset fashion-mnist --download [--cache DIR]
  dataset <folder>              count the images in a folder
  train --data <dir|fashion-mnist> --arch <name> --noise <spec> --out <dir> [--epochs N] [--resume] ...
  denoise <files or folders...> --out <dir> [--model <dir>] [--sigma S | --strength X] [--format F]
  eval --model <dir> --clean <dir> --noise gaussian:25 [--seed 0]
  export-onnx --model <dir> --out <file.onnx>

Run a command with --help for its options.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  info: () => infoCommand(),
  dataset: datasetCommand,
  train: trainCommand,
  denoise: denoiseCommand,
  eval: evalCommand,
  'export-onnx': exportOnnxCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`error: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const usage = await import('./usage');
    console.log(usage.usageFor(name));
    return 0;
  }
  try {
    return await command(rest);
  } catch (err) {
    if (isUserError(err)) {
      console.error(`error: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

relaunchWithEngineEnv().then((code) => code ?? main(process.argv.slice(2))).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
