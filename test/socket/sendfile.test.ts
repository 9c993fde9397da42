// StreamSocket.sendfile: a file's bytes to a connected stream socket, copied in the kernel,
// waiting on the event loop whenever the send buffer is full, from an offset (the file position
// untouched) or from the file position (advanced), up to a count or the end of the file.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { StreamSocket } from '../../lib/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sockfd-sendfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Several times what a small send buffer and the peer's receive buffer hold together, so the
// call must wait for the reader more than once.
const BIG = 8 * 1024 * 1024;
const SMALL_BUFFER = 16 * 1024;
const data = randomBytes(BIG);
const file = join(dir, 'data');
writeFileSync(file, data);

const fds: number[] = [];
const sockets: StreamSocket[] = [];
afterEach(() => {
  for (const fd of fds.splice(0)) closeSync(fd);
  for (const sock of sockets.splice(0)) sock.close();
});

function openFile(): number {
  const fd = openSync(file, 'r');
  fds.push(fd);
  return fd;
}

async function connected(): Promise<[StreamSocket, StreamSocket]> {
  const listener = StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
  sockets.push(listener);
  const accepted = listener.accept();
  const client = await StreamSocket.connect(listener.localAddress());
  const server = await accepted;
  sockets.push(client, server);
  client.setSendBufferSize(SMALL_BUFFER);
  server.setRecvBufferSize(SMALL_BUFFER);
  return [client, server];
}

async function readAll(sock: StreamSocket, n: number): Promise<Buffer> {
  const out = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    const r = await sock.read(out.subarray(off, Math.min(n, off + 65536)));
    if (r === null) break;
    off += r;
  }
  return out.subarray(0, off);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('StreamSocket.sendfile', () => {
  it('sends a whole file larger than the buffers, waiting while the socket is full', async () => {
    const [client, server] = await connected();
    const fd = openFile();
    // The bare syscall on the nonblocking socket gives up with EAGAIN once the buffers fill.
    let at = 0;
    expect(() => {
      while (at < BIG) at += s.sendfile(client.fd, fd, at, BIG - at).bytes;
    }).toThrow(expect.objectContaining({ code: 'EAGAIN', syscall: 'sendfile' }));
    expect(at).toBeLessThan(BIG);
    const received = readAll(server, at + BIG);
    await expect(client.sendfile(fd)).resolves.toBe(BIG);
    const got = await received;
    // What the bare calls sent comes first, the method's whole file after it.
    expect(got.length).toBe(at + BIG);
    expect(got.subarray(0, at).equals(data.subarray(0, at))).toBe(true);
    expect(sha(got.subarray(at))).toBe(sha(data));
  });

  it('sends count bytes from an offset and leaves the file position alone', async () => {
    const [client, server] = await connected();
    const fd = openFile();
    const received = readAll(server, 300_000);
    await expect(client.sendfile(fd, { offset: 1000, count: 300_000 })).resolves.toBe(300_000);
    expect((await received).equals(data.subarray(1000, 301_000))).toBe(true);
    const first = Buffer.alloc(4);
    readSync(fd, first, 0, 4, null);
    expect(first.equals(data.subarray(0, 4))).toBe(true);
  });

  it('with offset null, reads from the file position and advances it', async () => {
    const [client, server] = await connected();
    const fd = openFile();
    readSync(fd, Buffer.alloc(10), 0, 10, null); // the position is now 10
    const received = readAll(server, 200_000);
    await expect(client.sendfile(fd, { offset: null, count: 200_000 })).resolves.toBe(200_000);
    expect((await received).equals(data.subarray(10, 200_010))).toBe(true);
    const next = Buffer.alloc(4);
    readSync(fd, next, 0, 4, null);
    expect(next.equals(data.subarray(200_010, 200_014))).toBe(true);
  });

  it('stops at the end of the file when count asks for more, and sends nothing past it', async () => {
    const [client, server] = await connected();
    const fd = openFile();
    const tail = 5000;
    const received = readAll(server, tail);
    await expect(client.sendfile(fd, { offset: BIG - tail, count: 10 * tail })).resolves.toBe(tail);
    expect((await received).equals(data.subarray(BIG - tail))).toBe(true);
    await expect(client.sendfile(fd, { offset: BIG })).resolves.toBe(0);
    await expect(client.sendfile(fd, { count: 0 })).resolves.toBe(0);
  });

  it('an abort while it waits rejects with AbortError and leaves the socket usable', async () => {
    const [client, server] = await connected();
    const fd = openFile();
    const ac = new AbortController();
    const pending = client.sendfile(fd, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    // Whatever had been sent stays in order; the socket still takes a write.
    const received = readAll(server, BIG + 3);
    await client.write('end');
    client.shutdown('write');
    const got = await received;
    expect(got.length).toBeLessThan(BIG + 3);
    expect(got.subarray(-3).toString()).toBe('end');
    expect(got.subarray(0, got.length - 3).equals(data.subarray(0, got.length - 3))).toBe(true);
  });

  it('a socket as the file fails in sendfile, with the bytes sent so far', async () => {
    const [client] = await connected();
    const [a, b] = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_STREAM);
    try {
      // An offset on what cannot seek.
      await expect(client.sendfile(a)).rejects.toMatchObject({
        code: 'ESPIPE',
        syscall: 'sendfile',
        bytesSent: 0,
      });
    } finally {
      s.close(a);
      s.close(b);
    }
  });

  it('refuses bad arguments, and a closed socket, before any syscall', async () => {
    const [client] = await connected();
    const fd = openFile();
    const cases: [unknown[], string, string, RegExp][] = [
      [[-1], 'RangeError', 'ERR_OUT_OF_RANGE', /fileFd/],
      [['3'], 'TypeError', 'ERR_INVALID_ARG_TYPE', /fileFd/],
      [[fd, 5], 'TypeError', 'ERR_INVALID_ARG_TYPE', /options/],
      [[fd, { offset: -1 }], 'RangeError', 'ERR_OUT_OF_RANGE', /options\.offset/],
      [[fd, { offset: 2 ** 53 }], 'RangeError', 'ERR_OUT_OF_RANGE', /options\.offset/],
      [[fd, { count: 1.5 }], 'RangeError', 'ERR_OUT_OF_RANGE', /options\.count/],
      [[fd, { count: '5' }], 'TypeError', 'ERR_INVALID_ARG_TYPE', /options\.count/],
    ];
    for (const [args, name, code, message] of cases) {
      const call = (client.sendfile as (...a: unknown[]) => Promise<number>).bind(client);
      const err = (await call(...args).catch((e: unknown) => e)) as Error;
      expect(err.constructor.name).toBe(name);
      expect(err).toMatchObject({ code });
      expect(err.message).toMatch(message);
    }
    client.close();
    await expect(client.sendfile(fd)).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
  });
});
