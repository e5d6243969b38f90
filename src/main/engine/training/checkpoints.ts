/**
 * Training checkpoints: the model, the Adam state and the loop's position
 * (RNG, epoch, step, history) in one folder per checkpoint, written to a
 * temporary name and renamed, with `latest.json` pointing at the newest; the
 * two newest are kept. Each folder lists its files' SHA-256 in
 * `checksums.json`, written last, so a damaged checkpoint is recognised and
 * the newest intact one is used instead (folder names sort by position, so
 * `latest.json` is only a convenience for people reading the folder). A run
 * killed at any moment resumes from the last one; the temporary folders of
 * writes it interrupted are removed by the next write.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../atomic-fs';
import { saveModelFiles } from '../models/store';
import type { RngState } from '../data/rng';
import type { TrainConfig } from './config';
import type { EpochMetrics } from '../../../shared/epoch-metrics';

export interface CheckpointState {
  config: TrainConfig;
  epoch: number;
  step: number;
  rng: RngState;
  plan: number[] | null;
  history: EpochMetrics[];
  elapsedSec: number;
  /** Running sums for the partial epoch. */
  partial: { lossSum: number; samples: number; seconds: number };
  created: string;
}

const CHECKPOINT_DIR = 'checkpoints';
const LATEST = 'latest.json';

export function checkpointRoot(out: string): string {
  return path.join(out, CHECKPOINT_DIR);
}

const CHECKSUMS = 'checksums.json';
const NAME = /^epoch-\d+-step-\d+$/;
const TEMPORARY = /^\.epoch-\d+-step-\d+\.tmp-/;

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

/** Why a checkpoint folder cannot be used, or null when it is intact. */
async function damage(dir: string): Promise<string | null> {
  try {
    const sums = JSON.parse(await fs.readFile(path.join(dir, CHECKSUMS), 'utf8').catch(() => 'null')) as Record<string, string> | null;
    if (sums) {
      for (const [file, sum] of Object.entries(sums)) if ((await sha256(path.join(dir, file))) !== sum) return `${file} does not match its checksum`;
    }
    // Checkpoints from before checksums: the state must at least parse.
    const state = JSON.parse(await fs.readFile(path.join(dir, 'state.json'), 'utf8')) as CheckpointState;
    if (!Number.isInteger(state.epoch) || state.epoch < 0 || !Number.isInteger(state.step) || state.step < 0) return 'state.json has an invalid position';
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `a file is missing (${path.basename((err as NodeJS.ErrnoException).path ?? '')})` : `unreadable (${(err as Error).message})`;
  }
}

export interface FoundCheckpoint {
  dir: string;
  /** Newer checkpoints that were damaged, and why. */
  skipped: { dir: string; reason: string }[];
}

/** The newest intact checkpoint of a run folder, with the damaged newer ones it passed over. */
export async function findCheckpoint(out: string): Promise<FoundCheckpoint | null> {
  const root = checkpointRoot(out);
  const names = (await fs.readdir(root).catch(() => [] as string[])).filter((d) => NAME.test(d)).sort().reverse();
  const skipped: FoundCheckpoint['skipped'] = [];
  for (const name of names) {
    const dir = path.join(root, name);
    const reason = await damage(dir);
    if (!reason) return { dir, skipped };
    skipped.push({ dir, reason });
  }
  return null;
}

/** Describes the newest intact checkpoint of a run folder, if it has one. */
export async function latestCheckpoint(out: string): Promise<{ dir: string; epoch: number; step: number; config: TrainConfig; history: EpochMetrics[] } | null> {
  const found = await findCheckpoint(out);
  if (!found) return null;
  const state: CheckpointState = JSON.parse(await fs.readFile(path.join(found.dir, 'state.json'), 'utf8'));
  return { dir: found.dir, epoch: state.epoch, step: state.step, config: state.config, history: state.history };
}

/** Removes temporary folders left by interrupted writes (the run lock guarantees none is being written). */
export async function removeOrphans(out: string): Promise<string[]> {
  const root = checkpointRoot(out);
  const orphans = (await fs.readdir(root).catch(() => [] as string[])).filter((d) => TEMPORARY.test(d));
  for (const d of orphans) await fs.rm(path.join(root, d), { recursive: true, force: true });
  return orphans;
}

export async function writeCheckpoint(out: string, model: tf.LayersModel, optimizer: tf.Optimizer, state: CheckpointState): Promise<string> {
  const root = checkpointRoot(out);
  const name = `epoch-${String(state.epoch).padStart(4, '0')}-step-${String(state.step).padStart(6, '0')}`;
  const final = path.join(root, name);
  const tmp = path.join(root, `.${name}.tmp-${process.pid}`);
  await fs.rm(tmp, { recursive: true, force: true });
  await saveModelFiles(tmp, model);
  const named = await optimizer.getWeights();
  const specs: { name: string; shape: number[] }[] = [];
  const parts: Float32Array[] = [];
  for (const { name: n, tensor } of named) {
    specs.push({ name: n, shape: tensor.shape });
    parts.push((await tensor.data()) as Float32Array);
  }
  // The moments are the optimizer's own variables; only the iteration count is a fresh tensor.
  tf.dispose(named.filter((n) => !(n.tensor instanceof tf.Variable)).map((n) => n.tensor));
  const total = parts.reduce((a, p) => a + p.length, 0);
  const flat = new Float32Array(total);
  let o = 0;
  for (const p of parts) {
    flat.set(p, o);
    o += p.length;
  }
  await writeFileAtomic(path.join(tmp, 'optimizer.bin'), new Uint8Array(flat.buffer));
  await writeJsonAtomic(path.join(tmp, 'optimizer.json'), specs);
  await writeJsonAtomic(path.join(tmp, 'state.json'), state);
  const sums: Record<string, string> = {};
  for (const file of (await fs.readdir(tmp)).sort()) sums[file] = await sha256(path.join(tmp, file));
  await writeJsonAtomic(path.join(tmp, CHECKSUMS), sums);
  await fs.rm(final, { recursive: true, force: true });
  await fs.rename(tmp, final);
  await writeJsonAtomic(path.join(root, LATEST), { dir: name, epoch: state.epoch, step: state.step });
  // Keep the newest two checkpoints.
  const dirs = (await fs.readdir(root)).filter((d) => NAME.test(d)).sort();
  for (const d of dirs.slice(0, -2)) await fs.rm(path.join(root, d), { recursive: true, force: true });
  return final;
}

export async function restoreOptimizer(dir: string, optimizer: tf.Optimizer): Promise<void> {
  const specs: { name: string; shape: number[] }[] = JSON.parse(await fs.readFile(path.join(dir, 'optimizer.json'), 'utf8'));
  const bytes = await fs.readFile(path.join(dir, 'optimizer.bin'));
  const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let o = 0;
  const named = specs.map((s) => {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(flat.subarray(o, o + size), s.shape);
    o += size;
    return { name: s.name, tensor };
  });
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
}
