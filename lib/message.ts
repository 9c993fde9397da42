// The message-oriented sockets (datagram, seqpacket, raw): one message per call, boundaries
// kept, truncation reported.
import { type Address, type SocketAddress, addrArgs, errorTarget } from './address.js';
import { addressFromMeta, addressMeta, addressMetaBuffer } from './addrmeta.js';
import { SocketBase, type WaitOptions } from './base.js';
import { SocketError, validateInt, validateView } from './errors.js';
import { type NativeHost, native } from './native.js';

const { MSG_TRUNC } = native.constants as Record<'MSG_TRUNC', number>;

/** One message received into a caller's buffer. */
export interface ReceivedMessage {
  /** Bytes written into the buffer (never more than its length). */
  bytes: number;
  /** The sender; null where the kernel reports none (connected seqpacket sockets). */
  address: Address | null;
  /** The message was longer than the buffer; the rest of it is gone. */
  truncated: boolean;
}

/** One message copied out of the socket, as async iteration yields it. */
export interface Message {
  data: Buffer;
  address: Address | null;
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

/** What recvfrom with MSG_TRUNC reported, for a buffer of `size` bytes. */
function received(host: NativeHost, size: number): ReceivedMessage {
  const n = addressMeta[0]!;
  const truncated = n > size;
  return { bytes: truncated ? size : n, address: addressFromMeta(host), truncated };
}

/**
 * The base of DatagramSocket, SeqPacketSocket and RawSocket: each call sends or receives one
 * whole message.
 */
export abstract class MessageSocket extends SocketBase {
  /**
   * Waits for one message and receives it into `buffer`. recvfrom(2) with MSG_TRUNC, so a
   * message longer than the buffer is reported as truncated instead of passing silently.
   */
  async recvFrom(buffer: ArrayBufferView, options: WaitOptions = {}): Promise<ReceivedMessage> {
    validateView(buffer, 'buffer');
    const r = await this.retry('read', options.signal, (fd) => {
      const host = native.recvfrom(fd, buffer, MSG_TRUNC, addressMetaBuffer);
      // Read addressMeta now, synchronously: the next native call anywhere reuses it.
      return typeof host === 'number' ? host : received(host, buffer.byteLength);
    });
    if (typeof r === 'number') throw new SocketError(r, 'recvfrom');
    return r;
  }

  /** Sends one message to `address`, waiting while the send buffer is full. sendto(2) */
  async sendTo(
    data: ArrayBufferView | string,
    address: SocketAddress,
    options: WaitOptions = {},
  ): Promise<number> {
    const view = toView(data);
    const args = addrArgs(address);
    const n = await this.retry('write', options.signal, (fd) =>
      native.sendto(fd, view, 0, ...args),
    );
    if (n < 0) throw new SocketError(n, 'sendto', errorTarget(address));
    return n;
  }

  /** Sends one message to the connected peer. send(2) */
  async send(data: ArrayBufferView | string, options: WaitOptions = {}): Promise<number> {
    const view = toView(data);
    const n = await this.retry('write', options.signal, (fd) => native.send(fd, view, 0));
    if (n < 0) throw new SocketError(n, 'send');
    return n;
  }

  /** Yields each message, copied out, until the socket is closed. */
  async *messages(options: MessagesOptions = {}): AsyncGenerator<Message, void, undefined> {
    const size = options.bufferSize ?? 65536;
    validateInt(size, 'bufferSize', 1, 0x7fffffff);
    const buf = Buffer.allocUnsafe(size);
    while (!this.closed) {
      let m: ReceivedMessage;
      try {
        m = await this.recvFrom(buf, options);
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_SOCKET_CLOSED') return;
        throw e;
      }
      yield {
        data: Buffer.from(buf.subarray(0, m.bytes)),
        address: m.address,
        truncated: m.truncated,
      };
    }
  }

  /** `for await (const msg of sock)`: the messages, as {@link messages}. */
  [Symbol.asyncIterator](): AsyncGenerator<Message, void, undefined> {
    return this.messages();
  }
}
