// The fuzz entries for epoll (and the calls that came with it), spread into packageTable and
// nativeTable (fuzz/table.mjs). The pool holds an epoll fd ('epoll'), so the calls reach the
// kernel with a real interest list as well as with every other kind of fd.
import fc from 'fast-check';

import * as S from './specs.mjs';

const EPOLL_EVENTS = [
  'EPOLLIN',
  'EPOLLOUT',
  'EPOLLPRI',
  'EPOLLERR',
  'EPOLLHUP',
  'EPOLLRDHUP',
  'EPOLLET',
  'EPOLLONESHOT',
  'EPOLLEXCLUSIVE',
  'EPOLLWAKEUP',
];
const EPOLL_OPS = ['EPOLL_CTL_ADD', 'EPOLL_CTL_MOD', 'EPOLL_CTL_DEL'];

const created = (r) => (typeof r === 'number' && r >= 0 ? [r] : []);
// Mostly the pool's epoll fd, so the calls get past EINVAL.
const epfd = fc.oneof(
  { arbitrary: fc.constant({ $: 'fd', name: 'epoll' }), weight: 6 },
  { arbitrary: S.fd, weight: 2 },
);
const maxEvents = fc.oneof(fc.constantFrom(1, 2, 16, 65536, 65537, 0, -1), S.number);
const data = fc.oneof(
  fc.constantFrom(0, 1, 2 ** 53 - 1, 2 ** 53, -1, 0.5),
  fc.constantFrom({ $: 'big', v: '1' }, { $: 'big', v: '18446744073709551615' }),
  S.number,
);
const timeout = ['timeout', fc.oneof(fc.constantFrom(0, 0, 1, -1, -2, 1000), S.scalar)];

function epollArgs(c) {
  return {
    flags: ['any', S.flagsOf(['EPOLL_CLOEXEC'], c)],
    ctl: [
      ['fd', epfd],
      ['any', S.oneOfConstants(EPOLL_OPS, c)],
      ['fd', S.fd],
      ['any', S.flagsOf(EPOLL_EVENTS, c)],
      ['any', data],
    ],
  };
}

/** Entries for the package's exports. */
export function packageParity(c) {
  const a = epollArgs(c);
  const waitCheck = (r, [, max]) =>
    Array.isArray(r) &&
    r.length <= max &&
    r.every((e) => Number.isInteger(e.events) && Number.isInteger(e.data))
      ? null
      : `epollWait returned ${JSON.stringify(r)}`;
  return {
    epollCreate1: { args: [a.flags], creates: created },
    epollCtl: { args: a.ctl, keep: 3 },
    // Never without its timeout: the default, -1, waits forever.
    epollWait: { args: [['fdro', epfd], ['any', maxEvents], timeout], keep: 3, check: waitCheck },
  };
}

/** Entries for the addon's raw functions. */
export function nativeParity(c) {
  const a = epollArgs(c);
  // The out-array: a Float64Array of 2 * maxEvents numbers, a short one, or another view.
  const out = fc.oneof(
    {
      arbitrary: fc
        .constantFrom(0, 1, 2, 4, 32)
        .map((n) => ({ $: 'i32', type: 'Float64Array', v: Array(n).fill({ fd: 0, events: 0 }) })),
      weight: 4,
    },
    { arbitrary: S.buffer, weight: 1 },
    { arbitrary: S.scalar, weight: 1 },
  );
  return {
    epollCreate1: { args: [a.flags], creates: created },
    epollCtl: { args: a.ctl },
    epollWait: { args: [['fdro', epfd], ['any', out], ['any', maxEvents], timeout], keep: 4 },
  };
}
