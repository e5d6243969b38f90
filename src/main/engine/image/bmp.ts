/**
 * Windows BMP, which libvips (and so sharp) cannot read: uncompressed 8-bit
 * palette, 24-bit and 32-bit files, bottom-up or top-down. Decodes to 8-bit
 * interleaved grey or RGB; encodes 24-bit files for tests and fixtures.
 */
import { UserError } from '../errors';

export interface RawPixels {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** The largest side a BMP may declare; real files are far smaller, and the file size bounds the rest. */
const MAX_SIDE = 65535;

/**
 * Every size the header declares is checked against the file's length before
 * anything is allocated or looped over, so a small file with a hostile header
 * fails at once instead of running for minutes.
 */
export function decodeBmp(bytes: Uint8Array, name: string): RawPixels {
  if (bytes.length < 54 || !isBmp(bytes)) throw new UserError('not a BMP file or truncated header', name);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offset = v.getUint32(10, true);
  const dibSize = v.getUint32(14, true);
  const width = v.getInt32(18, true);
  const rawHeight = v.getInt32(22, true);
  const bpp = v.getUint16(28, true);
  const compression = v.getUint32(30, true);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0 || width > MAX_SIDE || height > MAX_SIDE) throw new UserError(`BMP has an invalid size ${width}x${rawHeight}`, name);
  if (dibSize < 40 || 14 + dibSize > offset || offset > bytes.length) throw new UserError('BMP header is corrupt (its sections do not fit in the file)', name);
  if (![8, 24, 32].includes(bpp) || !(compression === 0 || (compression === 3 && bpp === 32))) {
    throw new UserError(`unsupported BMP variant (${bpp} bits per pixel, compression ${compression}); save it as PNG`, name);
  }
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (offset + stride * height > bytes.length) throw new UserError('BMP pixel data is truncated', name);
  let palette: Uint8Array | undefined;
  let grey = false;
  if (bpp === 8) {
    const colours = v.getUint32(46, true) || 256;
    if (colours > 256 || 14 + dibSize + 4 * colours > offset) throw new UserError(`BMP palette is corrupt (${colours} colours declared)`, name);
    palette = bytes.subarray(14 + dibSize, 14 + dibSize + 4 * colours);
    grey = true;
    for (let i = 0; i < colours; i++) {
      if (palette[4 * i] !== palette[4 * i + 1] || palette[4 * i] !== palette[4 * i + 2]) grey = false;
    }
  }
  const channels: 1 | 3 = grey ? 1 : 3;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const row = offset + stride * (rawHeight > 0 ? height - 1 - y : y);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (palette) {
        const p = 4 * bytes[row + x];
        if (grey) data[o] = palette[p];
        else [data[o], data[o + 1], data[o + 2]] = [palette[p + 2], palette[p + 1], palette[p]];
      } else {
        const p = row + x * (bpp / 8);
        [data[o], data[o + 1], data[o + 2]] = [bytes[p + 2], bytes[p + 1], bytes[p]];
      }
    }
  }
  return { width, height, channels, data };
}

/** Encodes 8-bit grey or RGB pixels as a bottom-up 24-bit BMP. */
export function encodeBmp(px: RawPixels): Uint8Array {
  const stride = Math.floor((24 * px.width + 31) / 32) * 4;
  const out = new Uint8Array(54 + stride * px.height);
  const v = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  v.setUint32(2, out.length, true);
  v.setUint32(10, 54, true);
  v.setUint32(14, 40, true);
  v.setInt32(18, px.width, true);
  v.setInt32(22, px.height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, 24, true);
  for (let y = 0; y < px.height; y++) {
    const row = 54 + stride * (px.height - 1 - y);
    for (let x = 0; x < px.width; x++) {
      const i = (y * px.width + x) * px.channels;
      const [r, g, b] = px.channels === 1 ? [px.data[i], px.data[i], px.data[i]] : [px.data[i], px.data[i + 1], px.data[i + 2]];
      out[row + 3 * x] = b;
      out[row + 3 * x + 1] = g;
      out[row + 3 * x + 2] = r;
    }
  }
  return out;
}
