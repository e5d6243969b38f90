/**
 * Model packages: one `.denoiser` file (a zip archive) with a model's manifest,
 * its model.json and the weights files that model.json names, the same three
 * for each companion model it has (companions.ts: `level/`, `level-chroma/`, `chroma/`), and nothing
 * else (no checkpoints, previews or run records). Packing reads the model
 * folder; unpacking checks every entry's name, size and checksum, and the
 * manifest, in a hidden folder that is moved into place only when it is whole.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic, explainFsError } from '../atomic-fs';
import { UserError } from '../errors';
import { isProcessAlive } from '../processes';
import { hasManifest, MANIFEST_FILE, readManifest, type DenoiserManifest } from './manifest';
import { readZip, writeZip, ZipError } from './zip';
import { COMPANION_FOLDERS } from './companions';

export const PACKAGE_EXTENSION = '.denoiser';
const MODEL_FILE = 'model.json';
/** A model's own files, by name: flat, no paths. */
const MODEL_FILES = /^(denoiser\.json|model\.json|weights-[0-9a-f]{1,64}\.bin)$/;
/** The only names a package may hold: the model's files, and its companion models' in their folders. */
const ALLOWED = new RegExp(`^(${COMPANION_FOLDERS.map((f) => `${f}/`).join('|')})?${MODEL_FILES.source.slice(1)}`);
/** Far above any model the app trains (a DnCNN-20 colour model is 2.7 MB), far below what would hurt. */
const MAX_UNPACKED = 512 * 2 ** 20;
/** A model's name as a file or folder name: characters no file system takes become '-'. */
export function fileNameFor(name: string): string {
  return name.replace(/[\\/:*?"<>|\x00-\x1f]+/g, '-').trim();
}

/** Prefix of the folders being unpacked: the model lists skip them. */
export const UNPACKING_PREFIX = '.unpacking-';

/** The weights files a model.json names, checked to be plain names. */
function weightsFiles(modelJson: Uint8Array, where: string): string[] {
  let json: { weightsManifest?: { paths?: unknown }[] };
  try {
    json = JSON.parse(Buffer.from(modelJson).toString('utf8'));
  } catch (err) {
    throw new UserError(`unreadable ${MODEL_FILE} (${(err as Error).message})`, where);
  }
  const paths = (json.weightsManifest ?? []).flatMap((g) => (Array.isArray(g.paths) ? g.paths : []));
  if (paths.length === 0 || !paths.every((p) => typeof p === 'string' && MODEL_FILES.test(p))) {
    throw new UserError(`${MODEL_FILE} does not name its weights files as a Denoise Lab model does`, where);
  }
  return paths as string[];
}

/** Writes the model in `dir` as one package file at `file` (atomically), under `name` if given (a run's model: the run's name). */
export async function packModel(dir: string, file: string, name?: string): Promise<void> {
  const manifest = { ...(await readManifest(dir)), ...(name ? { name } : {}) };
  const entries = await modelEntries(dir, '', Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
  for (const folder of COMPANION_FOLDERS) {
    if (await hasManifest(path.join(dir, folder))) entries.push(...(await modelEntries(path.join(dir, folder), `${folder}/`)));
  }
  await writeFileAtomic(file, writeZip(entries));
}

/** A model folder's manifest (as given, or as saved), model.json and weights, named with `prefix`. */
async function modelEntries(dir: string, prefix: string, manifest?: Buffer): Promise<{ name: string; data: Uint8Array }[]> {
  const read = (name: string) => fs.readFile(path.join(dir, name)).catch((err) => Promise.reject(new UserError(`cannot read ${name} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, dir)));
  const modelJson = await read(MODEL_FILE);
  const weights = weightsFiles(modelJson, dir);
  return [
    { name: prefix + MANIFEST_FILE, data: manifest ?? (await read(MANIFEST_FILE)) },
    { name: prefix + MODEL_FILE, data: modelJson },
    ...(await Promise.all(weights.map(async (name) => ({ name: prefix + name, data: await read(name) })))),
  ];
}

/**
 * Unpacks a package into a new folder under `root`, named after the model
 * (with -1, -2… when taken), and returns that folder and the manifest.
 */
export async function unpackModel(file: string, root: string): Promise<{ dir: string; manifest: DenoiserManifest }> {
  const fail = (why: string) => new UserError(`not a usable Denoise Lab model package: ${why}`, file);
  const stat = await fs.stat(file).catch((err) => Promise.reject(explainFsError(err, file)));
  if (!stat.isFile()) throw fail('not a file');
  if (stat.size > MAX_UNPACKED) throw fail(`larger than ${MAX_UNPACKED / 2 ** 20} MB`);
  let entries;
  try {
    entries = await readZip(await fs.readFile(file), { maxEntries: 16, maxTotalBytes: MAX_UNPACKED });
  } catch (err) {
    if (err instanceof ZipError) throw fail(err.message);
    throw explainFsError(err, file);
  }
  const byName = new Map<string, Uint8Array>();
  for (const { name, data } of entries) {
    if (!ALLOWED.test(name)) throw fail(`it holds "${name}", which is not part of a model`);
    if (byName.has(name)) throw fail(`it holds ${name} twice`);
    byName.set(name, data);
  }
  const folders = COMPANION_FOLDERS.filter((f) => [...byName.keys()].some((n) => n.startsWith(`${f}/`)));
  const prefixes = ['', ...folders.map((f) => `${f}/`)];
  for (const prefix of prefixes) {
    for (const name of [MANIFEST_FILE, MODEL_FILE]) if (!byName.has(prefix + name)) throw fail(`${prefix + name} is missing`);
    for (const name of weightsFiles(byName.get(prefix + MODEL_FILE)!, file)) if (!byName.has(prefix + name)) throw fail(`${prefix + name} is missing`);
  }

  await fs.mkdir(root, { recursive: true }).catch((err) => Promise.reject(explainFsError(err, root)));
  await removeAbandoned(root);
  const staging = path.join(root, `${UNPACKING_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.mkdir(staging);
    for (const folder of folders) await fs.mkdir(path.join(staging, folder));
    for (const [name, data] of byName) await fs.writeFile(path.join(staging, name), data);
    const manifest = await readManifest(staging).catch((err: Error) => Promise.reject(fail(err.message)));
    const base = fileNameFor(manifest.name).replace(/^\.+/, '').trim() || path.basename(file, PACKAGE_EXTENSION);
    for (let i = 0; ; i++) {
      const dir = path.join(root, i ? `${base}-${i}` : base);
      try {
        // Fails where the name is taken (a folder with files, or a file): never replaces anything.
        await fs.rename(staging, dir);
        return { dir, manifest };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR' && code !== 'EISDIR') throw explainFsError(err, dir);
      }
    }
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Removes what an unpacking killed midway left behind: folders whose process is gone. */
async function removeAbandoned(root: string): Promise<void> {
  for (const name of await fs.readdir(root).catch(() => [] as string[])) {
    const pid = Number(name.startsWith(UNPACKING_PREFIX) ? name.slice(UNPACKING_PREFIX.length).split('-')[0] : NaN);
    if (!Number.isInteger(pid) || pid === process.pid || isProcessAlive(pid)) continue;
    await fs.rm(path.join(root, name), { recursive: true, force: true });
  }
}

