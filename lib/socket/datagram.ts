// SOCK_DGRAM: UDP, unix datagram sockets, and ICMP "ping" sockets.
import type { Address, NodeAddressInfo, SocketAddress } from '../sys/address.js';
import {
  type AddressOf,
  type FamilyOf,
  CONSTRUCT,
  setUp,
  type Family,
  adoptable,
  familyConstant,
  familyOf,
} from './base.js';
import { type WaitOptions, waitSignal } from './signal.js';
import type { ReceivedMessage } from './message.js';
import { native } from '../sys/native.js';
import { DatagramOptionAccessors } from './accessors.generated.js';
import * as sys from '../sys/syscalls.js';

const c = native.constants as Record<'SOCK_DGRAM' | 'SOCK_NONBLOCK', number>;

/**
 * A SOCK_DGRAM socket: UDP (udp(7)), AF_UNIX datagrams (unix(7)), or an ICMP echo "ping" socket
 * (`create('inet', IPPROTO_ICMP)`, icmp(7); allowed when net.ipv4.ping_group_range includes the
 * process's group). Each send is one datagram; boundaries are kept.
 */
export class DatagramSocket<A extends Address = Address> extends DatagramOptionAccessors<A> {
  /** Creates a socket of `family`. socket(2) with SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC */
  static create<F extends Family = 'inet'>(
    family: F = 'inet' as F,
    protocol = 0,
  ): DatagramSocket<AddressOf<F>> {
    return new DatagramSocket<AddressOf<F>>(
      CONSTRUCT,
      sys.socket(familyConstant(family), c.SOCK_DGRAM | c.SOCK_NONBLOCK, protocol),
    );
  }

  /** Creates a socket bound to `address` (port 0 picks an ephemeral port). socket(2), bind(2) */
  static bound<T extends SocketAddress | NodeAddressInfo>(
    address: T,
  ): DatagramSocket<AddressOf<FamilyOf<T['family']>>> {
    return setUp(DatagramSocket.create(familyOf(address) as FamilyOf<T['family']>), (s) =>
      s.bind(address),
    );
  }

  /** Adopts an existing SOCK_DGRAM fd (made nonblocking); the object owns it from now on. */
  static from(fd: number): DatagramSocket {
    return new DatagramSocket(CONSTRUCT, adoptable(fd, c.SOCK_DGRAM, 'SOCK_DGRAM'));
  }

  /** Sets the default peer: send() goes there and only its datagrams are received. connect(2) */
  async connect(address: SocketAddress | NodeAddressInfo, options?: WaitOptions): Promise<void> {
    await this.connectTo(address, waitSignal(options));
  }

  /** Receives one datagram; like {@link recvFrom}. recv(2) */
  recv(buffer: ArrayBufferView, options?: WaitOptions): Promise<ReceivedMessage<A>> {
    return this.recvFrom(buffer, options);
  }
}
