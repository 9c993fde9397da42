// SOCK_DGRAM: UDP, unix datagram sockets, and ICMP "ping" sockets.
import type { SocketAddress } from '../sys/address.js';
import { type Family, adoptable, familyConstant, familyOf } from './base.js';
import { type WaitOptions, waitSignal } from './signal.js';
import { MessageSocket, type ReceivedMessage } from './message.js';
import { native } from '../sys/native.js';
import * as o from '../sys/options.js';
import * as sys from '../sys/syscalls.js';

const c = native.constants as Record<'SOCK_DGRAM' | 'SOCK_NONBLOCK', number>;

/**
 * A SOCK_DGRAM socket: UDP (udp(7)), AF_UNIX datagrams (unix(7)), or an ICMP echo "ping" socket
 * (`create('inet', IPPROTO_ICMP)`, icmp(7); allowed when net.ipv4.ping_group_range includes the
 * process's group). Each send is one datagram; boundaries are kept.
 */
export class DatagramSocket extends MessageSocket {
  /** Creates a socket of `family`. socket(2) with SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC */
  static create(family: Family = 'inet', protocol = 0): DatagramSocket {
    return new DatagramSocket(
      sys.socket(familyConstant(family), c.SOCK_DGRAM | c.SOCK_NONBLOCK, protocol),
    );
  }

  /** Creates a socket bound to `address` (port 0 picks an ephemeral port). socket(2), bind(2) */
  static bound(address: SocketAddress): DatagramSocket {
    const s = DatagramSocket.create(familyOf(address) as Family);
    try {
      return s.bind(address);
    } catch (e) {
      s.close();
      throw e;
    }
  }

  /** Adopts an existing SOCK_DGRAM fd (made nonblocking); the object owns it from now on. */
  static from(fd: number): DatagramSocket {
    return new DatagramSocket(adoptable(fd, c.SOCK_DGRAM, 'SOCK_DGRAM'));
  }

  /** Sets the default peer: send() goes there and only its datagrams are received. connect(2) */
  async connect(address: SocketAddress, options?: WaitOptions): Promise<void> {
    await this.connectTo(address, waitSignal(options));
  }

  /** Receives one datagram; like {@link recvFrom}. recv(2) */
  recv(buffer: ArrayBufferView, options?: WaitOptions): Promise<ReceivedMessage> {
    return this.recvFrom(buffer, options);
  }

  // Multicast (IPPROTO_IP / IPPROTO_IPV6), one getter and one setter each.

  /**
   * Joins the IPv4 multicast group `group` on an interface given by its address ('0.0.0.0', the
   * default, lets the kernel choose; struct ip_mreq) or by its index (struct ip_mreqn, Linux).
   * IP_ADD_MEMBERSHIP. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  joinMulticastV4(group: string, iface: o.MulticastInterfaceV4 = '0.0.0.0'): this {
    o.joinMulticastV4(this.liveFd(), group, iface);
    return this;
  }

  /**
   * Leaves an IPv4 multicast group joined with {@link joinMulticastV4}; give the same interface.
   * IP_DROP_MEMBERSHIP. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  leaveMulticastV4(group: string, iface: o.MulticastInterfaceV4 = '0.0.0.0'): this {
    o.leaveMulticastV4(this.liveFd(), group, iface);
    return this;
  }

  /**
   * The local address multicast datagrams are sent from ('0.0.0.0' when the kernel chooses, or
   * when the interface was set by index). IP_MULTICAST_IF.
   * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  multicastIfV4(): string {
    return o.getMulticastIfV4(this.liveFd());
  }

  /**
   * Picks the interface multicast datagrams leave by: its IPv4 address (struct in_addr;
   * '0.0.0.0' restores the default) or its index (struct ip_mreqn, Linux). IP_MULTICAST_IF.
   * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  setMulticastIfV4(iface: o.MulticastInterfaceV4): this {
    o.setMulticastIfV4(this.liveFd(), iface);
    return this;
  }

  /**
   * Whether multicast datagrams the socket sends loop back to local listeners. IP_MULTICAST_LOOP.
   * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  multicastLoopV4(): boolean {
    return o.getMulticastLoopV4(this.liveFd());
  }

  /**
   * Turns the loopback of multicast datagrams the socket sends on or off. IP_MULTICAST_LOOP.
   * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  setMulticastLoopV4(on: boolean): this {
    o.setMulticastLoopV4(this.liveFd(), on);
    return this;
  }

  /**
   * The TTL of multicast datagrams the socket sends (default 1: the local network only).
   * IP_MULTICAST_TTL. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  multicastTtlV4(): number {
    return o.getMulticastTtlV4(this.liveFd());
  }

  /**
   * Sets the TTL of multicast datagrams the socket sends, 0 to 255. IP_MULTICAST_TTL.
   * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  setMulticastTtlV4(ttl: number): this {
    o.setMulticastTtlV4(this.liveFd(), ttl);
    return this;
  }

  /**
   * Joins the IPv6 multicast group `group` on the interface with index `ifindex` (0: let the
   * kernel choose). IPV6_JOIN_GROUP (struct ipv6_mreq).
   * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  joinMulticastV6(group: string, ifindex = 0): this {
    o.joinMulticastV6(this.liveFd(), group, ifindex);
    return this;
  }

  /**
   * Leaves an IPv6 multicast group joined with {@link joinMulticastV6}. IPV6_LEAVE_GROUP.
   * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  leaveMulticastV6(group: string, ifindex = 0): this {
    o.leaveMulticastV6(this.liveFd(), group, ifindex);
    return this;
  }

  /**
   * The hop limit of multicast packets the socket sends. IPV6_MULTICAST_HOPS.
   * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  multicastHopsV6(): number {
    return o.getMulticastHopsV6(this.liveFd());
  }

  /**
   * Sets the hop limit of multicast packets the socket sends, 0 to 255; -1 restores the default (1).
   * IPV6_MULTICAST_HOPS. ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  setMulticastHopsV6(hops: number): this {
    o.setMulticastHopsV6(this.liveFd(), hops);
    return this;
  }

  /**
   * The index of the interface multicast packets leave by (0: the kernel chooses).
   * IPV6_MULTICAST_IF. ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  multicastIfV6(): number {
    return o.getMulticastIfV6(this.liveFd());
  }

  /**
   * Picks the interface multicast packets leave by, by index; 0 restores the default.
   * IPV6_MULTICAST_IF. ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  setMulticastIfV6(ifindex: number): this {
    o.setMulticastIfV6(this.liveFd(), ifindex);
    return this;
  }

  /**
   * Whether multicast packets the socket sends loop back to local listeners. IPV6_MULTICAST_LOOP.
   * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  multicastLoopV6(): boolean {
    return o.getMulticastLoopV6(this.liveFd());
  }

  /**
   * Turns the loopback of multicast packets the socket sends on or off. IPV6_MULTICAST_LOOP.
   * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  setMulticastLoopV6(on: boolean): this {
    o.setMulticastLoopV6(this.liveFd(), on);
    return this;
  }
}
