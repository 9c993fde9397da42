// Accepting connections, for both listener classes: the one nonblocking accept4 attempt, and the
// loop behind connections() that outlives the errors a busy server meets, as libuv's and Go's
// servers do.
import { setTimeout as sleep } from 'node:timers/promises';

import { addressMeta, addressMetaBuffer } from '../internal/addrmeta.js';
import { SocketError, invalidArgType } from '../internal/errors.js';
import { native } from '../sys/native.js';
import { type WaitOptions, waitSignal } from './signal.js';

const c = native.constants as Record<
  | 'SOCK_NONBLOCK'
  | 'SOCK_CLOEXEC'
  | 'MSG_DONTWAIT'
  | 'EAGAIN'
  | 'ECONNABORTED'
  | 'EPROTO'
  | 'EPERM'
  | 'ENETDOWN'
  | 'ENOPROTOOPT'
  | 'EHOSTDOWN'
  | 'ENONET'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'EMFILE'
  | 'ENFILE'
  | 'ENOBUFS'
  | 'ENOMEM',
  number
>;
const { SOCK_NONBLOCK, SOCK_CLOEXEC, MSG_DONTWAIT } = c;

// accept(2): a connection reset before it was taken, or one of the network errors the man page
// says to "treat like EAGAIN by retrying", or one a firewall rule refused. The next connection
// in the queue is unaffected.
const ABORTED = new Set(
  [
    c.ECONNABORTED,
    c.EPROTO,
    c.EPERM,
    c.ENETDOWN,
    c.ENOPROTOOPT,
    c.EHOSTDOWN,
    c.ENONET,
    c.EHOSTUNREACH,
    c.ENETUNREACH,
  ].filter((e) => e !== undefined),
);
// Out of fds or memory: the connection stays queued, and retrying at once fails again.
const EXHAUSTED = new Set([c.EMFILE, c.ENFILE, c.ENOBUFS, c.ENOMEM]);

// Go's net/http: 5 ms, doubling, at most 1 s between tries while resources are exhausted.
const FIRST_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 1000;

/** Options of `connections()`. */
export interface ConnectionsOptions extends WaitOptions {
  /**
   * Called with each error the loop survives: a connection aborted before it was accepted
   * (ECONNABORTED, or a network error accept(2) says to retry on), after which the next one is
   * taken at once; or fds or memory running out (EMFILE, ENFILE, ENOBUFS, ENOMEM), after which
   * the loop waits (5 ms, doubling up to 1 s) and tries again. Without it, the first time fds
   * or memory run out a process warning says so.
   */
  onError?: (error: SocketError) => void;
}

/** `options.onError`, checked: a function or undefined. */
function onErrorOf(options: ConnectionsOptions): ConnectionsOptions['onError'] {
  const { onError } = options;
  if (onError !== undefined && typeof onError !== 'function') {
    throw invalidArgType('options.onError', 'of type function', onError);
  }
  return onError;
}

/**
 * A nonblocking accept4(2) on a listener: the new fd, or EAGAIN to wait. A connection that
 * went away before it was taken (ECONNABORTED and the like) is skipped, as libuv does, and
 * reported to `onError`; any other error throws.
 */
export function acceptAttempt(fd: number, onError?: (error: SocketError) => void): number {
  for (;;) {
    // MSG_DONTWAIT tells the addon the listener is nonblocking (the classes keep it so): it then
    // skips the checks a blocking fd needs while JavaScript listens to a signal.
    const r = native.accept(fd, SOCK_NONBLOCK | SOCK_CLOEXEC, addressMetaBuffer, MSG_DONTWAIT);
    if (typeof r !== 'number') return addressMeta[0]!;
    if (r === -c.EAGAIN) return r;
    if (!ABORTED.has(-r)) throw new SocketError(r, 'accept');
    onError?.(new SocketError(r, 'accept'));
  }
}

/**
 * The connections of a listener until it is closed. `next` waits for one (a wait for
 * readability running {@link acceptAttempt} with `onError`) and wraps its fd. Errors that pass
 * (see {@link ConnectionsOptions.onError}) are survived; any other error ends the loop by
 * throwing. The options are checked at the first iteration, as an async generator's are.
 */
export async function* connectionsOf<T>(
  listener: { readonly closed: boolean },
  options: ConnectionsOptions,
  next: (signal: AbortSignal | undefined, onError: ConnectionsOptions['onError']) => Promise<T>,
): AsyncGenerator<T, void, undefined> {
  const signal = waitSignal(options);
  const onError = onErrorOf(options);
  let backoff = 0;
  let warned = false;
  while (!listener.closed) {
    let conn: T;
    try {
      conn = await next(signal, onError);
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_SOCKET_CLOSED') return;
      if (!(e instanceof SocketError) || !EXHAUSTED.has(-e.errno)) throw e;
      if (onError !== undefined) {
        onError(e);
      } else if (!warned) {
        warned = true;
        process.emitWarning(
          `accept ${e.code}: waiting for fds or memory to free up, then accepting again`,
          { code: 'SOCKFD_ACCEPT_RETRY' },
        );
      }
      backoff = Math.min(backoff === 0 ? FIRST_BACKOFF_MS : 2 * backoff, MAX_BACKOFF_MS);
      // The wait ends early on abort, which the next accept then reports.
      await sleep(backoff, undefined, { signal }).catch(() => undefined);
      continue;
    }
    backoff = 0;
    yield conn;
  }
}
