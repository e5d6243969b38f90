/**
 * Window hardening: the renderer may not navigate away, open windows, or
 * reach anything but its own bundle and the app's media protocol. External
 * links open in the system browser, only for allow-listed hosts.
 */
import { shell, type WebContents } from 'electron';

const EXTERNAL_ALLOW = new Set(['github.com', 'www.tensorflow.org']);

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' dlab: data: blob:; " +
  "connect-src 'self' dlab:; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function isExternalAllowed(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && EXTERNAL_ALLOW.has(u.hostname);
  } catch {
    return false;
  }
}

export function harden(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalAllowed(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
