// What the four typed socket classes share: one owned fd, readiness waits on the event loop
// through one native watcher, close/detach/dispose, ref/unref, and addresses and options.
import { type Address, type SocketAddress, addrArgs, errorTarget } from './address.js';
import { SocketError, check, invalidArgValue, validateFd } from './errors.js';
import { type NativeWatcher, native } from './native.js';
import { type FdOwner, owners } from './owners.js';
import * as sys from './sys.js';

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
  if (w.onAbort !== undefined) w.signal?.removeEventListener('abort', w.onAbort);
}

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
const deferred: SocketBase[] = [];
let applyRef: (s: SocketBase) => void = () => undefined;

function applyDeferred(): void {
  for (const s of deferred) applyRef(s);
  deferred.length = 0;
  control[1] = 0;
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
  }

  /** Pending calls keep the process alive (the default). */
  ref(): this {
    this.#userRef = true;
    this.#syncRef();
    return this;
  }

  /** Pending calls no longer keep the process alive; it may exit while they wait. */
  unref(): this {
    this.#userRef = false;
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
        if (--control[1]! === 0) deferred.length = 0;
      }
      return;
    }
    if (control[0] !== 0) {
      if (!this.#deferred) {
        this.#deferred = true;
        control[1]!++;
        deferred.push(this);
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
      signal?.throwIfAborted();
      if (tryFirst) {
        const r = attempt(fd);
        if (r !== EAGAIN) return Promise.resolve(r);
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
      signal?.throwIfAborted();
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
    let watcher = this.#watcher;
    if (watcher === null) {
      watcher = new native.Watcher((status, events) => this.#onEvents(status, events));
      const r = watcher.open(this.#fd);
      if (r < 0) {
        watcher.close();
        throw new SocketError(r, 'epoll_ctl');
      }
      this.#watcher = watcher;
      this.#handleRef = true;
    }
    const bit = kind === 'read' ? READABLE : WRITABLE;
    const list = kind === 'read' ? this.#readers : this.#writers;
    if ((this.#interest & bit) === 0) {
      const r = watcher.start(this.#interest | bit);
      if (r < 0) throw new SocketError(r, 'epoll_ctl');
      this.#interest |= bit;
    }
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = {
        attempt,
        resolve: resolve as (value: unknown) => void,
        reject,
        signal,
        onAbort: undefined,
      };
      if (signal !== undefined) {
        w.onAbort = (): void => {
          const i = list.indexOf(w);
          if (i >= 0) list.splice(i, 1);
          this.#syncRef();
          // The signal's reason is the caller's choice (an AbortError DOMException by default).
          reject(signal.reason as Error);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      list.push(w);
      this.#syncRef();
    });
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
   * Starts a nonblocking connect and waits for its outcome: EINPROGRESS, then writability, then
   * SO_ERROR. connect(2)
   */
  protected async connectTo(address: SocketAddress, signal?: AbortSignal): Promise<void> {
    const args = addrArgs(address);
    const target = errorTarget(address);
    signal?.throwIfAborted();
    let r = native.connect(this.liveFd(), ...args);
    // A unix stream listener with a full backlog answers EAGAIN: wait and try again.
    while (r === EAGAIN) {
      await this.wait('write', signal);
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
