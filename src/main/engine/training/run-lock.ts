/**
 * One training per run folder: `train.lock` is created exclusively and holds
 * the owner's process id. A second run on the same folder fails at once with a
 * message naming the owner, instead of both writing checkpoints over each
 * other. A lock whose process is gone (a killed run) is taken over.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors';
import { isProcessAlive } from '../processes';

const LOCK = 'train.lock';

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

/** Takes the run folder's lock; the returned function releases it. */
export async function lockRun(out: string): Promise<() => Promise<void>> {
  const file = path.join(out, LOCK);
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, JSON.stringify(mine) + '\n', { flag: 'wx' });
      return async () => {
        // Released only if still ours (a takeover after a long stall must not be undone).
        const owner = await fs.readFile(file, 'utf8').then((t) => JSON.parse(t) as LockInfo).catch(() => null);
        if (owner?.pid === mine.pid && owner.since === mine.since) await fs.rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await fs.readFile(file, 'utf8').then((t) => JSON.parse(t) as LockInfo).catch(() => null);
    if (owner && owner.host === os.hostname() && isProcessAlive(owner.pid)) {
      throw new UserError(`another training (process ${owner.pid}, since ${owner.since}) is writing to this folder; stop it or choose another --out`, out);
    }
    if (owner && owner.host !== os.hostname()) {
      throw new UserError(`a training on ${owner.host} (process ${owner.pid}) holds this folder; delete ${LOCK} if it is no longer running`, out);
    }
    await fs.rm(file, { force: true }); // stale: its process is gone, or the file is unreadable
  }
  throw new UserError('could not lock the run folder', out);
}
