// What the four typed socket classes share: one owned fd, its readiness engine (poll.ts),
// close/detach/dispose, ref/unref, and addresses and options.
import {
  type Address,
  type NodeAddressInfo,
  type SocketAddress,
  addrArgs,
  errorTarget,
  ipFamily,
} from '../sys/address.js';
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
import { SocketOptionAccessors } from './base-accessors.generated.js';
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
  | 'EINPROGRESS'
  | 'SOL_SOCKET'
  | 'SO_ERROR'
  | 'SO_TYPE'
  | 'SO_DOMAIN'
  | 'O_NONBLOCK'
  | 'MSG_ERRQUEUE'
  | 'MSG_DONTWAIT',
  number
>;

/** The family of the address a static constructor makes its socket for. */
export function familyOf(address: unknown): Family {
  if (typeof address !== 'object' || address === null) {
    throw invalidArgType('address', 'an address object', address);
  }
  const family = (address as { family?: unknown }).family;
  const f = family === 'unix' ? family : ipFamily(family);
  if (f === undefined) {
    throw invalidArgValue(
      'address.family',
      family,
      "must be 'inet', 'inet6' or 'unix' (or Node's 'IPv4', 'IPv6'), as in { family: 'inet', address: '127.0.0.1', port: 8080 }",
    );
  }
  return f;
}

/**
 * The address families a typed socket can be created in, and their AF_* constants.
 */
export type Family = 'inet' | 'inet6' | 'unix';

/**
 * The addresses the kernel returns for a socket of `F`: what `localAddress()`,
 * `remoteAddress()` and the receives of a socket created for that family give.
 */
export type AddressOf<F extends Family> = Extract<Address, { family: F }>;

/** The family a static constructor makes its socket in for an address whose family is `F`. */
export type FamilyOf<F> = F extends Family
  ? F
  : F extends 'IPv4' | 4
    ? 'inet'
    : F extends 'IPv6' | 6
      ? 'inet6'
      : 'inet' | 'inet6';

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

/**
 * Sets up a socket a static constructor just made, and closes it if the setup fails: the
 * caller gets a ready socket or an error, never a half-made one it would have to close.
 */
export function setUp<S extends { close(): void }>(s: S, setup: (s: S) => unknown): S {
  try {
    setup(s);
    return s;
  } catch (e) {
    s.close();
    throw e;
  }
}

/** {@link setUp} for a setup that waits (a connect). */
export async function setUpAsync<S extends { close(): void }>(
  s: S,
  setup: (s: S) => Promise<unknown>,
): Promise<S> {
  try {
    await setup(s);
    return s;
  } catch (e) {
    s.close();
    throw e;
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

/** What the classes' static methods pass their constructor; user code has no way to. */
export const CONSTRUCT: unique symbol = Symbol('sockfd.construct');

function illegalConstructor(name: string): TypeError {
  return Object.assign(
    new TypeError(`Illegal constructor: make a ${name} with ${name}.create() or ${name}.from(fd)`),
    { code: 'ERR_ILLEGAL_CONSTRUCTOR' },
  );
}

/**
 * The base of StreamSocket, DatagramSocket, SeqPacketSocket and RawSocket. It owns its fd:
 * `close()` closes it exactly once, or the end of the thread's environment does (a worker
 * ending or terminated) if it is still owned then; garbage collection never does (an object
 * dropped without close() leaks its fd rather than closing a number someone else may have been
 * given since). Its calls wait for readiness through one readiness engine
 * (PollDesc, lib/socket/poll.ts).
 */
// The option accessors (reuseAddress(), setReuseAddress(on), …) come from the options table
// through the generated SocketOptionAccessors.
// A is the address type the kernel returns for this socket: narrowed by the static
// constructors from the family they make the socket in, Address for an adopted fd.
export abstract class SocketBase<A extends Address = Address>
  extends SocketOptionAccessors
  implements FdOwner, Disposable, AsyncDisposable
{
  #fd: number;
  readonly #poll: PollDesc;

  /**
   * Not for users: the classes' static methods (`create`, `from`, `listen`, `connect`, `pair`)
   * make sockets. `new StreamSocket()` throws ERR_ILLEGAL_CONSTRUCTOR.
   * @internal
   */
  protected constructor(key: typeof CONSTRUCT, fd: number) {
    super();
    if (key !== CONSTRUCT) throw illegalConstructor(new.target.name);
    owners.set(fd, this);
    // Closed with the environment (a worker's end) if still owned then: nothing else could.
    native.ownFd(fd);
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
  protected override liveFd(): number {
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
    native.disownFd(fd);
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

  /**
   * Runs `attempt`, a nonblocking syscall, now and again each time the fd is ready, until it
   * returns something other than EAGAIN, and resolves with that (the engine's io()).
   */
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
  bind(address: SocketAddress | NodeAddressInfo): this {
    sys.bind(this.liveFd(), address);
    return this;
  }

  /** The local address. getsockname(2) */
  localAddress(): A {
    // The socket's family never changes, and the static constructors chose A from it.
    return sys.getsockname(this.liveFd()) as A;
  }

  /** The peer's address. getpeername(2) */
  remoteAddress(): A {
    return sys.getpeername(this.liveFd()) as A;
  }

  /** Alias of {@link localAddress}, under the syscall's name. getsockname(2) */
  getsockname(): A {
    return this.localAddress();
  }

  /** Alias of {@link remoteAddress}, under the syscall's name. getpeername(2) */
  getpeername(): A {
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
    const n = await this.io('write', waitSignal(options), (fd) =>
      trySendmsg(fd, message, c.MSG_DONTWAIT),
    );
    if (n < 0) {
      const address = message.address;
      throw new SocketError(n, 'sendmsg', address === undefined ? undefined : errorTarget(address));
    }
    return n;
  }

  /**
   * Waits for one message and receives it scattered into several buffers, with its sender,
   * control messages and flags (MSG_TRUNC, MSG_CTRUNC). With MSG_ERRQUEUE in `flags` it waits
   * for an entry of the error queue instead (IP_RECVERR, MSG_ZEROCOPY, SO_TIMESTAMPING), which
   * it reads before any data reader is woken. recvmsg(2)
   */
  async recvMsg(receive: RecvMsgOptions, options?: WaitOptions): Promise<RecvMsgResult> {
    // A wrong `flags` is tryRecvmsg's to report; here it only picks the queue.
    const flags = (receive as { flags?: unknown } | null | undefined)?.flags;
    const kind = typeof flags === 'number' && (flags & c.MSG_ERRQUEUE) !== 0 ? 'error' : 'read';
    const r = await this.io(kind, waitSignal(options), (fd) =>
      tryRecvmsg(fd, receive, c.MSG_DONTWAIT),
    );
    if (typeof r === 'number') throw new SocketError(r, 'recvmsg');
    return r;
  }

  /**
   * Starts a nonblocking connect and waits for its outcome: EINPROGRESS, then writability, then
   * SO_ERROR. connect(2)
   */
  protected async connectTo(
    address: SocketAddress | NodeAddressInfo,
    signal?: AbortSignal,
  ): Promise<void> {
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
