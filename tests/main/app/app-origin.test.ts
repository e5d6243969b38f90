/** The app's own origin: exact-origin checks for navigation and IPC senders, and bundle files served only from inside the bundle. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ENTRY, appFile, isAppUrl } from '../../../src/main/app/app-origin';

describe('app origin', () => {
  it('accepts only app://denoise-lab, or exactly the dev server origin', () => {
    expect(isAppUrl(APP_ENTRY)).toBe(true);
    expect(isAppUrl('app://denoise-lab/assets/index.js?x=1#y')).toBe(true);
    for (const url of [
      'file:///opt/Denoise Lab/resources/app.asar/out/renderer/index.html', 'file:///tmp/evil/renderer/index.html',
      'app://denoise-lab.evil.com/index.html', 'app://evil/index.html', 'app://user:pw@denoise-lab/index.html',
      'dlab://media/file/x', 'https://denoise-lab/index.html', 'javascript:alert(1)', 'not a url', '',
    ]) expect(isAppUrl(url), url).toBe(false);
    expect(isAppUrl('http://localhost:5173/index.html', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5173.evil.com/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('http://localhost:51730/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl(APP_ENTRY, 'http://localhost:5173/')).toBe(false);
  });

  it('maps app:// URLs to files inside the bundle and nothing outside it', () => {
    const root = '/opt/app/out/renderer';
    expect(appFile(root, APP_ENTRY)).toBe(path.join(root, 'index.html'));
    expect(appFile(root, 'app://denoise-lab/')).toBe(path.join(root, 'index.html'));
    expect(appFile(root, 'app://denoise-lab/assets/a%20b.js')).toBe(path.join(root, 'assets', 'a b.js'));
    // Traversal, however spelled, ends inside the bundle (where no such file exists) or nowhere.
    for (const url of ['app://denoise-lab/../../etc/passwd', 'app://denoise-lab/%2e%2e/%2e%2e/etc/passwd', 'app://denoise-lab/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret']) {
      const file = appFile(root, url);
      expect(file === null || file.startsWith(root + path.sep), url).toBe(true);
    }
    for (const url of ['app://denoise-lab/a%00.js', 'app://denoise-lab/%E0%A4%A', 'app://other/index.html', 'file:///etc/passwd']) {
      expect(appFile(root, url), url).toBeNull();
    }
  });
});
