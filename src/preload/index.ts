/**
 * The preload: exposes the contract as one typed object, window.denoiseLab,
 * and nothing else. Only contract channels pass; nothing else reaches ipcRenderer,
 * except the paths of dropped files, which pathForFile reports to main.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { EVENT_CHANNELS, GRANT_CHANNEL, REQUEST_CHANNELS } from '../shared/channels';
import type { DenoiseLabApi } from '../shared/contract';

const requestChannels = new Set<string>(REQUEST_CHANNELS);
const eventChannels = new Set<string>(EVENT_CHANNELS);

const api: DenoiseLabApi = {
  invoke: (channel, payload) => {
    if (!requestChannels.has(channel)) return Promise.reject(new Error(`unknown channel ${channel}`));
    return ipcRenderer.invoke(channel, payload);
  },
  on: (channel, listener) => {
    if (!eventChannels.has(channel)) throw new Error(`unknown event ${channel}`);
    const wrapped = (_e: unknown, payload: unknown) => listener(payload as never);
    ipcRenderer.on(channel, wrapped);
    return () => void ipcRenderer.removeListener(channel, wrapped);
  },
  // A dropped file's real path, reported to main (synchronously, so it is known before the next request).
  pathForFile: (file) => {
    const p = webUtils.getPathForFile(file);
    if (p) ipcRenderer.sendSync(GRANT_CHANNEL, p);
    return p;
  },
};

contextBridge.exposeInMainWorld('denoiseLab', api);
