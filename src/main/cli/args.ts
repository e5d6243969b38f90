/**
 * Command-line argument helpers: node's parseArgs with errors turned into
 * usage messages, and typed readers for numbers and choices.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../engine/errors';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * A negative number after an option that takes a value is that value
 * (`--sigma -1`), so the option's own check can explain what it accepts
 * instead of parseArgs calling the argument ambiguous.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([^=]+)$/.exec(argv[i])?.[1];
    if (name && options[name]?.type === 'string' && i + 1 < argv.length && /^-\d|^-\.\d/.test(argv[i + 1])) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

export function parse(argv: string[], options: Options, usage: string): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (err) {
    throw new UserError(`${(err as Error).message.split('\n')[0]}\n\n${usage}`);
  }
}

export function str(v: Values, key: string): string | undefined {
  const x = v[key];
  return typeof x === 'string' ? x : undefined;
}

export function required(v: Values, key: string, usage: string): string {
  const x = str(v, key);
  if (!x) throw new UserError(`--${key} is required\n\n${usage}`);
  return x;
}

export function num(v: Values, key: string, fallback: number): number;
export function num(v: Values, key: string, fallback?: number): number | undefined;
export function num(v: Values, key: string, fallback?: number): number | undefined {
  const x = str(v, key);
  if (x === undefined) return fallback;
  const n = Number(x);
  if (x.trim() === '' || !Number.isFinite(n)) throw new UserError(`--${key} must be a number, not "${x}"`);
  return n;
}

export function choice<T extends string>(v: Values, key: string, choices: readonly T[], fallback: T): T;
export function choice<T extends string>(v: Values, key: string, choices: readonly T[], fallback?: T): T | undefined;
export function choice<T extends string>(v: Values, key: string, choices: readonly T[], fallback?: T): T | undefined {
  const x = str(v, key);
  if (x === undefined) return fallback;
  if (!(choices as readonly string[]).includes(x)) throw new UserError(`--${key} must be one of ${choices.join(', ')}, not "${x}"`);
  return x as T;
}
