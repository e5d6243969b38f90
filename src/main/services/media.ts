/**
 * Local images reach the renderer only through the app's own URLs, never
 * file://. A URL names a file by an opaque token; the handler serves it only
 * if it lies inside an allowed root (after resolving symlinks and `..`).
 * Fashion-MNIST thumbnails are rendered on demand.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { FashionMnist } from '../engine/data/fashion-mnist';

const TYPES: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp',
  '.gif': 'image/gif', '.tif': 'image/tiff', '.tiff': 'image/tiff', '.bmp': 'image/bmp',
};

export interface MediaResponse {
  status: number;
  type: string;
  body: Buffer;
}

export class MediaServer {
  private readonly roots = new Set<string>();
  fashionMnist?: () => Promise<FashionMnist>;

  /** `base` is the URL prefix: dlab://media in the app, http://127.0.0.1:port/media in tests. */
  constructor(readonly base: string) {}

  allow(root: string): void {
    this.roots.add(path.resolve(root));
  }

  fileUrl(file: string): string {
    return `${this.base}/file/${Buffer.from(path.resolve(file)).toString('base64url')}`;
  }

  fashionMnistUrl(index: number): string {
    return `${this.base}/fmnist/${index}.png`;
  }

  /** Whether `file` (after resolving links) lies inside an allowed root. */
  async isAllowed(file: string): Promise<boolean> {
    let real: string;
    try {
      real = await fs.realpath(file);
    } catch {
      return false;
    }
    for (const root of this.roots) {
      const realRoot = await fs.realpath(root).catch(() => root);
      const rel = path.relative(realRoot, real);
      if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) return true;
    }
    return false;
  }

  /** Handles the part of a URL after the base, e.g. `/file/<token>`. */
  async handle(rest: string): Promise<MediaResponse> {
    const notFound = { status: 404, type: 'text/plain', body: Buffer.from('not found') };
    const file = /^\/file\/([A-Za-z0-9_-]+)$/.exec(rest);
    if (file) {
      const p = Buffer.from(file[1], 'base64url').toString('utf8');
      const type = TYPES[path.extname(p).toLowerCase()];
      if (!type || !path.isAbsolute(p) || !(await this.isAllowed(p))) return { status: 403, type: 'text/plain', body: Buffer.from('forbidden') };
      try {
        const body = await fs.readFile(p);
        // Browsers cannot show TIFF or BMP; convert those to PNG for display.
        if (type === 'image/tiff' || type === 'image/bmp') {
          const { readImage, encodeImage } = await import('../engine/image/io');
          return { status: 200, type: 'image/png', body: await encodeImage((await readImage(p, { autoOrient: true })).image, { format: 'png' }) };
        }
        return { status: 200, type, body };
      } catch {
        return notFound;
      }
    }
    const thumb = /^\/fmnist\/(\d+)\.png$/.exec(rest);
    if (thumb && this.fashionMnist) {
      const ds = await this.fashionMnist().catch(() => null);
      const i = Number(thumb[1]);
      if (!ds || i >= ds.train.count) return notFound;
      const px = ds.train.width * ds.train.height;
      const body = await sharp(Buffer.from(ds.train.pixels.subarray(i * px, (i + 1) * px)), { raw: { width: 28, height: 28, channels: 1 } })
        .toColourspace('b-w').png().toBuffer();
      return { status: 200, type: 'image/png', body };
    }
    return notFound;
  }
}
