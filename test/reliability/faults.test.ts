// Faults with the fd-integer API and through the classes' async layer: a signal storm during
// blocking and awaited calls, SIGPIPE at its default action, and a datagram flood. The first
// two run in child processes of their own (test/faults/*.mjs): one takes thousands of signals,
// the other must be free to die of one.
import { readFileSync, readlinkSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { runNode } from '../helpers/child.js';
import { pair, sock } from '../helpers/fds.js';

const c = s.constants;
const { AF_INET, AF_UNIX, SOCK_DGRAM, SOCK_NONBLOCK, SOL_SOCKET } = c;

describe('a signal storm during blocking calls', () => {
  it('ends poll, recv, accept, send and connect at once with EINTR when JavaScript listens', async () => {
    // A call that hung would run into the kill timeout.
    const r = await runNode(['test/faults/signal-storm.mjs', 'js'], { timeoutMs: 45_000 });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/storm \(js\): 11 blocking calls, \d+ SIGUSR2 handled, 0 failed/);
    process.stdout.write(r.stdout);
  }, 60_000);

  it('neither hangs nor cuts short the same calls under a signal only native code handles', async () => {
    // Nine calls of a few hundred ms.
    const r = await runNode(['test/faults/signal-storm.mjs', 'native'], { timeoutMs: 45_000 });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/storm \(native\): 11 blocking calls, \d+ SIGCHLD sent, 0 failed/);
    process.stdout.write(r.stdout);
  }, 60_000);

  it('neither hangs nor cuts short awaited reads, accepts, connects and writes of the classes', async () => {
    const r = await runNode(['test/faults/signal-storm-async.mjs'], { timeoutMs: 45_000 });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/storm \(async\): 7 awaited calls, \d+ SIGUSR2 handled, 0 failed/);
    process.stdout.write(r.stdout);
  }, 60_000);
});

describe('SIGPIPE at its default action', () => {
  it('kills a process that writes to a closed peer with write(2) (the control)', async () => {
    const r = await runNode(['test/faults/sigpipe.mjs', 'control'], { timeoutMs: 20_000 });
    expect(r.stdout, r.output).toMatch(/SIGPIPE is at its default action/);
    expect(r.signal, r.output).toBe('SIGPIPE');
  }, 30_000);

  it('leaves a process alive after every send path to a closed peer, with EPIPE', async () => {
    const r = await runNode(['test/faults/sigpipe.mjs', 'send'], { timeoutMs: 20_000 });
    expect(r.signal, r.output).toBeNull();
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/sends to a closed peer threw EPIPE; the process lives/);
  }, 30_000);

  it('leaves a process alive after every class send to a closed peer, rejecting with EPIPE', async () => {
    const r = await runNode(['test/faults/sigpipe.mjs', 'class'], { timeoutMs: 20_000 });
    expect(r.signal, r.output).toBeNull();
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(
      /10 class sends to a closed peer rejected with EPIPE; the process lives/,
    );
  }, 30_000);
});

// The kernel's count of datagrams it dropped on `fd`'s receive queue: the last column of
// /proc/net/udp, on the line with the socket's inode.
function udpDrops(fd: number): number {
  const inode = /socket:\[(\d+)\]/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  const line = readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .find((l) => l.trim().split(/\s+/)[9] === inode);
  if (!line) throw new Error(`no /proc/net/udp line for inode ${inode}`);
  return Number(line.trim().split(/\s+/).pop());
}

const DATAGRAM = 64;

// Sends numbered datagrams until EAGAIN/ENOBUFS or `limit`; returns how many the kernel took.
function flood(fd: number, first: number, limit: number): number {
  const buf = Buffer.alloc(DATAGRAM);
  let sent = 0;
  for (; sent < limit; sent++) {
    const seq = first + sent;
    buf.writeUInt32LE(seq, 0);
    buf.fill(seq & 0xff, 4);
    try {
      s.send(fd, buf);
    } catch (e) {
      if ((e as s.SocketError).code === 'EAGAIN' || (e as s.SocketError).code === 'ENOBUFS') break;
      throw e;
    }
  }
  return sent;
}

// Receives until EAGAIN; returns the sequence numbers, checking each datagram whole.
function drain(fd: number): number[] {
  const buf = Buffer.alloc(2 * DATAGRAM);
  const seqs: number[] = [];
  for (;;) {
    let n: number;
    try {
      n = s.recv(fd, buf);
    } catch (e) {
      if ((e as s.SocketError).code === 'EAGAIN') return seqs;
      throw e;
    }
    const seq = buf.readUInt32LE(0);
    const whole = n === DATAGRAM && buf.subarray(4, n).every((b) => b === (seq & 0xff));
    if (!whole) throw new Error(`datagram ${seq}: ${n} bytes, or its body is damaged`);
    seqs.push(seq);
  }
}

function expectInOrder(seqs: number[], first: number): void {
  for (let i = 1; i < seqs.length; i++) {
    if (!(seqs[i]! > seqs[i - 1]!)) throw new Error(`out of order at ${i}: ${seqs[i]}`);
  }
  if (seqs.length) expect(seqs[0]).toBeGreaterThanOrEqual(first);
}

describe('a datagram flood until EAGAIN', () => {
  it('loses no UDP datagram the kernel queued, on loopback with a large SO_RCVBUF', () => {
    const rx = sock(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
    const want = 16 * 2 ** 20;
    try {
      s.setsockopt(rx, SOL_SOCKET, c.SO_RCVBUFFORCE, want); // root: past net.core.rmem_max
    } catch {
      s.setsockopt(rx, SOL_SOCKET, c.SO_RCVBUF, want); // capped at rmem_max
    }
    s.bind(rx, { family: 'inet', address: '127.0.0.1', port: 0 });
    const tx = sock(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
    s.connect(tx, s.getsockname(rx) as s.InetAddress);

    // UDP has no flow control: on loopback the sender never sees EAGAIN, the receive queue
    // overflows instead and the kernel counts what it dropped. Every datagram a send
    // reported as sent is either received, whole and in order, or in that count.
    const sent = flood(tx, 0, 60_000);
    const got = drain(rx);
    const drops = udpDrops(rx);
    expectInOrder(got, 0);
    expect(got.length + drops).toBe(sent);
    // Even the default net.core.rmem_max (208 KiB) holds a few hundred 64-byte datagrams.
    expect(got.length).toBeGreaterThan(100);

    // What fits in the queue arrives, all of it: half of what it held above.
    const fits = Math.floor(got.length / 2);
    const again = flood(tx, sent, fits);
    const got2 = drain(rx);
    expect(again).toBe(fits);
    expect(got2).toEqual(Array.from({ length: fits }, (_, i) => sent + i));
    expect(udpDrops(rx)).toBe(drops);
    process.stdout.write(
      `udp flood: ${sent} sent, ${got.length} received, ${drops} dropped by the kernel at a ` +
        `full queue (SO_RCVBUF ${s.getsockopt(rx, SOL_SOCKET, c.SO_RCVBUF)}); then ${fits} ` +
        `sent and all ${got2.length} received\n`,
    );
  });

  it('loses none on a unix datagram pair, whose sender gets EAGAIN when the queue is full', () => {
    const [tx, rx] = pair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK);
    let next = 0;
    for (let round = 0; round < 3; round++) {
      const sent = flood(tx, next, 1_000_000);
      expect(() => s.send(tx, Buffer.alloc(DATAGRAM))).toThrow(
        expect.objectContaining({ code: 'EAGAIN' }),
      );
      const got = drain(rx);
      expect(got).toEqual(Array.from({ length: sent }, (_, i) => next + i));
      next += sent;
    }
    process.stdout.write(`unix dgram flood: 3 rounds to EAGAIN, ${next} sent, all received\n`);
  });
});

// The async API has no EAGAIN: a call that would block waits. "Until it would block" is a call
// still waiting WOULD_BLOCK_MS after the previous one completed; every datagram already queued
// answers at once (loopback queues a datagram before send returns). The abort that ends that
// wait leaves nothing half done.
const WOULD_BLOCK_MS = 50;

/** A signal that aborts once `still()` has not been called for WOULD_BLOCK_MS. */
function stallSignal(): { signal: AbortSignal; still: () => void; done: () => void } {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), WOULD_BLOCK_MS);
  return { signal: ac.signal, still: () => timer.refresh(), done: () => clearTimeout(timer) };
}

const isAbort = (e: unknown): boolean => (e as Error).name === 'AbortError';

function numbered(seq: number): Buffer {
  const buf = Buffer.alloc(DATAGRAM, seq & 0xff);
  buf.writeUInt32LE(seq, 0);
  return buf;
}

// Awaited sends of numbered datagrams until one would block or `limit`; returns how many the
// kernel took.
async function floodAsync(tx: s.DatagramSocket, first: number, limit: number): Promise<number> {
  const stall = stallSignal();
  let sent = 0;
  try {
    for (; sent < limit; sent++) {
      await tx.send(numbered(first + sent), { signal: stall.signal });
      stall.still();
    }
  } catch (e) {
    if (!isAbort(e) && (e as s.SocketError).code !== 'ENOBUFS') throw e;
  } finally {
    stall.done();
  }
  return sent;
}

// Awaited receives until one would block; returns the sequence numbers, each datagram whole.
async function drainAsync(rx: s.DatagramSocket): Promise<number[]> {
  const buf = Buffer.alloc(2 * DATAGRAM);
  const seqs: number[] = [];
  const stall = stallSignal();
  try {
    for (;;) {
      const r = await rx.recv(buf, { signal: stall.signal });
      stall.still();
      const seq = buf.readUInt32LE(0);
      const body = buf.subarray(4, r.bytes);
      if (r.bytes !== DATAGRAM || r.truncated || !body.every((b) => b === (seq & 0xff))) {
        throw new Error(`datagram ${seq}: ${r.bytes} bytes, or its body is damaged`);
      }
      seqs.push(seq);
    }
  } catch (e) {
    if (!isAbort(e)) throw e;
  } finally {
    stall.done();
  }
  return seqs;
}

describe('a datagram flood through the async API', () => {
  it('loses no UDP datagram the kernel queued, awaited send by send and drained by awaited recv', async () => {
    using rx = s.DatagramSocket.create('inet');
    const want = 16 * 2 ** 20;
    try {
      rx.setOption(SOL_SOCKET, c.SO_RCVBUFFORCE, want);
    } catch {
      rx.setRecvBufferSize(want);
    }
    rx.bind({ family: 'inet', address: '127.0.0.1', port: 0 });
    using tx = s.DatagramSocket.create('inet');
    await tx.connect(rx.localAddress());

    const sent = await floodAsync(tx, 0, 60_000);
    const got = await drainAsync(rx);
    const drops = udpDrops(rx.fd);
    expectInOrder(got, 0);
    expect(got.length + drops).toBe(sent);
    expect(got.length).toBeGreaterThan(100);

    const fits = Math.floor(got.length / 2);
    const again = await floodAsync(tx, sent, fits);
    const got2 = await drainAsync(rx);
    expect(again).toBe(fits);
    expect(got2).toEqual(Array.from({ length: fits }, (_, i) => sent + i));
    expect(udpDrops(rx.fd)).toBe(drops);
    process.stdout.write(
      `udp flood (async): ${sent} sent, ${got.length} received, ${drops} dropped by the kernel ` +
        `at a full queue; then ${fits} sent and all ${got2.length} received\n`,
    );
  });

  it('loses none on a unix datagram pair, whose sends wait while the queue is full', async () => {
    const [fa, fb] = s.socketpair(AF_UNIX, SOCK_DGRAM);
    using tx = s.DatagramSocket.from(fa);
    using rx = s.DatagramSocket.from(fb);
    let next = 0;
    for (let round = 0; round < 3; round++) {
      const sent = await floodAsync(tx, next, 1_000_000);
      expect(await floodAsync(tx, next + sent, 1)).toBe(0); // the next send would block
      const got = await drainAsync(rx);
      expect(got).toEqual(Array.from({ length: sent }, (_, i) => next + i));
      next += sent;
    }

    // Then a writer that never stops, and a reader beside it: each send that waits resumes
    // when the reader makes room, and every datagram arrives once, in order.
    const total = 20_000;
    const first = next;
    const writer = (async () => {
      for (let i = 0; i < total; i++) await tx.send(numbered(first + i));
    })();
    const buf = Buffer.alloc(2 * DATAGRAM);
    let waited = 0;
    for (let i = 0; i < total; i++) {
      const r = await rx.recv(buf);
      if (r.bytes !== DATAGRAM || buf.readUInt32LE(0) !== first + i) {
        throw new Error(`datagram ${i}: ${r.bytes} bytes, sequence ${buf.readUInt32LE(0)}`);
      }
      if (i % 1000 === 0) {
        waited++;
        await new Promise((resolve) => setImmediate(resolve)); // let the queue fill again
      }
    }
    await writer;
    expect(await drainAsync(rx)).toEqual([]);
    process.stdout.write(
      `unix dgram flood (async): 3 rounds until a send would block, ${next} sent, all ` +
        `received; then ${total} sent by a writer beside a reader (${waited} pauses), all received in order\n`,
    );
  });
});
