// What the four typed socket classes share: one owned fd, its readiness engine (poll.ts),
// close/detach/dispose, ref/unref, and addresses and options.
import { type Address, type SocketAddress, addrArgs, errorTarget } from '../sys/address.js';
import {
  SocketError,
  check,
  invalidArgType,
  invalidArgValue,
  socketClosedError,
  validateFd,
} from '../internal/errors.js';
import { native } from '../sys/native.js';
import { type FdOwner, owners } from '../internal/owners.js';
import * as o from '../sys/options.js';
import {
  type RecvMsgOptions,
  type RecvMsgResult,
  type SendMsgOptions,
  tryRecvmsg,
  trySendmsg,
} from '../sys/msg.js';
import * as sys from '../sys/syscalls.js';
import { EAGAIN, type Interest, PollDesc } from './poll.js';
import { type WaitOptions, throwIfAborted, waitSignal } from './signal.js';

const c = native.constants as Record<
  'EINPROGRESS' | 'SOL_SOCKET' | 'SO_ERROR' | 'SO_TYPE' | 'SO_DOMAIN' | 'O_NONBLOCK',
  number
>;

/** The family of the address a static constructor makes its socket for. */
export function familyOf(address: unknown): unknown {
  if (typeof address !== 'object' || address === null) {
    throw invalidArgType('address', 'an address object', address);
  }
  return (address as { family?: unknown }).family;
}

/**
 * The address families a typed socket can be created in, and their AF_* constants.
 */
export type Family = 'inet' | 'inet6' | 'unix';

export function familyConstant(family: unknown): number {
  switch (family) {
    case 'inet':
      return native.constants.AF_INET!;
    case 'inet6':
      return native.constants.AF_INET6!;
    case 'unix':
      return native.constants.AF_UNIX!;
    default:
      throw invalidArgValue('family', family, "must be 'inet', 'inet6' or 'unix'");
  }
}

/** Checks that an fd about to be adopted is a socket of the expected type, and makes it nonblocking. */
export function adoptable(fd: unknown, type: number, typeName: string): number {
  validateFd(fd);
  if (owners.has(fd)) {
    throw Object.assign(
      new Error(`fd ${fd} is already owned by a sockfd socket; detach() it first`),
      {
        code: 'ERR_SOCKFD_FD_OWNED',
      },
    );
  }
  const actual = sys.getsockopt(fd, c.SOL_SOCKET, c.SO_TYPE);
  if (actual !== type)
    throw invalidArgValue('fd', fd, `is not a ${typeName} socket (SO_TYPE ${actual})`);
  sys.setNonblocking(fd, true);
  return fd;
}

/**
 * The base of StreamSocket, DatagramSocket, SeqPacketSocket and RawSocket. It owns its fd:
 * `close()` closes it exactly once, and nothing else does; garbage collection never does (an
 * object dropped without close() leaks its fd rather than closing a number someone else may
 * have been given since). Its calls wait for readiness through one {@link PollDesc}.
 */
export abstract class SocketBase implements FdOwner, Disposable, AsyncDisposable {
  #fd: number;
  readonly #poll: PollDesc;

  protected constructor(fd: number) {
    owners.set(fd, this);
    this.#fd = fd;
    this.#poll = new PollDesc(fd);
  }

  /** The file descriptor: a plain integer, usable with the fd-integer API. -1 once closed or detached. */
  get fd(): number {
    return this.#fd;
  }

  /** Whether close() or detach() has run. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** The fd, or a thrown ERR_SOCKET_CLOSED. */
  protected liveFd(): number {
    if (this.#fd < 0) throw socketClosedError();
    return this.#fd;
  }

  /**
   * Closes the socket: pending calls reject with ERR_SOCKET_CLOSED, the watcher stops, then the
   * fd is closed. Calling it again does nothing. close(2)
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#release();
    check(native.close(fd), 'close');
  }

  /** Gives up ownership without closing: returns the fd, which the caller now owns. */
  detach(): number {
    const fd = this.liveFd();
    this.#release();
    return fd;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  #release(): void {
    owners.delete(this.#fd);
    this.#fd = -1;
    this.#poll.close();
  }

  /** Pending calls keep the process alive (the default). */
  ref(): this {
    this.#poll.setRef(true);
    return this;
  }

  /** Pending calls no longer keep the process alive; it may exit while they wait. */
  unref(): this {
    this.#poll.setRef(false);
    return this;
  }

  /** Runs `attempt` until it does not return EAGAIN: {@link PollDesc.io}. */
  protected io<T, A = undefined>(
    kind: Interest,
    signal: AbortSignal | undefined,
    attempt: (fd: number, arg: A) => T,
    tryFirst = true,
    arg?: A,
  ): Promise<T> {
    return this.#poll.io(kind, signal, attempt, tryFirst, arg);
  }

  /** Resolves when the fd is readable (or writable), or rejects on abort or close. */
  protected wait(kind: Interest, signal?: AbortSignal): Promise<void> {
    return this.#poll.wait(kind, signal);
  }

  /** Binds to a local address; port 0 picks an ephemeral port. bind(2) */
  bind(address: SocketAddress): this {
    sys.bind(this.liveFd(), address);
    return this;
  }

  /** The local address. getsockname(2) */
  localAddress(): Address {
    return sys.getsockname(this.liveFd());
  }

  /** The peer's address. getpeername(2) */
  remoteAddress(): Address {
    return sys.getpeername(this.liveFd());
  }

  /** Alias of {@link localAddress}, under the syscall's name. getsockname(2) */
  getsockname(): Address {
    return this.localAddress();
  }

  /** Alias of {@link remoteAddress}, under the syscall's name. getpeername(2) */
  getpeername(): Address {
    return this.remoteAddress();
  }

  /** Reads an integer option. getsockopt(2) */
  getOption(level: number, name: number): number {
    return sys.getsockopt(this.liveFd(), level, name);
  }

  /** Sets an option from a number, boolean or bytes. setsockopt(2) */
  setOption(level: number, name: number, value: number | boolean | ArrayBufferView): this {
    sys.setsockopt(this.liveFd(), level, name, value);
    return this;
  }

  /**
   * Sends one message gathered from several buffers, with control messages (fds, credentials,
   * source address …), waiting while the send buffer is full. sendmsg(2)
   */
  async sendMsg(message: SendMsgOptions, options?: WaitOptions): Promise<number> {
    const n = await this.io('write', waitSignal(options), (fd) => trySendmsg(fd, message));
    if (n < 0) {
      const address = message.address;
      throw new SocketError(n, 'sendmsg', address === undefined ? undefined : errorTarget(address));
    }
    return n;
  }

  /**
   * Waits for one message and receives it scattered into several buffers, with its sender,
   * control messages and flags (MSG_TRUNC, MSG_CTRUNC). recvmsg(2)
   */
  async recvMsg(receive: RecvMsgOptions, options?: WaitOptions): Promise<RecvMsgResult> {
    const r = await this.io('read', waitSignal(options), (fd) => tryRecvmsg(fd, receive));
    if (typeof r === 'number') throw new SocketError(r, 'recvmsg');
    return r;
  }

  // Typed options, one getter and one setter each (lib/sys/options.ts names the option and its man page).

  /**
   * Whether the socket is listening for connections. SO_ACCEPTCONN (read-only).
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  acceptConn(): boolean {
    return o.getAcceptConn(this.liveFd());
  }

  /**
   * The name of the interface the socket is bound to, or '' when it is not bound to one.
   * SO_BINDTODEVICE. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  bindDevice(): string {
    return o.getBindDevice(this.liveFd());
  }

  /**
   * Binds the socket to the interface named `name` ('lo', 'eth0'), so it sends and receives only there;
   * '' removes the binding. Needs CAP_NET_RAW on kernels before 5.7, and to change an existing
   * binding. SO_BINDTODEVICE. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setBindDevice(name: string): this {
    o.setBindDevice(this.liveFd(), name);
    return this;
  }

  /**
   * Whether the socket may send to broadcast addresses. SO_BROADCAST.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  broadcast(): boolean {
    return o.getBroadcast(this.liveFd());
  }

  /**
   * Lets a datagram socket send to broadcast addresses. SO_BROADCAST.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setBroadcast(on: boolean): this {
    o.setBroadcast(this.liveFd(), on);
    return this;
  }

  /**
   * The socket's domain (AF_INET, AF_UNIX, …). SO_DOMAIN (read-only).
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  domain(): number {
    return o.getDomain(this.liveFd());
  }

  /**
   * Takes the socket's pending error: its errno name ('ECONNREFUSED'), or null when there is
   * none. Reading clears it; this is how a nonblocking connect reports its outcome.
   * SO_ERROR (read-only). socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  error(): string | null {
    return o.getError(this.liveFd());
  }

  /**
   * Whether keepalive probes are sent on an idle connection. SO_KEEPALIVE.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  keepalive(): boolean {
    return o.getKeepalive(this.liveFd());
  }

  /**
   * Turns keepalive probes on or off; see {@link setTcpKeepaliveTime} for their timing.
   * SO_KEEPALIVE. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setKeepalive(on: boolean): this {
    o.setKeepalive(this.liveFd(), on);
    return this;
  }

  /**
   * How the socket closes while unsent data remains: the linger time in seconds, or null when lingering
   * is off (close returns at once and the kernel sends the rest in the background). SO_LINGER.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  linger(): number | null {
    return o.getLinger(this.liveFd());
  }

  /**
   * Makes close wait up to `seconds` for unsent data (0: reset the connection at close), or with
   * null turns lingering off. SO_LINGER.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setLinger(seconds: number | null): this {
    o.setLinger(this.liveFd(), seconds);
    return this;
  }

  /**
   * The fwmark of packets the socket sends, for policy routing and netfilter (an unsigned 32-bit
   * number). SO_MARK. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  mark(): number {
    return o.getMark(this.liveFd());
  }

  /**
   * Sets the fwmark of packets the socket sends. Needs CAP_NET_ADMIN (or CAP_NET_RAW on newer kernels).
   * SO_MARK. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setMark(mark: number): this {
    o.setMark(this.liveFd(), mark);
    return this;
  }

  /**
   * Whether urgent (out-of-band) data is placed in the normal data stream. SO_OOBINLINE.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  outOfBandInline(): boolean {
    return o.getOutOfBandInline(this.liveFd());
  }

  /**
   * Places urgent (out-of-band) data in the normal data stream instead of apart from it.
   * SO_OOBINLINE. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setOutOfBandInline(on: boolean): this {
    o.setOutOfBandInline(this.liveFd(), on);
    return this;
  }

  /**
   * The process id, user id and group id of the peer of a connected unix socket (for a
   * socketpair, the process that created it). SO_PEERCRED (read-only).
   * unix(7) — {@link https://man7.org/linux/man-pages/man7/unix.7.html}
   */
  peerCred(): o.PeerCred {
    return o.getPeerCred(this.liveFd());
  }

  /**
   * The queueing priority of packets the socket sends. SO_PRIORITY.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  priority(): number {
    return o.getPriority(this.liveFd());
  }

  /**
   * Sets the queueing priority of packets the socket sends; values above 6 need CAP_NET_ADMIN.
   * SO_PRIORITY. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setPriority(priority: number): this {
    o.setPriority(this.liveFd(), priority);
    return this;
  }

  /**
   * The socket's protocol (IPPROTO_TCP, …). SO_PROTOCOL (read-only).
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  protocol(): number {
    return o.getProtocol(this.liveFd());
  }

  /**
   * The receive buffer size in bytes, as the kernel accounts it: Linux reports twice the value
   * that was set. SO_RCVBUF. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  recvBufferSize(): number {
    return o.getRecvBufferSize(this.liveFd());
  }

  /**
   * Sets the receive buffer size; Linux doubles `bytes` for its bookkeeping and caps it at
   * net.core.rmem_max. SO_RCVBUF. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setRecvBufferSize(bytes: number): this {
    o.setRecvBufferSize(this.liveFd(), bytes);
    return this;
  }

  /**
   * The fewest bytes a receive waits for before it returns. SO_RCVLOWAT.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  recvLowWater(): number {
    return o.getRecvLowWater(this.liveFd());
  }

  /**
   * Sets the fewest bytes a receive waits for (and poll reports readable at). SO_RCVLOWAT.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setRecvLowWater(bytes: number): this {
    o.setRecvLowWater(this.liveFd(), bytes);
    return this;
  }

  /**
   * How long a blocking receive waits before it fails with EAGAIN, in milliseconds; 0 means
   * forever. SO_RCVTIMEO. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  recvTimeout(): number {
    return o.getRecvTimeout(this.liveFd());
  }

  /**
   * Sets how long a blocking receive waits, in milliseconds (fractions kept to the microsecond;
   * the kernel rounds up to its clock tick); 0 means forever. SO_RCVTIMEO.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setRecvTimeout(ms: number): this {
    o.setRecvTimeout(this.liveFd(), ms);
    return this;
  }

  /**
   * Whether bind may reuse a local address (for TCP, one still in TIME_WAIT). SO_REUSEADDR.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  reuseAddress(): boolean {
    return o.getReuseAddress(this.liveFd());
  }

  /**
   * Lets bind reuse a local address (for TCP, one still in TIME_WAIT). SO_REUSEADDR.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setReuseAddress(on: boolean): this {
    o.setReuseAddress(this.liveFd(), on);
    return this;
  }

  /**
   * Whether several sockets of one user may bind the same address and port. SO_REUSEPORT.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  reusePort(): boolean {
    return o.getReusePort(this.liveFd());
  }

  /**
   * Lets several sockets bind the same address and port; the kernel spreads connections or
   * datagrams across them. Set it on each before bind. SO_REUSEPORT.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setReusePort(on: boolean): this {
    o.setReusePort(this.liveFd(), on);
    return this;
  }

  /**
   * The send buffer size in bytes, as the kernel accounts it: Linux reports twice the value that
   * was set. SO_SNDBUF. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  sendBufferSize(): number {
    return o.getSendBufferSize(this.liveFd());
  }

  /**
   * Sets the send buffer size; Linux doubles `bytes` for its bookkeeping and caps it at
   * net.core.wmem_max. SO_SNDBUF. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setSendBufferSize(bytes: number): this {
    o.setSendBufferSize(this.liveFd(), bytes);
    return this;
  }

  /**
   * How long a blocking send waits before it fails with EAGAIN, in milliseconds; 0 means
   * forever. SO_SNDTIMEO. socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  sendTimeout(): number {
    return o.getSendTimeout(this.liveFd());
  }

  /**
   * Sets how long a blocking send waits, in milliseconds (fractions kept to the microsecond; the
   * kernel rounds up to its clock tick); 0 means forever. SO_SNDTIMEO.
   * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  setSendTimeout(ms: number): this {
    o.setSendTimeout(this.liveFd(), ms);
    return this;
  }

  /**
   * The socket's type (SOCK_STREAM, SOCK_DGRAM, …, without SOCK_NONBLOCK/SOCK_CLOEXEC).
   * SO_TYPE (read-only). socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}
   */
  type(): number {
    return o.getType(this.liveFd());
  }

  /**
   * Whether the kernel may bind to an address that is not (yet) local. IP_FREEBIND.
   * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  freebind(): boolean {
    return o.getFreebind(this.liveFd());
  }

  /**
   * Lets bind use an address that is not (yet) local, such as one of an interface still coming
   * up. IP_FREEBIND. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  setFreebind(on: boolean): this {
    o.setFreebind(this.liveFd(), on);
    return this;
  }

  /**
   * The type-of-service byte of IPv4 packets the socket sends (DSCP and ECN). IP_TOS.
   * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  tos(): number {
    return o.getTos(this.liveFd());
  }

  /**
   * Sets the type-of-service byte, 0 to 255; on TCP sockets the kernel keeps the ECN bits to
   * itself. IP_TOS. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  setTos(tos: number): this {
    o.setTos(this.liveFd(), tos);
    return this;
  }

  /**
   * Whether the socket may use non-local addresses (transparent proxying). IP_TRANSPARENT.
   * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  ipTransparent(): boolean {
    return o.getIpTransparent(this.liveFd());
  }

  /**
   * Lets the socket bind to and send from non-local addresses, for transparent proxying. Needs
   * CAP_NET_ADMIN. IP_TRANSPARENT. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  setIpTransparent(on: boolean): this {
    o.setIpTransparent(this.liveFd(), on);
    return this;
  }

  /**
   * The TTL of unicast IPv4 packets the socket sends. IP_TTL.
   * ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  ttl(): number {
    return o.getTtl(this.liveFd());
  }

  /**
   * Sets the TTL of unicast IPv4 packets the socket sends, 1 to 255; -1 restores the system default.
   * IP_TTL. ip(7) — {@link https://man7.org/linux/man-pages/man7/ip.7.html}
   */
  setTtl(ttl: number): this {
    o.setTtl(this.liveFd(), ttl);
    return this;
  }

  /**
   * Whether the socket is IPv6 only (false: it also carries IPv4 as ::ffff:a.b.c.d). IPV6_V6ONLY.
   * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  onlyV6(): boolean {
    return o.getOnlyV6(this.liveFd());
  }

  /**
   * Restricts an AF_INET6 socket to IPv6; set it before bind. IPV6_V6ONLY.
   * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  setOnlyV6(on: boolean): this {
    o.setOnlyV6(this.liveFd(), on);
    return this;
  }

  /**
   * The traffic class of IPv6 packets the socket sends. IPV6_TCLASS.
   * ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  tclassV6(): number {
    return o.getTclassV6(this.liveFd());
  }

  /**
   * Sets the traffic class of IPv6 packets the socket sends, 0 to 255; -1 restores the default (0).
   * IPV6_TCLASS. ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  setTclassV6(tclass: number): this {
    o.setTclassV6(this.liveFd(), tclass);
    return this;
  }

  /**
   * The hop limit of unicast IPv6 packets the socket sends (the route's default when unset).
   * IPV6_UNICAST_HOPS. ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  unicastHopsV6(): number {
    return o.getUnicastHopsV6(this.liveFd());
  }

  /**
   * Sets the hop limit of unicast IPv6 packets the socket sends, 0 to 255; -1 restores the route's
   * default. IPV6_UNICAST_HOPS. ipv6(7) — {@link https://man7.org/linux/man-pages/man7/ipv6.7.html}
   */
  setUnicastHopsV6(hops: number): this {
    o.setUnicastHopsV6(this.liveFd(), hops);
    return this;
  }

  /**
   * Starts a nonblocking connect and waits for its outcome: EINPROGRESS, then writability, then
   * SO_ERROR. connect(2)
   */
  protected async connectTo(address: SocketAddress, signal?: AbortSignal): Promise<void> {
    const args = addrArgs(address);
    const target = errorTarget(address);
    throwIfAborted(signal);
    let r = native.connect(this.liveFd(), ...args);
    // A unix stream listener with a full backlog answers EAGAIN: try again. Nothing polls ready
    // when the backlog frees up (the connecting socket is writable all along, so waiting for
    // that would spin), so retry on a timer, backing off from 1 ms to 100 ms.
    for (let delay = 1; r === EAGAIN; delay = Math.min(2 * delay, 100)) {
      await this.#poll.sleep(delay, signal);
      r = native.connect(this.liveFd(), ...args);
    }
    if (r === -c.EINPROGRESS) {
      await this.wait('write', signal);
      const err = sys.getsockopt(this.liveFd(), c.SOL_SOCKET, c.SO_ERROR);
      r = -err;
    }
    if (r < 0) throw new SocketError(r, 'connect', target);
  }
}
