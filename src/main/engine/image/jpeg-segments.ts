/**
 * A JPEG's metadata segments, moved byte for byte: EXIF and XMP (APP1), the ICC profile (APP2) and
 * IPTC (APP13) of a source JPEG, put into a JPEG libvips wrote without metadata. A denoised photo
 * written as JPEG from a JPEG keeps its metadata this way without the source being decoded again
 * (io.ts); the pixels keep their size and stored orientation, so every tag still holds.
 */

const SOI = 0xd8;
const SOS = 0xda;
const EOI = 0xd9;
/** APP1 (EXIF, XMP), APP2 (ICC), APP13 (IPTC): what libvips keeps as a JPEG's metadata. */
const METADATA_MARKERS = new Set([0xe1, 0xe2, 0xed]);
const JFIF_MARKER = 0xe0;

interface Segment {
  marker: number;
  start: number;
  end: number;
}

/** The marker segments before the scan data, or null when the bytes are not a JPEG that parses. */
function headerSegments(bytes: Uint8Array): Segment[] | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== SOI) return null;
  const segments: Segment[] = [];
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === SOS || marker === EOI) return segments;
    const end = at + 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
    if (end > bytes.length) return null;
    segments.push({ marker, start: at, end });
    at = end;
  }
  return null;
}

/** The source's metadata segments, in their order; null when the source is not a JPEG that parses. */
export function jpegMetadata(source: Uint8Array): Uint8Array[] | null {
  const segments = headerSegments(source);
  return segments && segments.filter((s) => METADATA_MARKERS.has(s.marker)).map((s) => source.subarray(s.start, s.end));
}

/**
 * `encoded` (a JPEG) with its own metadata segments replaced by `metadata`, placed after its start
 * marker and JFIF header (a JFIF header is dropped when EXIF comes, as EXIF files have none).
 */
export function withJpegMetadata(encoded: Uint8Array, metadata: Uint8Array[]): Buffer {
  const segments = headerSegments(encoded);
  if (!segments) throw new Error('withJpegMetadata: the encoded bytes are not a JPEG');
  const hasExif = metadata.some((m) => m[1] === 0xe1 && Buffer.from(m.subarray(4, 8)).toString('latin1') === 'Exif');
  const drop = (s: Segment) => METADATA_MARKERS.has(s.marker) || (hasExif && s.marker === JFIF_MARKER);
  const kept = segments.filter((s) => !drop(s));
  const leadingJfif = kept.length > 0 && kept[0].marker === JFIF_MARKER ? [kept.shift()!] : [];
  const rest = segments.length ? segments[segments.length - 1].end : 2;
  return Buffer.concat([
    encoded.subarray(0, 2),
    ...leadingJfif.map((s) => encoded.subarray(s.start, s.end)),
    ...metadata,
    ...kept.map((s) => encoded.subarray(s.start, s.end)),
    encoded.subarray(rest),
  ]);
}
