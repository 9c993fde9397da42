// StreamSocket: echo servers over TCP and AF_UNIX, many concurrent clients without blocking the
// loop, backpressure on a large transfer, EOF, and connection errors.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { SeqPacketSocket, StreamSocket } from '../../lib/index.js';

/**
 * What an AbortController polyfill (or a DOM environment's) hands out: an EventTarget with
 * `aborted`, not an instance of Node's AbortSignal; until aborted with one, its reason is
 * undefined. It counts its listeners, and can misbehave: a `reason` getter that throws, or an
 * addEventListener that calls the listener at once (as if aborted meanwhile).
 */
class ShapedSignal extends EventTarget {
  aborted = false;
  listeners = 0;
  #reason: unknown = undefined;
  constructor(private readonly mode: 'plain' | 'throwing reason' | 'calls at once' = 'plain') {
    super();
  }
  get reason(): unknown {
    if (this.mode === 'throwing reason') throw new Error('reason getter');
    return this.#reason;
  }
  override addEventListener(type: string, fn: () => void, options?: object): void {
    this.listeners++;
    super.addEventListener(type, fn, options);
    if (this.mode === 'calls at once') {
      this.aborted = true;
      fn();
    }
  }
  override removeEventListener(type: string, fn: () => void): void {
    this.listeners--;
    super.removeEventListener(type, fn);
  }
  abort(reason?: unknown): void {
    this.aborted = true;
    this.#reason = reason;
    this.dispatchEvent(new Event('abort'));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sockfd-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Serves an echo on `listener` until it is closed; returns a promise of the serving loop. */
async function echoServer(listener: StreamSocket): Promise<void> {
  const served: Promise<void>[] = [];
  for await (const conn of listener) {
    served.push(
      (async () => {
        using c = conn;
        const buf = Buffer.alloc(4096);
        for (let n = await c.read(buf); n !== null; n = await c.read(buf))
          await c.write(buf.subarray(0, n));
      })(),
    );
  }
  await Promise.all(served);
}

async function readExactly(sock: StreamSocket, n: number): Promise<Buffer> {
  const out = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    const r = await sock.read(out.subarray(off));
    if (r === null) throw new Error(`EOF after ${off} of ${n} bytes`);
    off += r;
  }
  return out;
}

const addresses: [string, () => s.SocketAddress][] = [
  ['TCP', () => ({ family: 'inet', address: '127.0.0.1', port: 0 })],
  ['TCP over IPv6', () => ({ family: 'inet6', address: '::1', port: 0 })],
  [
    'unix path',
    () => ({ family: 'unix', path: join(dir, `echo-${Math.random().toString(16).slice(2)}.sock`) }),
  ],
  [
    'unix abstract',
    () => ({ family: 'unix', abstract: `sockfd-echo-${process.pid}-${Math.random()}` }),
  ],
];

describe('StreamSocket', () => {
  it.each(addresses)('echoes over %s', async (_name, addr) => {
    const listener = StreamSocket.listen(addr());
    const serving = echoServer(listener);
    const client = await StreamSocket.connect(listener.localAddress());
    expect(client.fd).toBeGreaterThan(2);
    await client.write('hello, ');
    await client.write(Buffer.from('echo'));
    expect((await readExactly(client, 11)).toString()).toBe('hello, echo');
    client.shutdown('write');
    expect(await client.read(Buffer.alloc(8))).toBeNull(); // EOF once the server closes its side
    client.close();
    listener.close();
    await serving;
  });

  it('serves 1,000 concurrent clients from one listener while a timer keeps ticking', async () => {
    const listener = StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 }, 1024);
    const serving = echoServer(listener);
    const address = listener.localAddress();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const clients = Array.from({ length: 1000 }, async (_, i) => {
      using c = await StreamSocket.connect(address);
      const msg = `client ${i}`;
      await c.write(msg);
      expect((await readExactly(c, msg.length)).toString()).toBe(msg);
    });
    await Promise.all(clients);
    clearInterval(timer);
    listener.close();
    await serving;
    expect(ticks).toBeGreaterThan(0);
  });

  it('applies backpressure: 1 GiB through a slow reader arrives with the same hash, memory stays bounded', async () => {
    const total = 1024 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
    const listener = StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
    const accepted = listener.accept();
    const writer = await StreamSocket.connect(listener.localAddress());
    const reader = await accepted;
    listener.close();

    const rss0 = process.memoryUsage().rss;
    let peakRss = rss0;
    const sent = createHash('sha256');
    const writing = (async () => {
      for (let off = 0; off < total; off += chunk.length) {
        chunk.writeUInt32LE(off, 0); // every chunk differs, so reordering would show
        sent.update(chunk);
        await writer.write(chunk);
      }
      writer.shutdown('write');
    })();
    const got = createHash('sha256');
    const buf = Buffer.alloc(64 * 1024);
    let received = 0;
    for (let n = await reader.read(buf); n !== null; n = await reader.read(buf)) {
      got.update(buf.subarray(0, n));
      received += n;
      if ((received & 0xffffff) < n) {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        await new Promise((r) => setImmediate(r)); // a slow reader
      }
    }
    await writing;
    expect(received).toBe(total);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
    // Without backpressure the writer would queue the whole transfer in memory.
    expect(peakRss - rss0).toBeLessThan(64 * 1024 * 1024);
    writer.close();
    reader.close();
  }, 120_000);

  it('rejects connect with ECONNREFUSED carrying the address', async () => {
    const probe = StreamSocket.create('inet').bind({
      family: 'inet',
      address: '127.0.0.1',
      port: 0,
    });
    const { port } = probe.localAddress();
    probe.close();
    await expect(
      StreamSocket.connect({ family: 'inet', address: '127.0.0.1', port }),
    ).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      syscall: 'connect',
      address: '127.0.0.1',
      port,
    });
  });

  it('write to a peer that has gone rejects with EPIPE or ECONNRESET, never SIGPIPE', async () => {
    const listener = StreamSocket.listen({
      family: 'unix',
      abstract: `sockfd-epipe-${process.pid}`,
    });
    const accepted = listener.accept();
    const client = await StreamSocket.connect(listener.localAddress());
    (await accepted).close();
    listener.close();
    await expect(client.write(Buffer.alloc(1 << 20))).rejects.toMatchObject({
      code: expect.stringMatching(/^(EPIPE|ECONNRESET)$/) as unknown,
      syscall: 'send',
    });
    client.close();
  });

  it('reads end of stream as null, distinct from a zero-length read', async () => {
    const fds = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_STREAM);
    using a = StreamSocket.from(fds[0]);
    using b = StreamSocket.from(fds[1]);
    expect(await b.read(Buffer.alloc(0))).toBe(0);
    a.shutdown('write');
    expect(await b.read(Buffer.alloc(4))).toBeNull();
  });

  it('rejects a bad shutdown direction and a non-view buffer', async () => {
    const [fa, fb] = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_STREAM);
    using a = StreamSocket.from(fa);
    using _b = StreamSocket.from(fb);
    expect(() => a.shutdown('sideways' as s.ShutdownHow)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    const detached = new Int32Array(4);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    for (const how of [detached, { toString: () => 'write' }, 1]) {
      expect(() => a.shutdown(how as unknown as s.ShutdownHow)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
    }
    await expect(a.read('x' as unknown as Buffer)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
    });
  });

  it('rejects options that are no object and a signal that is no AbortSignal', async () => {
    const [fa, fb] = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_STREAM);
    using a = StreamSocket.from(fa);
    using _b = StreamSocket.from(fb);
    const bad = [null, 5, { signal: 0 }, { signal: null }, { signal: {} }] as unknown as object[];
    for (const options of bad) {
      const code = 'ERR_INVALID_ARG_TYPE';
      await expect(a.read(Buffer.alloc(4), options)).rejects.toMatchObject({ code });
      await expect(a.write('x', options)).rejects.toMatchObject({ code });
      await expect(
        a.connect({ family: 'unix', path: '/nonexistent' }, options),
      ).rejects.toMatchObject({ code });
      await expect(
        StreamSocket.connect({ family: 'inet', address: '127.0.0.1', port: 9 }, options),
      ).rejects.toMatchObject({ code });
    }
    await expect(StreamSocket.connect(null as unknown as s.SocketAddress)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
    });
  });

  it("takes an AbortSignal by its shape, as Node does: another realm's or a polyfill's", async () => {
    const [fa, fb] = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_STREAM);
    using a = StreamSocket.from(fa);
    using b = StreamSocket.from(fb);
    const buf = Buffer.alloc(4);
    const plain = new ShapedSignal();
    const pending = a.read(buf, { signal: plain as unknown as AbortSignal });
    plain.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    const withReason = new ShapedSignal();
    const second = a.read(buf, { signal: withReason as unknown as AbortSignal });
    withReason.abort(new Error('enough'));
    await expect(second).rejects.toThrow('enough');
    // Already aborted: rejects before reading anything.
    await b.write('ping');
    await expect(a.read(buf, { signal: plain as unknown as AbortSignal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    // The socket stays usable, and the bytes were left for the next read.
    expect(await a.read(buf)).toBe(4);
    expect(buf.toString()).toBe('ping');
    // Something without the listener methods is still no signal.
    await expect(
      a.read(buf, { signal: { aborted: false } as unknown as AbortSignal }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('settles every wait whatever a shaped signal does, and leaves no listener behind', async () => {
    const [fa, fb] = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_STREAM);
    using a = StreamSocket.from(fa);
    using b = StreamSocket.from(fb);
    const buf = Buffer.alloc(4);
    const as = (x: ShapedSignal) => ({ signal: x as unknown as AbortSignal });
    // A read that completes takes its listener away again.
    const plain = new ShapedSignal('plain');
    const read = a.read(buf, as(plain));
    await b.write('ping');
    expect(await read).toBe(4);
    expect(plain.listeners).toBe(0);
    // A reason getter that throws: the abort rejects with what it threw.
    const throwing = new ShapedSignal('throwing reason');
    const pending = a.read(buf, as(throwing));
    throwing.abort();
    await expect(pending).rejects.toThrow('reason getter');
    // A signal that calls its listener from addEventListener: the read rejects and is gone, so
    // the next bytes go to the next read instead of to the abandoned buffer.
    const eager = new ShapedSignal('calls at once');
    const abandoned = Buffer.alloc(4);
    await expect(a.read(abandoned, as(eager))).rejects.toMatchObject({ name: 'AbortError' });
    await b.write('pong');
    expect(await a.read(buf)).toBe(4);
    expect(buf.toString()).toBe('pong');
    expect(abandoned.toString()).toBe('\0\0\0\0');
  });

  it('lets the process exit after a wait whose signal threw from addEventListener', () => {
    // The throw used to come after the watcher was started and ref'd with nobody waiting on
    // it, so the process never exited.
    const script = `
      const s = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'index.js'))});
      const l = s.StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
      const signal = new EventTarget();
      signal.aborted = false;
      signal.addEventListener = () => { throw new Error('no listeners here'); };
      l.accept({ signal }).catch((e) => console.log('rejected: ' + e.message));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.error).toBeUndefined(); // no timeout
    expect(r.stdout).toContain('rejected: no listeners here');
    expect(r.status).toBe(0);
  });

  it('rejects a write whose buffer is detached while it waits with a coded error', async () => {
    const [fa, fb] = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_STREAM);
    using a = StreamSocket.from(fa);
    using b = StreamSocket.from(fb);
    const data = new Uint8Array(8 * 2 ** 20); // more than the pair's buffers hold
    const write = a.write(data);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    const sink = Buffer.alloc(2 ** 20);
    while ((await b.read(sink)) === sink.length); // make room until the queue is drained
    await expect(write).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('rejects a read whose buffer is detached while it waits, never a fake end of stream', async () => {
    const [fa, fb] = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_STREAM);
    using a = StreamSocket.from(fa);
    using b = StreamSocket.from(fb);
    const buf = new Uint8Array(16);
    const read = a.read(buf);
    structuredClone(buf.buffer, { transfer: [buf.buffer] });
    await b.write('data');
    await expect(read).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    // The bytes are still queued for a good buffer.
    const good = Buffer.alloc(16);
    expect(await a.read(good)).toBe(4);
  });

  it('rejects a record received into a buffer detached while it waits, never a fake end', async () => {
    const [a, b] = SeqPacketSocket.pair();
    using _a = a;
    using _b = b;
    const buf = new Uint8Array(16);
    const recv = a.recv(buf);
    structuredClone(buf.buffer, { transfer: [buf.buffer] });
    await b.send('record');
    await expect(recv).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('reads into a detached DataView as into an empty view', async () => {
    const [fa, fb] = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_STREAM);
    using a = StreamSocket.from(fa);
    using _b = StreamSocket.from(fb);
    const ab = new ArrayBuffer(8);
    const view = new DataView(ab);
    structuredClone(ab, { transfer: [ab] });
    expect(await a.read(view)).toBe(0);
  });

  // A full unix backlog gives EAGAIN, and nothing polls ready when it frees up: the connect
  // retries on a backing-off timer instead of spinning on the always-writable socket.
  it('a connect to a full unix listener waits without spinning, then connects', async () => {
    const name = Buffer.from(`sockfd-full-${process.pid}`);
    using l = StreamSocket.listen({ family: 'unix', abstract: name }, 0);
    using first = await StreamSocket.connect({ family: 'unix', abstract: name });
    const cpu = process.cpuUsage();
    const started = performance.now();
    const second = StreamSocket.connect({ family: 'unix', abstract: name });
    await new Promise((r) => setTimeout(r, 300));
    const used = process.cpuUsage(cpu);
    const ms = (used.user + used.system) / 1000;
    using accepted = await l.accept();
    using c = await second;
    expect(c.remoteAddress()).toMatchObject({ family: 'unix' });
    expect(ms, `${ms} ms of CPU in ${performance.now() - started} ms`).toBeLessThan(100);
    void first;
    void accepted;
  });
});
