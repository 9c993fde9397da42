// The fd-integer syscall layer: one function per syscall under its C name, fds as plain numbers
// in and out, the argument order of C. Each validates its arguments, calls the addon once, and
// turns a negative result into a SocketError.
import {
  type Address,
  type AnySocketAddress,
  type NodeAddressInfo,
  addrArgs,
  errorTarget,
} from './address.js';
import {
  addressFromMeta,
  addressIntoMeta,
  addressMeta,
  addressMetaBuffer,
  sendtoArgs,
} from '../internal/addrmeta.js';
import {
  SocketError,
  check,
  checkInt,
  invalidArgType,
  outOfRange,
  validateFd,
  validateInt,
  validateInt32,
  validateView,
} from '../internal/errors.js';
import { native } from './native.js';
import { owners } from '../internal/owners.js';

const c = native.constants as Record<
  'SOCK_CLOEXEC' | 'SOMAXCONN' | 'O_NONBLOCK' | 'FD_CLOEXEC',
  number
>;

/**
 * Creates a socket and returns its fd. Close-on-exec is always set (SOCK_CLOEXEC), so the fd
 * does not leak into child processes; use {@link setCloexec} to turn it off.
 * socket(2) — {@link https://man7.org/linux/man-pages/man2/socket.2.html}
 * @param type SOCK_STREAM, SOCK_DGRAM, SOCK_RAW or SOCK_SEQPACKET, optionally ORed with
 *   SOCK_NONBLOCK.
 */
export function socket(domain: number, type: number, protocol = 0): number {
  validateInt32(domain, 'domain');
  validateInt32(type, 'type');
  validateInt32(protocol, 'protocol');
  return check(native.socket(domain, type | c.SOCK_CLOEXEC, protocol), 'socket');
}

/**
 * Creates a pair of connected sockets and returns both fds, close-on-exec.
 * socketpair(2) — {@link https://man7.org/linux/man-pages/man2/socketpair.2.html}
 */
export function socketpair(domain: number, type: number, protocol = 0): [number, number] {
  validateInt32(domain, 'domain');
  validateInt32(type, 'type');
  validateInt32(protocol, 'protocol');
  const r = native.socketpair(domain, type | c.SOCK_CLOEXEC, protocol);
  if (typeof r === 'number') throw new SocketError(r, 'socketpair');
  return r;
}

/**
 * Binds `fd` to a local address. Port 0 asks the kernel for an ephemeral port, which
 * {@link getsockname} then reports.
 * bind(2) — {@link https://man7.org/linux/man-pages/man2/bind.2.html}
 */
export function bind(fd: number, address: AnySocketAddress | NodeAddressInfo): void {
  validateFd(fd);
  const addr = addrArgs(address);
  const r = native.bind(fd, ...addr);
  if (r < 0) throw new SocketError(r, 'bind', errorTarget(address));
}

/**
 * Marks a stream or seqpacket socket as accepting connections.
 * listen(2) — {@link https://man7.org/linux/man-pages/man2/listen.2.html}
 * @param backlog the accept queue length; the kernel caps it at net.core.somaxconn.
 */
export function listen(fd: number, backlog: number = c.SOMAXCONN): void {
  validateFd(fd);
  validateInt32(backlog, 'backlog');
  check(native.listen(fd, backlog), 'listen');
}

/** A connection taken from a listener's queue. */
export interface Accepted {
  fd: number;
  /** The peer's address, or null when the kernel gives none. */
  address: Address | null;
}

/**
 * Takes the next connection from a listening socket; the new fd is close-on-exec.
 * accept4(2) — {@link https://man7.org/linux/man-pages/man2/accept.2.html}
 * @param flags SOCK_NONBLOCK, if wanted (SOCK_CLOEXEC is always added).
 */
export function accept(fd: number, flags = 0): Accepted {
  validateFd(fd);
  validateInt32(flags, 'flags');
  const host = native.accept(fd, flags | c.SOCK_CLOEXEC, addressMetaBuffer);
  if (typeof host === 'number') throw new SocketError(host, 'accept');
  return { fd: addressMeta[0]!, address: addressFromMeta(host) };
}

/** What {@link connect} takes after the address. */
export interface ConnectOptions {
  /**
   * Milliseconds the connection may take (an integer, 0 to 2^31 - 1): past them the call
   * throws ETIMEDOUT and the attempt is dropped. Without it, connect(2) as it is.
   */
  timeout?: number;
}

/**
 * Connects `fd` to a peer. On a nonblocking socket a stream connect that is still in progress
 * throws EINPROGRESS; wait for writability, then read SO_ERROR.
 *
 * With `options.timeout` it does that itself, on any socket: a nonblocking connect, poll(2)
 * until the time is up, then the outcome from SO_ERROR; ETIMEDOUT when the peer did not answer
 * in time (the attempt is then dropped with a connect to AF_UNSPEC, so the fd can connect
 * again). A unix connect to a listener whose backlog is full is tried again, at most every
 * 100 ms, until the time is up. The fd's O_NONBLOCK is as it was before. A signal JavaScript
 * listens to ends the wait with EINTR, the attempt going on: call again to wait for it.
 * connect(2) — {@link https://man7.org/linux/man-pages/man2/connect.2.html},
 * poll(2) — {@link https://man7.org/linux/man-pages/man2/poll.2.html}
 */
export function connect(
  fd: number,
  address: AnySocketAddress | NodeAddressInfo,
  options?: ConnectOptions,
): void {
  validateFd(fd);
  let timeout: number | undefined;
  if (options !== undefined) {
    if (typeof options !== 'object' || options === null) {
      throw invalidArgType('options', 'of type object', options);
    }
    timeout = options.timeout;
    if (timeout !== undefined) validateInt(timeout, 'options.timeout', 0, 0x7fffffff);
  }
  const addr = addrArgs(address);
  const r =
    timeout === undefined
      ? native.connect(fd, ...addr)
      : native.connectTimed(fd, addr[0], addr[1], addr[2], addr[3], addr[4], timeout);
  if (r < 0) throw new SocketError(r, 'connect', errorTarget(address));
}

/**
 * Shuts down reading (SHUT_RD), writing (SHUT_WR) or both (SHUT_RDWR) without closing the fd.
 * shutdown(2) — {@link https://man7.org/linux/man-pages/man2/shutdown.2.html}
 */
export function shutdown(fd: number, how: number): void {
  validateFd(fd);
  validateInt32(how, 'how');
  check(native.shutdown(fd, how), 'shutdown');
}

/**
 * Closes `fd`. Never retried after EINTR: on Linux the fd is released either way.
 * close(2) — {@link https://man7.org/linux/man-pages/man2/close.2.html}
 */
export function close(fd: number): void {
  validateFd(fd);
  // An fd owned by a socket object is closed through it, so its pending waits settle and its
  // watcher stops first; the object then reports itself closed.
  const owner = owners.get(fd);
  if (owner !== undefined) return owner.close();
  check(native.close(fd), 'close');
}

/**
 * Sends the bytes of `buffer` on a connected socket and returns how many the kernel took.
 * MSG_NOSIGNAL is always added: a closed peer throws EPIPE instead of raising SIGPIPE.
 * send(2) — {@link https://man7.org/linux/man-pages/man2/send.2.html}
 */
export function send(fd: number, buffer: ArrayBufferView, flags = 0): number {
  validateFd(fd);
  validateView(buffer, 'buffer');
  validateInt32(flags, 'flags');
  return check(native.send(fd, buffer, flags), 'send');
}

/**
 * Sends the bytes of `buffer` to `address` and returns how many the kernel took (MSG_NOSIGNAL
 * added). sendto(2) — {@link https://man7.org/linux/man-pages/man2/send.2.html}
 */
export function sendto(
  fd: number,
  buffer: ArrayBufferView,
  flags: number,
  address: AnySocketAddress | NodeAddressInfo,
): number {
  validateFd(fd);
  validateView(buffer, 'buffer');
  validateInt32(flags, 'flags');
  const r = sendtoArgs(fd, buffer, flags, addrArgs(address));
  return r < 0 ? check(r, 'sendto', errorTarget(address)) : r;
}

/**
 * Receives into `buffer` (filled in place from its first byte, never past its end) and returns
 * the byte count; 0 on a stream socket means the peer shut down. With MSG_TRUNC a datagram
 * socket returns the datagram's real length, which may exceed `buffer.byteLength`.
 * recv(2) — {@link https://man7.org/linux/man-pages/man2/recv.2.html}
 */
export function recv(fd: number, buffer: ArrayBufferView, flags = 0): number {
  validateFd(fd);
  validateView(buffer, 'buffer');
  validateInt32(flags, 'flags');
  return check(native.recv(fd, buffer, flags), 'recv');
}

/** What {@link recvfrom} returns. */
export interface Received {
  /** Bytes received (the real datagram length with MSG_TRUNC). */
  bytes: number;
  /** The sender, or null when the kernel reports none (connected stream sockets). */
  address: Address | null;
}

/**
 * Like {@link recv}, and also returns the sender's address.
 *
 * The fast path for receive loops: pass the previous result as `out` and it is filled in and
 * returned instead of a new object, its `address` object too when the sender's family is the
 * same (a peer heard from again also gets the same address string back). With a caller's
 * buffer and `out`, a receive from a known peer allocates nothing. Copy what you keep: the next
 * call overwrites both objects.
 * recvfrom(2) — {@link https://man7.org/linux/man-pages/man2/recv.2.html}
 */
export function recvfrom(fd: number, buffer: ArrayBufferView, flags = 0, out?: Received): Received {
  validateFd(fd);
  validateView(buffer, 'buffer');
  validateInt32(flags, 'flags');
  if (out !== undefined && (typeof out !== 'object' || out === null)) {
    throw invalidArgType('out', 'an object', out);
  }
  const host = native.recvfrom(fd, buffer, flags, addressMetaBuffer);
  if (typeof host === 'number') throw new SocketError(host, 'recvfrom');
  if (out === undefined) return { bytes: addressMeta[0]!, address: addressFromMeta(host) };
  out.address = addressIntoMeta(out.address ?? null, host);
  out.bytes = addressMeta[0]!;
  return out;
}

function nameOf(r: ReturnType<typeof native.getsockname>, syscall: string): Address {
  if (typeof r === 'number') throw new SocketError(r, syscall);
  // The kernel always returns at least the family for a socket; null cannot reach here.
  return (r ?? { family: 'unix' }) as Address;
}

/**
 * Returns the local address `fd` is bound to.
 * getsockname(2) — {@link https://man7.org/linux/man-pages/man2/getsockname.2.html}
 */
export function getsockname(fd: number): Address {
  validateFd(fd);
  return nameOf(native.getsockname(fd), 'getsockname');
}

/**
 * Returns the address of the peer `fd` is connected to.
 * getpeername(2) — {@link https://man7.org/linux/man-pages/man2/getpeername.2.html}
 */
export function getpeername(fd: number): Address {
  validateFd(fd);
  return nameOf(native.getpeername(fd), 'getpeername');
}

/**
 * Reads an integer socket option.
 * getsockopt(2) — {@link https://man7.org/linux/man-pages/man2/getsockopt.2.html}
 */
export function getsockopt(fd: number, level: number, name: number): number {
  validateFd(fd);
  validateInt32(level, 'level');
  validateInt32(name, 'name');
  return checkInt(native.getsockoptInt(fd, level, name), 'getsockopt');
}

/**
 * Reads a socket option as raw bytes: a Buffer as long as the kernel's returned length, at
 * most `length` bytes. The escape hatch for any option whose value is a struct.
 * getsockopt(2) — {@link https://man7.org/linux/man-pages/man2/getsockopt.2.html}
 */
export function getsockoptBuffer(fd: number, level: number, name: number, length: number): Buffer {
  validateFd(fd);
  validateInt32(level, 'level');
  validateInt32(name, 'name');
  validateInt(length, 'length', 0, 65536);
  const r = native.getsockoptBytes(fd, level, name, length);
  if (typeof r === 'number') throw new SocketError(r, 'getsockopt');
  return r;
}

/**
 * Sets a socket option: a number or boolean is passed as a C int, a Buffer/TypedArray/DataView
 * as its bytes.
 * setsockopt(2) — {@link https://man7.org/linux/man-pages/man2/setsockopt.2.html}
 */
export function setsockopt(
  fd: number,
  level: number,
  name: number,
  value: number | boolean | ArrayBufferView,
): void {
  validateFd(fd);
  validateInt32(level, 'level');
  validateInt32(name, 'name');
  if (typeof value === 'boolean') value = value ? 1 : 0;
  if (typeof value === 'number') {
    validateInt32(value, 'value');
    check(native.setsockoptInt(fd, level, name, value), 'setsockopt');
  } else if (ArrayBuffer.isView(value)) {
    check(native.setsockoptBytes(fd, level, name, value), 'setsockopt');
  } else {
    throw invalidArgType(
      'value',
      'of type number or boolean, or a Buffer, TypedArray, or DataView',
      value,
    );
  }
}

/**
 * Turns O_NONBLOCK on or off: a nonblocking fd throws EAGAIN where a blocking one would wait.
 * fcntl(2) F_SETFL — {@link https://man7.org/linux/man-pages/man2/fcntl.2.html}
 */
export function setNonblocking(fd: number, on: boolean): void {
  validateFd(fd);
  const flags = check(native.fcntlGetfl(fd), 'fcntl');
  const next = on ? flags | c.O_NONBLOCK : flags & ~c.O_NONBLOCK;
  if (next !== flags) check(native.fcntlSetfl(fd, next), 'fcntl');
}

/**
 * Whether O_NONBLOCK is set. fcntl(2) F_GETFL — {@link https://man7.org/linux/man-pages/man2/fcntl.2.html}
 */
export function getNonblocking(fd: number): boolean {
  validateFd(fd);
  return (check(native.fcntlGetfl(fd), 'fcntl') & c.O_NONBLOCK) !== 0;
}

/**
 * Turns FD_CLOEXEC on or off: whether the fd is closed in a program started with exec.
 * fcntl(2) F_SETFD — {@link https://man7.org/linux/man-pages/man2/fcntl.2.html}
 */
export function setCloexec(fd: number, on: boolean): void {
  validateFd(fd);
  const flags = check(native.fcntlGetfd(fd), 'fcntl');
  const next = on ? flags | c.FD_CLOEXEC : flags & ~c.FD_CLOEXEC;
  if (next !== flags) check(native.fcntlSetfd(fd, next), 'fcntl');
}

/**
 * Whether FD_CLOEXEC is set. fcntl(2) F_GETFD — {@link https://man7.org/linux/man-pages/man2/fcntl.2.html}
 */
export function getCloexec(fd: number): boolean {
  validateFd(fd);
  return (check(native.fcntlGetfd(fd), 'fcntl') & c.FD_CLOEXEC) !== 0;
}

/**
 * Duplicates `fd` onto the lowest free number, close-on-exec; both refer to the same socket.
 * fcntl(2) F_DUPFD_CLOEXEC — {@link https://man7.org/linux/man-pages/man2/fcntl.2.html}
 */
export function dup(fd: number): number {
  validateFd(fd);
  return check(native.dup(fd), 'dup');
}

/** One entry of {@link poll}'s fd list. */
export interface PollFd {
  fd: number;
  /** POLLIN, POLLOUT, … ORed together. */
  events: number;
}

/** What {@link poll} reports for one entry. */
export interface PollResult extends PollFd {
  /** The conditions that hold: POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL, … (0 when none). */
  revents: number;
}

/**
 * Waits until one of `fds` is ready or `timeoutMs` passes (-1 waits forever, 0 only checks),
 * and returns every entry with its `revents`. Blocks the calling thread. After a signal the
 * wait resumes with the time that remains. A negative fd is ignored, as in C.
 * poll(2) — {@link https://man7.org/linux/man-pages/man2/poll.2.html}
 */
export function poll(fds: readonly PollFd[], timeoutMs = -1): PollResult[] {
  if (!Array.isArray(fds)) throw invalidArgType('fds', 'an array of { fd, events }', fds);
  validateInt(timeoutMs, 'timeoutMs', -1, 0x7fffffff);
  const list = fds as readonly unknown[];
  const a = new Int32Array(list.length * 3);
  list.forEach((p, i) => {
    if (typeof p !== 'object' || p === null) throw invalidArgType(`fds[${i}]`, 'an object', p);
    const { fd, events } = p as Partial<PollFd>;
    validateInt(fd, `fds[${i}].fd`, -0x80000000, 0x7fffffff);
    validateInt(events, `fds[${i}].events`, 0, 0xffff);
    a[3 * i] = fd;
    a[3 * i + 1] = events;
  });
  check(native.poll(a, timeoutMs), 'poll');
  return list.map((_, i) => ({ fd: a[3 * i]!, events: a[3 * i + 1]!, revents: a[3 * i + 2]! }));
}

/**
 * Reads one of the counters that ioctl returns as an int: FIONREAD/SIOCINQ (bytes waiting in
 * the receive queue), SIOCOUTQ (bytes in the send queue not yet acknowledged), SIOCOUTQNSD
 * (not yet sent), SIOCATMARK. Other requests throw a RangeError.
 * ioctl(2) — {@link https://man7.org/linux/man-pages/man2/ioctl.2.html}, tcp(7), udp(7)
 */
export function ioctl(fd: number, request: number): number;
/**
 * Calls an ioctl whose argument is a struct, passing `buffer` in place: the kernel reads it,
 * writes it, or both, and the ioctl's result (usually 0) is returned. Only requests whose
 * struct size the library knows are allowed (see {@link ioctlArgSize}), and `buffer` must be at
 * least that long: the kernel, not the caller, decides how many bytes an ioctl writes.
 * Known: the counters above, the struct ifreq requests of netdevice(7) (SIOCGIFINDEX,
 * SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCGIFADDR, SIOCSIFADDR, SIOCSIFNETMASK, SIOCGIFMTU, SIOCSIFMTU,
 * SIOCGIFHWADDR, …) and TUN/TAP's TUNSETIFF, TUNGETIFF, TUNGETFEATURES.
 * ioctl(2) — {@link https://man7.org/linux/man-pages/man2/ioctl.2.html}, netdevice(7)
 */
export function ioctl(fd: number, request: number, buffer: ArrayBufferView): number;
export function ioctl(fd: number, request: number, buffer?: ArrayBufferView): number {
  validateFd(fd);
  validateInt(request, 'request', -0x80000000, 0xffffffff);
  if (buffer !== undefined) {
    validateView(buffer, 'buffer');
    if (native.ioctlArgSize(request | 0) < 0) {
      throw outOfRange('request', 'an ioctl whose argument size is known (ioctlArgSize)', request);
    }
    return check(native.ioctlBuffer(fd, request | 0, buffer), 'ioctl');
  }
  return check(native.ioctlInt(fd, request | 0), 'ioctl');
}

/**
 * The size in bytes of the struct that {@link ioctl} passes for `request` (40 for a struct
 * ifreq on x86-64), or undefined for a request the library does not pass a buffer to.
 * ioctl(2) — {@link https://man7.org/linux/man-pages/man2/ioctl.2.html}, netdevice(7)
 */
export function ioctlArgSize(request: number): number | undefined {
  validateInt(request, 'request', -0x80000000, 0xffffffff);
  const n = native.ioctlArgSize(request | 0);
  return n < 0 ? undefined : n;
}

/**
 * Opens a pidfd: an fd that refers to process `pid`, close-on-exec.
 * pidfd_open(2) — {@link https://man7.org/linux/man-pages/man2/pidfd_open.2.html}
 */
export function pidfd_open(pid: number): number {
  validateInt(pid, 'pid', 1, 0x7fffffff);
  return check(native.pidfdOpen(pid), 'pidfd_open');
}

/**
 * Duplicates another process's fd `fd` into this process, through a pidfd from
 * {@link pidfd_open}; the copy is close-on-exec and refers to the same open file or socket.
 * Needs ptrace access to the process (the same user, and Yama's ptrace_scope allowing it).
 * pidfd_getfd(2) — {@link https://man7.org/linux/man-pages/man2/pidfd_getfd.2.html}
 */
export function pidfd_getfd(pidfd: number, fd: number): number {
  validateFd(pidfd, 'pidfd');
  validateFd(fd);
  return check(native.pidfdGetfd(pidfd, fd), 'pidfd_getfd');
}

/**
 * Returns the index of the network interface named `name` ('lo' is usually 1).
 * if_nametoindex(3) — {@link https://man7.org/linux/man-pages/man3/if_nametoindex.3.html}
 */
export function if_nametoindex(name: string): number {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  return check(native.ifNameToIndex(name), 'if_nametoindex');
}

/**
 * Returns the name of the network interface with index `index`.
 * if_indextoname(3) — {@link https://man7.org/linux/man-pages/man3/if_nametoindex.3.html}
 */
export function if_indextoname(index: number): string {
  validateInt(index, 'index', 0, 0xffffffff);
  const r = native.ifIndexToName(index | 0);
  if (typeof r === 'number') throw new SocketError(r, 'if_indextoname');
  return r;
}
