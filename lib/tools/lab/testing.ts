// Helpers for tests written against sockfd: connected pairs of the typed sockets, reading a
// stream to its end, a reset, and waits that fail by a deadline instead of hanging the test.
import { invalidArgType, invalidArgValue, validateInt } from '../../internal/errors.js';
import type { InetAddress, Inet6Address } from '../../sys/address.js';
import type { WaitOptions } from '../../socket/signal.js';
import { DatagramSocket } from '../../socket/datagram.js';
import { SeqPacketSocket } from '../../socket/seqpacket.js';
import { StreamSocket } from '../../socket/stream.js';

/** How long a helper's wait lasts when the caller names none: long for a loopback test. */
export const DEFAULT_WAIT_MS = 5_000;

/** Something that runs a function synchronously inside its network namespace: a lab host. */
export interface PairHost {
  run<T>(fn: () => T): T;
}

/** Options of the pair helpers. */
export interface PairOptions {
  /** Makes the sockets inside this host's namespace. */
  host?: PairHost;
  /** The loopback address to use: '127.0.0.1' (the default) or '::1'. */
  address?: string;
  /** How long connecting may take before it fails (default {@link DEFAULT_WAIT_MS}). */
  timeoutMs?: number;
}

/** Two connected sockets; `close()` or `using` closes both. */
export interface SocketPair<S extends { close(): void }> extends Disposable {
  /** The end that connected. */
  client: S;
  /** The other end: the accepted connection, or the peer datagram socket. */
  server: S;
  close(): void;
}

/** A wait that ran out: names what was waited for. */
export class WaitTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(what: string, ms: number) {
    super(`timed out after ${ms} ms waiting for ${what}`);
    this.name = 'WaitTimeoutError';
  }
}

function validateMs(ms: unknown, name: string): asserts ms is number {
  validateInt(ms, name, 1, 0x7fffffff);
}

function validateWhat(what: unknown): asserts what is string {
  if (typeof what !== 'string') throw invalidArgType('what', 'of type string', what);
}

/**
 * Wait options whose signal aborts after `ms` with a {@link WaitTimeoutError} naming `what`:
 * `await s.read(buf, waitFor('the reply'))` fails the test instead of hanging it. The timer
 * does not keep the process alive.
 */
export function waitFor(what: string, ms: number = DEFAULT_WAIT_MS): Required<WaitOptions> {
  validateWhat(what);
  validateMs(ms, 'ms');
  const controller = new AbortController();
  setTimeout(() => controller.abort(new WaitTimeoutError(what, ms)), ms).unref();
  return { signal: controller.signal };
}

/**
 * Settles as `promise` does, or rejects with a {@link WaitTimeoutError} naming `what` after
 * `ms`. The timer is cleared when the promise settles.
 */
export function withTimeout<T>(
  promise: PromiseLike<T>,
  what: string,
  ms: number = DEFAULT_WAIT_MS,
): Promise<T> {
  if (typeof (promise as { then?: unknown } | null)?.then !== 'function') {
    throw invalidArgType('promise', 'a promise', promise);
  }
  validateWhat(what);
  validateMs(ms, 'ms');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitTimeoutError(what, ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function pairOptions(options: unknown): { host?: PairHost; address: string; ms: number } {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgType('options', 'of type object', options);
  }
  const { host, address = '127.0.0.1', timeoutMs = DEFAULT_WAIT_MS } = options as PairOptions;
  if (host !== undefined && typeof (host as { run?: unknown } | null)?.run !== 'function') {
    throw invalidArgType('options.host', 'an object with a run() method', host);
  }
  if (typeof address !== 'string')
    throw invalidArgType('options.address', 'of type string', address);
  validateMs(timeoutMs, 'options.timeoutMs');
  return { ...(host ? { host } : {}), address, ms: timeoutMs };
}

function loopback(address: string): InetAddress | Inet6Address {
  if (address.includes(':')) return { family: 'inet6', address, port: 0 };
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) return { family: 'inet', address, port: 0 };
  throw invalidArgValue('options.address', address, 'must be an IPv4 or IPv6 address');
}

function inHost<T>(host: PairHost | undefined, fn: () => T): T {
  return host ? host.run(fn) : fn();
}

function pairOf<S extends { close(): void }>(client: S, server: S): SocketPair<S> {
  const close = (): void => {
    try {
      client.close();
    } finally {
      server.close();
    }
  };
  return { client, server, close, [Symbol.dispose]: close };
}

/**
 * A connected TCP pair on loopback: a listener on an ephemeral port, a client connected to it,
 * the accepted connection, and the listener closed. socket(2), listen(2), connect(2), accept(2)
 */
export async function tcpPair(options: PairOptions = {}): Promise<SocketPair<StreamSocket>> {
  const { host, address, ms } = pairOptions(options);
  const local = loopback(address);
  const [listener, client] = inHost(host, () => {
    const l = StreamSocket.listen(local, 1);
    try {
      return [l, StreamSocket.create(local.family)] as const;
    } catch (e) {
      l.close();
      throw e;
    }
  });
  try {
    const signal = waitFor(`a TCP connection to ${address}`, ms);
    const [server] = await Promise.all([
      listener.accept(signal),
      client.connect(listener.localAddress(), signal),
    ]);
    return pairOf<StreamSocket>(client, server);
  } catch (e) {
    client.close();
    throw e;
  } finally {
    listener.close();
  }
}

/** Two UDP sockets on loopback, each bound and connected to the other. socket(2), connect(2) */
export async function udpPair(options: PairOptions = {}): Promise<SocketPair<DatagramSocket>> {
  const { host, address, ms } = pairOptions(options);
  const local = loopback(address);
  const [a, b] = inHost(host, () => {
    const x = DatagramSocket.bound(local);
    try {
      return [x, DatagramSocket.bound(local)] as const;
    } catch (e) {
      x.close();
      throw e;
    }
  });
  try {
    const signal = waitFor(`UDP sockets on ${address} to connect`, ms);
    await a.connect(b.localAddress(), signal);
    await b.connect(a.localAddress(), signal);
    return pairOf<DatagramSocket>(a, b);
  } catch (e) {
    a.close();
    b.close();
    throw e;
  }
}

/**
 * A connected SOCK_SEQPACKET pair: AF_UNIX, which has no loopback address to take (SCTP would
 * be the IP one, seldom loaded). Made inside `options.host` when given. socketpair(2)
 */
export function seqpacketPair(
  options: Pick<PairOptions, 'host'> = {},
): SocketPair<SeqPacketSocket> {
  const { host } = pairOptions(options);
  const [a, b] = inHost(host, () => SeqPacketSocket.pair());
  return pairOf<SeqPacketSocket>(a, b);
}

/** Options of {@link readToEnd}. */
export interface ReadToEndOptions extends WaitOptions {
  /** Fail with a RangeError past this many bytes (default 64 MiB). */
  limit?: number;
}

/**
 * Reads `stream` until its peer shuts down writing (end of file) and returns every byte.
 * Without a signal it waits at most {@link DEFAULT_WAIT_MS} for the end. read(2)
 */
export async function readToEnd(
  stream: StreamSocket,
  options: ReadToEndOptions = {},
): Promise<Buffer> {
  if (!(stream instanceof StreamSocket)) throw invalidArgType('stream', 'a StreamSocket', stream);
  if (typeof options !== 'object' || options === null) {
    throw invalidArgType('options', 'of type object', options);
  }
  const limit = options.limit ?? 64 << 20;
  validateInt(limit, 'options.limit', 0, Number.MAX_SAFE_INTEGER);
  const wait = options.signal ? { signal: options.signal } : waitFor('the end of the stream');
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.alloc(64 * 1024);
  for (;;) {
    const n = await stream.read(buffer, wait);
    if (n === null) return Buffer.concat(chunks, total);
    total += n;
    if (total > limit) {
      throw new RangeError(`readToEnd: the stream sent more than options.limit (${limit}) bytes`);
    }
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
}

/**
 * Closes `socket` with a reset: SO_LINGER with a zero timeout, then close(), so the kernel
 * sends RST instead of FIN and the peer's next read fails with ECONNRESET. socket(7)
 */
export function reset(socket: StreamSocket): void {
  if (!(socket instanceof StreamSocket)) throw invalidArgType('socket', 'a StreamSocket', socket);
  try {
    socket.setLinger(0);
  } finally {
    socket.close();
  }
}
