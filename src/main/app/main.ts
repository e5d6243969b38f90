/**
 * The Electron main process: one window served from the app's own app://
 * origin, the menu, the dlab:// media protocol, the IPC adapter, a permission
 * handler that grants nothing, and the utilityProcess engine hosts. Everything
 * else lives in the services and the engine, which know nothing of Electron.
 */
import { app, BrowserWindow, dialog, Menu, Notification, powerSaveBlocker, protocol, session, shell, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import fs from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_EXTENSIONS } from '../../shared/vocabulary';
import { EVENT_CHANNELS, type EventChannel, type EventPayloads } from '../../shared/contract';
import { createServices, type Services } from '../services';
import { utilityHostSpawner } from './utility-spawner';
import { registerIpc } from './ipc';
import { buildMenu } from './menu';
import { CONTENT_SECURITY_POLICY, harden } from './security';
import { APP_ENTRY, APP_SCHEME, appFile, isAppUrl as isAppOrigin } from './app-origin';

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: 'dlab', privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

const BUNDLE_TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.woff2': 'font/woff2', '.json': 'application/json',
};

let window: BrowserWindow | null = null;
let services: Services | null = null;
let blocker: number | null = null;

const rendererUrl = process.env.ELECTRON_RENDERER_URL;
const isAppUrl = (url: string) => isAppOrigin(url, rendererUrl);
const isTrustedSender = (event: IpcMainInvokeEvent | IpcMainEvent) =>
  window !== null && event.sender === window.webContents && event.senderFrame !== null && event.senderFrame === window.webContents.mainFrame && isAppUrl(event.senderFrame.url);

function emit<E extends EventChannel>(channel: E, payload: EventPayloads[E]): void {
  if ((EVENT_CHANNELS as readonly string[]).includes(channel)) window?.webContents.send(channel, payload);
}

function createWindow(): void {
  window = new BrowserWindow({
    width: 1360, height: 900, minWidth: 960, minHeight: 640, show: false, title: 'Denoise Lab',
    icon: path.join(app.getAppPath(), 'resources', 'icon.png'),
    webPreferences: {
      preload: path.join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false,
    },
  });
  harden(window.webContents, isAppUrl);
  window.on('ready-to-show', () => window?.show());
  window.webContents.on('render-process-gone', (_e, details) => {
    if (details.reason !== 'clean-exit') window?.reload();
  });
  void window.loadURL(rendererUrl ?? APP_ENTRY);
}

app.whenReady().then(async () => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  // The app uses no web permission (camera, notifications from the page, geolocation…): all are denied.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  const bundle = path.join(import.meta.dirname, '../renderer');
  protocol.handle(APP_SCHEME, async (request) => {
    const file = appFile(bundle, request.url);
    const body = file ? await fs.readFile(file).catch(() => null) : null;
    if (!file || !body) return new Response('not found', { status: 404 });
    return new Response(new Uint8Array(body), {
      headers: { 'content-type': BUNDLE_TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-security-policy': CONTENT_SECURITY_POLICY },
    });
  });
  const resources = app.isPackaged ? process.resourcesPath : path.join(app.getAppPath(), 'resources');
  process.env.DENOISE_RESOURCES = resources;
  services = await createServices({
    userData: app.getPath('userData'),
    bundledModels: path.join(resources, 'models'),
    mediaBase: 'dlab://media',
    spawnHost: utilityHostSpawner(),
    emit,
    notify: (title, body) => {
      if (Notification.isSupported()) new Notification({ title, body }).show();
    },
    reveal: (file) => shell.showItemInFolder(file),
    keepAwake: (active) => {
      if (active && blocker === null) blocker = powerSaveBlocker.start('prevent-app-suspension');
      if (!active && blocker !== null) {
        powerSaveBlocker.stop(blocker);
        blocker = null;
      }
    },
    dialogs: {
      pickFolder: async (title, start) => {
        const r = await dialog.showOpenDialog(window!, { title, defaultPath: start, properties: ['openDirectory', 'createDirectory'] });
        return r.canceled ? null : r.filePaths[0];
      },
      pickImages: async () => {
        const r = await dialog.showOpenDialog(window!, {
          title: 'Open noisy photos', properties: ['openFile', 'multiSelections'],
          filters: [{ name: 'Images', extensions: IMAGE_EXTENSIONS.map((e) => e.slice(1)) }],
        });
        return r.canceled ? [] : r.filePaths;
      },
      pickFile: async (title, kind) => {
        const r = await dialog.showOpenDialog(window!, { title, properties: ['openFile'], filters: [kind] });
        return r.canceled ? null : r.filePaths[0];
      },
      saveFile: async (title, defaultName, kind) => {
        const r = await dialog.showSaveDialog(window!, { title, defaultPath: defaultName, filters: [kind], properties: ['createDirectory', 'showOverwriteConfirmation'] });
        return r.canceled || !r.filePath ? null : r.filePath;
      },
    },
  });
  const media = services.media;
  protocol.handle('dlab', async (request) => {
    const url = new URL(request.url);
    if (url.hostname !== 'media') return new Response('not found', { status: 404 });
    const r = await media.handle(url.pathname);
    return new Response(new Uint8Array(r.body), { status: r.status, headers: { 'content-type': r.type } });
  });
  registerIpc(services, isTrustedSender);
  Menu.setApplicationMenu(buildMenu(() => window));
  createWindow();
});

app.on('window-all-closed', () => app.quit());
app.on('before-quit', () => void services?.shutdown());
