/**
 * A camera's colour mosaic, as it survives in a demosaiced photo. A Bayer sensor samples one
 * colour per pixel in a 2x2 pattern (RGGB, GRBG, GBRG or BGGR from the image's corner), and
 * demosaicing fills in the other two from neighbours, so each channel's noise is strongest at the
 * pixels where the sensor sampled that colour and smoother where it was interpolated. That 2x2
 * signature is read here (`readMosaic`), so that a photo can be shifted by a pixel into the pattern
 * a model was trained in (`mosaicShift`): models with a 2x2 pixel-unshuffle see where the mosaic
 * falls, and lose up to 2.7 dB in a pattern they were not trained in (docs/models.md, Sessions 27-28).
 */
import { crop, makeImage, type FloatImage } from './float-image';

/** Where the mosaic's 2x2 pattern starts: RGGB moved by x columns and y rows (GRBG, GBRG, BGGR). */
export interface CfaPhase {
  x: 0 | 1;
  y: 0 | 1;
}

/** The four mosaic patterns by name (the colours of the top-left 2x2 block, row by row). */
export const CFA_PATTERNS = {
  rggb: { x: 0, y: 0 },
  grbg: { x: 1, y: 0 },
  gbrg: { x: 0, y: 1 },
  bggr: { x: 1, y: 1 },
} as const satisfies Record<string, CfaPhase>;
export type CfaPattern = keyof typeof CFA_PATTERNS;

/** Which colour an RGGB sensor samples at (x, y) (moved by the phase before the call): 0 red, 1 green, 2 blue. */
export function bayerChannel(x: number, y: number): number {
  return (y & 1) === 0 ? ((x & 1) === 0 ? 0 : 1) : (x & 1) === 0 ? 1 : 2;
}

/** What a photo shows of the mosaic it came from: nothing readable, or its pattern. */
export type MosaicReading = { kind: 'unseen' } | { kind: 'pattern'; pattern: CfaPattern };

/**
 * How far a log-ratio of the sites' mean residuals must lean, on a photo of REFERENCE_PIXELS, to be
 * believed: above the most that white noise (no mosaic) gave on 44 held-out photos of 0.15 MP (green
 * diagonal 0.0055, red and blue sites 0.021, against 0.005 to over 0.1 for camera noise, which was
 * read right every time it got past these: docs/models.md, Session 28). On other sizes it scales with 1 / sqrt(pixels).
 */
const REFERENCE_PIXELS = 150_000;
const GREENS_MARGIN = 0.012;
const RED_BLUE_MARGIN = 0.03;

/** The most pixels a mosaic is read on: a band of rows across the middle of a larger photo (0.2 s a 12 MP photo in full). */
const READ_PIXELS = 2_000_000;

/**
 * Mean absolute residual from the 4-neighbour mean, per channel and per site of the 2x2 block
 * (site = (y & 1) * 2 + (x & 1)), over the inner pixels of rows y0 to y1 - 1 (y0 even, so sites keep their parity).
 */
function siteResiduals(img: FloatImage, y0: number, y1: number): number[][] {
  const { width: w, channels: c, data: d } = img;
  const sums = Array.from({ length: c }, () => [0, 0, 0, 0]);
  const counts = [0, 0, 0, 0];
  const row = w * c;
  for (let y = Math.max(1, y0); y < y1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const site = (y & 1) * 2 + (x & 1);
      counts[site]++;
      const i = (y * w + x) * c;
      for (let k = 0; k < c; k++) {
        const j = i + k;
        sums[k][site] += Math.abs(d[j] - (d[j - c] + d[j + c] + d[j - row] + d[j + row]) / 4);
      }
    }
  }
  return sums.map((s) => s.map((v, site) => v / Math.max(1, counts[site])));
}

/**
 * Reads the mosaic a demosaiced colour photo came from. Green is noisiest on the diagonal of each
 * 2x2 block where green was sampled, red and blue each at their own site; each decision is kept only
 * when it leans clearly, and the pattern only when both are. JPEG's halved chroma hides the red and
 * blue sites first, and a photo compressed that hard loses more when its JPEG blocks move by a pixel
 * than its mosaic costs where it is (held-out photos at shot 0.004 and JPEG 70: -0.12 dB when shifted
 * by the green diagonal alone); a grey photo shows no red or blue sites, and reads as unseen
 * (shifted by its green diagonal alone, -0.12 dB at JPEG 70, +0.03 at JPEG 90; docs/models.md, Session 28).
 */
export function readMosaic(img: FloatImage): MosaicReading {
  if (img.channels !== 3 || img.width < 4 || img.height < 4) return { kind: 'unseen' };
  const rows = Math.min(img.height, Math.max(4, Math.floor(READ_PIXELS / img.width)));
  const y0 = Math.floor((img.height - rows) / 4) * 2;
  const y1 = Math.min(img.height - 1, y0 + rows);
  const scale = Math.sqrt(REFERENCE_PIXELS / ((img.width - 2) * (y1 - Math.max(1, y0))));
  const [red, green, blue] = siteResiduals(img, y0, y1);
  // Sites 1 and 2 are (1, 0) and (0, 1): the anti-diagonal, where RGGB and BGGR sample green.
  const greens = Math.log((green[1] + green[2]) / (green[0] + green[3]));
  if (!(Math.abs(greens) > GREENS_MARGIN * scale)) return { kind: 'unseen' };
  // The two patterns with greens there differ by where red and blue are: RGGB / BGGR, or GRBG / GBRG.
  const [first, second] = greens > 0 ? (['rggb', 'bggr'] as const) : (['grbg', 'gbrg'] as const);
  const [redSite, blueSite] = greens > 0 ? [0, 3] : [1, 2]; // red's and blue's in `first`
  const redBlue = Math.log(red[redSite] / red[blueSite]) + Math.log(blue[blueSite] / blue[redSite]);
  if (!(Math.abs(redBlue) > RED_BLUE_MARGIN * scale)) return { kind: 'unseen' };
  return { kind: 'pattern', pattern: redBlue > 0 ? first : second };
}

/** The shift (a mirrored column at the left, a mirrored row at the top) that moves a mosaic in phase `from` to phase `to`. */
export function phaseShift(from: CfaPhase, to: CfaPhase): CfaPhase {
  return { x: (from.x ^ to.x) as 0 | 1, y: (from.y ^ to.y) as 0 | 1 };
}

/** The shift that moves a photo that shows `reading` into `target`'s pattern (none for an unseen mosaic). */
export function mosaicShift(reading: MosaicReading, target: CfaPattern): CfaPhase {
  return reading.kind === 'unseen' ? { x: 0, y: 0 } : phaseShift(CFA_PATTERNS[reading.pattern], CFA_PATTERNS[target]);
}

/** The photo with a mirrored column added at its left and/or row at its top (`shift`), and the way back. */
export function shifted(img: FloatImage, shift: CfaPhase): { image: FloatImage; back: (out: FloatImage) => FloatImage } {
  if (shift.x === 0 && shift.y === 0) return { image: img, back: (out) => out };
  const { width: w, height: h, channels: c } = img;
  const out = makeImage(w + shift.x, h + shift.y, c);
  const sx = (x: number) => Math.min(w - 1, Math.abs(x - shift.x)); // column -1 mirrors to column 1
  const sy = (y: number) => Math.min(h - 1, Math.abs(y - shift.y));
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const from = (sy(y) * w + sx(x)) * c, to = (y * out.width + x) * c;
      for (let k = 0; k < c; k++) out.data[to + k] = img.data[from + k];
    }
  }
  return { image: out, back: (result) => crop(result, shift.x, shift.y, w, h) };
}
