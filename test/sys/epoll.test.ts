// epoll: the interest list, level- and edge-triggered readiness, one-shot entries, the data
// word, and a wait that blocks like poll() does (the signal cases are in signals.test.ts).
import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { type ArgErrorCase, expectArgError } from '../helpers/arg-errors.js';
import { own, pair, release } from '../helpers/fds.js';

const c = s.constants;
const { AF_UNIX, SOCK_STREAM, SOCK_DGRAM } = c;

function epoll(): number {
  return own(s.epoll_create1());
}

describe('epoll_create1', () => {
  it('returns an fd that is close-on-exec, and close() releases it', () => {
    const ep = s.epoll_create1();
    expect(s.getCloexec(ep)).toBe(true);
    s.close(ep);
    expect(() => s.getCloexec(ep)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('refuses a flag it does not know with EINVAL', () => {
    expect(() => s.epoll_create1(0x1)).toThrow(
      expect.objectContaining({ code: 'EINVAL', syscall: 'epoll_create1' }),
    );
  });
});

describe('epoll_ctl and epoll_wait', () => {
  it('reports the fd as data by default, and a number of the caller when given', () => {
    const ep = epoll();
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    const [x, y] = pair(AF_UNIX, SOCK_STREAM);
    s.epoll_ctl(ep, c.EPOLL_CTL_ADD, a, c.EPOLLIN);
    s.epoll_ctl(ep, c.EPOLL_CTL_ADD, x, c.EPOLLIN, Number.MAX_SAFE_INTEGER);
    expect(s.epoll_wait(ep, 8, 0)).toEqual([]);
    s.send(b, Buffer.from('a'));
    s.send(y, Buffer.from('x'));
    const ready = s.epoll_wait(ep, 8, 1000);
    expect(ready).toHaveLength(2);
    expect(ready).toEqual(
      expect.arrayContaining([
        { events: c.EPOLLIN, data: a },
        { events: c.EPOLLIN, data: Number.MAX_SAFE_INTEGER },
      ]),
    );
  });

  it('returns at most maxEvents, the rest at the next call (level-triggered)', () => {
    const ep = epoll();
    const fds = [0, 1, 2].map(() => pair(AF_UNIX, SOCK_DGRAM));
    for (const [a, b] of fds) {
      s.epoll_ctl(ep, c.EPOLL_CTL_ADD, a, c.EPOLLIN);
      s.send(b, Buffer.from('x'));
    }
    expect(s.epoll_wait(ep, 2, 0)).toHaveLength(2);
    // Level-triggered: nothing was read, so all three are still ready.
    expect(s.epoll_wait(ep, 8, 0)).toHaveLength(3);
  });

  it('EPOLLET reports a change once; EPOLLONESHOT disables the entry until EPOLL_CTL_MOD', () => {
    const ep = epoll();
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    const [x, y] = pair(AF_UNIX, SOCK_DGRAM);
    s.epoll_ctl(ep, c.EPOLL_CTL_ADD, a, c.EPOLLIN | c.EPOLLET);
    s.epoll_ctl(ep, c.EPOLL_CTL_ADD, x, c.EPOLLIN | c.EPOLLONESHOT);
    s.send(b, Buffer.from('1'));
    s.send(y, Buffer.from('1'));
    expect(s.epoll_wait(ep, 8, 1000)).toHaveLength(2);
    expect(s.epoll_wait(ep, 8, 0)).toEqual([]);
    // New data is a new edge for `a`; `x` stays disabled until it is armed again.
    s.send(b, Buffer.from('2'));
    s.send(y, Buffer.from('2'));
    expect(s.epoll_wait(ep, 8, 1000)).toEqual([{ events: c.EPOLLIN, data: a }]);
    s.epoll_ctl(ep, c.EPOLL_CTL_MOD, x, c.EPOLLIN | c.EPOLLONESHOT, 7);
    expect(s.epoll_wait(ep, 8, 1000)).toEqual([{ events: c.EPOLLIN, data: 7 }]);
  });

  it('reports EPOLLOUT, EPOLLRDHUP and EPOLLHUP as the peer goes away', () => {
    const ep = epoll();
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    s.epoll_ctl(ep, c.EPOLL_CTL_ADD, a, c.EPOLLOUT | c.EPOLLRDHUP);
    expect(s.epoll_wait(ep, 1, 0)).toEqual([{ events: c.EPOLLOUT, data: a }]);
    s.shutdown(b, c.SHUT_WR);
    expect(s.epoll_wait(ep, 1, 0)[0]!.events & c.EPOLLRDHUP).toBe(c.EPOLLRDHUP);
    release(b);
    expect(s.epoll_wait(ep, 1, 0)[0]!.events & c.EPOLLHUP).toBe(c.EPOLLHUP);
  });

  it('EPOLL_CTL_DEL removes an entry; the errors carry code and syscall', () => {
    const ep = epoll();
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.epoll_ctl(ep, c.EPOLL_CTL_ADD, a, c.EPOLLIN);
    expect(() => s.epoll_ctl(ep, c.EPOLL_CTL_ADD, a, c.EPOLLIN)).toThrow(
      expect.objectContaining({ code: 'EEXIST', syscall: 'epoll_ctl' }),
    );
    s.epoll_ctl(ep, c.EPOLL_CTL_DEL, a);
    s.send(b, Buffer.from('x'));
    expect(s.epoll_wait(ep, 1, 0)).toEqual([]);
    expect(() => s.epoll_ctl(ep, c.EPOLL_CTL_DEL, a)).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'epoll_ctl' }),
    );
    // An epoll set cannot hold itself, and a socket is not an epoll fd.
    expect(() => s.epoll_ctl(ep, c.EPOLL_CTL_ADD, ep, c.EPOLLIN)).toThrow(
      expect.objectContaining({ code: 'EINVAL', syscall: 'epoll_ctl' }),
    );
    expect(() => s.epoll_wait(a, 1, 0)).toThrow(
      expect.objectContaining({ code: 'EINVAL', syscall: 'epoll_wait' }),
    );
  });

  it('waits for an event that comes later, and for the timeout when none does', async () => {
    const ep = epoll();
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.epoll_ctl(ep, c.EPOLL_CTL_ADD, a, c.EPOLLIN);
    let t = performance.now();
    expect(s.epoll_wait(ep, 1, 150)).toEqual([]);
    expect(performance.now() - t).toBeGreaterThanOrEqual(145);
    // A child process sends in 200 ms over a dup of `b`: the wait is blocking this thread.
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      ['-e', "setTimeout(() => require('fs').writeSync(3, 'x'), 200)"],
      { stdio: ['ignore', 'ignore', 'inherit', b] },
    );
    const exited = new Promise((r) => child.on('exit', r));
    t = performance.now();
    expect(s.epoll_wait(ep, 1, 10_000)).toEqual([{ events: c.EPOLLIN, data: a }]);
    expect(performance.now() - t).toBeLessThan(5000);
    await exited;
  });

  it('sleeps while it waits: a 300 ms wait takes next to no CPU time', () => {
    const ep = epoll();
    const [a] = pair(AF_UNIX, SOCK_DGRAM);
    s.epoll_ctl(ep, c.EPOLL_CTL_ADD, a, c.EPOLLIN);
    const before = process.cpuUsage();
    expect(s.epoll_wait(ep, 1, 300)).toEqual([]);
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000).toBeLessThan(100);
  });

  it('nested: an epoll fd in another epoll set is readable while it has events', () => {
    const outer = epoll();
    const inner = epoll();
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.epoll_ctl(inner, c.EPOLL_CTL_ADD, a, c.EPOLLIN);
    s.epoll_ctl(outer, c.EPOLL_CTL_ADD, inner, c.EPOLLIN);
    expect(s.epoll_wait(outer, 1, 0)).toEqual([]);
    s.send(b, Buffer.from('x'));
    expect(s.epoll_wait(outer, 1, 1000)).toEqual([{ events: c.EPOLLIN, data: inner }]);
  });

  const bad: ArgErrorCase[] = [
    [
      'flags a string',
      () => s.epoll_create1('0' as never),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"flags"/,
    ],
    ['epfd negative', () => s.epoll_ctl(-1, 1, 0, 1), 'RangeError', 'ERR_OUT_OF_RANGE', /"epfd"/],
    ['op fractional', () => s.epoll_ctl(0, 1.5, 0, 1), 'RangeError', 'ERR_OUT_OF_RANGE', /"op"/],
    [
      'fd a string',
      () => s.epoll_ctl(0, 1, '0' as never, 1),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"fd"/,
    ],
    [
      'events above u32',
      () => s.epoll_ctl(0, 1, 0, 2 ** 32),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"events"/,
    ],
    [
      'events below int32',
      () => s.epoll_ctl(0, 1, 0, -(2 ** 31) - 1),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"events"/,
    ],
    [
      'data a bigint',
      () => s.epoll_ctl(0, 1, 0, 1, 1n as never),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"data"/,
    ],
    [
      'data above 2^53',
      () => s.epoll_ctl(0, 1, 0, 1, 2 ** 53),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"data"/,
    ],
    [
      'data negative',
      () => s.epoll_ctl(0, 1, 0, 1, -1),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"data"/,
    ],
    ['maxEvents 0', () => s.epoll_wait(0, 0, 0), 'RangeError', 'ERR_OUT_OF_RANGE', /"maxEvents"/],
    [
      'maxEvents too many',
      () => s.epoll_wait(0, s.EPOLL_MAX_EVENTS + 1, 0),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"maxEvents"/,
    ],
    [
      'timeoutMs below -1',
      () => s.epoll_wait(0, 1, -2),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"timeoutMs"/,
    ],
    [
      'timeoutMs a string',
      () => s.epoll_wait(0, 1, '1' as never),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"timeoutMs"/,
    ],
  ];
  it.each(bad)('%s throws before any syscall', (_, call, type, code, names) =>
    expectArgError(call, type, code, names),
  );
});
