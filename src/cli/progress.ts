/**
 * A one-line progress bar on stderr: redrawn in place on a terminal, a plain line per 10% step
 * otherwise (logs and CI stay readable).
 */
export interface ProgressState {
  readonly done: number;
  readonly total: number;
  /** Extra text after the figures (throughput, leader, failures). */
  readonly note?: string;
}

export class ProgressBar {
  private lastDecile = -1;
  private drawn = false;
  private readonly startedMs = Date.now();

  constructor(private readonly label: string, private readonly out: NodeJS.WriteStream = process.stderr, private readonly width = 30) {}

  update(state: ProgressState): void {
    const fraction = state.total === 0 ? 1 : Math.min(1, state.done / state.total);
    const line = `${this.label} ${this.bar(fraction)} ${state.done}/${state.total} ${(fraction * 100).toFixed(0).padStart(3)}% ${this.elapsed()}${state.note === undefined ? '' : `  ${state.note}`}`;
    if (this.out.isTTY) {
      this.out.write(`\r${line.slice(0, (this.out.columns || 120) - 1)}\x1b[K`);
      this.drawn = true;
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.out.write(`${line}\n`);
    }
  }

  /** Prints a message above the bar (a fault announcement) without breaking it. */
  log(text: string): void {
    if (this.out.isTTY && this.drawn) this.out.write('\r\x1b[K');
    this.out.write(`${text}\n`);
  }

  finish(state: ProgressState): void {
    this.lastDecile = -1;
    this.update(state);
    if (this.out.isTTY) this.out.write('\n');
    this.drawn = false;
  }

  private bar(fraction: number): string {
    const full = Math.round(fraction * this.width);
    return `[${'#'.repeat(full)}${'-'.repeat(this.width - full)}]`;
  }

  private elapsed(): string {
    return `${((Date.now() - this.startedMs) / 1000).toFixed(1)}s`;
  }
}
