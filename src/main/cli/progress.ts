/**
 * Progress output: a redrawn bar on a terminal, plain lines otherwise (logs,
 * pipes, CI), so overnight runs leave a readable record.
 */
export class Progress {
  private lastLine = 0;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get isTTY(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** Redraws a bar on a TTY; on other streams prints at most every `everyMs`. */
  update(fraction: number, text: string, everyMs = 10_000): void {
    if (this.isTTY) {
      const width = 28;
      const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`;
      this.stream.write(`\r${line.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
    } else if (Date.now() - this.lastLine >= everyMs || fraction >= 1) {
      this.lastLine = Date.now();
      this.stream.write(text + '\n');
    }
  }

  /** A permanent line (clears the bar first). */
  line(text: string): void {
    if (this.isTTY) this.stream.write('\r\x1b[K');
    this.stream.write(text + '\n');
  }
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
