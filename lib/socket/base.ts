// What the four typed socket classes share: one owned fd, readiness waits on the event loop
// through one native watcher, close/detach/dispose, ref/unref, and addresses and options.
import { type Address, type SocketAddress, addrArgs, errorTarget } from '../sys/address.js';
import {
  SocketError,
  check,
  invalidArgType,
  invalidArgValue,
  validateFd,
} from '../internal/errors.js';
import { type NativeWatcher, native } from '../sys/native.js';
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

const { READABLE, WRITABLE } = native.watcherEvents;
const c = native.constants as Record<
  'EAGAIN' | 'EINPROGRESS' | 'SOL_SOCKET' | 'SO_ERROR' | 'SO_TYPE' | 'SO_DOMAIN' | 'O_NONBLOCK',
  number
>;

/** The negative errno that means "would block": the async layer waits on it, never throws it. */
export const EAGAIN = -c.EAGAIN;

/** Options of every call that waits. */
export interface WaitOptions {
  /** Aborting rejects the pending call with the signal's reason; the socket stays usable. */
  signal?: AbortSignal;
}

/**
 * A call waiting for readiness: its nonblocking syscall, retried each time the fd is ready, and
 * the promise to settle with what the syscall finally returns.
 */
interface Waiter {
  attempt: (fd: number) => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * The signal of a waiting call's options, checked as Node checks its own: the options are
 * undefined or an object, and their signal undefined or an AbortSignal. Like Node's own
 * validateAbortSignal it goes by shape, not `instanceof`: a signal of another realm (a vm
 * context, a test environment's DOM) or of an AbortController polyfill works too, as long as it
 * has `aborted` and the two listener methods this layer calls.
 */
export function waitSignal(options: unknown): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw invalidArgType('options', 'of type object', options);
  }
  const { signal } = options as WaitOptions;
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  const like = signal as Partial<Record<keyof AbortSignal, unknown>> | null;
  if (
    typeof like === 'object' &&
    like !== null &&
    'aborted' in like &&
    typeof like.addEventListener === 'function' &&
    typeof like.removeEventListener === 'function'
  ) {
    return signal;
  }
  throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
}

/**
 * What an aborted signal rejects with: its reason, or for a signal without one (a polyfill's)
 * an AbortError as Node's own signals give.
 */
export function abortReason(signal: AbortSignal): unknown {
  let reason: unknown;
  try {
    reason = signal.reason;
  } catch (e) {
    // A getter that throws (a hostile or broken polyfill): what it threw is the reason. Never
    // thrown from here, so a waiting call cannot be left unsettled by its own abort.
    return e;
  }
  return reason !== undefined
    ? reason
    : new DOMException('This operation was aborted', 'AbortError');
}

/** signal.throwIfAborted(), for any signal waitSignal accepts. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortReason(signal);
}

/** The family of the address a static constructor makes its socket for. */
export function familyOf(address: unknown): unknown {
  if (typeof address !== 'object' || address === null) {
    throw invalidArgType('address', 'an address object', address);
  }
  return (address as { family?: unknown }).family;
}

/** The error a call on a closed socket, or a wait the socket's close cut short, rejects with. */
export function socketClosedError(): Error {
  return Object.assign(new Error('Socket is closed'), { code: 'ERR_SOCKET_CLOSED' });
}

/** A promise rejected with `reason`, as an async function rejects with what it throws. */
export function rejection<T = never>(reason: unknown): Promise<T> {
  // Passed on untouched, as `async` would: an abort signal's reason may be any value.
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  return Promise.reject(reason);
}

function forget(w: Waiter): void {
  if (w.onAbort !== undefined) unlisten(w.signal, w.onAbort);
}

/**
 * Removes an abort listener. A signal whose removeEventListener throws keeps the listener, and
 * the call it belonged to still settles: every listener checks that its call is still waiting.
 */
function unlisten(signal: AbortSignal | undefined, listener: () => void): void {
  try {
    signal?.removeEventListener('abort', listener);
  } catch {
    // The signal's own failure; nothing of the socket's depends on it.
  }
}

const noop = (): void => undefined;

// Settled promises cannot change, so the calls that finish at once with nothing to report
// (writes) share one.
const resolvedUndefined = Promise.resolve(undefined);

/** What `wait` retries: nothing, so it settles on the first readiness event. */
const ready = (): undefined => undefined;

// Ref/unref of the uv handles, coalesced. A socket's handle keeps the loop alive exactly while
// a call waits on it; a socket served by a readiness callback usually waits again within that
// callback's microtasks, so instead of an unref and a ref (two crossings into C++) per wait, a
// change wanted while a callback runs is applied once it is over, and only if still wanted.
// native/poll.cc raises control[0] while it dispatches a readiness callback and calls
// applyDeferred afterwards when control[1] (the number of sockets waiting for that) is not 0.
const control = new Int32Array(2);
// The sockets whose change is deferred, and stale entries of ones that went back to their old
// state (and may come again): their own #deferred flag says which. Emptied whenever no change
// is left pending, so it never grows past the changes one callback makes.
// Entries past deferredCount are stale: forgetting them is a store, where emptying the array
// (length = 0) is a call into the runtime and a new backing store at the next push.
const deferred: (SocketBase | undefined)[] = [];
let deferredCount = 0;
let applyRef: (s: SocketBase) => void = () => undefined;

function applyDeferred(): void {
  for (let i = 0; i < deferredCount; i++) {
    applyRef(deferred[i]!);
    deferred[i] = undefined;
  }
  deferredCount = 0;
  control[1] = 0;
}

// The resolve and reject functions of the promise just made: one executor serves every wait,
// instead of a new closure per wait.
let capturedResolve: (value: unknown) => void = () => undefined;
let capturedReject: (reason: unknown) => void = () => undefined;
function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

native.watcherControl(control.buffer, applyDeferred);

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
 * have been given since).
 */
export abstract class SocketBase implements FdOwner, Disposable, AsyncDisposable {
  #fd: number;
  #watcher: NativeWatcher | null = null;
  #interest = 0;
  #readers: Waiter[] = [];
  #writers: Waiter[] = [];
  #userRef = true;
  #handleRef = true;
  #deferred = false;
  // Timed retries of a connect to a full unix listener (see connectTo): close rejects them.
  #sleepers = new Set<{ timer: NodeJS.Timeout; reject: (reason: unknown) => void }>();

  protected constructor(fd: number) {
    owners.set(fd, this);
    this.#fd = fd;
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
    this.#watcher?.close();
    this.#watcher = null;
    this.#interest = 0;
    const waiters = [...this.#readers.splice(0), ...this.#writers.splice(0)];
    for (const w of waiters) {
      forget(w);
      w.reject(socketClosedError());
    }
    for (const sleeper of this.#sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.reject(socketClosedError());
    }
    this.#sleepers.clear();
  }

  /** Resolves after `ms`, or rejects on abort or close; keeps the process alive as a wait does. */
  #sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.#sleepers.delete(sleeper);
          unlisten(signal, onAbort);
          resolve();
        }, ms),
        reject: (reason: unknown): void => {
          unlisten(signal, onAbort);
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          reject(reason);
        },
      };
      const onAbort = (): void => {
        if (!this.#sleepers.delete(sleeper)) return; // already over
        clearTimeout(sleeper.timer);
        sleeper.reject(abortReason(signal!));
      };
      if (!this.#userRef) sleeper.timer.unref();
      // Kept before the listener is added: a signal may call it at once.
      this.#sleepers.add(sleeper);
      try {
        signal?.addEventListener('abort', onAbort, { once: true });
      } catch (e) {
        this.#sleepers.delete(sleeper);
        clearTimeout(sleeper.timer);
        throw e;
      }
    });
  }

  /** Pending calls keep the process alive (the default). */
  ref(): this {
    this.#userRef = true;
    for (const sleeper of this.#sleepers) sleeper.timer.ref();
    this.#syncRef();
    return this;
  }

  /** Pending calls no longer keep the process alive; it may exit while they wait. */
  unref(): this {
    this.#userRef = false;
    for (const sleeper of this.#sleepers) sleeper.timer.unref();
    this.#syncRef();
    return this;
  }

  static {
    applyRef = (s) => s.#applyRef();
  }

  // The uv handle keeps the loop alive only while a call is waiting and the user wants it to.
  #syncRef(): void {
    if (this.#watcher === null) return;
    const want = this.#userRef && this.#readers.length + this.#writers.length > 0;
    if (want === this.#handleRef) {
      // Back where it was before the callback: nothing left to apply.
      if (this.#deferred) {
        this.#deferred = false;
        if (--control[1]! === 0) deferredCount = 0;
      }
      return;
    }
    if (control[0] !== 0) {
      if (!this.#deferred) {
        this.#deferred = true;
        control[1]!++;
        deferred[deferredCount++] = this;
      }
      return;
    }
    this.#applyRef();
  }

  #applyRef(): void {
    this.#deferred = false;
    const want = this.#userRef && this.#readers.length + this.#writers.length > 0;
    if (this.#watcher !== null && want !== this.#handleRef) {
      if (want) this.#watcher.ref();
      else this.#watcher.unref();
      this.#handleRef = want;
    }
  }

  /**
   * Runs `attempt`, a nonblocking syscall that returns EAGAIN (the negative errno) when it would
   * block, now and then again each time the fd is ready, and resolves with the first thing it
   * returns that is not EAGAIN; a throw from `attempt` (or a closed socket, or an aborted
   * signal) rejects. Retries run inside the readiness callback itself, so a call that had to
   * wait costs one promise and one turn of the microtask queue, and no syscall that readiness
   * has not made worth trying. With `tryFirst` false the first attempt waits for readiness,
   * for a caller that knows the syscall would only report EAGAIN now.
   */
  protected io<T>(
    kind: 'read' | 'write',
    signal: AbortSignal | undefined,
    attempt: (fd: number) => T,
    tryFirst = true,
  ): Promise<T> {
    try {
      const fd = this.liveFd();
      throwIfAborted(signal);
      if (tryFirst) {
        const r = attempt(fd);
        if (r !== EAGAIN)
          return (r === undefined ? resolvedUndefined : Promise.resolve(r)) as Promise<T>;
      }
      return this.#enqueue(kind, signal, attempt);
    } catch (e) {
      // As from an async function: argument, syscall and closed-socket errors reject.
      return rejection(e);
    }
  }

  /** {@link io} under its former name, for subclasses written against it. */
  protected retry<T>(
    kind: 'read' | 'write',
    signal: AbortSignal | undefined,
    attempt: (fd: number) => T,
  ): Promise<T> {
    return this.io(kind, signal, attempt);
  }

  /** Resolves when the fd is readable (or writable), or rejects on abort or close. */
  protected wait(kind: 'read' | 'write', signal?: AbortSignal): Promise<void> {
    try {
      this.liveFd();
      throwIfAborted(signal);
      return this.#enqueue(kind, signal, ready);
    } catch (e) {
      return rejection(e);
    }
  }

  #enqueue<T>(
    kind: 'read' | 'write',
    signal: AbortSignal | undefined,
    attempt: (fd: number) => T,
  ): Promise<T> {
    const list = kind === 'read' ? this.#readers : this.#writers;
    const promise = new Promise<unknown>(capture) as Promise<T>;
    const w: Waiter = {
      attempt,
      resolve: capturedResolve,
      reject: capturedReject,
      signal,
      onAbort: undefined,
    };
    // Dropped at once: held here, they would keep this promise alive until the next wait.
    capturedResolve = noop;
    capturedReject = noop;
    // Queued before anything that can fail or run a caller's code (a signal may call its
    // listener from addEventListener), so that every way out finds it and takes it back.
    list.push(w);
    try {
      const watcher = this.#watcher ?? this.#openWatcher();
      const bit = kind === 'read' ? READABLE : WRITABLE;
      if ((this.#interest & bit) === 0) {
        const r = watcher.start(this.#interest | bit);
        if (r < 0) throw new SocketError(r, 'epoll_ctl');
        this.#interest |= bit;
      }
      if (signal !== undefined) {
        const onAbort = (): void => {
          // The signal's reason is the caller's choice (an AbortError DOMException by default).
          if (this.#withdraw(list, w)) w.reject(abortReason(signal));
        };
        w.onAbort = onAbort;
        signal.addEventListener('abort', onAbort, { once: true });
      }
    } catch (e) {
      this.#withdraw(list, w);
      throw e;
    }
    this.#syncRef();
    return promise;
  }

  /** Takes a waiting call out of `list` unsettled; false when it was no longer there. */
  #withdraw(list: Waiter[], w: Waiter): boolean {
    const i = list.indexOf(w);
    if (i < 0) return false;
    list.splice(i, 1);
    forget(w);
    this.#syncRef();
    return true;
  }

  // Its own method so that the callback's closure holds only `this`: made inside #enqueue it
  // would share that call's scope, and keep the first wait's signal, buffer and promise alive
  // for as long as the socket has its watcher.
  #openWatcher(): NativeWatcher {
    const watcher = new native.Watcher((status, events) => this.#onEvents(status, events));
    const r = watcher.open(this.#fd);
    if (r < 0) {
      watcher.close();
      throw new SocketError(r, 'epoll_ctl');
    }
    this.#watcher = watcher;
    this.#handleRef = true;
    return watcher;
  }

  /** Retries the calls waiting in `list`, oldest first, until one would block again. */
  #drain(list: Waiter[], fd: number): void {
    while (list.length > 0) {
      const w = list[0]!;
      let r: unknown;
      try {
        r = w.attempt(fd);
      } catch (e) {
        list.shift();
        forget(w);
        w.reject(e);
        continue;
      }
      if (r === EAGAIN) return;
      list.shift();
      forget(w);
      w.resolve(r);
    }
  }

  #onEvents(status: number, events: number): void {
    const fd = this.#fd;
    if (fd < 0) return;
    if (status < 0) {
      // libuv stopped the handle (POLLERR). Retry every waiting call, whose syscall reports
      // the error, and watch again for any that still would block.
      this.#interest = 0;
      this.#drain(this.#readers, fd);
      this.#drain(this.#writers, fd);
      this.#rearm();
      this.#syncRef();
      return;
    }
    // Interest is dropped lazily, when an event finds nobody waiting: a reader that waits again
    // right after being served (the common case) then costs no epoll_ctl.
    let drop = 0;
    if (events & READABLE) {
      if (this.#readers.length > 0) this.#drain(this.#readers, fd);
      else drop |= READABLE;
    }
    if (events & WRITABLE) {
      if (this.#writers.length > 0) this.#drain(this.#writers, fd);
      else drop |= WRITABLE;
    }
    if (drop !== 0 && this.#watcher !== null) {
      this.#interest &= ~drop;
      if (this.#interest !== 0) this.#watcher.start(this.#interest);
      else this.#watcher.stop();
    }
    this.#syncRef();
  }

  /** After libuv stopped the handle: watch again for the calls still waiting. */
  #rearm(): void {
    const want =
      (this.#readers.length > 0 ? READABLE : 0) | (this.#writers.length > 0 ? WRITABLE : 0);
    if (want === 0 || this.#watcher === null) return;
    const r = this.#watcher.start(want);
    if (r >= 0) {
      this.#interest = want;
      return;
    }
    const err = new SocketError(r, 'epoll_ctl');
    for (const w of [...this.#readers.splice(0), ...this.#writers.splice(0)]) {
      forget(w);
      w.reject(err);
    }
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
      await this.#sleep(delay, signal);
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
