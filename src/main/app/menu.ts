/** The application menu: standard edit/view/window roles plus the four views. */
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import type { EventPayloads } from '../../shared/contract';

export function buildMenu(window: () => BrowserWindow | null): Menu {
  const go = (view: EventPayloads['app:navigate']['view']) => () => window()?.webContents.send('app:navigate', { view });
  const template: MenuItemConstructorOptions[] = [
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'Go',
      submenu: [
        { label: 'Datasets', accelerator: 'CmdOrCtrl+1', click: go('datasets') },
        { label: 'Train', accelerator: 'CmdOrCtrl+2', click: go('train') },
        { label: 'Denoise', accelerator: 'CmdOrCtrl+3', click: go('denoise') },
        { label: 'Models', accelerator: 'CmdOrCtrl+4', click: go('models') },
      ],
    },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}
