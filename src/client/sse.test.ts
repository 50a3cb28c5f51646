import { describe, expect, it } from 'vitest';
import { KeelClientError } from './errors.js';
import { SseParser, type SseEvent } from './sse.js';

/** Feeds the text cut at every given offset, collecting the events. */
function feed(text: string, cuts: readonly number[], parser = new SseParser()): SseEvent[] {
  const out: SseEvent[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    out.push(...parser.push(text.slice(from, cut)));
    from = cut;
  }
  return out;
}

describe('SseParser', () => {
  const stream = ': ping\n\nevent: put\nid: 7\ndata: {"a":1}\n\ndata: line one\ndata:line two\n\n';
  const expected: SseEvent[] = [
    { event: 'put', data: '{"a":1}', id: '7' },
    { event: 'message', data: 'line one\nline two', id: '7' },
  ];

  it('parses events, joins data lines, carries the last id, ignores comments', () => {
    expect(feed(stream, [])).toEqual(expected);
  });

  it('gives the same events whatever the chunking, with LF, CRLF or CR line ends', () => {
    for (const ending of ['\n', '\r\n', '\r']) {
      const text = stream.replaceAll('\n', ending);
      for (let cut = 0; cut <= text.length; cut++) expect(feed(text, [cut])).toEqual(expected);
      expect(feed(text, Array.from({ length: text.length }, (_, i) => i))).toEqual(expected);
    }
  });

  it('dispatches nothing for a block without data, and resets the event name', () => {
    expect(feed('event: put\n\ndata: x\n\n', [])).toEqual([{ event: 'message', data: 'x', id: undefined }]);
  });

  it('handles a field without a colon and keeps spaces after the first', () => {
    expect(feed('data\ndata:  two spaces\n\n', [])).toEqual([{ event: 'message', data: '\n two spaces', id: undefined }]);
  });

  it('does not dispatch an event until its blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.push('data: x\n')).toEqual([]);
    expect(parser.push('\n')).toHaveLength(1);
  });

  it('refuses an event larger than its limit', () => {
    const parser = new SseParser(10);
    expect(() => parser.push('data: 0123456789ab')).toThrow(KeelClientError);
    expect(() => new SseParser(10).push('data: 01234\ndata: 56789\n')).toThrow(/exceeds 10 characters/);
  });
});
