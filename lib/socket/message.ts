// The message-oriented sockets (datagram, seqpacket, raw): one message per call, boundaries
// kept, truncation reported.
import {
  type Address,
  type NodeAddressInfo,
  type SocketAddress,
  addrArgs,
  errorTarget,
} from '../sys/address.js';
import {
  addressFromMeta,
  addressMeta,
  addressMetaBuffer,
  sendtoArgs,
} from '../internal/addrmeta.js';
import { SocketBase } from './base.js';
import { EAGAIN } from './poll.js';
import { type WaitOptions, waitSignal } from './signal.js';
import {
  SocketError,
  invalidArgValue,
  rejection,
  validateInt,
  validateView,
  viewByteLength,
} from '../internal/errors.js';
import { type AddrArgs, native } from '../sys/native.js';

const { MSG_DONTWAIT, MSG_TRUNC, POLLRDHUP, SIOCINQ } = native.constants as Record<
  'MSG_DONTWAIT' | 'MSG_TRUNC' | 'POLLRDHUP' | 'SIOCINQ',
  number
>;
// The fds are nonblocking already; MSG_DONTWAIT also tells the addon so, which then skips the
// checks a blocking fd needs while JavaScript listens to a signal (native/syscall.h Blocking).
const RECV_FLAGS = MSG_TRUNC | MSG_DONTWAIT;

// poll(2)'s argument for the one check below: [fd, events, revents].
const rdhup = new Int32Array(3);

/**
 * Whether a receive that returned 0 met the end of the connection rather than an empty record.
 * recv(2) returns 0 for both. The end is where the peer closed or shut down writing (the socket
 * reports POLLRDHUP) and nothing is left to read (SIOCINQ, the bytes of the queued records, is
 * 0). So the one case read as the end by mistake is an empty record taken after the peer shut
 * down, with no record of any bytes after it.
 */
function atEnd(fd: number): boolean {
  rdhup[0] = fd;
  rdhup[1] = POLLRDHUP;
  rdhup[2] = 0;
  // A poll that fails (it cannot on a live socket) leaves revents 0: the record is reported.
  native.poll(rdhup, 0);
  return (rdhup[2] & POLLRDHUP) !== 0 && native.ioctlInt(fd, SIOCINQ) === 0;
}

/** One message received into a caller's buffer. */
export interface ReceivedMessage<A extends Address = Address> {
  /** Bytes written into the buffer (never more than its length). */
  bytes: number;
  /** The sender; null where the kernel reports none (connected seqpacket sockets). */
  address: A | null;
  /** The message was longer than the buffer; the rest of it is gone. */
  truncated: boolean;
}

/** One message copied out of the socket, as async iteration yields it. */
export interface Message<A extends Address = Address> {
  data: Buffer;
  address: A | null;
  truncated: boolean;
}

/** Options of {@link MessageSocket.messages}. */
export interface MessagesOptions extends WaitOptions {
  /** The largest message kept whole; longer ones arrive truncated. Default 65536. */
  bufferSize?: number;
}

function toView(data: ArrayBufferView | string): ArrayBufferView {
  const v = typeof data === 'string' ? Buffer.from(data) : data;
  validateView(v, 'data');
  return v;
}

/** Runs a nonblocking send(2) of `view`; returns the byte count, or EAGAIN. */
function sendAttempt(fd: number, view: ArrayBufferView): number {
  const n = native.send(fd, view, MSG_DONTWAIT);
  if (n < 0 && n !== EAGAIN) throw new SocketError(n, 'send');
  return n;
}

/** A sendTo under way: what its attempts need, passed as their argument (no closure per call). */
interface PendingSendTo {
  view: ArrayBufferView;
  args: AddrArgs;
  address: SocketAddress | NodeAddressInfo;
}

/** Runs a nonblocking sendto(2) of `s.view` to `s.args`; returns the byte count, or EAGAIN. */
function sendToAttempt(fd: number, s: PendingSendTo): number {
  const n = sendtoArgs(fd, s.view, MSG_DONTWAIT, s.args);
  if (n < 0 && n !== EAGAIN) throw new SocketError(n, 'sendto', errorTarget(s.address));
  return n;
}

/** A receive under way: what its attempts need, passed as their argument (no closure per call). */
interface PendingReceive {
  socket: MessageSocket;
  buffer: ArrayBufferView;
  /** The buffer's length when the receive began. */
  wanted: number;
  endAsNull: boolean;
  /** The next attempt is the receive's first, made without waiting (it updates the guess). */
  first: boolean;
}

/**
 * The base of DatagramSocket, SeqPacketSocket and RawSocket: each call sends or receives one
 * whole message.
 */
export abstract class MessageSocket<A extends Address = Address> extends SocketBase<A> {
  // Whether the next receive should wait for readiness before its first recvfrom. A message
  // socket cannot tell from a read that its queue is now empty, so a receive that tries first
  // pays a failing recvfrom whenever the reply is not there yet: one syscall per message in
  // request/response traffic. Waiting first costs one loop iteration when a message was in
  // fact queued, so the guess follows what the last first attempt found, and every 16th receive
  // tries first anyway to notice a burst.
  #waitFirst = false;
  #receives = 0;

  /**
   * Waits for one message and receives it into `buffer`. recvfrom(2) with MSG_TRUNC, so a
   * message longer than the buffer is reported as truncated instead of passing silently.
   */
  recvFrom(buffer: ArrayBufferView, options?: WaitOptions): Promise<ReceivedMessage<A>> {
    return this.receive(buffer, options, false) as Promise<ReceivedMessage<A>>;
  }

  /**
   * recvFrom, or with `endAsNull` the end of a connection (seqpacket sockets) read as null.
   */
  protected receive(
    buffer: ArrayBufferView,
    options: WaitOptions | undefined,
    endAsNull: boolean,
  ): Promise<ReceivedMessage<A> | null> {
    let signal: AbortSignal | undefined;
    try {
      validateView(buffer, 'buffer');
      signal = waitSignal(options);
    } catch (e) {
      return rejection(e);
    }
    const first = !this.#waitFirst || (++this.#receives & 15) === 0;
    const r: PendingReceive = {
      socket: this,
      buffer,
      wanted: viewByteLength(buffer),
      endAsNull,
      first,
    };
    return this.io(
      'read',
      signal,
      MessageSocket.#receiveAttempt,
      first,
      r,
    ) as Promise<ReceivedMessage<A> | null>;
  }

  /**
   * Runs a nonblocking recvfrom(2) for `r`: the message, null at the end of a connection (with
   * `r.endAsNull`), or EAGAIN.
   */
  static #receiveAttempt(fd: number, r: PendingReceive): ReceivedMessage | null | number {
    const { buffer } = r;
    const host = native.recvfrom(fd, buffer, RECV_FLAGS, addressMetaBuffer);
    if (r.first) {
      r.first = false;
      r.socket.#waitFirst = host === EAGAIN;
    }
    if (typeof host === 'number') {
      if (host === EAGAIN) return host;
      throw new SocketError(host, 'recvfrom');
    }
    // Read addressMeta now, synchronously: the next native call anywhere reuses it.
    const n = addressMeta[0]!;
    const size = viewByteLength(buffer);
    // An empty message read into a buffer detached while the receive waited is no end of
    // connection, and a longer one no truncation: the buffer is what went wrong.
    if (size === 0 && r.wanted > 0) {
      throw invalidArgValue('buffer', buffer, 'was detached while the receive waited');
    }
    // An empty record is a message; only the end of the connection reads as null.
    if (r.endAsNull && n === 0 && atEnd(fd)) return null;
    const truncated = n > size;
    return { bytes: truncated ? size : n, address: addressFromMeta(host), truncated };
  }

  /** Sends one message to `address`, waiting while the send buffer is full. sendto(2) */
  sendTo(
    data: ArrayBufferView | string,
    address: SocketAddress | NodeAddressInfo,
    options?: WaitOptions,
  ): Promise<number> {
    let view: ArrayBufferView;
    let args: AddrArgs;
    let signal: AbortSignal | undefined;
    try {
      view = toView(data);
      args = addrArgs(address);
      signal = waitSignal(options);
    } catch (e) {
      return rejection(e);
    }
    const pending: PendingSendTo = { view, args, address };
    return this.io('write', signal, sendToAttempt, true, pending);
  }

  /** Sends one message to the connected peer. send(2) */
  send(data: ArrayBufferView | string, options?: WaitOptions): Promise<number> {
    let view: ArrayBufferView;
    let signal: AbortSignal | undefined;
    try {
      view = toView(data);
      signal = waitSignal(options);
    } catch (e) {
      return rejection(e);
    }
    return this.io('write', signal, sendAttempt, true, view);
  }

  /**
   * Whether a receive can meet the end of a connection (seqpacket), which ends
   * {@link messages}; datagram and raw sockets have no end.
   */
  protected get connectionOriented(): boolean {
    return false;
  }

  /**
   * Yields each message, copied out, until the socket is closed or, for a connection, its
   * peer has shut it down.
   */
  async *messages(options?: MessagesOptions): AsyncGenerator<Message<A>, void, undefined> {
    waitSignal(options);
    const size = options?.bufferSize ?? 65536;
    validateInt(size, 'bufferSize', 1, 0x7fffffff);
    const buf = Buffer.allocUnsafe(size);
    while (!this.closed) {
      let m: ReceivedMessage<A> | null;
      try {
        m = await this.receive(buf, options, this.connectionOriented);
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_SOCKET_CLOSED') return;
        throw e;
      }
      if (m === null) return;
      yield {
        data: Buffer.from(buf.subarray(0, m.bytes)),
        address: m.address,
        truncated: m.truncated,
      };
    }
  }

  /** `for await (const msg of sock)`: the messages, as {@link messages}. */
  [Symbol.asyncIterator](): AsyncGenerator<Message<A>, void, undefined> {
    return this.messages();
  }
}
