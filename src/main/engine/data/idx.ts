/**
 * IDX files (the MNIST family's format), plain or gzip-compressed:
 * two zero bytes, a type byte, a dimension count, big-endian uint32 sizes, then data.
 */
import { gunzipSync } from 'node:zlib';
import { UserError } from '../errors';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

export function parseIdx(buffer: Uint8Array, name = 'IDX data'): IdxArray {
  let bytes = buffer;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new UserError(`not a valid gzip stream (${(err as Error).message})`, name);
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new UserError('not an IDX file (bad magic number)', name);
  if (bytes[2] !== UBYTE) throw new UserError(`unsupported IDX element type 0x${bytes[2].toString(16)} (only unsigned bytes)`, name);
  const ndim = bytes[3];
  if (ndim < 1 || bytes.length < 4 + 4 * ndim) throw new UserError('truncated IDX header', name);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (bytes.length - start !== count) {
    throw new UserError(`IDX payload has ${bytes.length - start} bytes, header says ${count}`, name);
  }
  return { shape, data: bytes.subarray(start, start + count) };
}

/** Encodes unsigned bytes as an (uncompressed) IDX file. */
export function encodeIdx(shape: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  out[2] = UBYTE;
  out[3] = shape.length;
  const view = new DataView(out.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * shape.length);
  return out;
}
