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
