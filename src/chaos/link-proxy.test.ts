import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { formatHostPort } from '../transport/address.js';
import { LinkProxy } from './link-proxy.js';

/** Everything a test opens, closed in afterEach so the worker exits. */
const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
const proxies: LinkProxy[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A target whose accepted sockets the test can write to; echoes when `echo` is set. */
async function target(echo: boolean): Promise<{ address: string; accepted: net.Socket[]; received: () => string }> {
  const accepted: net.Socket[] = [];
  const chunks: Buffer[] = [];
  const server = net.createServer((socket) => {
    accepted.push(socket);
    sockets.push(socket);
    socket.on('error', () => undefined); // the proxy resets connections on purpose
    if (echo) socket.pipe(socket);
    else socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bound = server.address() as net.AddressInfo;
  return { address: formatHostPort(bound.address, bound.port), accepted, received: () => Buffer.concat(chunks).toString() };
}

async function proxyTo(address: string): Promise<LinkProxy> {
  const proxy = await LinkProxy.start({ target: address, label: 'test' });
  proxies.push(proxy);
  return proxy;
}

interface Client {
  readonly socket: net.Socket;
  readonly data: () => Buffer;
  readonly closed: () => boolean;
}

async function connect(address: string): Promise<Client> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const socket = net.connect({ host, port });
  sockets.push(socket);
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined); // a reset is an expected outcome here; `closed` records it
  socket.on('close', () => { closed = true; });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, data: () => Buffer.concat(chunks), closed: () => closed };
}

describe('LinkProxy: pass', () => {
  it('forwards bytes both ways to an echo server and counts them', async () => {
    const echo = await target(true);
    const proxy = await proxyTo(echo.address);
    expect(proxy.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const client = await connect(proxy.address);
    client.socket.write('hello');
    await waitFor(() => client.data().toString() === 'hello', 'echo');
    expect(proxy.stats).toMatchObject({ connections: 1, bytesForward: 5, bytesBackward: 5, droppedForward: 0, droppedBackward: 0, resets: 0 });
  });

  it('carries 4 MiB intact both ways, with and without delay (backpressure and the delay queue)', async () => {
    const echo = await target(true);
    const proxy = await proxyTo(echo.address);
    for (const delayMs of [0, 5]) {
      proxy.set({ delayMs });
      const payload = randomBytes(4 * 1024 * 1024);
      const client = await connect(proxy.address);
      client.socket.write(payload);
      await waitFor(() => client.data().length >= payload.length, `4 MiB echoed (delay ${delayMs})`, 20_000);
      const digest = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
      expect(client.data().length).toBe(payload.length);
      expect(digest(client.data())).toBe(digest(payload));
    }
    expect(proxy.stats.bytesForward).toBe(8 * 1024 * 1024);
    expect(proxy.stats.bytesBackward).toBe(8 * 1024 * 1024);
  });

  it('adds at least delayMs per direction and keeps the order', async () => {
    const echo = await target(true);
    const proxy = await proxyTo(echo.address);
    const delayMs = 100;
    proxy.set({ delayMs });
    const client = await connect(proxy.address);
    const startMs = performance.now();
    for (const part of ['a', 'b', 'c', 'd']) {
      client.socket.write(part);
      await sleep(10);
    }
    await waitFor(() => client.data().length === 4, 'delayed echo');
    const roundTripMs = performance.now() - startMs;
    expect(client.data().toString()).toBe('abcd');
    expect(roundTripMs).toBeGreaterThanOrEqual(0.8 * 2 * delayMs); // one delay each way
  });

  it('closes the dialer connection when the target refuses', async () => {
    const gone = await target(true);
    const address = gone.address;
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const proxy = await proxyTo(address);
    const client = await connect(proxy.address);
    await waitFor(() => client.closed(), 'client closed');
    expect(proxy.stats.socketErrors).toBe(1);
    await waitFor(() => proxy.openConnections === 0, 'pair forgotten');
  });
});

describe('LinkProxy: drop', () => {
  it('forward drop blackholes requests while the backward direction still flows', async () => {
    const server = await target(false);
    const proxy = await proxyTo(server.address);
    const client = await connect(proxy.address);
    client.socket.write('before');
    await waitFor(() => server.received() === 'before', 'first request');
    proxy.set({ forward: 'drop' });
    client.socket.write('lost');
    server.accepted[0]!.write('still');
    await waitFor(() => client.data().toString() === 'still', 'backward bytes');
    await sleep(50);
    expect(server.received()).toBe('before');
    expect(client.closed()).toBe(false);
    expect(proxy.stats).toMatchObject({ bytesForward: 6, droppedForward: 4, bytesBackward: 5, droppedBackward: 0 });
  });

  it('backward drop blackholes replies while requests still arrive', async () => {
    const server = await target(false);
    const proxy = await proxyTo(server.address);
    const client = await connect(proxy.address);
    client.socket.write('x');
    await waitFor(() => server.accepted.length === 1, 'connected through');
    proxy.set({ backward: 'drop' });
    server.accepted[0]!.write('lost');
    client.socket.write('y');
    await waitFor(() => server.received() === 'xy', 'forward bytes');
    await sleep(50);
    expect(client.data().length).toBe(0);
    expect(proxy.stats.droppedBackward).toBe(4);
  });

  it('holds new connections during a full blackhole, then resets every connection on heal', async () => {
    const echo = await target(true);
    const proxy = await proxyTo(echo.address);
    const old = await connect(proxy.address);
    old.socket.write('1');
    await waitFor(() => old.data().toString() === '1', 'echo before the partition');
    proxy.set({ forward: 'drop', backward: 'drop' });
    old.socket.write('2');
    const held = await connect(proxy.address); // accepted, like a real partition: no refusal
    held.socket.write('3');
    await sleep(50);
    expect(echo.accepted.length).toBe(1); // the held connection never reached the target
    expect(old.data().toString()).toBe('1');
    expect(held.data().length).toBe(0);
    expect([old.closed(), held.closed()]).toEqual([false, false]);
    expect(proxy.stats).toMatchObject({ connections: 2, droppedForward: 2, resets: 0 });

    proxy.set({ forward: 'pass', backward: 'pass' });
    await waitFor(() => old.closed() && held.closed(), 'both connections reset');
    expect(proxy.stats.resets).toBe(2);
    const fresh = await connect(proxy.address);
    fresh.socket.write('4');
    await waitFor(() => fresh.data().toString() === '4', 'echo after the heal');
  });

  it('changing only the delay resets nothing', async () => {
    const echo = await target(true);
    const proxy = await proxyTo(echo.address);
    const client = await connect(proxy.address);
    proxy.set({ delayMs: 20 });
    proxy.set({ delayMs: 0 });
    client.socket.write('ok');
    await waitFor(() => client.data().toString() === 'ok', 'echo');
    expect(proxy.stats.resets).toBe(0);
  });
});

describe('LinkProxy: configuration and lifecycle', () => {
  it('rejects bad options and settings with CONFIG_INVALID, listing every problem', async () => {
    await expect(LinkProxy.start({ target: 'nowhere' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const echo = await target(true);
    const proxy = await proxyTo(echo.address);
    let error: unknown;
    try {
      proxy.set({ forward: 'lose' as 'drop', delayMs: -1 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', data: { problems: [expect.stringContaining('forward'), expect.stringContaining('delayMs')] } });
    expect(proxy.setting).toEqual({ forward: 'pass', backward: 'pass', delayMs: 0 });
  });

  it('close() is idempotent and leaves no socket, server or timer behind', async () => {
    const count = (): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
      return counts;
    };
    const before = count();
    const echo = await target(true);
    const proxy = await LinkProxy.start({ target: echo.address });
    const client = await connect(proxy.address);
    proxy.set({ delayMs: 10_000 });
    client.socket.write('pending'); // sits in the delay queue behind a timer
    await waitFor(() => proxy.stats.connections === 1 && echo.accepted.length === 1, 'connected');
    await sleep(20);
    await Promise.all([proxy.close(), proxy.close()]);
    await waitFor(() => client.closed(), 'client sees the close');
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    await sleep(20); // socket handles are released on the next turns of the loop
    for (const [kind, n] of count()) expect({ kind, n }).toEqual({ kind, n: Math.min(n, before.get(kind) ?? 0) });
  });
});
