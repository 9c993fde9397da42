// SOCK_SEQPACKET: connection-oriented with record boundaries (AF_UNIX; SCTP where the kernel
// has it).
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
import { type WaitOptions, waitSignal } from './signal.js';
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
export class SeqPacketSocket<A extends Address = Address> extends MessageSocket<A> {
  /** Creates a socket of `family` (default 'unix'). socket(2) with SOCK_SEQPACKET | SOCK_NONBLOCK */
  static create<F extends Family = 'unix'>(
    family: F = 'unix' as F,
    protocol = 0,
  ): SeqPacketSocket<AddressOf<F>> {
    return new SeqPacketSocket<AddressOf<F>>(
      CONSTRUCT,
      sys.socket(familyConstant(family), c.SOCK_SEQPACKET | c.SOCK_NONBLOCK, protocol),
    );
  }

  /** A connected pair of unix seqpacket sockets. socketpair(2) */
  static pair(): [SeqPacketSocket<AddressOf<'unix'>>, SeqPacketSocket<AddressOf<'unix'>>] {
    const [a, b] = sys.socketpair(native.constants.AF_UNIX!, c.SOCK_SEQPACKET | c.SOCK_NONBLOCK);
    return [new SeqPacketSocket(CONSTRUCT, a), new SeqPacketSocket(CONSTRUCT, b)];
  }

  /** Creates, binds and listens in one step. socket(2), bind(2), listen(2) */
  static listen<T extends SocketAddress | NodeAddressInfo>(
    address: T,
    backlog: number = c.SOMAXCONN,
  ): SeqPacketSocket<AddressOf<FamilyOf<T['family']>>> {
    return setUp(SeqPacketSocket.create(familyOf(address) as FamilyOf<T['family']>), (s) =>
      s.bind(address).listen(backlog),
    );
  }

  /** Creates a socket and connects it to `address`. socket(2), connect(2) */
  static async connect<T extends SocketAddress | NodeAddressInfo>(
    address: T,
    options?: WaitOptions,
  ): Promise<SeqPacketSocket<AddressOf<FamilyOf<T['family']>>>> {
    return setUpAsync(SeqPacketSocket.create(familyOf(address) as FamilyOf<T['family']>), (s) =>
      s.connect(address, options),
    );
  }

  /** Adopts an existing SOCK_SEQPACKET fd (made nonblocking); the object owns it from now on. */
  static from(fd: number): SeqPacketSocket {
    return new SeqPacketSocket(CONSTRUCT, adoptable(fd, c.SOCK_SEQPACKET, 'SOCK_SEQPACKET'));
  }

  protected override get connectionOriented(): boolean {
    return true;
  }

  /** Marks the socket as accepting connections. listen(2) */
  listen(backlog: number = c.SOMAXCONN): this {
    sys.listen(this.liveFd(), backlog);
    return this;
  }

  /**
   * Waits for the next connection. A connection that went away before it was taken
   * (ECONNABORTED) is skipped. accept4(2)
   */
  async accept(options?: WaitOptions): Promise<SeqPacketSocket<A>> {
    return new SeqPacketSocket<A>(
      CONSTRUCT,
      await this.io('read', waitSignal(options), acceptAttempt),
    );
  }

  /**
   * Yields each incoming connection until the listener is closed. It survives connections
   * aborted before they were taken and fds running out, and ends by throwing on any other
   * error; `options.onError` sees each error it survives.
   */
  connections(
    options: ConnectionsOptions = {},
  ): AsyncGenerator<SeqPacketSocket<A>, void, undefined> {
    return connectionsOf(this, options, async (signal, onError) => {
      const fd = await this.io('read', signal, acceptAttempt, true, onError);
      return new SeqPacketSocket<A>(CONSTRUCT, fd);
    });
  }

  /** Connects, waiting for the connection to be established. connect(2) */
  async connect(address: SocketAddress | NodeAddressInfo, options?: WaitOptions): Promise<void> {
    await this.connectTo(address, waitSignal(options));
  }

  /**
   * Receives one record, or null at end of connection (the peer closed or shut down writing).
   * An empty record is a message of 0 bytes. recv(2) returns 0 for both; the end is told apart
   * by the peer's shutdown (POLLRDHUP) with nothing left queued, so the one case that still reads
   * as the end is an empty record taken after the peer shut down, with no record of any bytes
   * after it.
   */
  recv(buffer: ArrayBufferView, options?: WaitOptions): Promise<ReceivedMessage<A> | null> {
    return this.receive(buffer, options, true);
  }
}
