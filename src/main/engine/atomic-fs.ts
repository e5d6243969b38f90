/**
 * Atomic file writes: data goes to a temporary file beside the target, is
 * flushed, then renamed over it, so readers never see a half-written file and
 * a crash leaves either the old file or the new one. File-system errors that
 * a user can fix (permissions, a full disk) become UserErrors naming the path.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from './errors';

export function explainFsError(err: unknown, target: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  const dir = path.dirname(target);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new UserError(`cannot write here: the folder ${dir} is not writable (${code})`, target);
    case 'ENOSPC':
    case 'EDQUOT':
      return new UserError(`the disk holding ${dir} is full`, target);
    case 'ENOENT':
      return new UserError(`the folder ${dir} does not exist`, target);
    case 'ENOTDIR':
      return new UserError(`a part of the path is a file, not a folder`, target);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}

/**
 * Makes an output folder (and its parents), or says clearly why it cannot:
 * the path is a file, or the nearest folder that exists is not writable.
 * Each missing folder is made on its own, from the nearest existing one
 * down: Node's recursive mkdir never returns where a parent exists but
 * refuses new entries with ENOENT (/proc).
 */
export async function ensureFolder(dir: string): Promise<void> {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let existing = target;
  for (;;) {
    const stat = await fs.stat(existing).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(explainFsError(err, dir))));
    if (stat) {
      if (!stat.isDirectory()) throw new UserError(existing === target ? 'exists and is a file, not a folder' : 'a part of the path is a file, not a folder', dir);
      break;
    }
    missing.unshift(existing);
    if (path.dirname(existing) === existing) break;
    existing = path.dirname(existing);
  }
  for (const folder of missing) {
    try {
      await fs.mkdir(folder);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue; // made meanwhile by someone else
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOENT') {
        throw new UserError(`cannot create it: the folder ${path.dirname(folder)} is not writable (${code})`, dir);
      }
      throw explainFsError(err, folder);
    }
  }
}

export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw explainFsError(err, target);
  }
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n');
}
