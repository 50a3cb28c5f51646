/** One status line that rewrites itself on a terminal and prints sparingly otherwise. */
export class ProgressLine {
  private lastPrintMs = 0;
  constructor(private readonly stream: NodeJS.WriteStream, private readonly intervalMs = 250) {}

  update(text: string, force = false): void {
    const now = performance.now();
    if (!force && now - this.lastPrintMs < (this.stream.isTTY ? this.intervalMs : this.intervalMs * 8)) return;
    this.lastPrintMs = now;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${text}`);
    else this.stream.write(`${text}\n`);
  }

  done(text: string): void {
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${text}\n`);
    else this.stream.write(`${text}\n`);
  }
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
