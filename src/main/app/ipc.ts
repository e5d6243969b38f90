/**
 * The IPC adapter: one ipcMain handler per contract channel, and the
 * preload's report of dropped paths. It checks that each message comes from
 * our own window's top frame, validates the payload against the contract,
 * and returns errors as plain messages.
 */
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import { GRANT_CHANNEL } from '../../shared/channels';
import { isRequestChannel, requestSchemas, type RequestChannel } from '../../shared/contract';
import type { Services } from '../services';

export function registerIpc(services: Services, isTrustedSender: (event: IpcMainInvokeEvent | IpcMainEvent) => boolean): void {
  // The preload's report of a dropped file's path (services/grants.ts).
  ipcMain.on(GRANT_CHANNEL, (event, p: unknown) => {
    if (isTrustedSender(event) && typeof p === 'string') services.grants.grant(p);
    event.returnValue = null;
  });
  for (const channel of Object.keys(requestSchemas) as RequestChannel[]) {
    ipcMain.handle(channel, async (event, payload: unknown) => {
      if (!isTrustedSender(event)) throw new Error(`rejected ${channel}: unexpected sender`);
      if (!isRequestChannel(channel)) throw new Error('unknown channel');
      return services.handle(channel, payload);
    });
  }
}
