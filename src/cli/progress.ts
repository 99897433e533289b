/**
 * A progress line for long copies, drawn on the terminal only: bytes done
 * of the total, rate, ETA and the file being copied. Redrawn at most ten
 * times a second; cleared when done so quiet success stays quiet.
 */
import { formatSize } from '../util/units.js';

export interface ProgressTarget {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class ProgressBar {
  private readonly start = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: ProgressTarget,
    private readonly total: number,
  ) {}

  static forTerminal(out: ProgressTarget, total: number, enabled: boolean): ProgressBar | undefined {
    return enabled && out.isTTY ? new ProgressBar(out, total) : undefined;
  }

  update(done: number, current: string): void {
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = this.out.columns ?? 80;
    const seconds = Math.max(0.001, (now - this.start) / 1000);
    const rate = done / seconds;
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 0;
    const eta = rate > 0 && this.total > done ? (this.total - done) / rate : 0;
    const barWidth = 20;
    const filled = Math.round(fraction * barWidth);
    const head = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${formatSize(done)}/${formatSize(this.total)} ${formatSize(rate)}/s ETA ${clock(eta)} `;
    const room = Math.max(0, width - head.length - 1);
    const name = current.length > room ? '…' + current.slice(current.length - room + 1) : current;
    this.out.write(`\r${head}${name}\u001b[K`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.out.write('\r\u001b[K');
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
