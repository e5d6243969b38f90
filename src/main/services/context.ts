/**
 * What every service shares: paths, the media server, the dropped paths, the shared engine
 * worker, the host spawner, dialogs and the event sink. Electron fills it in
 * from its own APIs; tests fill it in with plain Node.
 */
import type { EventChannel, EventPayloads } from '../../shared/contract';
import type { AppPaths } from './app-state';
import type { EngineClient, SpawnHost } from '../host/client';
import type { MediaServer } from './media';
import type { PathGrants } from './grants';

/** A kind of file a dialog offers, e.g. { name: 'Denoise Lab model', extensions: ['denoiser'] }. */
export interface FileKind {
  name: string;
  extensions: string[];
}

export interface Dialogs {
  /** Asks for a folder, opening at `start` when given (e.g. the last one chosen for the same purpose). */
  pickFolder(title: string, start?: string): Promise<string | null>;
  pickImages(): Promise<string[]>;
  pickFile(title: string, kind: FileKind): Promise<string | null>;
  /** Asks where to save a file; the system dialog confirms replacing one. */
  saveFile(title: string, defaultName: string, kind: FileKind): Promise<string | null>;
}

export interface ServiceContext {
  paths: AppPaths;
  media: MediaServer;
  /** The paths the user dropped: the only renderer-supplied paths services accept. */
  grants: PathGrants;
  spawnHost: SpawnHost;
  /** The long-lived engine process for interactive work (denoise, previews). */
  worker(): EngineClient;
  dialogs: Dialogs;
  emit<E extends EventChannel>(channel: E, payload: EventPayloads[E]): void;
  /** Desktop notification (a no-op outside Electron). */
  notify(title: string, body: string): void;
  /** Shows a file in the system's file manager (a no-op outside Electron). */
  reveal(file: string): void;
  /** Keeps the machine awake while `active` is true. */
  keepAwake(active: boolean): void;
  /** Where bundled models live. */
  bundledModels: string;
}
