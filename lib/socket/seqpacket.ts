// SOCK_SEQPACKET: connection-oriented with record boundaries (AF_UNIX; SCTP where the kernel
// has it).
import type { SocketAddress } from '../sys/address.js';
import { addressMeta, addressMetaBuffer } from '../internal/addrmeta.js';
import { type Family, adoptable, familyConstant, familyOf } from './base.js';
import { EAGAIN } from './poll.js';
import { type WaitOptions, waitSignal } from './signal.js';
import { SocketError } from '../internal/errors.js';
import { MessageSocket, type ReceivedMessage } from './message.js';
import { native } from '../sys/native.js';
import * as sys from '../sys/syscalls.js';

const c = native.constants as Record<
  'SOCK_SEQPACKET' | 'SOCK_NONBLOCK' | 'SOCK_CLOEXEC' | 'SOMAXCONN',
  number
>;

/**
 * A SOCK_SEQPACKET socket: a connection like a stream, whose records keep their boundaries like
 * datagrams. Listeners accept connections; connected sockets send and receive whole records.
 * unix(7), sctp(7)
 */
export class SeqPacketSocket extends MessageSocket {
  /** Creates a socket of `family` (default 'unix'). socket(2) with SOCK_SEQPACKET | SOCK_NONBLOCK */
  static create(family: Family = 'unix', protocol = 0): SeqPacketSocket {
    return new SeqPacketSocket(
      sys.socket(familyConstant(family), c.SOCK_SEQPACKET | c.SOCK_NONBLOCK, protocol),
    );
  }

  /** A connected pair of unix seqpacket sockets. socketpair(2) */
  static pair(): [SeqPacketSocket, SeqPacketSocket] {
    const [a, b] = sys.socketpair(native.constants.AF_UNIX!, c.SOCK_SEQPACKET | c.SOCK_NONBLOCK);
    return [new SeqPacketSocket(a), new SeqPacketSocket(b)];
  }

  /** Creates, binds and listens in one step. socket(2), bind(2), listen(2) */
  static listen(address: SocketAddress, backlog: number = c.SOMAXCONN): SeqPacketSocket {
    const s = SeqPacketSocket.create(familyOf(address) as Family);
    try {
      return s.bind(address).listen(backlog);
    } catch (e) {
      s.close();
      throw e;
    }
  }

  /** Creates a socket and connects it to `address`. socket(2), connect(2) */
  static async connect(address: SocketAddress, options?: WaitOptions): Promise<SeqPacketSocket> {
    const s = SeqPacketSocket.create(familyOf(address) as Family);
    try {
      await s.connect(address, options);
      return s;
    } catch (e) {
      s.close();
      throw e;
    }
  }

  /** Adopts an existing SOCK_SEQPACKET fd (made nonblocking); the object owns it from now on. */
  static from(fd: number): SeqPacketSocket {
    return new SeqPacketSocket(adoptable(fd, c.SOCK_SEQPACKET, 'SOCK_SEQPACKET'));
  }

  /** Marks the socket as accepting connections. listen(2) */
  listen(backlog: number = c.SOMAXCONN): this {
    sys.listen(this.liveFd(), backlog);
    return this;
  }

  /** Waits for the next connection. accept4(2) */
  async accept(options?: WaitOptions): Promise<SeqPacketSocket> {
    const fd = await this.io('read', waitSignal(options), (lfd) => {
      const r = native.accept(lfd, c.SOCK_NONBLOCK | c.SOCK_CLOEXEC, addressMetaBuffer);
      if (typeof r !== 'number') return addressMeta[0]!;
      if (r === EAGAIN) return r;
      throw new SocketError(r, 'accept');
    });
    return new SeqPacketSocket(fd);
  }

  /** Yields each incoming connection until the listener is closed. */
  async *connections(options: WaitOptions = {}): AsyncGenerator<SeqPacketSocket, void, undefined> {
    while (!this.closed) {
      try {
        yield await this.accept(options);
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_SOCKET_CLOSED') return;
        throw e;
      }
    }
  }

  /** Connects, waiting for the connection to be established. connect(2) */
  async connect(address: SocketAddress, options?: WaitOptions): Promise<void> {
    await this.connectTo(address, waitSignal(options));
  }

  /**
   * Receives one record, or null at end of connection (the peer closed or shut down writing).
   * A zero-length record also reads as null, as recv(2) cannot tell the two apart.
   */
  recv(buffer: ArrayBufferView, options?: WaitOptions): Promise<ReceivedMessage | null> {
    return this.receive(buffer, options, true);
  }
}
