// SOCK_RAW: IPv4/IPv6 packets of one protocol, as the kernel gives them.
import type { Address } from '../sys/address.js';
import { type AddressOf, CONSTRUCT, setUp, adoptable, familyConstant } from './base.js';
import type { WaitOptions } from './signal.js';
import { SocketError, invalidArgType, invalidArgValue } from '../internal/errors.js';
import type { ReceivedMessage } from './message.js';
import { native } from '../sys/native.js';
import { RawOptionAccessors } from './accessors.generated.js';
import * as sys from '../sys/syscalls.js';

const c = native.constants as Record<'SOCK_RAW' | 'SOCK_NONBLOCK' | 'EPERM', number>;

/** Options of {@link RawSocket.create}. */
export interface RawSocketOptions {
  /** IP_HDRINCL: the caller writes the IPv4 header of each packet sent (IPv4 only). */
  headerIncluded?: boolean;
}

/**
 * A SOCK_RAW socket for one IP protocol (raw(7)). Receiving on an IPv4 raw socket returns the
 * whole packet including its IPv4 header; IPv6 raw sockets return the payload only (ipv6(7)).
 * Needs CAP_NET_RAW: root, a binary with cap_net_raw, or a user namespace (`unshare -rn`).
 */
export class RawSocket<A extends Address = Address> extends RawOptionAccessors<A> {
  /**
   * Creates a raw socket for `protocol` (e.g. IPPROTO_ICMP). socket(2) with SOCK_RAW.
   * Without CAP_NET_RAW it throws EPERM with a `hint` saying how to get it.
   */
  static create<F extends 'inet' | 'inet6'>(
    family: F,
    protocol: number,
    options: RawSocketOptions = {},
  ): RawSocket<AddressOf<F>> {
    if (family !== 'inet' && family !== 'inet6')
      throw invalidArgValue('family', family, "must be 'inet' or 'inet6'");
    if (typeof options !== 'object' || options === null)
      throw invalidArgType('options', 'of type object', options);
    // Read before the socket exists, so a throwing getter cannot leak its fd.
    const headerIncluded = options.headerIncluded;
    let fd: number;
    try {
      fd = sys.socket(familyConstant(family), c.SOCK_RAW | c.SOCK_NONBLOCK, protocol);
    } catch (e) {
      if (e instanceof SocketError && e.errno === -c.EPERM) {
        const hint =
          'raw sockets need CAP_NET_RAW: run as root, give the binary cap_net_raw, or run inside `unshare -rn`';
        throw Object.assign(e, { hint, message: `${e.message} (${hint})` });
      }
      throw e;
    }
    return setUp(new RawSocket<AddressOf<F>>(CONSTRUCT, fd), (s) => {
      if (!headerIncluded) return;
      if (family !== 'inet') {
        throw invalidArgValue('options.headerIncluded', true, 'applies to IPv4 raw sockets only');
      }
      s.setHeaderIncluded(true);
    });
  }

  /** Adopts an existing SOCK_RAW fd (made nonblocking); the object owns it from now on. */
  static from(fd: number): RawSocket {
    return new RawSocket(CONSTRUCT, adoptable(fd, c.SOCK_RAW, 'SOCK_RAW'));
  }

  /** Receives one packet; like {@link recvFrom}. recv(2) */
  recv(buffer: ArrayBufferView, options: WaitOptions = {}): Promise<ReceivedMessage<A>> {
    return this.recvFrom(buffer, options);
  }
}
