/**
 * The small part of the zip format a model package needs: flat archives of
 * deflated files, written in one piece, and read back with every offset,
 * size and checksum checked against the bytes before anything is inflated.
 * No zip64, encryption, spanning or folders: an archive using them is refused.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const inflateRaw = promisify(zlib.inflateRaw);

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const LOCAL_SIZE = 30;
const CENTRAL_SIZE = 46;
const END_SIZE = 22;
/** 1980-01-01 00:00 in DOS form: fixed, so a model always packs to the same bytes. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const STORED = 0;
const DEFLATED = 8;

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

/** A zip archive of the entries, deflated, in the given order. */
export function writeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const packed = zlib.deflateRawSync(data, { level: 9 });
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(LOCAL_SIZE);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(DEFLATED, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(CENTRAL_SIZE);
    central.writeUInt32LE(CENTRAL, 0);
    central.writeUInt16LE(20, 4); // made by: 2.0, MS-DOS attributes
    local.copy(central, 6, 4, 30); // version needed .. name length, as in the local header
    central.writeUInt16LE(0, 30); // extra length
    central.writeUInt16LE(0, 32); // comment length
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += LOCAL_SIZE + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(END_SIZE);
  end.writeUInt32LE(END, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export interface ReadZipLimits {
  /** The most entries the archive may hold. */
  maxEntries: number;
  /** The most bytes all entries may inflate to, together. */
  maxTotalBytes: number;
}

/** Why an archive was refused: the caller names the file. */
export class ZipError extends Error {}

/**
 * The entries of a zip archive, inflated and checked (CRC-32 and sizes).
 * Sizes are checked against the limits before inflating, and inflation stops at
 * the declared size, so a small archive cannot expand into gigabytes.
 */
export async function readZip(bytes: Buffer, limits: ReadZipLimits): Promise<ZipEntry[]> {
  const endAt = findEnd(bytes);
  const count = bytes.readUInt16LE(endAt + 10);
  const dirSize = bytes.readUInt32LE(endAt + 12);
  const dirAt = bytes.readUInt32LE(endAt + 16);
  if (bytes.readUInt16LE(endAt + 4) !== 0 || bytes.readUInt16LE(endAt + 6) !== 0 || bytes.readUInt16LE(endAt + 8) !== count) throw new ZipError('a multi-part zip archive');
  if (count > limits.maxEntries) throw new ZipError(`too many files in it (${count})`);
  if (dirAt + dirSize > endAt) throw new ZipError('its file list lies outside the archive');
  const entries: ZipEntry[] = [];
  let total = 0;
  let at = dirAt;
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_SIZE > dirAt + dirSize || bytes.readUInt32LE(at) !== CENTRAL) throw new ZipError('its file list is damaged');
    const flags = bytes.readUInt16LE(at + 8);
    const method = bytes.readUInt16LE(at + 10);
    const crc = bytes.readUInt32LE(at + 16);
    const packedSize = bytes.readUInt32LE(at + 20);
    const size = bytes.readUInt32LE(at + 24);
    const nameLength = bytes.readUInt16LE(at + 28);
    const skip = bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    const localAt = bytes.readUInt32LE(at + 42);
    const nameEnd = at + CENTRAL_SIZE + nameLength;
    if (nameEnd + skip > dirAt + dirSize) throw new ZipError('its file list is damaged');
    const name = bytes.toString('utf8', at + CENTRAL_SIZE, nameEnd);
    at = nameEnd + skip;
    if (flags & 0x0001) throw new ZipError(`${name} is encrypted`);
    if (method !== STORED && method !== DEFLATED) throw new ZipError(`${name} uses an unsupported compression (method ${method})`);
    if (size === 0xffffffff || packedSize === 0xffffffff || localAt === 0xffffffff) throw new ZipError('a zip64 archive');
    total += size;
    if (total > limits.maxTotalBytes) throw new ZipError(`its files would unpack to more than ${Math.round(limits.maxTotalBytes / 2 ** 20)} MB`);
    if (localAt + LOCAL_SIZE > dirAt || bytes.readUInt32LE(localAt) !== LOCAL) throw new ZipError(`${name}: damaged entry`);
    const dataAt = localAt + LOCAL_SIZE + bytes.readUInt16LE(localAt + 26) + bytes.readUInt16LE(localAt + 28);
    if (dataAt + packedSize > dirAt) throw new ZipError(`${name}: its data lies outside the archive`);
    const packed = bytes.subarray(dataAt, dataAt + packedSize);
    let data: Buffer;
    if (method === STORED) data = packed;
    else {
      try {
        data = await inflateRaw(packed, { maxOutputLength: Math.max(1, size) });
      } catch (err) {
        throw new ZipError(`${name}: ${(err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 'unpacks to more than its stated size' : 'damaged compressed data'}`);
      }
    }
    if (data.length !== size) throw new ZipError(`${name}: unpacks to ${data.length} bytes, not the ${size} stated`);
    if (zlib.crc32(data) !== crc) throw new ZipError(`${name}: its checksum does not match (the file is damaged)`);
    entries.push({ name, data: new Uint8Array(data.buffer, data.byteOffset, data.length) });
  }
  return entries;
}

/** The end-of-archive record: the last one in the file (a comment may follow it). */
function findEnd(bytes: Buffer): number {
  for (let at = bytes.length - END_SIZE; at >= Math.max(0, bytes.length - END_SIZE - 0xffff); at--) {
    if (bytes.readUInt32LE(at) === END && at + END_SIZE + bytes.readUInt16LE(at + 20) === bytes.length) return at;
  }
  throw new ZipError('not a zip archive');
}
