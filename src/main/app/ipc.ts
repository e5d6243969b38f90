/**
 * The IPC adapter: one ipcMain handler per contract channel. It checks that
 * the message comes from our own window's top frame, validates the payload
 * against the contract, and returns errors as plain messages.
 */
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { isRequestChannel, requestSchemas, type RequestChannel } from '../../shared/contract';
import type { Services } from '../services';

export function registerIpc(services: Services, isTrustedSender: (event: IpcMainInvokeEvent) => boolean): void {
  for (const channel of Object.keys(requestSchemas) as RequestChannel[]) {
    ipcMain.handle(channel, async (event, payload: unknown) => {
      if (!isTrustedSender(event)) throw new Error(`rejected ${channel}: unexpected sender`);
      if (!isRequestChannel(channel)) throw new Error('unknown channel');
      return services.handle(channel, payload);
    });
  }
}
