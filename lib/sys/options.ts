// Typed socket options, socket2-style: one getter and one setter per option, the fd first and
// the value second, grouped by level (SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP) and
// sorted by C name within each. Options whose value is a struct are encoded and decoded in
// native/options.cc; the rest are C ints. getsockopt/setsockopt with raw bytes stay the escape
// hatch for anything not here.
import { isIPv4, isIPv6 } from 'node:net';

import {
  SocketError,
  check,
  errnoName,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  validateFd,
  validateInt,
} from '../internal/errors.js';
import { intOut, intOutBuffer, native } from './native.js';
import { tcpStateName } from '../internal/names.js';

type OptionConstant =
  | 'SOL_SOCKET'
  | 'SO_ACCEPTCONN'
  | 'SO_BINDTODEVICE'
  | 'SO_BROADCAST'
  | 'SO_DOMAIN'
  | 'SO_ERROR'
  | 'SO_KEEPALIVE'
  | 'SO_MARK'
  | 'SO_OOBINLINE'
  | 'SO_PRIORITY'
  | 'SO_PROTOCOL'
  | 'SO_RCVBUF'
  | 'SO_RCVLOWAT'
  | 'SO_RCVTIMEO'
  | 'SO_REUSEADDR'
  | 'SO_REUSEPORT'
  | 'SO_SNDBUF'
  | 'SO_SNDTIMEO'
  | 'SO_TYPE'
  | 'IPPROTO_IP'
  | 'IP_ADD_MEMBERSHIP'
  | 'IP_DROP_MEMBERSHIP'
  | 'IP_FREEBIND'
  | 'IP_HDRINCL'
  | 'IP_MULTICAST_LOOP'
  | 'IP_MULTICAST_TTL'
  | 'IP_TOS'
  | 'IP_TRANSPARENT'
  | 'IP_TTL'
  | 'IPPROTO_IPV6'
  | 'IPV6_JOIN_GROUP'
  | 'IPV6_LEAVE_GROUP'
  | 'IPV6_MULTICAST_HOPS'
  | 'IPV6_MULTICAST_IF'
  | 'IPV6_MULTICAST_LOOP'
  | 'IPV6_TCLASS'
  | 'IPV6_UNICAST_HOPS'
  | 'IPV6_V6ONLY'
  | 'IPPROTO_TCP'
  | 'TCP_CONGESTION'
  | 'TCP_CORK'
  | 'TCP_KEEPCNT'
  | 'TCP_KEEPIDLE'
  | 'TCP_KEEPINTVL'
  | 'TCP_MAXSEG'
  | 'TCP_NODELAY'
  | 'TCP_QUICKACK'
  | 'TCP_USER_TIMEOUT'
  | 'IFNAMSIZ';

const c = native.constants as Record<OptionConstant, number>;

const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
// The 8-bit header fields: TTL, hop limit, TOS, traffic class.
const UINT8_MAX = 0xff;

// ---------------------------------------------------------------------------------------------
// Shared readers and writers.

function getInt(fd: number, level: number, name: number): number {
  validateFd(fd);
  check(native.getsockoptInt(fd, level, name, intOutBuffer), 'getsockopt');
  return intOut[0]!;
}

function setInt(fd: number, level: number, name: number, value: number): void {
  check(native.setsockoptInt(fd, level, name, value), 'setsockopt');
}

function getBool(fd: number, level: number, name: number): boolean {
  return getInt(fd, level, name) !== 0;
}

function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
}

function setBool(fd: number, level: number, name: number, on: boolean): void {
  validateFd(fd);
  validateBoolean(on, 'on');
  setInt(fd, level, name, on ? 1 : 0);
}

function setRanged(
  fd: number,
  level: number,
  name: number,
  value: number,
  argName: string,
  min: number,
  max: number,
): void {
  validateFd(fd);
  validateInt(value, argName, min, max);
  // An unsigned value above INT32_MAX (SO_MARK) travels as the C int with the same bits.
  setInt(fd, level, name, value | 0);
}

function getTimeval(fd: number, name: number): number {
  validateFd(fd);
  return check(native.getsockoptTimeval(fd, c.SOL_SOCKET, name), 'getsockopt');
}

function setTimeval(fd: number, name: number, ms: number): void {
  validateFd(fd);
  if (typeof ms !== 'number') throw invalidArgType('ms', 'of type number', ms);
  if (!Number.isFinite(ms) || ms < 0) throw outOfRange('ms', 'a finite number >= 0', ms);
  check(native.setsockoptTimeval(fd, c.SOL_SOCKET, name, ms), 'setsockopt');
}

function getName(fd: number, level: number, name: number): string {
  validateFd(fd);
  const r = native.getsockoptName(fd, level, name);
  if (typeof r === 'number') throw new SocketError(r, 'getsockopt');
  return r;
}

// The longest name the native layer copies; longer names are refused rather than cut.
const MAX_NAME_BYTES = 255;

function validateName(value: unknown, argName: string, maxBytes: number): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(argName, 'of type string', value);
  if (value.includes('\0')) throw invalidArgValue(argName, value, 'must not contain NUL bytes');
  if (Buffer.byteLength(value) > maxBytes) {
    throw invalidArgValue(argName, value, `must be at most ${maxBytes} bytes long`);
  }
}

function setName(fd: number, level: number, name: number, value: string): void {
  check(native.setsockoptName(fd, level, name, value), 'setsockopt');
}

function validateIPv4(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (!isIPv4(value)) throw invalidArgValue(name, value, 'must be an IPv4 address');
}

function validateIPv6(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (!isIPv6(value)) throw invalidArgValue(name, value, 'must be an IPv6 address');
}

/** An interface given by its IPv4 address ('0.0.0.0': let the kernel choose) or its index. */
export type MulticastInterfaceV4 = string | number;

// Splits an interface argument into the (address, ifindex) pair the native layer takes.
function ifaceArgs(iface: unknown, name: string): [string, number] {
  if (typeof iface === 'number') {
    validateInt(iface, name, 0, INT32_MAX);
    return ['0.0.0.0', iface];
  }
  if (typeof iface !== 'string') {
    throw invalidArgType(name, 'an IPv4 address string or an interface index', iface);
  }
  validateIPv4(iface, name);
  return [iface, 0];
}

// ---------------------------------------------------------------------------------------------
// SOL_SOCKET

/**
 * Whether `fd` is listening for connections. SO_ACCEPTCONN (read-only).
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getAcceptConn(fd: number): boolean {
  return getBool(fd, c.SOL_SOCKET, c.SO_ACCEPTCONN);
}

/**
 * The name of the interface `fd` is bound to, or '' when it is not bound to one.
 * SO_BINDTODEVICE. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getBindDevice(fd: number): string {
  return getName(fd, c.SOL_SOCKET, c.SO_BINDTODEVICE);
}

/**
 * Binds `fd` to the interface named `name` ('lo', 'eth0'), so it sends and receives only there;
 * '' removes the binding. Needs CAP_NET_RAW on kernels before 5.7, and to change an existing
 * binding. SO_BINDTODEVICE. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setBindDevice(fd: number, name: string): void {
  validateFd(fd);
  // The kernel silently cuts a longer name to IFNAMSIZ - 1 bytes, which may name another device.
  validateName(name, 'name', c.IFNAMSIZ - 1);
  setName(fd, c.SOL_SOCKET, c.SO_BINDTODEVICE, name);
}

/**
 * Whether `fd` may send to broadcast addresses. SO_BROADCAST.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getBroadcast(fd: number): boolean {
  return getBool(fd, c.SOL_SOCKET, c.SO_BROADCAST);
}

/**
 * Lets a datagram socket send to broadcast addresses. SO_BROADCAST.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setBroadcast(fd: number, on: boolean): void {
  setBool(fd, c.SOL_SOCKET, c.SO_BROADCAST, on);
}

/**
 * The socket's domain (AF_INET, AF_UNIX, …). SO_DOMAIN (read-only).
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getDomain(fd: number): number {
  return getInt(fd, c.SOL_SOCKET, c.SO_DOMAIN);
}

/**
 * Takes the socket's pending error: its errno name ('ECONNREFUSED'), or null when there is
 * none. Reading clears it; this is how a nonblocking connect reports its outcome.
 * SO_ERROR (read-only). socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getError(fd: number): string | null {
  const e = getInt(fd, c.SOL_SOCKET, c.SO_ERROR);
  return e === 0 ? null : errnoName(e);
}

/**
 * Whether keepalive probes are sent on an idle connection. SO_KEEPALIVE.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getKeepalive(fd: number): boolean {
  return getBool(fd, c.SOL_SOCKET, c.SO_KEEPALIVE);
}

/**
 * Turns keepalive probes on or off; see {@link setTcpKeepaliveTime} for their timing.
 * SO_KEEPALIVE. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setKeepalive(fd: number, on: boolean): void {
  setBool(fd, c.SOL_SOCKET, c.SO_KEEPALIVE, on);
}

/**
 * How `fd` closes while unsent data remains: the linger time in seconds, or null when lingering
 * is off (close returns at once and the kernel sends the rest in the background). SO_LINGER.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getLinger(fd: number): number | null {
  validateFd(fd);
  const r = native.getLinger(fd);
  return r === null ? null : check(r, 'getsockopt');
}

/**
 * Makes close wait up to `seconds` for unsent data (0: reset the connection at close), or with
 * null turns lingering off. SO_LINGER.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setLinger(fd: number, seconds: number | null): void {
  validateFd(fd);
  if (seconds !== null) validateInt(seconds, 'seconds', 0, INT32_MAX);
  check(native.setLinger(fd, seconds === null ? 0 : 1, seconds ?? 0), 'setsockopt');
}

/**
 * The fwmark of packets `fd` sends, for policy routing and netfilter (an unsigned 32-bit
 * number). SO_MARK. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getMark(fd: number): number {
  return getInt(fd, c.SOL_SOCKET, c.SO_MARK) >>> 0;
}

/**
 * Sets the fwmark of packets `fd` sends. Needs CAP_NET_ADMIN (or CAP_NET_RAW on newer kernels).
 * SO_MARK. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setMark(fd: number, mark: number): void {
  setRanged(fd, c.SOL_SOCKET, c.SO_MARK, mark, 'mark', 0, UINT32_MAX);
}

/**
 * Whether urgent (out-of-band) data is placed in the normal data stream. SO_OOBINLINE.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getOutOfBandInline(fd: number): boolean {
  return getBool(fd, c.SOL_SOCKET, c.SO_OOBINLINE);
}

/**
 * Places urgent (out-of-band) data in the normal data stream instead of apart from it.
 * SO_OOBINLINE. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setOutOfBandInline(fd: number, on: boolean): void {
  setBool(fd, c.SOL_SOCKET, c.SO_OOBINLINE, on);
}

/** The credentials of a unix socket's peer, as they were when it connected. */
export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/**
 * The process id, user id and group id of the peer of a connected unix socket (for a
 * socketpair, the process that created it). SO_PEERCRED (read-only).
 * unix(7) — {@link https://man7.org/linux/man-pages/man7/unix.7.html}
 */
export function getPeerCred(fd: number): PeerCred {
  validateFd(fd);
  const r = native.getPeerCred(fd);
  if (typeof r === 'number') throw new SocketError(r, 'getsockopt');
  return r;
}

/**
 * The queueing priority of packets `fd` sends. SO_PRIORITY.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getPriority(fd: number): number {
  return getInt(fd, c.SOL_SOCKET, c.SO_PRIORITY);
}

/**
 * Sets the queueing priority of packets `fd` sends; values above 6 need CAP_NET_ADMIN.
 * SO_PRIORITY. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setPriority(fd: number, priority: number): void {
  setRanged(fd, c.SOL_SOCKET, c.SO_PRIORITY, priority, 'priority', 0, INT32_MAX);
}

/**
 * The socket's protocol (IPPROTO_TCP, …). SO_PROTOCOL (read-only).
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getProtocol(fd: number): number {
  return getInt(fd, c.SOL_SOCKET, c.SO_PROTOCOL);
}

/**
 * The receive buffer size in bytes, as the kernel accounts it: Linux reports twice the value
 * that was set. SO_RCVBUF. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getRecvBufferSize(fd: number): number {
  return getInt(fd, c.SOL_SOCKET, c.SO_RCVBUF);
}

/**
 * Sets the receive buffer size; Linux doubles `bytes` for its bookkeeping and caps it at
 * net.core.rmem_max. SO_RCVBUF. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setRecvBufferSize(fd: number, bytes: number): void {
  setRanged(fd, c.SOL_SOCKET, c.SO_RCVBUF, bytes, 'bytes', 0, INT32_MAX);
}

/**
 * The fewest bytes a receive waits for before it returns. SO_RCVLOWAT.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getRecvLowWater(fd: number): number {
  return getInt(fd, c.SOL_SOCKET, c.SO_RCVLOWAT);
}

/**
 * Sets the fewest bytes a receive waits for (and poll reports readable at). SO_RCVLOWAT.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setRecvLowWater(fd: number, bytes: number): void {
  setRanged(fd, c.SOL_SOCKET, c.SO_RCVLOWAT, bytes, 'bytes', 0, INT32_MAX);
}

/**
 * How long a blocking receive waits before it fails with EAGAIN, in milliseconds; 0 means
 * forever. SO_RCVTIMEO. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getRecvTimeout(fd: number): number {
  return getTimeval(fd, c.SO_RCVTIMEO);
}

/**
 * Sets how long a blocking receive waits, in milliseconds (fractions kept to the microsecond;
 * the kernel rounds up to its clock tick); 0 means forever. SO_RCVTIMEO.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setRecvTimeout(fd: number, ms: number): void {
  setTimeval(fd, c.SO_RCVTIMEO, ms);
}

/**
 * Whether bind may reuse a local address (for TCP, one still in TIME_WAIT). SO_REUSEADDR.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getReuseAddress(fd: number): boolean {
  return getBool(fd, c.SOL_SOCKET, c.SO_REUSEADDR);
}

/**
 * Lets bind reuse a local address (for TCP, one still in TIME_WAIT). SO_REUSEADDR.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setReuseAddress(fd: number, on: boolean): void {
  setBool(fd, c.SOL_SOCKET, c.SO_REUSEADDR, on);
}

/**
 * Whether several sockets of one user may bind the same address and port. SO_REUSEPORT.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getReusePort(fd: number): boolean {
  return getBool(fd, c.SOL_SOCKET, c.SO_REUSEPORT);
}

/**
 * Lets several sockets bind the same address and port; the kernel spreads connections or
 * datagrams across them. Set it on each before bind. SO_REUSEPORT.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setReusePort(fd: number, on: boolean): void {
  setBool(fd, c.SOL_SOCKET, c.SO_REUSEPORT, on);
}

/**
 * The send buffer size in bytes, as the kernel accounts it: Linux reports twice the value that
 * was set. SO_SNDBUF. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getSendBufferSize(fd: number): number {
  return getInt(fd, c.SOL_SOCKET, c.SO_SNDBUF);
}

/**
 * Sets the send buffer size; Linux doubles `bytes` for its bookkeeping and caps it at
 * net.core.wmem_max. SO_SNDBUF. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setSendBufferSize(fd: number, bytes: number): void {
  setRanged(fd, c.SOL_SOCKET, c.SO_SNDBUF, bytes, 'bytes', 0, INT32_MAX);
}

/**
 * How long a blocking send waits before it fails with EAGAIN, in milliseconds; 0 means
 * forever. SO_SNDTIMEO. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getSendTimeout(fd: number): number {
  return getTimeval(fd, c.SO_SNDTIMEO);
}

/**
 * Sets how long a blocking send waits, in milliseconds (fractions kept to the microsecond; the
 * kernel rounds up to its clock tick); 0 means forever. SO_SNDTIMEO.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function setSendTimeout(fd: number, ms: number): void {
  setTimeval(fd, c.SO_SNDTIMEO, ms);
}

/**
 * The socket's type (SOCK_STREAM, SOCK_DGRAM, …, without SOCK_NONBLOCK/SOCK_CLOEXEC).
 * SO_TYPE (read-only). socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
 */
export function getType(fd: number): number {
  return getInt(fd, c.SOL_SOCKET, c.SO_TYPE);
}

// ---------------------------------------------------------------------------------------------
// IPPROTO_IP

/**
 * Joins the IPv4 multicast group `group` on an interface given by its address ('0.0.0.0', the
 * default, lets the kernel choose; struct ip_mreq) or by its index (struct ip_mreqn, Linux).
 * IP_ADD_MEMBERSHIP. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function joinMulticastV4(
  fd: number,
  group: string,
  iface: MulticastInterfaceV4 = '0.0.0.0',
): void {
  membershipV4(fd, c.IP_ADD_MEMBERSHIP, group, iface);
}

/**
 * Leaves an IPv4 multicast group joined with {@link joinMulticastV4}; give the same interface.
 * IP_DROP_MEMBERSHIP. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function leaveMulticastV4(
  fd: number,
  group: string,
  iface: MulticastInterfaceV4 = '0.0.0.0',
): void {
  membershipV4(fd, c.IP_DROP_MEMBERSHIP, group, iface);
}

function membershipV4(fd: number, name: number, group: unknown, iface: unknown): void {
  validateFd(fd);
  validateIPv4(group, 'group');
  const [address, ifindex] = ifaceArgs(iface, 'iface');
  check(native.setMembership4(fd, name, group, address, ifindex), 'setsockopt', {
    address: group,
  });
}

/**
 * Whether the kernel may bind to an address that is not (yet) local. IP_FREEBIND.
 * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function getFreebind(fd: number): boolean {
  return getBool(fd, c.IPPROTO_IP, c.IP_FREEBIND);
}

/**
 * Lets bind use an address that is not (yet) local, such as one of an interface still coming
 * up. IP_FREEBIND. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function setFreebind(fd: number, on: boolean): void {
  setBool(fd, c.IPPROTO_IP, c.IP_FREEBIND, on);
}

/**
 * Whether a raw socket's sends carry their own IPv4 header. IP_HDRINCL.
 * raw(7) — {@link https://man7.org/linux/man-pages/man7/raw.7.html}
 */
export function getHeaderIncluded(fd: number): boolean {
  return getBool(fd, c.IPPROTO_IP, c.IP_HDRINCL);
}

/**
 * Makes a raw socket's sends carry their own IPv4 header (see encodeIPv4); the kernel still
 * fills in the checksum and total length, and the id when it is 0. Raw sockets only.
 * IP_HDRINCL. raw(7) — {@link https://man7.org/linux/man-pages/man7/raw.7.html}
 */
export function setHeaderIncluded(fd: number, on: boolean): void {
  setBool(fd, c.IPPROTO_IP, c.IP_HDRINCL, on);
}

/**
 * The local address multicast datagrams are sent from ('0.0.0.0' when the kernel chooses, or
 * when the interface was set by index). IP_MULTICAST_IF.
 * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function getMulticastIfV4(fd: number): string {
  validateFd(fd);
  const r = native.getMulticastIf4(fd);
  if (typeof r === 'number') throw new SocketError(r, 'getsockopt');
  return r;
}

/**
 * Picks the interface multicast datagrams leave by: its IPv4 address (struct in_addr;
 * '0.0.0.0' restores the default) or its index (struct ip_mreqn, Linux). IP_MULTICAST_IF.
 * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function setMulticastIfV4(fd: number, iface: MulticastInterfaceV4): void {
  validateFd(fd);
  const [address, ifindex] = ifaceArgs(iface, 'iface');
  check(native.setMulticastIf4(fd, address, ifindex), 'setsockopt');
}

/**
 * Whether multicast datagrams `fd` sends loop back to local listeners. IP_MULTICAST_LOOP.
 * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function getMulticastLoopV4(fd: number): boolean {
  return getBool(fd, c.IPPROTO_IP, c.IP_MULTICAST_LOOP);
}

/**
 * Turns the loopback of multicast datagrams `fd` sends on or off. IP_MULTICAST_LOOP.
 * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function setMulticastLoopV4(fd: number, on: boolean): void {
  setBool(fd, c.IPPROTO_IP, c.IP_MULTICAST_LOOP, on);
}

/**
 * The TTL of multicast datagrams `fd` sends (default 1: the local network only).
 * IP_MULTICAST_TTL. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function getMulticastTtlV4(fd: number): number {
  return getInt(fd, c.IPPROTO_IP, c.IP_MULTICAST_TTL);
}

/**
 * Sets the TTL of multicast datagrams `fd` sends, 0 to 255. IP_MULTICAST_TTL.
 * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function setMulticastTtlV4(fd: number, ttl: number): void {
  setRanged(fd, c.IPPROTO_IP, c.IP_MULTICAST_TTL, ttl, 'ttl', 0, UINT8_MAX);
}

/**
 * The type-of-service byte of IPv4 packets `fd` sends (DSCP and ECN). IP_TOS.
 * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function getTos(fd: number): number {
  return getInt(fd, c.IPPROTO_IP, c.IP_TOS);
}

/**
 * Sets the type-of-service byte, 0 to 255; on TCP sockets the kernel keeps the ECN bits to
 * itself. IP_TOS. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function setTos(fd: number, tos: number): void {
  setRanged(fd, c.IPPROTO_IP, c.IP_TOS, tos, 'tos', 0, UINT8_MAX);
}

/**
 * Whether `fd` may use non-local addresses (transparent proxying). IP_TRANSPARENT.
 * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function getIpTransparent(fd: number): boolean {
  return getBool(fd, c.IPPROTO_IP, c.IP_TRANSPARENT);
}

/**
 * Lets `fd` bind to and send from non-local addresses, for transparent proxying. Needs
 * CAP_NET_ADMIN. IP_TRANSPARENT. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function setIpTransparent(fd: number, on: boolean): void {
  setBool(fd, c.IPPROTO_IP, c.IP_TRANSPARENT, on);
}

/**
 * The TTL of unicast IPv4 packets `fd` sends. IP_TTL.
 * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function getTtl(fd: number): number {
  return getInt(fd, c.IPPROTO_IP, c.IP_TTL);
}

/**
 * Sets the TTL of unicast IPv4 packets `fd` sends, 1 to 255; -1 restores the system default.
 * IP_TTL. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
 */
export function setTtl(fd: number, ttl: number): void {
  setRanged(fd, c.IPPROTO_IP, c.IP_TTL, ttl, 'ttl', -1, UINT8_MAX);
}

// ---------------------------------------------------------------------------------------------
// IPPROTO_IPV6

/**
 * Joins the IPv6 multicast group `group` on the interface with index `ifindex` (0: let the
 * kernel choose). IPV6_JOIN_GROUP (struct ipv6_mreq).
 * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function joinMulticastV6(fd: number, group: string, ifindex = 0): void {
  membershipV6(fd, c.IPV6_JOIN_GROUP, group, ifindex);
}

/**
 * Leaves an IPv6 multicast group joined with {@link joinMulticastV6}. IPV6_LEAVE_GROUP.
 * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function leaveMulticastV6(fd: number, group: string, ifindex = 0): void {
  membershipV6(fd, c.IPV6_LEAVE_GROUP, group, ifindex);
}

function membershipV6(fd: number, name: number, group: unknown, ifindex: unknown): void {
  validateFd(fd);
  validateIPv6(group, 'group');
  validateInt(ifindex, 'ifindex', 0, INT32_MAX);
  check(native.setMembership6(fd, name, group, ifindex), 'setsockopt', { address: group });
}

/**
 * The hop limit of multicast packets `fd` sends. IPV6_MULTICAST_HOPS.
 * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function getMulticastHopsV6(fd: number): number {
  return getInt(fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_HOPS);
}

/**
 * Sets the hop limit of multicast packets `fd` sends, 0 to 255; -1 restores the default (1).
 * IPV6_MULTICAST_HOPS. ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function setMulticastHopsV6(fd: number, hops: number): void {
  setRanged(fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_HOPS, hops, 'hops', -1, UINT8_MAX);
}

/**
 * The index of the interface multicast packets leave by (0: the kernel chooses).
 * IPV6_MULTICAST_IF. ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function getMulticastIfV6(fd: number): number {
  return getInt(fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_IF);
}

/**
 * Picks the interface multicast packets leave by, by index; 0 restores the default.
 * IPV6_MULTICAST_IF. ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function setMulticastIfV6(fd: number, ifindex: number): void {
  setRanged(fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_IF, ifindex, 'ifindex', 0, INT32_MAX);
}

/**
 * Whether multicast packets `fd` sends loop back to local listeners. IPV6_MULTICAST_LOOP.
 * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function getMulticastLoopV6(fd: number): boolean {
  return getBool(fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_LOOP);
}

/**
 * Turns the loopback of multicast packets `fd` sends on or off. IPV6_MULTICAST_LOOP.
 * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function setMulticastLoopV6(fd: number, on: boolean): void {
  setBool(fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_LOOP, on);
}

/**
 * Whether `fd` is IPv6 only (false: it also carries IPv4 as ::ffff:a.b.c.d). IPV6_V6ONLY.
 * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function getOnlyV6(fd: number): boolean {
  return getBool(fd, c.IPPROTO_IPV6, c.IPV6_V6ONLY);
}

/**
 * Restricts an AF_INET6 socket to IPv6; set it before bind. IPV6_V6ONLY.
 * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function setOnlyV6(fd: number, on: boolean): void {
  setBool(fd, c.IPPROTO_IPV6, c.IPV6_V6ONLY, on);
}

/**
 * The traffic class of IPv6 packets `fd` sends. IPV6_TCLASS.
 * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function getTclassV6(fd: number): number {
  return getInt(fd, c.IPPROTO_IPV6, c.IPV6_TCLASS);
}

/**
 * Sets the traffic class of IPv6 packets `fd` sends, 0 to 255; -1 restores the default (0).
 * IPV6_TCLASS. ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function setTclassV6(fd: number, tclass: number): void {
  setRanged(fd, c.IPPROTO_IPV6, c.IPV6_TCLASS, tclass, 'tclass', -1, UINT8_MAX);
}

/**
 * The hop limit of unicast IPv6 packets `fd` sends (the route's default when unset).
 * IPV6_UNICAST_HOPS. ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function getUnicastHopsV6(fd: number): number {
  return getInt(fd, c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS);
}

/**
 * Sets the hop limit of unicast IPv6 packets `fd` sends, 0 to 255; -1 restores the route's
 * default. IPV6_UNICAST_HOPS. ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
 */
export function setUnicastHopsV6(fd: number, hops: number): void {
  setRanged(fd, c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS, hops, 'hops', -1, UINT8_MAX);
}

// ---------------------------------------------------------------------------------------------
// IPPROTO_TCP

/**
 * The congestion control algorithm of a TCP socket ('cubic', 'bbr', …). TCP_CONGESTION.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function getTcpCongestion(fd: number): string {
  return getName(fd, c.IPPROTO_TCP, c.TCP_CONGESTION);
}

/**
 * Picks the congestion control algorithm of a TCP socket by name; one the kernel does not have
 * fails with ENOENT, one not in net.ipv4.tcp_allowed_congestion_control with EPERM.
 * TCP_CONGESTION. tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function setTcpCongestion(fd: number, name: string): void {
  validateFd(fd);
  validateName(name, 'name', MAX_NAME_BYTES);
  setName(fd, c.IPPROTO_TCP, c.TCP_CONGESTION, name);
}

/**
 * Whether partial frames are held back until the cork is removed. TCP_CORK.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function getTcpCork(fd: number): boolean {
  return getBool(fd, c.IPPROTO_TCP, c.TCP_CORK);
}

/**
 * Holds back partial frames until the cork is removed (or 200 ms pass), so several writes
 * leave as full segments. TCP_CORK. tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function setTcpCork(fd: number, on: boolean): void {
  setBool(fd, c.IPPROTO_TCP, c.TCP_CORK, on);
}

/** What TCP_INFO reports about a TCP connection; times are in microseconds unless named. */
export interface TcpInfo {
  /** The connection state: TCP_ESTABLISHED, TCP_LISTEN, … */
  state: number;
  /** The state's name without its TCP_ prefix: 'ESTABLISHED', 'LISTEN', … */
  stateName: string;
  /** The congestion avoidance state (TCP_CA_Open = 0, Disorder, CWR, Recovery, Loss). */
  caState: number;
  retransmits: number;
  probes: number;
  backoff: number;
  /** TCPI_OPT_* bits: timestamps, SACK, window scaling, ECN, … */
  options: number;
  sndWscale: number;
  rcvWscale: number;
  rto: number;
  ato: number;
  sndMss: number;
  rcvMss: number;
  unacked: number;
  sacked: number;
  lost: number;
  retrans: number;
  fackets: number;
  /** Milliseconds since the last data was sent. */
  lastDataSent: number;
  lastAckSent: number;
  /** Milliseconds since the last data was received. */
  lastDataRecv: number;
  /** Milliseconds since the last ACK was received. */
  lastAckRecv: number;
  pmtu: number;
  rcvSsthresh: number;
  /** Smoothed round-trip time, microseconds. */
  rtt: number;
  rttvar: number;
  sndSsthresh: number;
  sndCwnd: number;
  advmss: number;
  reordering: number;
  rcvRtt: number;
  rcvSpace: number;
  totalRetrans: number;
  // The fields below came with later kernels (3.15 to 5.5); each is present only when the
  // kernel returned it. Rates are bytes per second, +Infinity when unlimited.
  pacingRate?: number;
  maxPacingRate?: number;
  bytesAcked?: number;
  bytesReceived?: number;
  segsOut?: number;
  segsIn?: number;
  notsentBytes?: number;
  /** The lowest RTT seen, microseconds; 0xffffffff before the first sample. */
  minRtt?: number;
  dataSegsIn?: number;
  dataSegsOut?: number;
  deliveryRate?: number;
  busyTime?: number;
  rwndLimited?: number;
  sndbufLimited?: number;
  delivered?: number;
  deliveredCe?: number;
  bytesSent?: number;
  bytesRetrans?: number;
  dsackDups?: number;
  reordSeen?: number;
  rcvOoopack?: number;
  sndWnd?: number;
}

/**
 * Reads what the kernel knows about a TCP connection: its state, round-trip time, congestion
 * window, byte and segment counters. Fields the kernel did not return are left out.
 * TCP_INFO (read-only). tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function getTcpInfo(fd: number): TcpInfo {
  validateFd(fd);
  const r = native.getTcpInfo(fd);
  if (typeof r === 'number') throw new SocketError(r, 'getsockopt');
  const { state = -1, ...rest } = r;
  return { state, stateName: tcpStateName(state), ...rest } as TcpInfo;
}

/**
 * How many unanswered keepalive probes end the connection. TCP_KEEPCNT.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function getTcpKeepaliveRetries(fd: number): number {
  return getInt(fd, c.IPPROTO_TCP, c.TCP_KEEPCNT);
}

/**
 * Sets how many unanswered keepalive probes end the connection. TCP_KEEPCNT.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function setTcpKeepaliveRetries(fd: number, count: number): void {
  setRanged(fd, c.IPPROTO_TCP, c.TCP_KEEPCNT, count, 'count', 1, INT32_MAX);
}

/**
 * Seconds of idleness before the first keepalive probe. TCP_KEEPIDLE.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function getTcpKeepaliveTime(fd: number): number {
  return getInt(fd, c.IPPROTO_TCP, c.TCP_KEEPIDLE);
}

/**
 * Sets the seconds of idleness before the first keepalive probe (with SO_KEEPALIVE on).
 * TCP_KEEPIDLE. tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function setTcpKeepaliveTime(fd: number, seconds: number): void {
  setRanged(fd, c.IPPROTO_TCP, c.TCP_KEEPIDLE, seconds, 'seconds', 1, INT32_MAX);
}

/**
 * Seconds between keepalive probes. TCP_KEEPINTVL.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function getTcpKeepaliveInterval(fd: number): number {
  return getInt(fd, c.IPPROTO_TCP, c.TCP_KEEPINTVL);
}

/**
 * Sets the seconds between keepalive probes. TCP_KEEPINTVL.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function setTcpKeepaliveInterval(fd: number, seconds: number): void {
  setRanged(fd, c.IPPROTO_TCP, c.TCP_KEEPINTVL, seconds, 'seconds', 1, INT32_MAX);
}

/**
 * The maximum segment size of a TCP socket: the value set before connecting, or the one in use
 * after. TCP_MAXSEG. tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function getTcpMaxSegment(fd: number): number {
  return getInt(fd, c.IPPROTO_TCP, c.TCP_MAXSEG);
}

/**
 * Caps the maximum segment size a TCP socket announces and uses; set it before connect or
 * listen (0 restores the default). TCP_MAXSEG.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function setTcpMaxSegment(fd: number, bytes: number): void {
  setRanged(fd, c.IPPROTO_TCP, c.TCP_MAXSEG, bytes, 'bytes', 0, INT32_MAX);
}

/**
 * Whether Nagle's algorithm is off, so small writes leave at once. TCP_NODELAY.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function getTcpNoDelay(fd: number): boolean {
  return getBool(fd, c.IPPROTO_TCP, c.TCP_NODELAY);
}

/**
 * Turns Nagle's algorithm off (true) so small writes leave at once, or back on. TCP_NODELAY.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function setTcpNoDelay(fd: number, on: boolean): void {
  setBool(fd, c.IPPROTO_TCP, c.TCP_NODELAY, on);
}

/**
 * Whether ACKs are currently sent at once rather than delayed. TCP_QUICKACK.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function getTcpQuickAck(fd: number): boolean {
  return getBool(fd, c.IPPROTO_TCP, c.TCP_QUICKACK);
}

/**
 * Sends ACKs at once (true) or lets the kernel delay them. Not permanent: the kernel may leave
 * quick-ack mode on its own later. TCP_QUICKACK.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function setTcpQuickAck(fd: number, on: boolean): void {
  setBool(fd, c.IPPROTO_TCP, c.TCP_QUICKACK, on);
}

/**
 * Milliseconds sent data may stay unacknowledged before the connection is dropped (0: the
 * system default). TCP_USER_TIMEOUT. tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function getTcpUserTimeout(fd: number): number {
  return getInt(fd, c.IPPROTO_TCP, c.TCP_USER_TIMEOUT);
}

/**
 * Sets how many milliseconds sent data may stay unacknowledged before the connection is
 * dropped with ETIMEDOUT; 0 restores the system default. TCP_USER_TIMEOUT.
 * tcp(7) — {@link https://man7.org/linux/man-pages/man7/tcp.7.html}
 */
export function setTcpUserTimeout(fd: number, ms: number): void {
  setRanged(fd, c.IPPROTO_TCP, c.TCP_USER_TIMEOUT, ms, 'ms', 0, INT32_MAX);
}
