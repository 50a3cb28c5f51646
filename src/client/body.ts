/** Reading fetch bodies chunk by chunk, with a size limit. */
import { KeelClientError } from './errors.js';

/** What the client needs of a body reader (fetch's stream types are `any` under @types/node 20). */
export interface ChunkReader {
  read(): Promise<{ readonly done: boolean; readonly value?: unknown }>;
  cancel(reason?: unknown): Promise<void>;
}

/** The next chunk of bytes, or undefined at the end of the body. */
export async function readChunk(reader: ChunkReader): Promise<Uint8Array | undefined> {
  const { done, value } = await reader.read();
  if (done) return undefined;
  if (!(value instanceof Uint8Array)) throw new KeelClientError('Internal', 'a response body chunk is not bytes');
  return value;
}

/** The body as text, refusing more than `maxBytes` (a limit on what one answer may hold in memory). */
export async function readTextCapped(response: Response, maxBytes: number, endpoint: string): Promise<string> {
  if (response.body === null) return '';
  const reader: ChunkReader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let sizeBytes = 0;
  for (;;) {
    const chunk = await readChunk(reader);
    if (chunk === undefined) return text + decoder.decode();
    sizeBytes += chunk.byteLength;
    if (sizeBytes > maxBytes) {
      await reader.cancel();
      throw new KeelClientError('TooLarge', `answer from ${endpoint} exceeds ${maxBytes} bytes`, { endpoint, status: response.status });
    }
    text += decoder.decode(chunk, { stream: true });
  }
}

/** A JSON request body for a call. */
export function jsonBody(value: unknown): { readonly contentType: string; readonly text: string } {
  return { contentType: 'application/json', text: JSON.stringify(value) };
}
