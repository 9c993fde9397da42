// epoll: an interest list kept in the kernel and one wait for readiness on all of it, the
// mechanism under libuv and Go's netpoller. Linux only. epoll(7)
import { check, validateFd, validateInt, validateInt32 } from '../internal/errors.js';
import { native } from './native.js';

const c = native.constants as Partial<Record<'EPOLL_CLOEXEC', number>>;

/** The most events one {@link epoll_wait} returns (native/epoll.cc allocates room for them). */
export const EPOLL_MAX_EVENTS = 65536;

/** One ready entry of the interest list, as {@link epoll_wait} reports it. */
export interface EpollEvent {
  /** What holds: EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP, … */
  events: number;
  /** The number given to {@link epoll_ctl} for the fd: the fd itself unless you chose another. */
  data: number;
}

/**
 * Creates an epoll instance and returns its fd, close-on-exec (EPOLL_CLOEXEC is always added,
 * as `socket()` adds SOCK_CLOEXEC; `setCloexec` turns it off). The fd is the caller's: close
 * it with `close()`.
 * epoll_create1(2) — {@link https://man7.org/linux/man-pages/man2/epoll_create1.2.html}
 */
export function epoll_create1(flags = 0): number {
  validateInt32(flags, 'flags');
  return check(native.epoll_create1(flags | (c.EPOLL_CLOEXEC ?? 0)), 'epoll_create1');
}

/**
 * Adds `fd` to the interest list of `epfd` (EPOLL_CTL_ADD), changes its entry (EPOLL_CTL_MOD)
 * or removes it (EPOLL_CTL_DEL). `events` is EPOLLIN, EPOLLOUT, EPOLLRDHUP, … ORed with the
 * modes EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE; `data` is what {@link epoll_wait} reports for the
 * entry: the fd unless given, any integer from 0 to 2^53 - 1 (the u64 of `epoll_data` as far as a
 * number holds it exactly).
 * epoll_ctl(2) — {@link https://man7.org/linux/man-pages/man2/epoll_ctl.2.html}
 */
export function epoll_ctl(
  epfd: number,
  op: number,
  fd: number,
  events = 0,
  data: number = fd,
): void {
  validateFd(epfd, 'epfd');
  validateInt32(op, 'op');
  validateFd(fd);
  // A u32 mask, signed or not: `EPOLLIN | EPOLLET` is negative in JavaScript (EPOLLET is bit 31).
  validateInt(events, 'events', -0x80000000, 0xffffffff);
  validateInt(data, 'data', 0, Number.MAX_SAFE_INTEGER);
  check(native.epoll_ctl(epfd, op, fd, events | 0, data), 'epoll_ctl');
}

// One out-array per thread, grown to the largest maxEvents asked for.
let out = new Float64Array(2 * 64);

/**
 * Waits until an entry of `epfd`'s interest list is ready or `timeoutMs` passes (-1 waits
 * forever, 0 only checks), and returns up to `maxEvents` ready entries ([] at the timeout).
 * Blocks the calling thread, as `poll()` does: a signal JavaScript listens to ends the wait
 * with EINTR so its handler can run; any other interruption resumes it with the time left.
 * epoll_wait(2) — {@link https://man7.org/linux/man-pages/man2/epoll_wait.2.html}
 */
export function epoll_wait(epfd: number, maxEvents: number, timeoutMs = -1): EpollEvent[] {
  validateFd(epfd, 'epfd');
  validateInt(maxEvents, 'maxEvents', 1, EPOLL_MAX_EVENTS);
  validateInt(timeoutMs, 'timeoutMs', -1, 0x7fffffff);
  if (out.length < 2 * maxEvents) out = new Float64Array(2 * maxEvents);
  const n = check(native.epoll_wait(epfd, out, maxEvents, timeoutMs), 'epoll_wait');
  const ready: EpollEvent[] = new Array<EpollEvent>(n);
  for (let i = 0; i < n; i++) ready[i] = { events: out[2 * i]!, data: out[2 * i + 1]! };
  return ready;
}
