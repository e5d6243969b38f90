/**
 * Where the app keeps its state under the user-data folder: settings,
 * datasets, runs, imported models and denoise outputs. JSON files are written
 * atomically.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic } from '../engine/atomic-fs';

export interface AppPaths {
  root: string;
  /** App settings the services share (the default model, the last export folder). */
  settings: string;
  runs: string;
  models: string;
  denoised: string;
  fashionMnist: string;
}

export function appPaths(userData: string): AppPaths {
  return {
    root: userData,
    settings: path.join(userData, 'settings.json'),
    runs: path.join(userData, 'runs'),
    models: path.join(userData, 'models'),
    denoised: path.join(userData, 'denoised'),
    fashionMnist: path.join(userData, 'fashion-mnist'),
  };
}

export async function readJson<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeJsonAtomic(file, value);
}

/** Writes in progress per file: updates to one file run one after another, so none is lost. */
const updating = new Map<string, Promise<unknown>>();

/** Rewrites the JSON object in `file` (an empty one when missing) as `change` returns it. */
export function updateJson<T extends object>(file: string, change: (current: T) => T): Promise<void> {
  const next = (updating.get(file) ?? Promise.resolve())
    .catch(() => undefined)
    .then(async () => writeJson(file, change(await readJson<T>(file, {} as T))));
  updating.set(file, next);
  return next;
}
