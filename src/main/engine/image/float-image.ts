/**
 * The in-memory image every engine module passes around: float pixels in
 * [0, 1], interleaved HWC, grey (1 channel) or colour (3 channels).
 */
export interface FloatImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Float32Array;
}

export function makeImage(width: number, height: number, channels: 1 | 3, data?: Float32Array): FloatImage {
  const size = width * height * channels;
  if (data && data.length !== size) throw new Error(`image data has ${data.length} values, expected ${size}`);
  return { width, height, channels, data: data ?? new Float32Array(size) };
}

/** Copies a rectangle out of an image. */
export function crop(img: FloatImage, x: number, y: number, w: number, h: number): FloatImage {
  const out = makeImage(w, h, img.channels);
  const c = img.channels;
  for (let r = 0; r < h; r++) {
    const src = ((y + r) * img.width + x) * c;
    out.data.set(img.data.subarray(src, src + w * c), r * w * c);
  }
  return out;
}

/**
 * The `w` x `h` rectangle at (x0, y0), reflect-padded at its right and bottom to `pw` x `ph`
 * (the rectangle's edge pixels are not repeated: column w holds column w - 2).
 */
export function reflectPadded(img: FloatImage, x0: number, y0: number, w: number, h: number, pw: number, ph: number): FloatImage {
  const c = img.channels;
  const out = makeImage(pw, ph, c);
  const reflect = (i: number, n: number) => {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    i = ((i % period) + period) % period;
    return i < n ? i : period - i;
  };
  const src = img.data;
  const sxs = Int32Array.from({ length: pw }, (_, x) => x0 + reflect(x, w)); // the same source column for every row
  for (let y = 0; y < ph; y++) {
    const row = (y0 + reflect(y, h)) * img.width;
    for (let x = 0; x < pw; x++) {
      const from = (row + sxs[x]) * c;
      const dst = (y * pw + x) * c;
      for (let k = 0; k < c; k++) out.data[dst + k] = src[from + k];
    }
  }
  return out;
}

/** Grey to colour by repeating the channel, colour to grey by Rec. 601 luma. */
export function toChannels(img: FloatImage, channels: 1 | 3): FloatImage {
  if (img.channels === channels) return img;
  const n = img.width * img.height;
  const out = makeImage(img.width, img.height, channels);
  if (channels === 3) {
    for (let i = 0; i < n; i++) out.data[3 * i] = out.data[3 * i + 1] = out.data[3 * i + 2] = img.data[i];
  } else {
    for (let i = 0; i < n; i++) out.data[i] = 0.299 * img.data[3 * i] + 0.587 * img.data[3 * i + 1] + 0.114 * img.data[3 * i + 2];
  }
  return out;
}

/** Rounds to the 8-bit grid, as a saved PNG or JPEG would hold it. */
export function quantize8(data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i++) data[i] = Math.round(Math.min(1, Math.max(0, data[i])) * 255) / 255;
  return data;
}
