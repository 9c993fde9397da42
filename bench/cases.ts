// The bench suite's JavaScript measurements: sockfd (the fd-integer API and the typed classes)
// and the Node core baselines (dgram, net). The runner starts one process per measurement:
//   node cases.js sockfd|node|floor CASE COUNT
// and reads the one JSON line it prints: { ns, ops } for timed cases, { heap, rss } per object
// for memory, { perCall, growth, calls } for allocation, or { na } when a case cannot run here.
// The loops are the C programs' loops (bench/*.c), call for call.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';

import * as sockfd from '../dist/index.js';
import { type Host, Lab, labSupport } from '../dist/tools/lab/index.js';

// The functions are taken from the module once, as an ESM named import binds them; calling
// through the CommonJS namespace object (sockfd.recv) would add TypeScript's re-export getter
// to every call.
const {
  accept,
  bind,
  close,
  connect,
  getsockname,
  getsockopt,
  listen,
  recv,
  recvfrom,
  send,
  sendto,
  setNonblocking,
  setsockopt,
  socket,
  socketpair,
} = sockfd;
const {
  AF_INET,
  AF_UNIX,
  IPPROTO_TCP,
  MSG_WAITFORONE,
  SOCK_DGRAM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_RCVBUF,
  SO_RCVTIMEO,
  TCP_NODELAY,
} = sockfd;

/** Bytes per datagram or ping. */
const SIZE = 64;
/** Datagrams queued before each timed run of receives (the one-call rows). */
const BATCH = 64;
/** Datagrams in flight per window (the UDP rate rows), and per sendmmsg/recvmmsg call. */
const WINDOW = 32;
/** Bytes per write in the bulk rows. */
const CHUNK = 65536;
const LOOPBACK = { family: 'inet', address: '127.0.0.1', port: 0 } as const;

type Result = { ns: number; ops: number } | Record<string, number | string>;

const now = (): bigint => process.hrtime.bigint();
const since = (t0: bigint): number => Number(process.hrtime.bigint() - t0);
const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with --expose-gc');
  g();
  g();
}

// ---------------------------------------------------------------------------------------------
// sockfd, fd-integer API, blocking fds

function udpSocket(): number {
  const fd = socket(AF_INET, SOCK_DGRAM);
  bind(fd, LOOPBACK);
  // A lost datagram would make a blocking receive wait forever; fail instead (struct timeval).
  const tv = Buffer.alloc(16);
  tv.writeBigInt64LE(5n, 0);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv);
  return fd;
}

function inetName(fd: number): sockfd.InetAddress {
  return getsockname(fd) as sockfd.InetAddress;
}

/**
 * The calls the synchronous loops time, so the same loops run through sockfd and through the
 * Node-API floor (bench/floor.c). `to` is what `target` made of the receiver's address.
 */
interface SyncApi {
  getsockopt: (fd: number, level: number, name: number) => number;
  send: (fd: number, buffer: Buffer) => number;
  recv: (fd: number, buffer: Buffer) => number;
  sendto: (fd: number, buffer: Buffer, flags: number, to: never) => number;
  /** Bytes received; the sender is decoded (sockfd) or left as raw bytes (the floor). */
  recvfromBytes: (fd: number, buffer: Buffer) => number;
  target: (address: sockfd.InetAddress) => unknown;
}

const sockfdApi: SyncApi = {
  getsockopt,
  send,
  recv,
  sendto,
  recvfromBytes: (fd, buffer) => recvfrom(fd, buffer).bytes,
  target: (address) => address,
};

/** The floor addon: the same calls behind the thinnest Node-API functions (bench/floor.c). */
interface FloorAddon {
  getsockopt: (fd: number, level: number, name: number) => number;
  send: (fd: number, buffer: Buffer, flags: number) => number;
  recv: (fd: number, buffer: Buffer, flags: number) => number;
  sendto: (fd: number, buffer: Buffer, flags: number, to: Buffer) => number;
  recvfrom: (fd: number, buffer: Buffer, flags: number, from: Buffer) => number;
  /** A uv_poll on `fd` that calls `callback` with the ready events, or a negative libuv error. */
  pollOpen: (fd: number, callback: (events: number) => void) => unknown;
  pollStart: (handle: unknown, events: number) => number;
  pollStop: (handle: unknown) => void;
  pollClose: (handle: unknown) => void;
  pollEvents: { READABLE: number; WRITABLE: number };
}

function loadFloor(): FloorAddon | null {
  const path = join(__dirname, 'floor.node');
  if (!existsSync(path)) return null;
  const m = { exports: {} };
  process.dlopen(m, path);
  return m.exports as FloorAddon;
}

/** A struct sockaddr_in, encoded once as C does. */
function sockaddrIn(address: sockfd.InetAddress): Buffer {
  const sin = Buffer.alloc(16);
  sin.writeUInt16LE(AF_INET, 0);
  sin.writeUInt16BE(address.port, 2);
  address.address.split('.').forEach((b, i) => sin.writeUInt8(Number(b), 4 + i));
  return sin;
}

function floorApi(f: FloorAddon): SyncApi {
  const from = Buffer.alloc(128); // a sockaddr_storage
  return {
    getsockopt: f.getsockopt,
    send: (fd, buffer) => f.send(fd, buffer, 0),
    recv: (fd, buffer) => f.recv(fd, buffer, 0),
    sendto: f.sendto,
    recvfromBytes: (fd, buffer) => f.recvfrom(fd, buffer, 0, from),
    target: sockaddrIn,
  };
}

/** The synchronous loops, timing the calls of `api`; one api per process keeps them monomorphic. */
function syncLoops(api: SyncApi) {
  const { getsockopt: getopt, send: snd, recv: rcv, sendto: sndto, recvfromBytes } = api;

  function getsockoptLoop(count: number): number {
    const fd = socket(AF_INET, SOCK_DGRAM);
    const t0 = now();
    for (let i = 0; i < count; i++) getopt(fd, SOL_SOCKET, SO_RCVBUF);
    const ns = since(t0);
    close(fd);
    return ns;
  }

  /** Only the receives are timed; each run of BATCH receives finds every datagram queued. */
  function recvLoop(count: number, withAddress: boolean): number {
    const rx = udpSocket();
    const tx = udpSocket();
    connect(tx, inetName(rx));
    const out = Buffer.alloc(SIZE);
    const buf = Buffer.alloc(SIZE);
    let ns = 0;
    for (let done = 0; done < count; done += BATCH) {
      for (let i = 0; i < BATCH; i++) send(tx, out);
      const t0 = now();
      if (withAddress) {
        for (let i = 0; i < BATCH; i++)
          if (recvfromBytes(rx, buf) !== SIZE) throw new Error('short datagram');
      } else {
        for (let i = 0; i < BATCH; i++)
          if (rcv(rx, buf) !== SIZE) throw new Error('short datagram');
      }
      ns += since(t0);
    }
    close(tx);
    close(rx);
    return ns;
  }

  function udpLoop(count: number): number {
    const rx = udpSocket();
    const tx = udpSocket();
    const to = api.target(inetName(rx)) as never;
    const out = Buffer.alloc(SIZE);
    const buf = Buffer.alloc(SIZE);
    const t0 = now();
    for (let done = 0; done < count; done += WINDOW) {
      for (let i = 0; i < WINDOW; i++) sndto(tx, out, 0, to);
      for (let i = 0; i < WINDOW; i++)
        if (recvfromBytes(rx, buf) !== SIZE) throw new Error('short datagram');
    }
    const ns = since(t0);
    close(tx);
    close(rx);
    return ns;
  }

  function recvAll(fd: number, buf: Buffer): void {
    for (let got = 0; got < buf.length;) {
      const n = rcv(fd, got === 0 ? buf : buf.subarray(got));
      if (n <= 0) throw new Error('connection closed');
      got += n;
    }
  }

  /** Both ends in this thread, in lockstep, as in bench/pingpong.c. */
  function pingPongLoop(a: number, b: number, count: number): number {
    const ping = Buffer.alloc(SIZE);
    const buf = Buffer.alloc(SIZE);
    const t0 = now();
    for (let i = 0; i < count; i++) {
      snd(a, ping);
      recvAll(b, buf);
      snd(b, buf);
      recvAll(a, buf);
    }
    return since(t0);
  }

  function pingPong(kind: 'tcp' | 'seq', count: number): number {
    const [a, b] = kind === 'tcp' ? tcpPair() : socketpair(AF_UNIX, SOCK_SEQPACKET);
    pingPongLoop(a, b, Math.floor(count / 10));
    const ns = pingPongLoop(a, b, count);
    close(a);
    close(b);
    return ns;
  }

  return { getsockoptLoop, recvLoop, udpLoop, pingPong };
}

/** The cases sockfd and the floor both run, through `api`. */
function syncCases(api: SyncApi): Record<string, (count: number) => Result> {
  const l = syncLoops(api);
  return {
    getsockopt: (n) => warm(l.getsockoptLoop, n),
    recv: (n) => warm((k) => l.recvLoop(k, false), roundUp(n, BATCH)),
    recvfrom: (n) => warm((k) => l.recvLoop(k, true), roundUp(n, BATCH)),
    udp: (n) => warm(l.udpLoop, roundUp(n, WINDOW)),
    'tcp-pp': (n) => timed(l.pingPong('tcp', n), n),
    'seq-pp': (n) => timed(l.pingPong('seq', n), n),
  };
}

/** sendmmsg/recvmmsg where this build exports them (issue 4), through a reusable MessageBatch. */
interface BatchLike {
  setAddress(i: number, a: unknown): void;
}
interface Batched {
  MessageBatch?: { alloc(count: number, size: number): BatchLike };
  sendmmsg?: (fd: number, batch: unknown, flags?: number) => number;
  recvmmsg?: (fd: number, batch: unknown, flags?: number) => number;
}

export function batchedApi(): Required<Batched> | null {
  const lib = sockfd as Batched;
  if (typeof lib.sendmmsg !== 'function' || typeof lib.recvmmsg !== 'function') return null;
  if (typeof lib.MessageBatch !== 'function') return null;
  return lib as Required<Batched>;
}

function udpBatchLoop(count: number): number {
  const api = batchedApi();
  if (api === null) throw new Error('not in this build');
  const rx = udpSocket();
  const tx = udpSocket();
  const to = inetName(rx);
  // One buffer of WINDOW × SIZE bytes per batch, as bench/udp.c's arrays.
  const out = api.MessageBatch.alloc(WINDOW, SIZE);
  const inb = api.MessageBatch.alloc(WINDOW, SIZE);
  for (let i = 0; i < WINDOW; i++) out.setAddress(i, to);
  const t0 = now();
  for (let done = 0; done < count; done += WINDOW) {
    // A short sendmmsg sends its first messages again: they are all alike, and all counted.
    for (let sent = 0; sent < WINDOW;) sent += api.sendmmsg(tx, out, 0);
    for (let got = 0; got < WINDOW;) got += api.recvmmsg(rx, inb, MSG_WAITFORONE);
  }
  const ns = since(t0);
  close(tx);
  close(rx);
  return ns;
}

function tcpPair(): [number, number] {
  const l = socket(AF_INET, SOCK_STREAM);
  bind(l, LOOPBACK);
  listen(l, 1);
  const a = socket(AF_INET, SOCK_STREAM);
  connect(a, inetName(l));
  const b = accept(l).fd;
  close(l);
  setsockopt(a, IPPROTO_TCP, TCP_NODELAY, 1);
  setsockopt(b, IPPROTO_TCP, TCP_NODELAY, 1);
  return [a, b];
}

/** The writer here, a reader in a second process running the same API, as bench/bulk.c. */
async function bulk(count: number): Promise<Result> {
  const total = count * CHUNK;
  const l = socket(AF_INET, SOCK_STREAM);
  bind(l, LOOPBACK);
  listen(l, 1);
  const reader = spawn(
    process.execPath,
    [__filename, 'sockfd', 'tcp-bulk-reader', String(total), String(inetName(l).port)],
    { stdio: 'inherit' },
  );
  const exited = once(reader, 'exit');
  const fd = accept(l).fd;
  close(l);
  const chunk = Buffer.alloc(CHUNK);
  const byte = Buffer.alloc(1);
  if (recv(fd, byte) !== 1) throw new Error('reader not ready');
  const t0 = now();
  for (let i = 0; i < count; i++) {
    for (let off = 0; off < CHUNK;) off += send(fd, off === 0 ? chunk : chunk.subarray(off));
  }
  if (recv(fd, byte) !== 1) throw new Error('no acknowledgement');
  const ns = since(t0);
  close(fd);
  await exited;
  return { ns, ops: total };
}

function bulkReader(total: number, port: number): void {
  const fd = socket(AF_INET, SOCK_STREAM);
  connect(fd, { family: 'inet', address: '127.0.0.1', port });
  send(fd, Buffer.from('R'));
  const buf = Buffer.alloc(CHUNK);
  for (let got = 0; got < total;) {
    const n = recv(fd, buf);
    if (n <= 0) throw new Error('connection closed');
    got += n;
  }
  send(fd, Buffer.from('A'));
  close(fd);
}

// ---------------------------------------------------------------------------------------------
// sockfd, typed classes (nonblocking, event loop)

async function udpAsync(count: number): Promise<number> {
  const rx = sockfd.DatagramSocket.bound(LOOPBACK);
  const tx = sockfd.DatagramSocket.bound(LOOPBACK);
  const to = rx.localAddress();
  const out = Buffer.alloc(SIZE);
  const buf = Buffer.alloc(SIZE);
  const run = async (n: number): Promise<number> => {
    const t0 = now();
    for (let done = 0; done < n; done += WINDOW) {
      for (let i = 0; i < WINDOW; i++) await tx.sendTo(out, to);
      for (let i = 0; i < WINDOW; i++)
        if ((await rx.recvFrom(buf)).bytes !== SIZE) throw new Error('short datagram');
    }
    return since(t0);
  };
  await run(count / 10);
  const ns = await run(count);
  tx.close();
  rx.close();
  return ns;
}

async function tcpPairAsync(): Promise<[sockfd.StreamSocket, sockfd.StreamSocket]> {
  const listener = sockfd.StreamSocket.listen(LOOPBACK);
  const [a, b] = await Promise.all([
    sockfd.StreamSocket.connect(listener.localAddress()),
    listener.accept(),
  ]);
  listener.close();
  a.setOption(IPPROTO_TCP, TCP_NODELAY, true);
  b.setOption(IPPROTO_TCP, TCP_NODELAY, true);
  return [a, b];
}

/**
 * Both ends read into 64 KiB buffers, as net does: a stream reader takes whatever has arrived.
 * The echo end writes back what it read; the client waits for all 64 bytes of each pong.
 */
async function tcpPingPongAsync(count: number): Promise<number> {
  const [client, server] = await tcpPairAsync();
  const echo = (async () => {
    const buf = Buffer.alloc(CHUNK);
    for (let n = await server.read(buf); n !== null; n = await server.read(buf))
      await server.write(buf.subarray(0, n));
  })();
  const ping = Buffer.alloc(SIZE);
  const buf = Buffer.alloc(CHUNK);
  const run = async (n: number): Promise<number> => {
    const t0 = now();
    for (let i = 0; i < n; i++) {
      await client.write(ping);
      for (let got = 0; got < SIZE;) {
        const r = await client.read(buf);
        if (r === null) throw new Error('connection closed');
        got += r;
      }
    }
    return since(t0);
  };
  await run(count / 10);
  const ns = await run(count);
  client.shutdown('write');
  await echo;
  client.close();
  server.close();
  return ns;
}

async function seqPingPongAsync(count: number): Promise<number> {
  const [client, server] = sockfd.SeqPacketSocket.pair();
  const echo = (async () => {
    const buf = Buffer.alloc(SIZE);
    for (let m = await server.recv(buf); m !== null; m = await server.recv(buf))
      await server.send(m.bytes === SIZE ? buf : buf.subarray(0, m.bytes));
  })();
  const ping = Buffer.alloc(SIZE);
  const buf = Buffer.alloc(SIZE);
  const run = async (n: number): Promise<number> => {
    const t0 = now();
    for (let i = 0; i < n; i++) {
      await client.send(ping);
      if ((await client.recv(buf)) === null) throw new Error('connection closed');
    }
    return since(t0);
  };
  await run(count / 10);
  const ns = await run(count);
  client.close(); // the echo end reads end of connection
  await echo;
  server.close();
  return ns;
}

async function bulkAsync(count: number): Promise<Result> {
  const total = count * CHUNK;
  const [writer, reader] = await tcpPairAsync();
  const chunk = Buffer.alloc(CHUNK);
  const buf = Buffer.alloc(CHUNK);
  const t0 = now();
  await Promise.all([
    (async () => {
      for (let i = 0; i < count; i++) await writer.write(chunk);
    })(),
    (async () => {
      for (let got = 0; got < total;) {
        const n = await reader.read(buf);
        if (n === null) throw new Error('connection closed');
        got += n;
      }
    })(),
  ]);
  const ns = since(t0);
  writer.close();
  reader.close();
  return { ns, ops: total };
}

// ---------------------------------------------------------------------------------------------
// The Node-API floor of the async rows: bench/epoll.c's tasks, call for call, waiting through
// the floor's uv_poll binding on Node's event loop instead of on an epoll loop of their own.

const READY = 0;
const WAITING = 1;
const DONE = 2;
/** One turn of a task: READY to run again after the other ready tasks, WAITING, or DONE. */
type Step = () => number;

interface Watch {
  fd: number;
  handle: unknown;
  interest: number;
  reader: Step | null;
  writer: Step | null;
}

/** One end of a connection and when its reads try their syscall first (epoll.c's struct end). */
interface End {
  w: Watch;
  stream: boolean;
  buf: Buffer;
  drained: boolean;
  waitFirst: boolean;
  reading: boolean;
  receives: number;
}

const EAGAIN_R = -sockfd.EAGAIN;

/** bench/epoll.c's ready queue and loop, with readiness from the floor's uv_poll handles. */
class FloorLoop {
  readonly #f: FloorAddon;
  readonly #readable: number;
  readonly #writable: number;
  readonly #queue: Step[] = [];
  readonly #watches: Watch[] = [];
  #live = 0;
  #finished: () => void = () => undefined;

  constructor(f: FloorAddon) {
    this.#f = f;
    this.#readable = f.pollEvents.READABLE;
    this.#writable = f.pollEvents.WRITABLE;
  }

  watch(fd: number): Watch {
    setNonblocking(fd, true);
    const w: Watch = { fd, handle: null, interest: 0, reader: null, writer: null };
    w.handle = this.#f.pollOpen(fd, (events) => this.#onEvents(w, events));
    this.#watches.push(w);
    return w;
  }

  end(fd: number, stream: boolean, size: number): End {
    const w = this.watch(fd);
    const buf = Buffer.alloc(size);
    return { w, stream, buf, drained: false, waitFirst: false, reading: false, receives: 0 };
  }

  /** Parks `step` until `w` is readable (or writable). */
  waitFor(step: Step, w: Watch, write: boolean): number {
    const bit = write ? this.#writable : this.#readable;
    if (write) w.writer = step;
    else w.reader = step;
    if ((w.interest & bit) === 0) {
      w.interest |= bit;
      const r = this.#f.pollStart(w.handle, w.interest);
      if (r < 0) throw new Error(`uv_poll_start: ${r}`);
    }
    return WAITING;
  }

  /** epoll.c's end_read: the bytes read, or -1 once `step` waits for readiness. */
  read(e: End, step: Step): number {
    let first = false;
    if (!e.reading) {
      e.reading = true;
      first = e.stream ? !e.drained : !e.waitFirst || (++e.receives & 15) === 0;
      if (!first) {
        this.waitFor(step, e.w, false);
        return -1;
      }
    }
    const r = this.#f.recv(e.w.fd, e.buf, 0);
    if (first && !e.stream) e.waitFirst = r === EAGAIN_R;
    if (r === EAGAIN_R) {
      this.waitFor(step, e.w, false);
      return -1;
    }
    if (r <= 0) throw new Error(`recv: ${r}`);
    e.reading = false;
    if (e.stream) e.drained = r < e.buf.length;
    return r;
  }

  #onEvents(w: Watch, events: number): void {
    if (events < 0) throw new Error(`uv_poll: ${events}`);
    let drop = 0;
    if ((events & this.#readable) !== 0) {
      if (w.reader !== null) this.#queue.push(w.reader);
      else drop |= this.#readable;
      w.reader = null;
    }
    if ((events & this.#writable) !== 0) {
      if (w.writer !== null) this.#queue.push(w.writer);
      else drop |= this.#writable;
      w.writer = null;
    }
    if ((w.interest & drop) !== 0) {
      w.interest &= ~drop;
      if (w.interest !== 0) this.#f.pollStart(w.handle, w.interest);
      else this.#f.pollStop(w.handle);
    }
    this.#runQueue();
  }

  #runQueue(): void {
    const queue = this.#queue;
    while (queue.length > 0) {
      const step = queue.shift()!;
      const r = step();
      if (r === READY) queue.push(step);
      else if (r === DONE && --this.#live === 0) this.#finished();
    }
  }

  /** Runs `tasks` until they are done; `daemon` (an echo end) is started too but not waited for. */
  run(tasks: Step[], daemon?: Step): Promise<void> {
    this.#live = tasks.length;
    if (daemon !== undefined) this.#queue.push(daemon);
    this.#queue.push(...tasks);
    const done = new Promise<void>((resolve) => (this.#finished = resolve));
    this.#runQueue();
    return done;
  }

  close(): void {
    for (const w of this.#watches) {
      this.#f.pollClose(w.handle);
      close(w.fd);
    }
  }
}

async function udpFloor(f: FloorAddon, count: number): Promise<number> {
  const loop = new FloorLoop(f);
  const tx = loop.watch(udpSocket());
  const rx = loop.watch(udpSocket());
  const to = sockaddrIn(inetName(rx.fd));
  const out = Buffer.alloc(SIZE);
  const buf = Buffer.alloc(SIZE);
  const from = Buffer.alloc(128); // a sockaddr_storage
  const run = (n: number): Promise<void> => {
    let sending = true;
    let i = 0;
    let done = 0;
    const step: Step = () => {
      if (sending) {
        const r = f.sendto(tx.fd, out, 0, to);
        if (r === EAGAIN_R) return loop.waitFor(step, tx, true);
        if (r !== SIZE) throw new Error(`sendto: ${r}`);
        if (++i === WINDOW) {
          i = 0;
          sending = false;
        }
        return READY;
      }
      const r = f.recvfrom(rx.fd, buf, 0, from);
      if (r === EAGAIN_R) return loop.waitFor(step, rx, false);
      if (r !== SIZE) throw new Error(`recvfrom: ${r}`);
      if (++i < WINDOW) return READY;
      i = 0;
      sending = true;
      done += WINDOW;
      return done >= n ? DONE : READY;
    };
    return loop.run([step]);
  };
  await run(count / 10);
  const t0 = now();
  await run(count);
  const ns = since(t0);
  loop.close();
  return ns;
}

async function pingPongFloor(f: FloorAddon, kind: 'tcp' | 'seq', count: number): Promise<number> {
  const loop = new FloorLoop(f);
  const [a, b] = kind === 'tcp' ? tcpPair() : socketpair(AF_UNIX, SOCK_SEQPACKET);
  const stream = kind === 'tcp';
  const client = loop.end(a, stream, stream ? CHUNK : SIZE);
  const echo = loop.end(b, stream, stream ? CHUNK : SIZE);
  let echoing = false;
  let n = 0;
  let off = 0;
  const echoStep: Step = () => {
    if (echoing) {
      while (off < n) {
        const data = off === 0 && n === echo.buf.length ? echo.buf : echo.buf.subarray(off, n);
        const r = f.send(b, data, 0);
        if (r === EAGAIN_R) return loop.waitFor(echoStep, echo.w, true);
        if (r < 0) throw new Error(`send: ${r}`);
        off += r;
      }
      echoing = false;
      return READY;
    }
    const r = loop.read(echo, echoStep);
    if (r < 0) return WAITING;
    n = r;
    off = 0;
    echoing = true;
    return READY;
  };
  const ping = Buffer.alloc(SIZE);
  const run = (rounds: number, first: boolean): Promise<void> => {
    let sending = true;
    let got = 0;
    let i = 0;
    const step: Step = () => {
      if (sending) {
        const r = f.send(a, ping, 0);
        if (r === EAGAIN_R) return loop.waitFor(step, client.w, true);
        if (r !== SIZE) throw new Error(`send: ${r}`);
        sending = false;
        got = 0;
        return READY;
      }
      const r = loop.read(client, step);
      if (r < 0) return WAITING;
      got += r;
      if (got < SIZE) return READY;
      sending = true;
      return ++i >= rounds ? DONE : READY;
    };
    return loop.run([step], first ? echoStep : undefined);
  };
  await run(count / 10, true);
  const t0 = now();
  await run(count, false);
  const ns = since(t0);
  loop.close();
  return ns;
}

async function bulkFloor(f: FloorAddon, count: number): Promise<Result> {
  const total = count * CHUNK;
  const loop = new FloorLoop(f);
  const [a, b] = tcpPair();
  const writer = loop.watch(a);
  const reader = loop.end(b, true, CHUNK);
  const chunk = Buffer.alloc(CHUNK);
  let i = 0;
  let off = 0;
  const writeStep: Step = () => {
    while (off < CHUNK) {
      const r = f.send(a, off === 0 ? chunk : chunk.subarray(off), 0);
      if (r === EAGAIN_R) return loop.waitFor(writeStep, writer, true);
      if (r <= 0) throw new Error(`send: ${r}`);
      off += r;
    }
    off = 0;
    return ++i >= count ? DONE : READY;
  };
  let got = 0;
  const readStep: Step = () => {
    const r = loop.read(reader, readStep);
    if (r < 0) return WAITING;
    got += r;
    return got >= total ? DONE : READY;
  };
  const t0 = now();
  await loop.run([writeStep, readStep]);
  const ns = since(t0);
  loop.close();
  return { ns, ops: total };
}

/**
 * The floor's async cases. Without the addon they serve only for their names (floorCases
 * answers n/a), and are never called.
 */
function floorAsyncCases(f: FloorAddon | null): Record<string, (count: number) => Promise<Result>> {
  const addon = f!;
  return {
    'udp-async': async (n) => timed(await udpFloor(addon, roundUp(n, WINDOW)), roundUp(n, WINDOW)),
    'tcp-pp-async': async (n) => timed(await pingPongFloor(addon, 'tcp', n), n),
    'seq-pp-async': async (n) => timed(await pingPongFloor(addon, 'seq', n), n),
    'tcp-bulk-async': (n) => bulkFloor(addon, n),
  };
}

// ---------------------------------------------------------------------------------------------
// Memory and allocation

interface MemSample {
  heap: number;
  rss: number;
}

function memNow(): MemSample {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

function perObject(a: MemSample, b: MemSample, n: number): MemSample {
  return { heap: Math.round((b.heap - a.heap) / n), rss: Math.round((b.rss - a.rss) / n) };
}

/**
 * Memory per open DatagramSocket (an fd and its object, no watcher yet), and per idle watcher:
 * one that has waited once (a receive started and aborted) and now sits with nothing pending.
 */
async function memSockfd(n: number): Promise<Result> {
  const buf = Buffer.alloc(SIZE);
  const keep: sockfd.DatagramSocket[] = [];
  const m0 = memNow();
  for (let i = 0; i < n; i++) keep.push(sockfd.DatagramSocket.bound(LOOPBACK));
  const m1 = memNow();
  for (const s of keep) {
    const ac = new AbortController();
    const p = s.recvFrom(buf, { signal: ac.signal });
    ac.abort();
    await p.catch(() => undefined);
  }
  const m2 = memNow();
  for (const s of keep) s.close();
  const socket = perObject(m0, m1, n);
  const watcher = perObject(m1, m2, n);
  return {
    socketHeap: socket.heap,
    socketRss: socket.rss,
    watcherHeap: watcher.heap,
    watcherRss: watcher.rss,
  };
}

/** Node's dgram socket, bound: it then has its fd and is reading (its libuv handle polls). */
async function memDgram(n: number): Promise<Result> {
  const keep: dgram.Socket[] = [];
  const m0 = memNow();
  for (let i = 0; i < n; i++) {
    const s = dgram.createSocket('udp4');
    s.on('message', () => undefined);
    s.bind(0, '127.0.0.1');
    keep.push(s);
  }
  await Promise.all(keep.map((s) => once(s, 'listening')));
  const m1 = memNow();
  await Promise.all(keep.map((s) => new Promise((resolve) => s.close(() => resolve(null)))));
  const sock = perObject(m0, m1, n);
  return { socketHeap: sock.heap, socketRss: sock.rss };
}

/**
 * Heap allocated per receive, exactly: the calls run in chunks, each starting on an empty young
 * generation (a minor GC) and short enough that no collection can happen inside it, so the heap
 * in use at its end minus at its start is what the chunk allocated. The same chunks run empty
 * measure what the measuring itself allocates, which is taken off. The sends in between are
 * the fd-integer send, which allocates nothing itself (its own row shows recv's does not
 * either), so what is counted is the receive's. The growth that survives a full GC is
 * reported too.
 */
async function alloc(kind: string, count: number): Promise<Result> {
  const rx = sockfd.DatagramSocket.bound(LOOPBACK);
  const tx = socket(AF_INET, SOCK_DGRAM);
  connect(tx, rx.localAddress());
  const out = Buffer.alloc(SIZE);
  const buf = Buffer.alloc(SIZE);
  const fd = rx.fd;
  const result: sockfd.Received = { bytes: 0, address: null };
  const receives: Record<string, () => unknown> = {
    recv: () => recv(fd, buf),
    recvfrom: () => recvfrom(fd, buf),
    'recvfrom-out': () => recvfrom(fd, buf, 0, result),
    class: () => rx.recvFrom(buf),
  };
  const receive = receives[kind];
  if (receive === undefined) throw new Error(`unknown receive ${kind}`);
  const isAsync = kind === 'class';
  const minorGc = (): void => (globalThis as { gc?: (o: object) => void }).gc!({ type: 'minor' });
  // 8,192 receives allocate a few MiB at most, even on the async path: less than the young
  // generation the runner gives these processes (64 MiB), so no scavenge runs inside a chunk
  // (one that saw the heap shrink is run again).
  const CHUNK_CALLS = 8192;
  const chunk = async (io: boolean): Promise<number> => {
    for (;;) {
      minorGc();
      const before = getHeapStatistics().used_heap_size;
      if (io) {
        for (let done = 0; done < CHUNK_CALLS; done += WINDOW) {
          for (let i = 0; i < WINDOW; i++) send(tx, out);
          if (isAsync) for (let i = 0; i < WINDOW; i++) await receive();
          else for (let i = 0; i < WINDOW; i++) receive();
        }
      }
      const after = getHeapStatistics().used_heap_size;
      if (after >= before) return after - before;
    }
  };
  const run = async (n: number, io: boolean): Promise<number> => {
    let bytes = 0;
    for (let done = 0; done < n; done += CHUNK_CALLS) bytes += await chunk(io);
    return bytes;
  };
  // Warm-up: the JIT compiles (and allocates code and feedback) during the first calls.
  await run(roundUp(Math.min(count, 200_000), CHUNK_CALLS), true);
  const calls = roundUp(count, CHUNK_CALLS);
  const harness = await run(calls, false);
  gc();
  const before = getHeapStatistics().used_heap_size;
  const bytes = await run(calls, true);
  gc();
  const growth = getHeapStatistics().used_heap_size - before;
  close(tx);
  rx.close();
  return { perCall: Math.max(0, bytes - harness) / calls, growth, calls };
}

// ---------------------------------------------------------------------------------------------
// Node core baselines

async function boundDgram(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

async function nodeGetsockopt(count: number): Promise<number> {
  const s = await boundDgram();
  const loop = (n: number): number => {
    const t0 = now();
    for (let i = 0; i < n; i++) s.getRecvBufferSize();
    return since(t0);
  };
  loop(count / 10);
  const ns = loop(count);
  s.close();
  return ns;
}

/** dgram: send a window of datagrams with the peer's address, then wait for all of them. */
async function nodeUdp(count: number): Promise<number> {
  const rx = await boundDgram();
  const tx = await boundDgram();
  const port = rx.address().port;
  const out = Buffer.alloc(SIZE);
  let got = 0;
  let wake: () => void = () => undefined;
  rx.on('message', (msg) => {
    if (msg.length !== SIZE) throw new Error('short datagram');
    if (++got === WINDOW) wake();
  });
  const run = async (n: number): Promise<number> => {
    const t0 = now();
    for (let done = 0; done < n; done += WINDOW) {
      got = 0;
      const window = new Promise<void>((resolve) => (wake = resolve));
      for (let i = 0; i < WINDOW; i++) tx.send(out, port, '127.0.0.1');
      await window;
    }
    return since(t0);
  };
  await run(roundUp(count / 10, WINDOW));
  const ns = await run(count);
  tx.close();
  rx.close();
  return ns;
}

async function netPair(path?: string): Promise<[net.Socket, net.Socket, net.Server]> {
  const server = net.createServer();
  if (path === undefined) server.listen(0, '127.0.0.1');
  else server.listen(path);
  await once(server, 'listening');
  const target = path ?? (server.address() as net.AddressInfo);
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client =
    typeof target === 'string' ? net.connect(target) : net.connect(target.port, target.address);
  await once(client, 'connect');
  const [peer] = await accepted;
  client.setNoDelay(true);
  peer.setNoDelay(true);
  return [client, peer, server];
}

/** net: the echo end writes back whatever arrives; the client waits for all 64 bytes. */
async function netPingPong(count: number, path?: string): Promise<number> {
  const [client, peer, server] = await netPair(path);
  peer.on('data', (d) => peer.write(d));
  const ping = Buffer.alloc(SIZE);
  let got = 0;
  let wake: () => void = () => undefined;
  client.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= SIZE) {
      got -= SIZE;
      wake();
    }
  });
  const run = async (n: number): Promise<number> => {
    const t0 = now();
    for (let i = 0; i < n; i++) {
      const pong = new Promise<void>((resolve) => (wake = resolve));
      client.write(ping);
      await pong;
    }
    return since(t0);
  };
  await run(count / 10);
  const ns = await run(count);
  client.destroy();
  peer.destroy();
  server.close();
  return ns;
}

/** net: write 64 KiB chunks, honouring backpressure ('drain'), until the reader has them all. */
async function netBulk(count: number): Promise<Result> {
  const total = count * CHUNK;
  const [writer, reader, server] = await netPair();
  const chunk = Buffer.alloc(CHUNK);
  let got = 0;
  const done = new Promise<void>((resolve) => {
    reader.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= total) resolve();
    });
  });
  const t0 = now();
  for (let i = 0; i < count; i++) if (!writer.write(chunk)) await once(writer, 'drain');
  await done;
  const ns = since(t0);
  writer.destroy();
  reader.destroy();
  server.close();
  return { ns, ops: total };
}

// ---------------------------------------------------------------------------------------------
// The lab's links: two hosts (network namespaces of this process) joined by a userspace link
// (TUN devices and a forwarding thread) or a veth pair, with no impairment. Blocking fds in one
// thread, as the sync rows: what is measured is the link, not the event loop.

async function link(
  kind: 'userspace' | 'veth',
  mode: 'pp' | 'rate',
  count: number,
): Promise<Result> {
  const support = labSupport(kind === 'userspace' ? 'userspace' : undefined);
  if (!support.ok) return { na: support.reason };
  const lab = await Lab.create();
  try {
    const a = await lab.host('a', { addresses: ['10.0.0.1/24'] });
    const b = await lab.host('b', { addresses: ['10.0.0.2/24'] });
    await lab.link(a, b, { kind });
    const open = (host: Host, address: string): number => {
      const fd = host.socket(AF_INET, SOCK_DGRAM);
      bind(fd, { family: 'inet', address, port: 9000 });
      // A lost datagram would make a blocking receive wait forever; fail instead.
      const tv = Buffer.alloc(16);
      tv.writeBigInt64LE(5n, 0);
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv);
      return fd;
    };
    const fa = open(a, '10.0.0.1');
    const fb = open(b, '10.0.0.2');
    const toA = { family: 'inet', address: '10.0.0.1', port: 9000 } as const;
    const toB = { family: 'inet', address: '10.0.0.2', port: 9000 } as const;
    const buf = Buffer.alloc(SIZE);
    try {
      const pp = (n: number): number => {
        const t0 = now();
        for (let i = 0; i < n; i++) {
          sendto(fa, buf, 0, toB);
          recv(fb, buf);
          sendto(fb, buf, 0, toA);
          recv(fa, buf);
        }
        return since(t0);
      };
      const rate = (n: number): number => {
        const t0 = now();
        for (let done = 0; done < n; done += WINDOW) {
          for (let i = 0; i < WINDOW; i++) sendto(fa, buf, 0, toB);
          for (let i = 0; i < WINDOW; i++) recv(fb, buf);
        }
        return since(t0);
      };
      return mode === 'pp' ? warm(pp, count) : warm(rate, roundUp(count, WINDOW));
    } finally {
      close(fa);
      close(fb);
    }
  } finally {
    await lab.close();
  }
}

// ---------------------------------------------------------------------------------------------

function timed(ns: number, ops: number): Result {
  return { ns, ops };
}

async function withTmp<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sockfd-bench-'));
  try {
    return await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `loop` on a tenth of the count to warm up (JIT, caches), then times the full count. */
function warm(loop: (n: number) => number, n: number): Result {
  loop(Math.ceil(n / 10));
  return { ns: loop(n), ops: n };
}

const sockfdCases = (): Record<string, (count: number) => Result | Promise<Result>> => ({
  ...syncCases(sockfdApi),
  'udp-batch': (n) =>
    batchedApi() === null ? { na: 'not in this build' } : warm(udpBatchLoop, roundUp(n, WINDOW)),
  'tcp-bulk': bulk,
  'udp-async': async (n) => timed(await udpAsync(roundUp(n, WINDOW)), roundUp(n, WINDOW)),
  'tcp-pp-async': async (n) => timed(await tcpPingPongAsync(n), n),
  'seq-pp-async': async (n) => timed(await seqPingPongAsync(n), n),
  'tcp-bulk-async': bulkAsync,
  mem: memSockfd,
  'alloc-recv': (n) => alloc('recv', n),
  'alloc-recvfrom': (n) => alloc('recvfrom', n),
  'alloc-recvfrom-out': (n) => alloc('recvfrom-out', n),
  'alloc-class': (n) => alloc('class', n),
  'link-pp-userspace': (n) => link('userspace', 'pp', n),
  'link-pp-veth': (n) => link('veth', 'pp', n),
  'link-rate-userspace': (n) => link('userspace', 'rate', n),
  'link-rate-veth': (n) => link('veth', 'rate', n),
});

/** The Node-API floor runs the synchronous and async rows, or reports why it cannot. */
function floorCases(): Record<string, (count: number) => Result | Promise<Result>> {
  const f = loadFloor();
  const cases = { ...syncCases(f === null ? sockfdApi : floorApi(f)), ...floorAsyncCases(f) };
  if (f !== null) return cases;
  const na = (): Result => ({ na: 'floor.node not built (no Node-API headers)' });
  return Object.fromEntries(Object.keys(cases).map((k) => [k, na]));
}

const nodeCases: Record<string, (count: number) => Promise<Result>> = {
  getsockopt: async (n) => timed(await nodeGetsockopt(n), n),
  udp: async (n) => timed(await nodeUdp(roundUp(n, WINDOW)), roundUp(n, WINDOW)),
  'tcp-pp-async': async (n) => timed(await netPingPong(n), n),
  'seq-pp-async': (n) =>
    withTmp(async (dir) => timed(await netPingPong(n, join(dir, 'pp.sock')), n)),
  'tcp-bulk-async': netBulk,
  mem: memDgram,
};

async function main(argv: string[]): Promise<void> {
  const [impl, name, countArg, portArg] = argv;
  if (impl === 'sockfd' && name === 'tcp-bulk-reader') {
    bulkReader(Number(countArg), Number(portArg));
    return;
  }
  const cases =
    impl === 'sockfd'
      ? sockfdCases()
      : impl === 'node'
        ? nodeCases
        : impl === 'floor'
          ? floorCases()
          : undefined;
  const run = name === undefined ? undefined : cases?.[name];
  const count = Number(countArg);
  if (run === undefined || !Number.isInteger(count) || count <= 0) {
    process.stderr.write('usage: node cases.js sockfd|node|floor CASE COUNT\n');
    process.exitCode = 2;
    return;
  }
  process.stdout.write(`${JSON.stringify(await run(count))}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
