/**
 * A server-sent events parser (the WHATWG "event stream interpretation"), fed text in chunks cut
 * anywhere: mid-line, between `\r` and `\n`. Decoding bytes to text (and UTF-8 sequences split
 * across chunks) is the caller's job, with a streaming TextDecoder.
 */
import { KeelClientError } from './errors.js';

export interface SseEvent {
  /** The `event:` field, `message` when absent. */
  readonly event: string;
  /** The `data:` lines joined by `\n`. */
  readonly data: string;
  /** The last `id:` seen on the stream (it carries over, as in the spec). */
  readonly id: string | undefined;
}

/** Characters of one event (its pending line and data lines) held before it is dispatched. */
export const sseEventCharsMax = 32 * 1024 * 1024;

export class SseParser {
  private partial = '';
  /** The last chunk ended with `\r`: a `\n` starting the next one belongs to the same line break. */
  private skipLf = false;
  private eventName = '';
  private dataLines: string[] = [];
  private dataChars = 0;
  private lastId: string | undefined;

  constructor(private readonly eventCharsMax: number = sseEventCharsMax) {}

  /** Feeds a chunk of text; returns the events it completed, in order. */
  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    if (chunk === '') return out;
    let text = chunk;
    if (this.skipLf && text.startsWith('\n')) text = text.slice(1);
    this.skipLf = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.onLine(this.partial + text.slice(start, i), out);
      this.partial = '';
      if (c === 13) {
        if (i + 1 === text.length) this.skipLf = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.partial += text.slice(start);
    this.checkSize();
    return out;
  }

  private onLine(line: string, out: SseEvent[]): void {
    if (line === '') return this.dispatch(out);
    if (line.startsWith(':')) return; // a comment (`: ping` keeps idle connections open)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventName = value;
        return;
      case 'data':
        this.dataLines.push(value);
        this.dataChars += value.length + 1;
        this.checkSize();
        return;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        return;
      default:
        // `retry` and unknown fields: the spec says ignore them; the client has its own backoff.
        return;
    }
  }

  private dispatch(out: SseEvent[]): void {
    // Per the spec, a block without data lines dispatches nothing.
    if (this.dataLines.length > 0) out.push({ event: this.eventName === '' ? 'message' : this.eventName, data: this.dataLines.join('\n'), id: this.lastId });
    this.eventName = '';
    this.dataLines = [];
    this.dataChars = 0;
  }

  private checkSize(): void {
    if (this.partial.length + this.dataChars > this.eventCharsMax) {
      throw new KeelClientError('TooLarge', `server-sent event exceeds ${this.eventCharsMax} characters`);
    }
  }
}
