/**
 * A progress bar on stderr for long runs: files done/total, rate, ETA.
 * Only on a terminal, never with --quiet; it appears after a short delay so
 * quick runs print nothing, and it erases itself when done.
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export class Progress {
  private start = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly enabled: boolean,
    private readonly delayMs = 500,
    private readonly now: () => number = Date.now,
  ) {
    this.start = now();
  }

  static forStderr(quiet: boolean, stream: ProgressStream = process.stderr): Progress {
    return new Progress(stream, !quiet && stream.isTTY === true && !process.env.CI);
  }

  /** The text of the bar (no control characters). */
  static line(done: number, total: number, elapsedMs: number, width = 80): string {
    const pct = total ? done / total : 1;
    const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    const left = rate > 0 ? Math.max(0, (total - done) / rate) : NaN;
    const eta = Number.isFinite(left) ? (left >= 60 ? `${Math.floor(left / 60)}m${String(Math.round(left % 60)).padStart(2, '0')}s` : `${Math.ceil(left)}s`) : '?';
    const tail = ` ${done}/${total} files ${Math.floor(pct * 100)}% ${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} files/s ETA ${eta}`;
    const barW = Math.max(10, Math.min(40, width - tail.length - 16));
    const fill = Math.round(pct * barW);
    return `kmalloc-lint [${'#'.repeat(fill)}${'-'.repeat(barW - fill)}]${tail}`;
  }

  update = (done: number, total: number): void => {
    if (!this.enabled) return;
    const t = this.now();
    if (t - this.start < this.delayMs) return;
    if (done < total && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    const width = this.stream.columns || 80;
    this.stream.write(`\r${Progress.line(done, total, t - this.start, width).slice(0, width - 1)}\x1b[K`);
    this.drawn = true;
  };

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
