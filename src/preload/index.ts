/**
 * The preload: exposes the contract as one typed object, window.denoiseLab,
 * and nothing else. Only contract channels pass; nothing else reaches ipcRenderer.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { EVENT_CHANNELS, REQUEST_CHANNELS } from '../shared/channels';
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
  pathForFile: (file) => webUtils.getPathForFile(file),
};

contextBridge.exposeInMainWorld('denoiseLab', api);
