// The fuzz entries for epoll and classic BPF, spread into packageTable and nativeTable
// (fuzz/table.mjs). The pool holds an epoll fd ('epoll'), so the epoll calls reach the kernel
// with a real interest list as well as with every other kind of fd; BPF programs are mostly
// well-formed instructions (real opcodes, in-range fields) with a bad field or element now and
// then, so the kernel's own checker sees them too.
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

const fdArg = ['fd', S.fd];
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

const BPF_CODES = [
  ['BPF_LD', 'BPF_B', 'BPF_ABS'],
  ['BPF_LD', 'BPF_H', 'BPF_ABS'],
  ['BPF_LD', 'BPF_W', 'BPF_ABS'],
  ['BPF_LD', 'BPF_H', 'BPF_IND'],
  ['BPF_LDX', 'BPF_B', 'BPF_MSH'],
  ['BPF_ALU', 'BPF_MOD', 'BPF_K'],
  ['BPF_ALU', 'BPF_DIV', 'BPF_K'],
  ['BPF_JMP', 'BPF_JEQ', 'BPF_K'],
  ['BPF_JMP', 'BPF_JSET', 'BPF_K'],
  ['BPF_JMP', 'BPF_JA', 'BPF_K'],
  ['BPF_RET', 'BPF_K'],
  ['BPF_RET', 'BPF_A'],
  ['BPF_MISC', 'BPF_TAX'],
];

function bpfArbitraries(c) {
  const code = fc.oneof(
    {
      arbitrary: fc.constantFrom(...BPF_CODES).map((names) => names.reduce((x, n) => x | c[n], 0)),
      weight: 8,
    },
    { arbitrary: fc.integer({ min: 0, max: 0xffff }), weight: 1 },
    { arbitrary: S.number, weight: 1 },
  );
  const small = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 4 }), weight: 8 }, S.number);
  const k = fc.oneof(
    fc.constantFrom(0, 1, 9, 12, 14, 0xffffffff, c.SKF_AD_OFF + c.SKF_AD_CPU, c.SKF_NET_OFF),
    S.number,
  );
  const insn = fc.oneof(
    {
      arbitrary: fc.record({ code, jt: small, jf: small, k }).map((v) => ({ $: 'obj', v })),
      weight: 20,
    },
    {
      arbitrary: fc
        .record({ code, jt: small, jf: small, k }, { requiredKeys: [] })
        .map((v) => ({ $: 'obj', v })),
      weight: 1,
    },
    { arbitrary: S.scalar, weight: 1 },
  );
  const program = fc.oneof(
    {
      arbitrary: fc.array(insn, { minLength: 0, maxLength: 8 }).map((v) => ({ $: 'arr', v })),
      weight: 8,
    },
    {
      arbitrary: fc
        .constantFrom(4096, 4097)
        .map((n) => ({ $: 'rep', n, v: { $: 'obj', v: { code: 6, jt: 0, jf: 0, k: 0 } } })),
      weight: 1,
    },
    { arbitrary: S.scalar, weight: 1 },
  );
  const protocol = S.oneOfConstants(['IPPROTO_UDP', 'IPPROTO_TCP', 'IPPROTO_ICMP'], c);
  const link = fc.oneof(fc.constantFrom('ip', 'ethernet', 'ppp'), S.scalar);
  return { program, protocol, link, small, k, code };
}

/** Entries for the package's exports. */
export function packageParity(c) {
  const a = epollArgs(c);
  const b = bpfArbitraries(c);
  const count = fc.oneof(fc.constantFrom(1, 2, 0, 0xffffffff), S.number);
  const waitCheck = (r, [, max]) =>
    Array.isArray(r) &&
    r.length <= max &&
    r.every((e) => Number.isInteger(e.events) && Number.isInteger(e.data))
      ? null
      : `epoll_wait returned ${JSON.stringify(r)}`;
  return {
    epoll_create1: { args: [a.flags], creates: created },
    epoll_ctl: { args: a.ctl, keep: 3 },
    // Never without its timeout: the default, -1, waits forever.
    epoll_wait: { args: [['fdro', epfd], ['any', maxEvents], timeout], keep: 3, check: waitCheck },
    attachFilter: { args: [fdArg, ['any', b.program]] },
    attachReuseportCbpf: { args: [fdArg, ['any', b.program]] },
    detachFilter: { args: [fdArg] },
    lockFilter: { args: [fdArg] },
    bpfStmt: {
      args: [
        ['any', b.code],
        ['any', b.k],
      ],
    },
    bpfJump: {
      args: [
        ['any', b.code],
        ['any', b.k],
        ['any', b.small],
        ['any', b.small],
      ],
    },
    bpfIpProtocol: {
      args: [
        ['any', b.protocol],
        ['any', b.link],
      ],
    },
    bpfDestinationPort: {
      args: [
        ['any', b.protocol],
        ['any', fc.oneof(fc.constantFrom(0, 53, 65535, 65536), S.number)],
        ['any', b.link],
      ],
    },
    bpfReuseportByByte: {
      args: [
        ['any', fc.oneof(fc.constantFrom(0, 1, -1), S.number)],
        ['any', count],
      ],
    },
    bpfReuseportByCpu: { args: [['any', count]] },
  };
}

/** Entries for the addon's raw functions. */
export function nativeParity(c) {
  const a = epollArgs(c);
  const b = bpfArbitraries(c);
  const optname = S.oneOfConstants(
    ['SO_ATTACH_FILTER', 'SO_ATTACH_REUSEPORT_CBPF', 'SO_ATTACH_BPF', 'SO_DETACH_FILTER'],
    c,
  );
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
    epoll_create1: { args: [a.flags], creates: created },
    epoll_ctl: { args: a.ctl },
    epoll_wait: { args: [['fdro', epfd], ['any', out], ['any', maxEvents], timeout], keep: 4 },
    attachFilter: { args: [fdArg, ['any', optname], ['any', b.program]] },
  };
}
