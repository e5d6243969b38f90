/**
 * Reading a user's file whole, safely: only a regular file, at most
 * MAX_INPUT_BYTES, opened without blocking so a FIFO or a device fails at
 * once. Errors a user can act on name the file. No decoder here, so the main
 * process's media server uses it too.
 */
import fs from 'node:fs/promises';
import { constants as fsConstants, type Stats } from 'node:fs';
import { UserError } from '../errors';

/** Larger files are refused before reading: a 100 MP photo stored uncompressed is 300 MB. */
export const MAX_INPUT_BYTES = 512 * 1024 * 1024;

/** Why a path cannot be read as a photo, from its error code; undefined when it is not the user's to fix. */
function explainReadError(err: unknown, file: string): UserError | undefined {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT': return new UserError('file not found', file);
    case 'EISDIR': return new UserError('is a folder, not an image', file);
    case 'EACCES': case 'EPERM': return new UserError('permission denied', file);
    case 'ELOOP': return new UserError('the path is a loop of symbolic links', file);
    case 'ENOTDIR': return new UserError('a part of the path is a file, not a folder', file);
    case 'ENAMETOOLONG': return new UserError('the path is too long', file);
    default: return undefined;
  }
}

/**
 * The whole file, if it is a regular file of at most MAX_INPUT_BYTES. Opened
 * without blocking and checked on the open handle, so a FIFO or a device (even
 * one renamed to .jpg) is refused instead of hanging or filling memory.
 */
export async function readBytes(file: string): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    throw explainReadError(err, file) ?? err;
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new UserError('is a folder, not an image', file);
    if (!stat.isFile()) throw new UserError(`is not a regular file (${fileKind(stat)}), so it is not read`, file);
    if (stat.size === 0) throw new UserError('file is empty (0 bytes)', file);
    if (stat.size > MAX_INPUT_BYTES) {
      throw new UserError(`file is ${(stat.size / 2 ** 20).toFixed(0)} MB, over the ${MAX_INPUT_BYTES / 2 ** 20} MB limit for a photo`, file);
    }
    const bytes = Buffer.alloc(stat.size);
    let read = 0;
    while (read < stat.size) {
      const { bytesRead } = await handle.read(bytes, read, stat.size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return bytes.subarray(0, read);
  } catch (err) {
    throw explainReadError(err, file) ?? err;
  } finally {
    await handle.close();
  }
}

function fileKind(stat: Stats): string {
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a plain file';
}
