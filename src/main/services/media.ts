/**
 * Local images reach the renderer only through the app's own URLs, never
 * file://. A URL names a file by an opaque token; the handler serves it only
 * if it lies inside an allowed root (after resolving symlinks and `..`), and
 * only a regular file of bounded size. Nothing is decoded here: formats a
 * browser cannot show (TIFF, BMP), the queue's photo thumbnails and
 * Fashion-MNIST's images are rendered by the engine host (`Displayable`), so
 * a hostile file cannot stall the process that owns the window.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readBytes } from '../engine/image/read-file';

/** Renders what the browser cannot show as PNG bytes (the engine host does). */
export interface Displayable {
  /** The file as PNG, scaled to fit maxSide when given. */
  file(file: string, maxSide?: number): Promise<Buffer>;
  fashionMnist(index: number): Promise<Buffer>;
}

/** Thumbnails fit in this many pixels each way (twice the queue's 48 px, for high-density screens). */
const THUMBNAIL_SIDE = 96;

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

  /** `base` is the URL prefix: dlab://media in the app, http://127.0.0.1:port/media in tests. */
  constructor(readonly base: string, private readonly render?: Displayable) {}

  allow(root: string): void {
    this.roots.add(path.resolve(root));
  }

  fileUrl(file: string): string {
    return `${this.base}/file/${Buffer.from(path.resolve(file)).toString('base64url')}`;
  }

  /** A small PNG of the file (the queue's thumbnails), rendered by the engine host. */
  thumbnailUrl(file: string): string {
    return `${this.base}/thumb/${Buffer.from(path.resolve(file)).toString('base64url')}`;
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
    const file = /^\/(file|thumb)\/([A-Za-z0-9_-]+)$/.exec(rest);
    if (file) {
      const p = Buffer.from(file[2], 'base64url').toString('utf8');
      const type = TYPES[path.extname(p).toLowerCase()];
      if (!type || !path.isAbsolute(p) || !(await this.isAllowed(p))) return { status: 403, type: 'text/plain', body: Buffer.from('forbidden') };
      try {
        if (file[1] === 'thumb') {
          if (!this.render) return notFound;
          return { status: 200, type: 'image/png', body: await this.render.file(p, THUMBNAIL_SIDE) };
        }
        // Browsers cannot show TIFF or BMP; the engine host converts those to PNG.
        if (type === 'image/tiff' || type === 'image/bmp') {
          if (!this.render) return notFound;
          return { status: 200, type: 'image/png', body: await this.render.file(p) };
        }
        return { status: 200, type, body: await readBytes(p) };
      } catch {
        return notFound;
      }
    }
    const thumb = /^\/fmnist\/(\d{1,8})\.png$/.exec(rest);
    if (thumb && this.render) {
      const body = await this.render.fashionMnist(Number(thumb[1])).catch(() => null);
      return body ? { status: 200, type: 'image/png', body } : notFound;
    }
    return notFound;
  }
}
