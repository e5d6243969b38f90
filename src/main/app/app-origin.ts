/**
 * The app's own origin, app://denoise-lab: the renderer's bundle is served
 * from it instead of file://, so the window is one exact origin that
 * navigation and IPC sender checks can compare against. Free of Electron, so
 * the checks are tested in plain Node.
 */
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'denoise-lab';
export const APP_ENTRY = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * Whether `url` is the app's own: app://denoise-lab/…, or exactly the dev
 * server's origin while developing. Custom schemes have an opaque origin in
 * WHATWG URLs, so scheme and host are compared.
 */
export function isAppUrl(url: string, devServer?: string): boolean {
  try {
    const u = new URL(url);
    if (devServer) return u.origin === new URL(devServer).origin;
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** The file under `root` that an app:// URL names, or null for anything else or anything outside `root`. */
export function appFile(root: string, url: string): string | null {
  if (!isAppUrl(url)) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(url).pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const file = path.resolve(root, `.${rel === '/' ? '/index.html' : rel}`);
  const inside = path.relative(path.resolve(root), file);
  return inside && !inside.startsWith('..') && !path.isAbsolute(inside) ? file : null;
}
