// SOCK_STREAM: TCP and unix stream sockets, with reads and writes that wait on the event loop.
import type { Address, NodeAddressInfo, SocketAddress } from '../sys/address.js';
import { type ConnectionsOptions, acceptAttempt, connectionsOf } from './accept.js';
import {
  type AddressOf,
  type FamilyOf,
  CONSTRUCT,
  setUp,
  setUpAsync,
  type Family,
  adoptable,
  familyConstant,
  familyOf,
} from './base.js';
import { EAGAIN } from './poll.js';
import { type WaitOptions, waitSignal } from './signal.js';
import {
  SocketError,
  invalidArgType,
  invalidArgValue,
  rejection,
  validateFd,
  validateInt,
  validateView,
  viewByteLength,
} from '../internal/errors.js';
import { native } from '../sys/native.js';
import { StreamOptionAccessors } from './accessors.generated.js';
import * as sys from '../sys/syscalls.js';

const c = native.constants as Record<
  | 'SOCK_STREAM'
  | 'SOCK_NONBLOCK'
  | 'SOCK_CLOEXEC'
  | 'MSG_DONTWAIT'
  | 'SHUT_RD'
  | 'SHUT_WR'
  | 'SHUT_RDWR'
  | 'SOMAXCONN',
  number
>;
// The fd is nonblocking already; MSG_DONTWAIT also tells the addon so, which then skips the
// checks a blocking fd needs while JavaScript listens to a signal (native/syscall.h Blocking).
const { MSG_DONTWAIT } = c;

/** How shutdown() stops the connection: SHUT_RD, SHUT_WR or SHUT_RDWR. */
export type ShutdownHow = 'read' | 'write' | 'both';

const HOW: Record<ShutdownHow, number> = { read: c.SHUT_RD, write: c.SHUT_WR, both: c.SHUT_RDWR };

/** A write under way: what is left of it is `bytes` from `off` on. */
interface PendingWrite {
  bytes: ArrayBufferView;
  total: number;
  off: number;
  rest: Uint8Array | undefined;
}

/**
 * Sends until every byte of `w` is taken or the send buffer is full (EAGAIN); a zero-length
 * write is still one send(2).
 */
function writeAttempt(fd: number, w: PendingWrite): undefined | number {
  const { bytes, total } = w;
  do {
    let chunk = bytes;
    if (w.off > 0) {
      // The caller detached or shrank the buffer while the write waited: its rest is gone (and
      // a view of it would throw TypeError's own uncoded error).
      if (viewByteLength(bytes) < total) {
        throw invalidArgValue('data', bytes, 'was detached or shrunk while being written');
      }
      w.rest ??= new Uint8Array(bytes.buffer, bytes.byteOffset, total);
      chunk = w.rest.subarray(w.off);
    }
    const n = native.send(fd, chunk, MSG_DONTWAIT);
    if (n === EAGAIN) return n;
    if (n < 0) throw new SocketError(n, 'send');
    // Linux never takes 0 bytes of a nonempty write; if it did, wait rather than spin.
    if (n === 0 && total > 0) return EAGAIN;
    w.off += n;
  } while (w.off < total);
  return undefined;
}

/** What {@link StreamSocket.sendfile} takes besides the file. */
export interface SendfileOptions extends WaitOptions {
  /**
   * Where in the file to start (default 0); the file position is then left alone. null reads
   * from the file position and advances it, as the bytes go.
   */
  offset?: number | null;
  /** How many bytes to send (default: up to the end of the file). */
  count?: number;
}

/** A sendfile under way: `left` bytes still to go from `offset` of `inFd`. */
interface PendingSendfile {
  inFd: number;
  offset: number | null;
  left: number;
  sent: number;
}

// The kernel moves at most 0x7ffff000 bytes a call (read(2)'s limit), whatever is asked.
const SENDFILE_MAX_CHUNK = 0x7ffff000;

/**
 * Sends file bytes until `p` is done, the file ends (sendfile returns 0) or the send buffer is
 * full (EAGAIN); resolves with the bytes sent in all.
 */
function sendfileAttempt(fd: number, p: PendingSendfile): number {
  while (p.left > 0) {
    const n = native.sendfile(fd, p.inFd, p.offset ?? -1, Math.min(p.left, SENDFILE_MAX_CHUNK));
    if (n === EAGAIN) return n;
    if (n < 0) throw Object.assign(new SocketError(n, 'sendfile'), { bytesSent: p.sent });
    if (n === 0) break;
    p.sent += n;
    p.left -= n;
    if (p.offset !== null) p.offset += n;
  }
  return p.sent;
}

/**
 * A SOCK_STREAM socket (TCP, or AF_UNIX stream): a byte stream with no message boundaries.
 * The fd is nonblocking; reads and writes wait for readiness on the event loop, never in the
 * thread pool. socket(7), tcp(7), unix(7)
 */
export class StreamSocket<A extends Address = Address> extends StreamOptionAccessors<A> {
  #drained = false;
  // The read attempt, made at the first read and shared by all: the buffer is its argument.
  #readAttempt: ((fd: number, buffer: ArrayBufferView) => number | null) | null = null;

  /** Creates a socket of `family`. socket(2) with SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC */
  static create<F extends Family = 'inet'>(
    family: F = 'inet' as F,
    protocol = 0,
  ): StreamSocket<AddressOf<F>> {
    return new StreamSocket<AddressOf<F>>(
      CONSTRUCT,
      sys.socket(familyConstant(family), c.SOCK_STREAM | c.SOCK_NONBLOCK, protocol),
    );
  }

  /** Adopts an existing SOCK_STREAM fd (made nonblocking); the object owns it from now on. */
  static from(fd: number): StreamSocket {
    return new StreamSocket(CONSTRUCT, adoptable(fd, c.SOCK_STREAM, 'SOCK_STREAM'));
  }

  /**
   * Creates, binds and listens in one step. For IP families SO_REUSEADDR is set first, as
   * servers usually want. socket(2), bind(2), listen(2)
   */
  static listen<T extends SocketAddress | NodeAddressInfo>(
    address: T,
    backlog: number = c.SOMAXCONN,
  ): StreamSocket<AddressOf<FamilyOf<T['family']>>> {
    const family = familyOf(address) as FamilyOf<T['family']>;
    return setUp(StreamSocket.create(family), (s) => {
      if (family !== 'unix') s.setReuseAddress(true);
      s.bind(address).listen(backlog);
    });
  }

  /** Creates a socket and connects it to `address`. socket(2), connect(2) */
  static async connect<T extends SocketAddress | NodeAddressInfo>(
    address: T,
    options?: WaitOptions,
  ): Promise<StreamSocket<AddressOf<FamilyOf<T['family']>>>> {
    return setUpAsync(StreamSocket.create(familyOf(address) as FamilyOf<T['family']>), (s) =>
      s.connect(address, options),
    );
  }

  /** Marks the socket as accepting connections. listen(2) */
  listen(backlog: number = c.SOMAXCONN): this {
    sys.listen(this.liveFd(), backlog);
    return this;
  }

  /**
   * Waits for the next connection and returns it as a new StreamSocket. A connection that went
   * away before it was taken (ECONNABORTED) is skipped. accept4(2)
   */
  async accept(options?: WaitOptions): Promise<StreamSocket<A>> {
    return new StreamSocket<A>(
      CONSTRUCT,
      await this.io('read', waitSignal(options), acceptAttempt),
    );
  }

  /**
   * Yields each incoming connection until the listener is closed. It survives connections
   * aborted before they were taken and fds running out, and ends by throwing on any other
   * error; `options.onError` sees each error it survives.
   */
  connections(options: ConnectionsOptions = {}): AsyncGenerator<StreamSocket<A>, void, undefined> {
    return connectionsOf(this, options, async (signal, onError) => {
      const fd = await this.io('read', signal, acceptAttempt, true, onError);
      return new StreamSocket<A>(CONSTRUCT, fd);
    });
  }

  /** `for await (const conn of listener)`: the connections, as {@link connections}. */
  [Symbol.asyncIterator](): AsyncGenerator<StreamSocket<A>, void, undefined> {
    return this.connections();
  }

  /** Connects, waiting for the handshake: EINPROGRESS, writability, then SO_ERROR. connect(2) */
  async connect(address: SocketAddress | NodeAddressInfo, options?: WaitOptions): Promise<void> {
    await this.connectTo(address, waitSignal(options));
  }

  /**
   * Reads into `buffer` (in place, from its first byte) once data is there, and returns the
   * byte count, or null at end of stream (the peer shut down writing). recv(2)
   */
  read(buffer: ArrayBufferView, options?: WaitOptions): Promise<number | null> {
    let signal: AbortSignal | undefined;
    try {
      validateView(buffer, 'buffer');
      signal = waitSignal(options);
    } catch (e) {
      return rejection(e);
    }
    // Nothing to read into: answer at once instead of waiting for data that cannot be taken.
    // A detached or out-of-bounds view counts as empty (a DataView's byteLength throws then).
    const size = viewByteLength(buffer);
    if (size === 0) return Promise.resolve(0);
    const attempt = (this.#readAttempt ??= (fd, buf) => this.#tryRead(fd, buf));
    if (this.#drained) {
      this.#drained = false;
      return this.io('read', signal, attempt, false, buffer);
    }
    return this.io('read', signal, attempt, true, buffer);
  }

  /** Runs a nonblocking recv(2) into `buffer`: the byte count, null at end of stream, or EAGAIN. */
  #tryRead(fd: number, buffer: ArrayBufferView): number | null {
    const n = native.recv(fd, buffer, MSG_DONTWAIT);
    if (n === EAGAIN) return n;
    if (n < 0) throw new SocketError(n, 'recv');
    const size = viewByteLength(buffer);
    // Nothing read into a buffer detached while the read waited is no end of stream.
    if (n === 0 && size === 0) {
      throw invalidArgValue('buffer', buffer, 'was detached while the read waited');
    }
    // A read that did not fill the buffer emptied the receive queue (tcp(7) and unix(7) copy
    // until either is done), so the next one waits for readiness before its syscall, as libuv
    // does, instead of spending one on EAGAIN.
    this.#drained = n < size;
    return n === 0 ? null : n;
  }

  /** Alias of {@link read}, under the syscall's name. recv(2) */
  recv(buffer: ArrayBufferView, options?: WaitOptions): Promise<number | null> {
    return this.read(buffer, options);
  }

  /**
   * Writes every byte of `data`, waiting whenever the send buffer is full (backpressure), and
   * resolves once the kernel has taken them all. send(2) with MSG_NOSIGNAL
   */
  write(data: ArrayBufferView | string, options?: WaitOptions): Promise<void> {
    let bytes: ArrayBufferView;
    let signal: AbortSignal | undefined;
    try {
      bytes = typeof data === 'string' ? Buffer.from(data) : data;
      validateView(bytes, 'data');
      signal = waitSignal(options);
    } catch (e) {
      return rejection(e);
    }
    const write: PendingWrite = { bytes, total: viewByteLength(bytes), off: 0, rest: undefined };
    return this.io('write', signal, writeAttempt, true, write) as Promise<void>;
  }

  /**
   * Sends the bytes of the file `fileFd` from `offset` (default 0) until `count` bytes are sent
   * or the file ends, copied inside the kernel, waiting whenever the send buffer is full, and
   * resolves with the bytes sent. A failure after some bytes went rejects with a SocketError
   * whose `bytesSent` says how many. The file is the caller's: it is neither closed nor, with a
   * number `offset`, moved. sendfile(2) —
   * {@link https://man7.org/linux/man-pages/man2/sendfile.2.html}
   */
  sendfile(fileFd: number, options?: SendfileOptions): Promise<number> {
    let p: PendingSendfile;
    let signal: AbortSignal | undefined;
    try {
      validateFd(fileFd, 'fileFd');
      if (options !== undefined && (typeof options !== 'object' || options === null)) {
        throw invalidArgType('options', 'of type object', options);
      }
      const { offset = 0, count } = options ?? {};
      if (offset !== null) validateInt(offset, 'options.offset', 0, Number.MAX_SAFE_INTEGER);
      if (count !== undefined) validateInt(count, 'options.count', 0, Number.MAX_SAFE_INTEGER);
      signal = waitSignal(options);
      p = { inFd: fileFd, offset, left: count ?? Infinity, sent: 0 };
    } catch (e) {
      return rejection(e);
    }
    return this.io('write', signal, sendfileAttempt, true, p);
  }

  /** Writes all of `data` like {@link write} and returns its length. send(2) */
  async send(data: ArrayBufferView | string, options?: WaitOptions): Promise<number> {
    await this.write(data, options);
    return typeof data === 'string' ? Buffer.byteLength(data) : viewByteLength(data);
  }

  /** Shuts down reading, writing (the default: the peer reads end of stream) or both. shutdown(2) */
  shutdown(how: ShutdownHow = 'write'): this {
    // Only a string is looked up: turning an object into a key runs its toString, which a
    // detached TypedArray's throws.
    const h = typeof how === 'string' && Object.hasOwn(HOW, how) ? HOW[how] : undefined;
    if (h === undefined) throw invalidArgValue('how', how, "must be 'read', 'write' or 'both'");
    sys.shutdown(this.liveFd(), h);
    return this;
  }
}
