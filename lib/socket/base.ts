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
import { SocketOptionAccessors } from './base-accessors.generated.js';
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
// The option accessors (reuseAddress(), setReuseAddress(on), …) come from the options table
// through the generated SocketOptionAccessors.
export abstract class SocketBase
  extends SocketOptionAccessors
  implements FdOwner, Disposable, AsyncDisposable
{
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
    super();
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
