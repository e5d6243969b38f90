/**
 * The names of every IPC channel, free of dependencies so the sandboxed
 * preload can import them. contract.ts checks that its schemas match.
 */
export const REQUEST_CHANNELS = [
  'app:info', 'engine:status', 'datasets:list', 'datasets:addFolder', 'datasets:remove', 'datasets:downloadFashionMnist',
  'datasets:page', 'datasets:inspect', 'train:start', 'train:estimate', 'train:stop', 'train:resume', 'runs:list', 'denoise:add',
  'denoise:openDialog', 'denoise:remove', 'denoise:run', 'denoise:preview', 'denoise:export', 'denoise:reveal', 'denoise:cancel', 'models:list',
  'models:import', 'models:export', 'models:delete', 'models:setDefault',
] as const;

export const EVENT_CHANNELS = ['engine:status', 'run:update', 'denoise:item', 'datasets:progress', 'app:notice', 'app:navigate'] as const;

/**
 * The preload's own channel, outside the contract: it tells main the path of
 * a file the user dropped, as Electron's webUtils resolved it, so main accepts
 * that path later. The renderer cannot send on it (invoke passes only the
 * request channels), and webUtils gives no path for a File made by script.
 */
export const GRANT_CHANNEL = 'paths:grant';
