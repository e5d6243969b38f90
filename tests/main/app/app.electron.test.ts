/**
 * The packaged-shape app in real Electron (Playwright's _electron): the window
 * opens from app:// with the sandboxed preload's API and no web permissions,
 * the engine host starts in a utilityProcess and reports its backend, and the
 * renderer cannot make main accept a path the user did not drop. Runs wherever an Electron binary
 * exists (a normal install, or ELECTRON_OVERRIDE_DIST_PATH); elsewhere it
 * prints one SKIP line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli';

function electronBinary(): string | null {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const exe = path.join(override, process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron');
    return fs.existsSync(exe) ? exe : null;
  }
  try {
    const pkg = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const pathFile = path.join(pkg, 'path.txt');
    if (!fs.existsSync(pathFile)) return null;
    const exe = path.join(pkg, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
    return fs.existsSync(exe) ? exe : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
if (!binary) console.log('SKIP electron end-to-end: no Electron binary here (install one, or set ELECTRON_OVERRIDE_DIST_PATH)');

describe.skipIf(!binary)('Denoise Lab in Electron', () => {
  it('opens the window, exposes only the typed API, and starts the engine in a utilityProcess', async () => {
    const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'electron-e2e-'));
    const app = await electron.launch({
      executablePath: binary!, args: [path.join(ROOT, 'out/main/index.js'), `--user-data-dir=${userData}`],
      env: { ...process.env, ELECTRON_ENABLE_LOGGING: '1' },
    });
    try {
      const page = await app.firstWindow();
      expect(await page.title()).toBe('Denoise Lab');
      expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
      expect(await page.evaluate(() => Object.keys((window as unknown as { denoiseLab: object }).denoiseLab).sort())).toEqual(['invoke', 'on', 'pathForFile']);
      await expect.poll(() => page.getByTestId('backend').textContent(), { timeout: 60_000 }).toMatch(/wasm|tensorflow|cpu/);
      const rejected = await page.evaluate(() => (window as unknown as { denoiseLab: { invoke(c: string, p: unknown): Promise<unknown> } })
        .denoiseLab.invoke('datasets:page', { id: '../etc', offset: -1, limit: 1e9 }).then(() => 'accepted', (e: Error) => e.message));
      expect(rejected).toMatch(/invalid payload/);
      // Served from the app's own origin, with every web permission denied and no way to widen its reach.
      expect(page.url()).toBe('app://denoise-lab/index.html');
      expect(await page.evaluate(() => Notification.requestPermission())).toBe('denied');
      const widened = await page.evaluate(() => (window as unknown as { denoiseLab: { invoke(c: string, p: unknown): Promise<unknown> } })
        .denoiseLab.invoke('datasets:addFolder', { path: '/etc' }).then(() => 'accepted', (e: Error) => e.message));
      expect(widened).toMatch(/only what you drop/);
      expect(await page.evaluate(() => (window as unknown as { denoiseLab: { pathForFile(f: File): string } }).denoiseLab.pathForFile(new File(['x'], '/etc/passwd')))).toBe('');
    } finally {
      await app.close();
    }
  });
});
