/** App-wide notices (errors, warnings, progress messages) shown in the status bar. */
export interface Notice {
  id: number;
  level: 'info' | 'warn' | 'error';
  message: string;
}

let next = 1;
export const notices = $state<Notice[]>([]);

/** Shows `message` for `ttlMs`; the same message still showing is replaced, not shown twice (its time starts again). */
export function notify(level: Notice['level'], message: string, ttlMs = level === 'error' ? 12000 : 6000): void {
  const same = notices.findIndex((n) => n.level === level && n.message === message);
  if (same >= 0) notices.splice(same, 1);
  const id = next++;
  notices.push({ id, level, message });
  setTimeout(() => {
    const i = notices.findIndex((n) => n.id === id);
    if (i >= 0) notices.splice(i, 1);
  }, ttlMs);
}
