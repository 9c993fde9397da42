// The readiness engine under the typed socket classes: one PollDesc per socket, as Go's net
// stands on internal/poll.FD and its pollDesc, and every libuv handle on a uv__io_t.
import { SocketError, rejection, socketClosedError } from '../internal/errors.js';
import { type NativeWatcher, native } from '../sys/native.js';
import { abortReason, throwIfAborted, unlisten } from './signal.js';

const { READABLE, WRITABLE, PRIORITIZED } = native.watcherEvents;

/** The negative errno that means "would block": the engine waits on it, never throws it. */
export const EAGAIN = -native.constants.EAGAIN!;

/**
 * What a call waits for: readability, writability, or an entry in the socket's error queue
 * (IP_RECVERR, MSG_ZEROCOPY completions, SO_TIMESTAMPING transmit timestamps), which epoll
 * reports as EPOLLERR.
 */
export type Interest = 'read' | 'write' | 'error';

// The longest pause between retries while readiness events settle nothing (see #backOff).
const MAX_BACKOFF_MS = 100;

/**
 * A call waiting for readiness: its nonblocking syscall, retried each time the fd is ready, and
 * the promise to settle with what the syscall finally returns.
 */
interface Waiter {
  attempt: (fd: number, arg: unknown) => unknown;
  arg: unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** A timed retry (see PollDesc.sleep): close rejects it. */
interface Sleeper {
  timer: NodeJS.Timeout;
  reject: (reason: unknown) => void;
}

function forget(w: Waiter): void {
  if (w.onAbort !== undefined) unlisten(w.signal, w.onAbort);
}

const noop = (): void => undefined;

// Settled promises cannot change, so the calls that finish at once with nothing to report
// (writes) share one.
const resolvedUndefined = Promise.resolve(undefined);

// What #drain found: nobody waiting, calls retried, and whether any was settled.
const NONE = 0;
const TRIED = 1;
const SETTLED = 2;

/** What `wait` retries: nothing, so it settles on the first readiness event. */
const ready = (): undefined => undefined;

// Ref/unref of the uv handles, coalesced. A socket's handle keeps the loop alive exactly while
// a call waits on it; a socket served by a readiness callback usually waits again within that
// callback's microtasks, so instead of an unref and a ref (two crossings into C++) per wait, a
// change wanted while a callback runs is applied once it is over, and only if still wanted.
// native/poll.cc raises control[0] while it dispatches a readiness callback and calls
// applyDeferred afterwards when control[1] (the number of engines waiting for that) is not 0.
const control = new Int32Array(2);
// The engines whose change is deferred, and stale entries of ones that went back to their old
// state (and may come again): their own #deferred flag says which. Entries past deferredCount
// are stale: forgetting them is a store, where emptying the array (length = 0) is a call into
// the runtime and a new backing store at the next push.
const deferred: (PollDesc | undefined)[] = [];
let deferredCount = 0;
let applyRef: (p: PollDesc) => void = noop;

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
let capturedResolve: (value: unknown) => void = noop;
let capturedReject: (reason: unknown) => void = noop;
function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

native.watcherControl(control.buffer, applyDeferred);

/**
 * The readiness engine of one socket: the calls waiting to read and to write, the libuv poll
 * handle (native/poll.cc) that tells when to retry them, and whether that handle keeps the
 * event loop alive. Go's internal/poll.FD with its pollDesc, libuv's uv__io_t.
 *
 * A call is an attempt, a nonblocking syscall that returns {@link EAGAIN} when it would block.
 * It runs at once, and while it would block it waits in its queue, oldest first; each readiness
 * event retries the queue's calls inside the callback until one would block again, so a call
 * that had to wait costs one promise and one turn of the microtask queue. Interest in an
 * event is added when a call starts waiting and dropped lazily, when an event finds nobody
 * waiting. The handle is opened at the first wait and keeps the loop alive only while a call
 * waits and the owner has not unref()'d it; changes made inside a readiness callback are applied
 * once after it, through the control words shared with native/poll.cc. An error's readiness
 * (POLLERR) that settles no waiting call twice in a row, as an error-queue entry nobody reads
 * does (epoll reports it whatever the interest), makes the handle rest and watch again on a
 * backing-off timer, so a wait never spins; calls waiting for the error queue are served first.
 *
 * The engine watches an fd it does not own: its owner calls {@link close} before closing the
 * fd, which stops the handle and rejects what still waits with ERR_SOCKET_CLOSED.
 */
export class PollDesc {
  #fd: number;
  #watcher: NativeWatcher | null = null;
  #interest = 0;
  #readers: Waiter[] = [];
  #writers: Waiter[] = [];
  #errors: Waiter[] = [];
  // Readiness callbacks in a row that retried waiting calls and settled none, and the timer
  // that watches again while they back off (see #backOff).
  #idle = 0;
  #backoff: NodeJS.Timeout | null = null;
  #userRef = true;
  #handleRef = true;
  #deferred = false;
  #sleepers: Set<Sleeper> | null = null;

  constructor(fd: number) {
    this.#fd = fd;
  }

  /**
   * Runs `attempt` now, and again each time the fd is ready while it returns EAGAIN; resolves
   * with the first thing it returns that is not EAGAIN. A throw from `attempt`, a closed
   * engine or an aborted signal rejects. With `tryFirst` false the first attempt waits for
   * readiness, for a caller that knows the syscall would only report EAGAIN now. `attempt` is
   * called with `arg`, so that it need not be a new closure per call.
   */
  io<T, A = undefined>(
    kind: Interest,
    signal: AbortSignal | undefined,
    attempt: (fd: number, arg: A) => T,
    tryFirst = true,
    arg?: A,
  ): Promise<T> {
    try {
      const fd = this.#fd;
      if (fd < 0) throw socketClosedError();
      throwIfAborted(signal);
      if (tryFirst) {
        const r = attempt(fd, arg as A);
        if (r !== EAGAIN)
          return (r === undefined ? resolvedUndefined : Promise.resolve(r)) as Promise<T>;
      }
      return this.#enqueue(kind, signal, attempt as Waiter['attempt'], arg);
    } catch (e) {
      // As from an async function: argument, syscall and closed-socket errors reject.
      return rejection(e);
    }
  }

  /** Resolves when the fd is readable (or writable), or rejects on abort or close. */
  wait(kind: Interest, signal: AbortSignal | undefined): Promise<void> {
    return this.io(kind, signal, ready, false);
  }

  /**
   * Resolves after `ms`, or rejects on abort or close; keeps the loop alive as a wait does. For
   * retries that no readiness event announces.
   */
  sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#fd < 0) return rejection(socketClosedError());
    const sleepers = (this.#sleepers ??= new Set());
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        timer: setTimeout(() => {
          sleepers.delete(sleeper);
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
        if (!sleepers.delete(sleeper)) return; // already over
        clearTimeout(sleeper.timer);
        sleeper.reject(abortReason(signal!));
      };
      if (!this.#userRef) sleeper.timer.unref();
      // Kept before the listener is added: a signal may call it at once.
      sleepers.add(sleeper);
      try {
        signal?.addEventListener('abort', onAbort, { once: true });
      } catch (e) {
        sleepers.delete(sleeper);
        clearTimeout(sleeper.timer);
        throw e;
      }
    });
  }

  /** Whether waiting calls keep the event loop alive (the default) or not. */
  setRef(on: boolean): void {
    this.#userRef = on;
    if (this.#sleepers !== null) {
      for (const sleeper of this.#sleepers) {
        if (on) sleeper.timer.ref();
        else sleeper.timer.unref();
      }
    }
    if (on) this.#backoff?.ref();
    else this.#backoff?.unref();
    this.#syncRef();
  }

  /** Stops watching and rejects every waiting call with ERR_SOCKET_CLOSED. Idempotent. */
  close(): void {
    this.#fd = -1;
    this.#watcher?.close();
    this.#watcher = null;
    this.#interest = 0;
    this.#stopBackoff();
    const waiters = this.#takeAll();
    for (const w of waiters) {
      forget(w);
      w.reject(socketClosedError());
    }
    const sleepers = this.#sleepers;
    if (sleepers === null) return;
    for (const sleeper of sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.reject(socketClosedError());
    }
    sleepers.clear();
  }

  static {
    applyRef = (p) => p.#applyRef();
  }

  // The uv handle keeps the loop alive only while a call is waiting and the user wants it to.
  #syncRef(): void {
    if (this.#watcher === null) return;
    const want = this.#userRef && this.#waiting();
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
    const want = this.#userRef && this.#waiting();
    if (this.#watcher !== null && want !== this.#handleRef) {
      if (want) this.#watcher.ref();
      else this.#watcher.unref();
      this.#handleRef = want;
    }
  }

  #waiting(): boolean {
    return this.#readers.length + this.#writers.length + this.#errors.length > 0;
  }

  #takeAll(): Waiter[] {
    return [...this.#errors.splice(0), ...this.#readers.splice(0), ...this.#writers.splice(0)];
  }

  #enqueue<T>(
    kind: Interest,
    signal: AbortSignal | undefined,
    attempt: Waiter['attempt'],
    arg: unknown,
  ): Promise<T> {
    const list = kind === 'read' ? this.#readers : kind === 'write' ? this.#writers : this.#errors;
    const promise = new Promise<unknown>(capture) as Promise<T>;
    const w: Waiter = {
      attempt,
      arg,
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
      // epoll reports an error queue's entries (EPOLLERR) whatever the events, but a handle
      // needs some event to be started: POLLPRI, which a socket raises only for TCP urgent
      // data or beside EPOLLERR (SO_SELECT_ERR_QUEUE).
      const bit = kind === 'read' ? READABLE : kind === 'write' ? WRITABLE : PRIORITIZED;
      // While backing off the handle rests; the timer watches again for every waiting call.
      if ((this.#interest & bit) === 0 && this.#backoff === null) {
        const r = watcher.start(this.#interest | bit);
        if (r < 0) throw new SocketError(r, 'uv_poll_start');
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
    if (!this.#waiting()) this.#stopBackoff();
    this.#syncRef();
    return true;
  }

  // Its own method so that the callback's closure holds only `this`: made inside #enqueue it
  // would share that call's scope, and keep the first wait's signal, buffer and promise alive
  // for as long as the engine has its watcher.
  #openWatcher(): NativeWatcher {
    const watcher = new native.Watcher((status, events) => this.#onEvents(status, events));
    const r = watcher.open(this.#fd);
    if (r < 0) {
      watcher.close();
      throw new SocketError(r, 'uv_poll_init');
    }
    this.#watcher = watcher;
    this.#handleRef = true;
    return watcher;
  }

  /**
   * Retries the calls waiting in `list`, oldest first, until one would block again. Returns
   * NONE when nobody waited, else TRIED, with SETTLED added when a call was settled.
   */
  #drain(list: Waiter[], fd: number): number {
    let result = list.length > 0 ? TRIED : NONE;
    while (list.length > 0) {
      const w = list[0]!;
      let r: unknown;
      try {
        r = w.attempt(fd, w.arg);
      } catch (e) {
        list.shift();
        forget(w);
        w.reject(e);
        result = TRIED | SETTLED;
        continue;
      }
      if (r === EAGAIN) return result;
      list.shift();
      forget(w);
      w.resolve(r);
      result = TRIED | SETTLED;
    }
    return result;
  }

  #onEvents(status: number, events: number): void {
    const fd = this.#fd;
    if (fd < 0) return;
    if (status < 0) {
      // libuv stopped the handle on POLLERR: an error is pending (sk_err), which the next
      // recv or send reports, or the error queue holds an entry. Its readers go first: reading
      // the queue's last ICMP entry also clears the pending error, which would otherwise fail
      // a data reader's recv.
      this.#interest = 0;
      const result =
        this.#drain(this.#errors, fd) |
        this.#drain(this.#readers, fd) |
        this.#drain(this.#writers, fd);
      if (!this.#idleRound(result)) this.#rearm();
      this.#syncRef();
      return;
    }
    // Interest is dropped lazily, when an event finds nobody waiting: a reader that waits again
    // right after being served (the common case) then costs no epoll_ctl.
    let drop = 0;
    let result = NONE;
    // libuv adds every watched event to a lone POLLERR, POLLPRI included (so it does not stop the
    // handle then): the error queue's readers go first here too.
    if (events & PRIORITIZED) {
      const r = this.#drain(this.#errors, fd);
      if (r === NONE) drop |= PRIORITIZED;
      result |= r;
    }
    if (events & READABLE) {
      const r = this.#drain(this.#readers, fd);
      if (r === NONE) drop |= READABLE;
      result |= r;
    }
    if (events & WRITABLE) {
      const r = this.#drain(this.#writers, fd);
      if (r === NONE) drop |= WRITABLE;
      result |= r;
    }
    // Only a round with POLLPRI can be an error's: libuv adds it to a lone POLLERR. Elsewhere a
    // call that had to wait again may still have made progress (part of a write).
    if ((events & PRIORITIZED) !== 0 && this.#idleRound(result)) {
      this.#syncRef();
      return;
    }
    if (drop !== 0 && this.#watcher !== null) {
      this.#interest &= ~drop;
      if (this.#interest !== 0) this.#watcher.start(this.#interest);
      else this.#watcher.stop();
    }
    this.#syncRef();
  }

  /**
   * Counts an error's callback that retried calls and settled none; at the second in a row it
   * backs off and returns true. A level-triggered condition that no waiting call consumes is reported
   * again at once: an error-queue entry nobody reads (EPOLLERR comes whatever the interest, and
   * libuv stops the handle on it), or urgent data while only the error queue is waited for.
   * Watching again at once would spin.
   */
  #idleRound(result: number): boolean {
    if (result !== TRIED) {
      if (result !== NONE) this.#idle = 0;
      return false;
    }
    if (++this.#idle < 2) return false;
    this.#backOff();
    return true;
  }

  // The handle rests, and is watched again after a delay that doubles from 1 ms up to
  // MAX_BACKOFF_MS: each retry serves whatever became ready meanwhile, so a reader still gets
  // its data, within that delay, while the error queue goes unread.
  #backOff(): void {
    this.#watcher?.stop();
    this.#interest = 0;
    const ms = Math.min(2 ** (this.#idle - 2), MAX_BACKOFF_MS);
    const timer = setTimeout(() => {
      this.#backoff = null;
      this.#rearm();
      this.#syncRef();
    }, ms);
    // A resting handle keeps nothing alive: the timer does, as the wait would have.
    if (!this.#userRef) timer.unref();
    this.#backoff = timer;
  }

  #stopBackoff(): void {
    if (this.#backoff === null) return;
    clearTimeout(this.#backoff);
    this.#backoff = null;
    this.#idle = 0;
  }

  /** After libuv stopped the handle: watch again for the calls still waiting. */
  #rearm(): void {
    const want =
      (this.#readers.length > 0 ? READABLE : 0) |
      (this.#writers.length > 0 ? WRITABLE : 0) |
      (this.#errors.length > 0 ? PRIORITIZED : 0);
    if (want === 0 || this.#watcher === null) return;
    const r = this.#watcher.start(want);
    if (r >= 0) {
      this.#interest = want;
      return;
    }
    const err = new SocketError(r, 'uv_poll_start');
    for (const w of this.#takeAll()) {
      forget(w);
      w.reject(err);
    }
  }
}
