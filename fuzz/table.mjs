// What the fuzzer calls: one entry per exported function with a generator for each argument.
// An export without an entry still gets called, with the generic fallback (any number of
// arguments of any kind), so a new export is fuzzed from the day it lands; give it an entry to
// reach past its argument checks.
//
// An entry:
//   args     [role, arbitrary] per parameter. Roles: 'fd' (the call changes or consumes the fd:
//            only pool fds or closed numbers reach it), 'fdro' (read-only: the runtime's own fds
//            are fine), 'timeout' (never waits: a wait other than 0 or 1 ms becomes 0),
//            'naddr' (a generator of the native layer's five address arguments, spread over
//            five positions), 'spread' (a generator of several arguments that belong together,
//            spread over as many positions), 'any'.
//   keep     how many leading arguments are never dropped (the arity mutation drops the rest)
//   creates  (result, args) -> the fds the call opened, which the worker closes at once
//   scanFds  args -> whether the call may open fds it does not return: the worker then closes
//            whatever is new in /proc/self/fd after it
//   heal     the call may close a pool fd or make it blocking: repair the pool after it
//   construct  call with `new`
//   check    (result, args) -> a broken invariant as text, or null
//   prepare  (args, constants, native) -> void; defuses values that would make a call block or
//            reach off this machine
import { createRequire } from 'node:module';
import { isIP, isIPv4 } from 'node:net';

import fc from 'fast-check';

import { TRAPPED } from './pool.mjs';
import * as S from './specs.mjs';
import { nativeParity, packageParity } from './table-parity.mjs';

const { listOptions } = createRequire(import.meta.url)('../dist/sys/options/table.js');

const fdArg = ['fd', S.fd];
const fdRo = ['fdro', S.fd];

const OPTION_PREFIXES = /^(SO|IP|IPV6|TCP|UDP|SCM)_/;

export function optionNames(c) {
  return Object.keys(c).filter((n) => OPTION_PREFIXES.test(n));
}

export const LEVELS = [
  'SOL_SOCKET',
  'IPPROTO_IP',
  'IPPROTO_IPV6',
  'IPPROTO_TCP',
  'IPPROTO_UDP',
  'SOL_RAW',
];
const DOMAINS = ['AF_INET', 'AF_INET6', 'AF_UNIX', 'AF_UNSPEC', 'AF_PACKET', 'AF_NETLINK'];
const TYPES = ['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_SEQPACKET', 'SOCK_RAW', 'SOCK_RDM'];
const MSG_FLAGS = [
  'MSG_DONTWAIT',
  'MSG_PEEK',
  'MSG_TRUNC',
  'MSG_WAITALL',
  'MSG_OOB',
  'MSG_ERRQUEUE',
  'MSG_MORE',
  'MSG_CONFIRM',
  'MSG_EOR',
  'MSG_DONTROUTE',
  'MSG_NOSIGNAL',
  'MSG_CMSG_CLOEXEC',
  'MSG_FASTOPEN',
  'MSG_ZEROCOPY',
];
const POLL_EVENTS = ['POLLIN', 'POLLOUT', 'POLLPRI', 'POLLERR', 'POLLHUP', 'POLLNVAL', 'POLLRDHUP'];
// The counters, the struct ifreq requests (reads and writes) and TUN/TAP's, and two the
// library refuses (FIONBIO, which would make an fd blocking, and SIOCGIFCONF).
const IOCTLS = [
  'FIONREAD',
  'SIOCINQ',
  'SIOCOUTQ',
  'SIOCOUTQNSD',
  'SIOCATMARK',
  'SIOCGIFNAME',
  'SIOCGIFINDEX',
  'SIOCGIFFLAGS',
  'SIOCSIFFLAGS',
  'SIOCGIFADDR',
  'SIOCSIFADDR',
  'SIOCGIFMTU',
  'SIOCSIFMTU',
  'SIOCGIFHWADDR',
  'SIOCSIFTXQLEN',
  'TUNSETIFF',
  'TUNGETFEATURES',
  'FIONBIO',
  'SIOCGIFCONF',
];
const pid = fc.oneof(fc.constantFrom({ $: 'pid' }, { $: 'ppid' }, 1, 0, -1, 0x7fffffff), S.number);

// getsockopt(SO_PEERPIDFD) (Linux 6.5) opens a pidfd for the peer and writes its number, as
// much of it as the buffer holds: with fewer than 4 bytes the fd is still installed, and its
// number is cut short or not written at all (net/core/sock.c). So after such a call the worker
// finds what it opened in /proc/self/fd. glibc 2.36 has no constant for it; 77 is its number
// on every Linux architecture but alpha, mips, parisc and sparc.
function peerPidfd(c) {
  const SO_PEERPIDFD = c.SO_PEERPIDFD ?? 77;
  return ([, level, name]) => level === c.SOL_SOCKET && name === SO_PEERPIDFD;
}

// connect's time limit: short enough that a pool listener whose backlog is full holds the
// worker up briefly, and the values it must refuse.
const connectTimeout = fc.oneof(
  { arbitrary: fc.constantFrom(0, 1, 10, 50), weight: 4 },
  { arbitrary: fc.constantFrom(-1, 1.5, 2 ** 31, NaN), weight: 1 },
  { arbitrary: S.scalar, weight: 1 },
);
const connectOptions = fc.oneof(
  { arbitrary: fc.constant(S.UNDEF), weight: 2 },
  { arbitrary: connectTimeout.map((timeout) => ({ $: 'obj', v: { timeout } })), weight: 3 },
  { arbitrary: S.scalar, weight: 1 },
);

function pollTimeout() {
  return ['timeout', fc.oneof(fc.constantFrom(0, 0, 0, 1, -1, -2, 1000), S.scalar)];
}

// Multicast joins send an IGMP or MLD report off this machine, except for the all-hosts and
// all-nodes groups, which are never reported; every other group is invalid text.
const mostly = (good, weight = 4) =>
  fc.oneof({ arbitrary: good, weight }, { arbitrary: S.scalar, weight: 1 });
export const group4 = mostly(fc.constantFrom('224.0.0.1', '127.0.0.1', '0.0.0.0', '', 'x'));
export const group6 = mostly(fc.constantFrom('ff02::1', '::1', '::', '', 'x'));
export const iface4 = mostly(fc.constantFrom('0.0.0.0', '127.0.0.1', 0, 1, 'lo', -1));
// Source-specific multicast senders: a local one, one of the other family, and no address.
export const source4 = mostly(fc.constantFrom('127.0.0.1', '127.0.0.2', '0.0.0.0', '::1', 'x'));
export const source6 = mostly(fc.constantFrom('::1', 'fd00::1', '::', '127.0.0.1', ''));

export function safeGroup(args, k, v6) {
  const g = args[k];
  if (typeof g === 'string' && isIP(g.split('%')[0])) {
    const allowed = v6 ? ['ff02::1', '::1', '::'] : ['224.0.0.1', '127.0.0.1', '0.0.0.0'];
    if (!allowed.includes(g)) args[k] = v6 ? 'ff02::1' : '224.0.0.1';
  }
}

/** The entries for the package's exports, keyed by export name. */
export function packageTable(c, pkg) {
  const domain = S.oneOfConstants(DOMAINS, c);
  const type = fc.oneof(
    {
      arbitrary: S.flagsOf(['SOCK_NONBLOCK', 'SOCK_CLOEXEC'], c).chain((f) =>
        fc.constantFrom(...TYPES.map((t) => (c[t] ?? 0) | (typeof f === 'number' ? f : 0))),
      ),
      weight: 4,
    },
    { arbitrary: S.oneOfConstants(TYPES, c), weight: 1 },
  );
  const protocol = S.oneOfConstants(
    ['IPPROTO_IP', 'IPPROTO_TCP', 'IPPROTO_UDP', 'IPPROTO_ICMP'],
    c,
  );
  const msgFlags = ['any', S.flagsOf(MSG_FLAGS, c)];
  const level = ['any', S.oneOfConstants(LEVELS, c)];
  const optname = ['any', S.oneOfConstants(optionNames(c), c)];
  const optValue = ['any', fc.oneof(S.number, S.boolean, S.buffer, S.scalar)];
  const pollList = fc.oneof(
    {
      arbitrary: fc
        .array(
          fc.oneof(
            {
              arbitrary: fc
                .record({ fd: S.fd, events: S.flagsOf(POLL_EVENTS, c) })
                .map((v) => ({ $: 'obj', v })),
              weight: 20,
            },
            { arbitrary: S.scalar, weight: 1 },
            { arbitrary: S.address, weight: 1 },
          ),
          { maxLength: 6 },
        )
        .map((v) => ({ $: 'arr', v })),
      weight: 8,
    },
    {
      arbitrary: fc.constantFrom(0, 1, 1000, 70_000).map((n) => ({
        $: 'rep',
        n,
        v: { $: 'obj', v: { fd: { $: 'fd', name: 'devnull' }, events: c.POLLIN } },
      })),
      weight: 1,
    },
    { arbitrary: S.scalar, weight: 1 },
  );
  const created = (r) => (typeof r === 'number' ? [r] : []);

  const { sendMessage, recvMessage, control, recvControlLength } = messageArbitraries(c);
  // Fds that arrive in SCM_RIGHTS are new fds of this process; the worker finds them.
  const msgEntry = (message) => ({ args: [fdArg, ['any', message]], scanFds: () => true });

  // The array forms of the batch calls: a few messages of buffers (and destinations), or junk.
  const msgBuffers = fc.oneof(
    { arbitrary: fc.array(S.buffer, { maxLength: 3 }).map((v) => ({ $: 'arr', v })), weight: 8 },
    { arbitrary: S.buffer, weight: 2 },
    { arbitrary: S.scalar, weight: 1 },
  );
  // Mostly a pool socket's own address, so whole batches get sent.
  const mmsgAddress = fc.oneof(
    {
      arbitrary: fc.constantFrom(...S.PORTED).map((of) => ({
        $: 'obj',
        v: {
          family: of === 'udp6' ? 'inet6' : 'inet',
          address: of === 'udp6' ? '::1' : '127.0.0.1',
          port: { $: 'port', of },
        },
      })),
      weight: 6,
    },
    { arbitrary: S.address, weight: 2 },
  );
  // Buffers nearly always: a message without them only tests one argument check.
  const message = (fields) =>
    fc
      .oneof(
        { arbitrary: fc.record(fields, { requiredKeys: ['buffers'] }), weight: 12 },
        { arbitrary: fc.record(fields, { requiredKeys: [] }), weight: 1 },
      )
      .map((v) => ({ $: 'obj', v }));
  const mmsgList = (fields) =>
    fc.oneof(
      {
        arbitrary: fc
          .array(
            fc.oneof(
              { arbitrary: message(fields), weight: 30 },
              { arbitrary: S.scalar, weight: 1 },
            ),
            {
              maxLength: 5,
            },
          )
          .map((v) => ({ $: 'arr', v })),
        weight: 8,
      },
      { arbitrary: S.scalar, weight: 1 },
    );
  const mmsgFlags = [
    'any',
    S.flagsOf(['MSG_DONTWAIT', 'MSG_PEEK', 'MSG_TRUNC', 'MSG_WAITFORONE', 'MSG_CONFIRM'], c),
  ];

  return {
    ...optionEntries(),
    ...packetEntries(c, pkg),
    ...packageParity(c),
    sendmmsg: {
      args: [
        fdArg,
        ['any', mmsgList({ buffers: msgBuffers, address: mmsgAddress, control })],
        mmsgFlags,
      ],
      scanFds: () => true,
      check: (r, [, list]) =>
        Number.isInteger(r) && r >= 0 && r <= list.length ? null : `sendmmsg returned ${r}`,
    },
    recvmmsg: {
      args: [
        fdArg,
        ['any', mmsgList({ buffers: msgBuffers, controlLength: recvControlLength })],
        mmsgFlags,
        pollTimeout(),
      ],
      // Fds that arrive in SCM_RIGHTS are new fds of this process; the worker finds them.
      scanFds: () => true,
      check: (r, [, list]) => {
        if (!Array.isArray(r) || r.length > list.length) return 'recvmmsg returned no list';
        for (const m of r) {
          if (!Number.isInteger(m.bytes) || m.bytes < 0 || !Number.isInteger(m.flags)) {
            return `recvmmsg result ${JSON.stringify(m)}`;
          }
          if (m.address !== null && typeof m.address?.family !== 'string') {
            return 'recvmmsg address without a family';
          }
        }
        return null;
      },
    },
    cmsgSpace: { args: [['any', ranged(0, 65536)]] },
    cmsgLen: { args: [['any', ranged(0, 65536)]] },
    sendmsg: msgEntry(sendMessage),
    trySendmsg: msgEntry(sendMessage),
    recvmsg: msgEntry(recvMessage),
    tryRecvmsg: msgEntry(recvMessage),
    socket: {
      args: [
        ['any', domain],
        ['any', type],
        ['any', protocol],
      ],
      creates: created,
    },
    socketpair: {
      args: [
        ['any', domain],
        ['any', type],
        ['any', protocol],
      ],
      creates: (r) => (Array.isArray(r) ? r : []),
    },
    bind: { args: [fdArg, ['any', S.address]] },
    listen: {
      args: [fdArg, ['any', fc.oneof(fc.constantFrom(0, 1, 128, -1, 0x7fffffff), S.scalar)]],
    },
    accept: {
      args: [fdArg, ['any', S.flagsOf(['SOCK_NONBLOCK', 'SOCK_CLOEXEC'], c)]],
      creates: (r) => (r && typeof r.fd === 'number' ? [r.fd] : []),
    },
    connect: { args: [fdArg, ['any', S.address], ['any', connectOptions]] },
    shutdown: { args: [fdArg, ['any', S.oneOfConstants(['SHUT_RD', 'SHUT_WR', 'SHUT_RDWR'], c)]] },
    close: { args: [fdArg], heal: true, prepare: lingerOff },
    send: { args: [fdArg, ['any', S.buffer], msgFlags] },
    sendto: { args: [fdArg, ['any', S.buffer], msgFlags, ['any', S.address]] },
    recv: {
      args: [fdArg, ['any', S.buffer], msgFlags],
      // The kernel may report more than the view holds without writing past it: the real
      // length with MSG_TRUNC, and an AF_UNIX stream's urgent byte with MSG_OOB even into a
      // 0-byte view (unix_stream_recv_urg returns 1 whatever it copied). The guard bytes
      // around the view check that nothing was written past it.
      check: (r, [, buf, flags]) =>
        Number.isInteger(r) &&
        r >= 0 &&
        (r <= byteLength(buf) || (flags & (c.MSG_TRUNC | c.MSG_OOB)) !== 0)
          ? null
          : `recv returned ${r} for a ${byteLength(buf)}-byte view`,
    },
    recvfrom: {
      args: [fdArg, ['any', S.buffer], msgFlags],
      check: (r) => (r && Number.isInteger(r.bytes) && r.bytes >= 0 ? null : 'recvfrom result'),
    },
    getsockname: { args: [fdRo], check: checkAddress },
    getpeername: { args: [fdRo], check: checkAddress },
    getsockopt: {
      args: [fdRo, level, optname],
      scanFds: peerPidfd(c),
      check: (r) => (Number.isInteger(r) ? null : `getsockopt returned ${String(r)}`),
    },
    getsockoptBuffer: {
      scanFds: peerPidfd(c),
      args: [
        fdRo,
        level,
        optname,
        ['any', fc.oneof(fc.constantFrom(0, 1, 4, 8, 64, 65536, 65537), S.scalar)],
      ],
      check: (r, args) =>
        Buffer.isBuffer(r) && r.length <= args[3] ? null : 'getsockoptBuffer longer than asked',
    },
    setsockopt: { args: [fdArg, level, optname, optValue], prepare: defuseOption },
    setNonblocking: { args: [fdArg, ['any', S.boolean]], heal: true },
    getNonblocking: { args: [fdRo] },
    setCloexec: { args: [fdArg, ['any', S.boolean]] },
    getCloexec: { args: [fdRo] },
    dup: { args: [fdRo], creates: created },
    poll: {
      args: [['any', pollList], pollTimeout()],
      keep: 2,
      check: (r, [list]) =>
        Array.isArray(r) && r.length === list.length ? null : 'poll returned a different list',
    },
    // The buffer form passes known structs only; set-requests get an empty interface name.
    ioctl: {
      args: [fdRo, ['any', S.oneOfConstants(IOCTLS, c)], ['any', S.buffer]],
      keep: 2,
      prepare: defuseIoctl,
    },
    ioctlArgSize: { args: [['any', S.oneOfConstants(IOCTLS, c)]] },
    // A pidfd for this process, its parent (the fuzz runner), init, or junk; and a copy of one
    // of their fds. Both open fds, closed at once.
    // The inspector reads /proc: this process's fds, the runner's (through pidfd_getfd), init's.
    inspect: {
      args: [
        fdRo,
        [
          'any',
          fc.oneof(
            fc.record({ pid }).map((v) => ({ $: 'obj', v })),
            S.scalar,
          ),
        ],
      ],
      scanFds: () => true,
    },
    listFds: { args: [['any', pid]] },
    readSocketTables: { args: [['any', fc.oneof(fc.constant('self'), pid)]] },
    readSocketTable: {
      args: [
        [
          'any',
          fc.oneof(fc.constantFrom('tcp', 'udp6', 'unix', 'packet', 'netlink', 'x'), S.scalar),
        ],
        ['any', fc.oneof(fc.constant('self'), pid)],
      ],
    },
    pidfd_open: { args: [['any', pid]], creates: created },
    pidfd_getfd: {
      args: [fdRo, ['any', fc.oneof(fc.constantFrom(0, 1, 2, 3), S.number)]],
      creates: created,
    },
    // From any pool fd (the regular file among them) to any other, at an offset or the file
    // position; every pool fd is nonblocking, so a full socket throws EAGAIN.
    sendfile: {
      args: [
        fdArg,
        fdRo,
        ['any', fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 1 << 20 }), S.number)],
        ['any', fc.oneof(fc.integer({ min: 0, max: 1 << 16 }), S.number)],
      ],
    },
    // Any flags reach the argument checks; valid ones become 0 first (defuseUnshare), so the
    // worker never moves to a namespace without its loopback. setns on a pool fd: EINVAL.
    unshare: {
      args: [['any', fc.oneof(S.oneOfConstants(CLONE_FLAGS, c), S.number)]],
      prepare: defuseUnshare,
    },
    setns: { args: [fdRo, ['any', fc.oneof(S.oneOfConstants(CLONE_FLAGS, c), S.number)]] },
    if_nametoindex: { args: [['any', S.string]] },
    if_indextoname: { args: [['any', S.number]] },
    errnoName: { args: [['any', S.number]] },
    // Takes no arguments; whatever it is given, it lists the open socket objects.
    openSockets: {
      args: [['any', S.anything]],
      check: (r) => (Array.isArray(r) ? null : 'openSockets returned no array'),
    },
    formatAddress: { args: [['any', fc.oneof(S.address, S.scalar)]] },
    isInetAddress: { args: [['any', fc.oneof(S.address, S.scalar)]] },
    isInet6Address: { args: [['any', fc.oneof(S.address, S.scalar)]] },
    isUnixAddress: { args: [['any', fc.oneof(S.address, S.scalar)]] },
    // The inspector's formatters render what inspect() and listFds() return; they must answer
    // any change to it with text or a coded error.
    formatInspection: {
      args: [
        [
          'any',
          fc.oneof({ arbitrary: S.inspection, weight: 6 }, { arbitrary: S.anything, weight: 1 }),
        ],
      ],
      check: (r) => (typeof r === 'string' ? null : 'formatInspection returned no text'),
    },
    formatFdTable: {
      args: [
        [
          'any',
          fc.oneof({ arbitrary: S.fdTable, weight: 6 }, { arbitrary: S.anything, weight: 1 }),
        ],
      ],
      check: (r) => (typeof r === 'string' ? null : 'formatFdTable returned no text'),
    },
    addrArgs: {
      args: [
        ['any', S.address],
        ['any', S.string],
      ],
    },
    errorTarget: { args: [['any', S.address]] },
    SocketError: {
      construct: true,
      args: [
        ['any', fc.oneof(fc.constantFrom(-98, -11, -4095, -100000, 0, 98), S.number)],
        ['any', fc.oneof(fc.constantFrom('bind', 'recv', ''), S.string)],
        ['any', fc.oneof(S.address, S.scalar)],
      ],
    },
  };
}

/**
 * sendmsg/recvmsg arguments: payload views, a destination, control messages of every kind with
 * good and bad fields, and a control buffer length for recvmsg. SCM_RIGHTS carries pool fds,
 * closed numbers and junk; pktinfo's interface is lo or none, so nothing leaves loopback.
 */
export function messageArbitraries(c) {
  const obj = (fields) => fc.record(fields, { requiredKeys: [] }).map((v) => ({ $: 'obj', v }));
  const arr = (arb, maxLength) => fc.array(arb, { maxLength }).map((v) => ({ $: 'arr', v }));
  const buffers = fc.oneof(
    { arbitrary: arr(S.buffer, 4), weight: 4 },
    { arbitrary: S.buffer, weight: 1 },
    { arbitrary: S.scalar, weight: 1 },
  );
  const small = fc.oneof(fc.integer({ min: -2, max: 300 }), S.number);
  const control = fc.oneof(
    obj({ type: fc.constant('rights'), fds: arr(S.fd, 4) }),
    obj({
      type: fc.constant('credentials'),
      pid: fc.oneof(fc.constant({ $: 'pid' }), S.number),
      uid: fc.oneof(fc.constant(0), S.number),
      gid: fc.oneof(fc.constant(0), S.number),
    }),
    obj({ type: fc.constantFrom('ttl', 'hoplimit', 'tos', 'tclass'), value: small }),
    obj({
      type: fc.constantFrom('pktinfo', 'pktinfo6'),
      ifindex: fc.constantFrom(0, 1, -1, 1.5),
      specDst: fc.constantFrom('127.0.0.1', '', 'x'),
      addr: fc.constantFrom('127.0.0.1', '::1', '', 'x'),
    }),
    obj({
      level: S.oneOfConstants(LEVELS, c),
      type: S.oneOfConstants(['SCM_RIGHTS', 'SCM_CREDENTIALS', 'IP_TTL', 'IP_TOS'], c),
      data: S.buffer,
    }),
    obj({ type: fc.constantFrom('timestamp', 'pidfd', 'recverr', 'origDstAddr', 'nope') }),
    S.scalar,
  );
  const sendMessage = fc.oneof(
    {
      arbitrary: obj({
        buffers,
        address: S.address,
        control: arr(control, 3),
        flags: S.flagsOf(MSG_FLAGS, c),
      }),
      weight: 8,
    },
    { arbitrary: S.scalar, weight: 1 },
  );
  const recvControlLength = fc.oneof(fc.constantFrom(0, 1, 16, 24, 256, 65536, 65537), S.number);
  const recvMessage = fc.oneof(
    {
      arbitrary: obj({
        buffers,
        controlLength: recvControlLength,
        flags: S.flagsOf(MSG_FLAGS, c),
      }),
      weight: 8,
    },
    { arbitrary: S.scalar, weight: 1 },
  );
  return {
    sendMessage,
    recvMessage,
    buffers,
    control: arr(control, 3),
    recvControlLength,
  };
}

// A userspace link's 22 numbers (two directions' impairments or counters): mostly the right
// count with values in and out of range, or any buffer.
const LINK_VALUES = [0, 0, 0.5, 1, -1, -2, 1e9, 2 ** 53, 2 ** 60, NaN, Infinity, -Infinity];
const linkNumbers = fc.oneof(
  {
    arbitrary: fc
      .array(fc.constantFrom(...LINK_VALUES), { minLength: 22, maxLength: 22 })
      .map((v) => S.typedArray('Float64Array', v)),
    weight: 4,
  },
  { arbitrary: S.buffer, weight: 2 },
  { arbitrary: S.scalar, weight: 1 },
);
// Links are this environment's own: ids of no link, and junk.
const linkId = fc.oneof(fc.constantFrom(0, 1, 2, 1000, -1, 2 ** 31), S.scalar);

/** The entries for the addon's raw functions (dist/sys/native.js), which trust no caller either. */
export function nativeTable(c, native) {
  const i32 = (name) => ['any', S.oneOfConstants([name], c)];
  const int = ['any', S.number];
  // (family, host, port, flowinfo, scopeId) as lib/sys/address.ts flattens an address: one
  // generator, spread over five arguments by the worker, so family and host mostly agree.
  const addr = nativeAddress(c);
  const msgFlags = ['any', S.flagsOf(MSG_FLAGS, c)];
  const level = ['any', S.oneOfConstants(LEVELS, c)];
  const optname = ['any', S.oneOfConstants(optionNames(c), c)];
  const created = (r) => (typeof r === 'number' && r >= 0 ? [r] : []);
  const pollFds = fc.oneof(
    {
      arbitrary: fc
        .record({
          type: fc.constantFrom(
            'Int32Array',
            'Int32Array',
            'Uint32Array',
            'Int16Array',
            'Float64Array',
          ),
          v: fc.array(fc.record({ fd: S.fd, events: S.flagsOf(POLL_EVENTS, c) }), { maxLength: 5 }),
        })
        .map((r) => ({ $: 'i32', ...r })),
      weight: 6,
    },
    { arbitrary: S.buffer, weight: 1 },
    { arbitrary: S.scalar, weight: 1 },
  );
  const { buffers, control, recvControlLength } = messageArbitraries(c);
  // lib/sys/cmsg.ts passes a checked list of control messages, or null for none.
  const nativeControl = fc.oneof(
    { arbitrary: control, weight: 6 },
    { arbitrary: fc.constant(null), weight: 3 },
  );
  const addrOrNull = [
    'naddr',
    fc.oneof(
      { arbitrary: addr[1], weight: 4 },
      { arbitrary: fc.constant(null), weight: 3 },
      { arbitrary: S.scalar, weight: 1 },
    ),
  ];
  // The `meta` ArrayBuffer of the address-returning calls: the size they need, or another.
  const meta = [
    'any',
    fc.oneof(
      {
        arbitrary: fc.constantFrom('empty', 'garbage').map((fill) => ({
          $: 'slot',
          len: native.addressMetaBytes,
          fill,
          hex: 'ff'.repeat(native.addressMetaBytes),
        })),
        weight: 8,
      },
      {
        arbitrary: fc
          .integer({ min: 0, max: 256 })
          .map((len) => ({ $: 'slot', len, fill: 'empty', hex: '' })),
        weight: 1,
      },
      { arbitrary: S.buffer, weight: 1 },
      { arbitrary: S.scalar, weight: 1 },
    ),
  ];
  // The fd accept() wrote to meta[0]; the worker also looks in /proc for anything it missed.
  const acceptedFd = (r, args) => {
    const m = args[2];
    if (!(m instanceof ArrayBuffer) || m.byteLength < 8 || typeof r === 'number') return [];
    const fd = new Float64Array(m, 0, 1)[0];
    return Number.isInteger(fd) && fd >= 0 ? [fd] : [];
  };
  const ms = ['any', fc.oneof(fc.constantFrom(0, 1, 0.5, 1000, 1e15, -1), S.number)];
  return {
    ...nativeMessageEntries(c, native),
    ...nativeParity(c),
    sendmsg: {
      args: [fdArg, ['any', buffers], msgFlags, ['any', nativeControl], addrOrNull],
      scanFds: () => true,
    },
    recvmsg: {
      args: [fdArg, ['any', buffers], ['any', recvControlLength], msgFlags],
      scanFds: () => true,
    },
    getsockoptTimeval: { args: [fdRo, level, optname], scanFds: peerPidfd(c) },
    // The count of JavaScript signal listeners, which decides whether an interrupted blocking
    // call fails with EINTR; lib/internal/signals.ts sets it again on the next listener change.
    signalListeners: { args: [['any', fc.oneof(fc.constantFrom(0, 1, 2), S.number)]] },
    // The fds the environment's teardown closes. Given back at once: a pool fd left owned would
    // be closed at this process's exit, where a linger a fuzzed call set could hold it up.
    ownFd: {
      args: [fdArg],
      check: (r, [fd]) => {
        if (Number.isInteger(fd) && fd >= 0 && fd <= 0x7fffffff) native.disownFd(fd);
        return null;
      },
    },
    disownFd: { args: [fdRo] },
    // The lab's userspace links. A link that starts owns two pool fds and forwards between
    // them; it is stopped at once, which closes both, and the pool heals.
    linkStart: {
      args: [fdArg, fdArg, ['any', linkNumbers]],
      heal: true,
      check: (r) => {
        if (typeof r === 'number' && r > 0 && native.linkStop(r) !== 0) {
          return `linkStop of the link just started returned non-zero`;
        }
        return null;
      },
    },
    linkConfigure: {
      args: [
        ['any', linkId],
        ['any', linkNumbers],
      ],
    },
    linkStats: {
      args: [
        ['any', linkId],
        ['any', linkNumbers],
      ],
    },
    linkStop: { args: [['any', linkId]] },
    setsockoptTimeval: { args: [fdArg, level, optname, ms], prepare: defuseNamed },
    getLinger: { args: [fdRo] },
    setLinger: {
      args: [
        fdArg,
        ['any', fc.oneof(fc.constantFrom(0, 1), S.number)],
        ['any', ranged(0, INT32_MAX)],
      ],
      prepare: (args) => args[1] === 1 && lingerZero(2)(args),
    },
    getPeerCred: { args: [fdRo] },
    getMulticastIf4: { args: [fdRo] },
    setMulticastIf4: {
      args: [
        fdArg,
        ['any', fc.oneof(fc.constantFrom('0.0.0.0', '127.0.0.1', '', 'x', '1.2.3.4'), S.string)],
        ['any', ranged(0, INT32_MAX)],
      ],
    },
    setMembership4: {
      args: [
        fdArg,
        [
          'any',
          S.oneOfConstants(
            ['IP_ADD_MEMBERSHIP', 'IP_DROP_MEMBERSHIP', 'IP_ADD_SOURCE_MEMBERSHIP'],
            c,
          ),
        ],
        ['any', group4],
        ['any', mostly(fc.constantFrom('0.0.0.0', '0.0.0.0', '127.0.0.1', '', 'x'))],
        ['any', ranged(0, INT32_MAX)],
      ],
      prepare: (args) => safeGroup(args, 2, false),
    },
    setMembership6: {
      args: [
        fdArg,
        [
          'any',
          S.oneOfConstants(['IPV6_JOIN_GROUP', 'IPV6_LEAVE_GROUP', 'IPV6_ADD_MEMBERSHIP'], c),
        ],
        ['any', group6],
        ['any', ranged(0, INT32_MAX)],
      ],
      prepare: (args) => safeGroup(args, 2, true),
    },
    setSourceMembership4: {
      args: [
        fdArg,
        ['any', S.oneOfConstants(['IP_ADD_SOURCE_MEMBERSHIP', 'IP_DROP_SOURCE_MEMBERSHIP'], c)],
        ['any', group4],
        ['any', mostly(fc.constantFrom('0.0.0.0', '127.0.0.1', '', 'x'))],
        ['any', source4],
      ],
      prepare: (args) => safeGroup(args, 2, false),
    },
    setGroupSourceReq: {
      args: [
        fdArg,
        ['any', S.oneOfConstants(['IPPROTO_IP', 'IPPROTO_IPV6', 'SOL_SOCKET'], c)],
        ['any', S.oneOfConstants(['MCAST_JOIN_SOURCE_GROUP', 'MCAST_LEAVE_SOURCE_GROUP'], c)],
        ['any', mostly(fc.constantFrom(0, 1))],
        ['any', fc.oneof(group4, group6)],
        ['any', fc.oneof(source4, source6)],
        ['any', ranged(0, INT32_MAX)],
      ],
      prepare: (args) => safeGroup(args, 4, typeof args[4] === 'string' && args[4].includes(':')),
    },
    getsockoptAddress: { args: [fdRo, level, optname], scanFds: peerPidfd(c) },
    getsockoptUint64: { args: [fdRo, level, optname], scanFds: peerPidfd(c) },
    getsockoptName: { args: [fdRo, level, optname], scanFds: peerPidfd(c) },
    setsockoptName: {
      args: [
        fdArg,
        level,
        optname,
        [
          'any',
          fc.oneof(fc.constantFrom('', 'lo', 'cubic', 'reno', 'eth0', 'x'.repeat(300)), S.string),
        ],
      ],
      prepare: defuseNamed,
    },
    getTcpInfo: { args: [fdRo] },
    addressHost: { args: [meta] },
    socket: { args: [i32('AF_INET'), i32('SOCK_DGRAM'), int], creates: created },
    socketpair: {
      args: [i32('AF_UNIX'), i32('SOCK_STREAM'), int],
      creates: (r) => (Array.isArray(r) ? r : []),
    },
    bind: { args: [fdArg, addr] },
    listen: { args: [fdArg, int] },
    accept: {
      args: [
        fdArg,
        ['any', S.flagsOf(['SOCK_NONBLOCK', 'SOCK_CLOEXEC'], c)],
        meta,
        ['any', S.flagsOf(['MSG_DONTWAIT'], c)],
      ],
      creates: acceptedFd,
      scanFds: () => true,
    },
    connect: { args: [fdArg, addr] },
    connectTimed: { args: [fdArg, addr, ['any', connectTimeout]] },
    shutdown: { args: [fdArg, int] },
    close: { args: [fdArg], heal: true, prepare: lingerOff },
    getsockname: { args: [fdRo] },
    getpeername: { args: [fdRo] },
    send: { args: [fdArg, ['any', S.buffer], msgFlags] },
    sendto: { args: [fdArg, ['any', S.buffer], msgFlags, addr] },
    sendtoSlot: {
      args: [
        fdArg,
        ['any', S.buffer],
        msgFlags,
        [
          'any',
          fc.record({
            $: fc.constant('slot'),
            len: fc.oneof(fc.constant(native.sentAddressBytes), fc.integer({ min: 0, max: 256 })),
            fill: fc.constantFrom('empty', 'garbage', 'filled', 'filled'),
            hex: fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b).toString('hex')),
          }),
        ],
      ],
    },
    recv: { args: [fdArg, ['any', S.buffer], msgFlags] },
    recvfrom: { args: [fdArg, ['any', S.buffer], msgFlags, meta] },
    getsockoptInt: { args: [fdRo, level, optname], scanFds: peerPidfd(c) },
    setsockoptInt: { args: [fdArg, level, optname, int] },
    getsockoptBytes: { args: [fdRo, level, optname, int], scanFds: peerPidfd(c) },
    setsockoptBytes: { args: [fdArg, level, optname, ['any', S.buffer]], prepare: defuseOption },
    fcntlGetfl: { args: [fdRo] },
    fcntlSetfl: { args: [fdArg, int], heal: true },
    fcntlGetfd: { args: [fdRo] },
    fcntlSetfd: { args: [fdArg, int] },
    dup: { args: [fdRo], creates: created },
    poll: { args: [['any', pollFds], pollTimeout()], keep: 2 },
    ioctlInt: { args: [fdRo, ['any', S.oneOfConstants(IOCTLS, c)]] },
    ioctlBuffer: {
      args: [fdRo, ['any', S.oneOfConstants(IOCTLS, c)], ['any', S.buffer]],
      prepare: defuseIoctl,
    },
    ioctlArgSize: { args: [['any', S.oneOfConstants(IOCTLS, c)]] },
    // Any flags reach the argument checks; valid ones become 0 first (defuseUnshare), so the
    // worker never moves to a namespace without its loopback. setns on a pool fd: EINVAL.
    unshare: {
      args: [['any', fc.oneof(S.oneOfConstants(CLONE_FLAGS, c), S.number)]],
      prepare: defuseUnshare,
    },
    setns: { args: [fdRo, ['any', fc.oneof(S.oneOfConstants(CLONE_FLAGS, c), S.number)]] },
    pidfdOpen: { args: [['any', pid]], creates: created },
    sendfile: {
      args: [
        fdArg,
        fdRo,
        ['any', fc.oneof(fc.constantFrom(-1, 0), fc.integer({ min: 0, max: 1 << 20 }), S.number)],
        ['any', fc.oneof(fc.integer({ min: 0, max: 1 << 16 }), S.number)],
      ],
    },
    pidfdGetfd: {
      args: [fdRo, ['any', fc.oneof(fc.constantFrom(0, 1, 2, 3), S.number)]],
      creates: created,
    },
    ifNameToIndex: { args: [['any', S.string]] },
    ifIndexToName: { args: [int] },
  };
}

/** A view's length; 0 once its buffer is detached (a detached DataView throws instead). */
export function byteLength(view) {
  try {
    return view.byteLength;
  } catch {
    return 0;
  }
}

function checkAddress(r) {
  const families = ['inet', 'inet6', 'unix', 'other'];
  return r && families.includes(r.family) ? null : `not an address: ${String(r)}`;
}

// A linger that is on makes close() wait for unsent data even on a nonblocking socket
// (socket(7)); with a peer that never reads, that is a wait of l_linger seconds. So a fuzzed
// SO_LINGER keeps its shape with l_onoff off, and a multicast join, which would send an IGMP
// or MLD report off this machine, gets an all-zero (invalid) group.
const MEMBERSHIP = [
  'IP_ADD_MEMBERSHIP',
  'IP_ADD_SOURCE_MEMBERSHIP',
  'IPV6_ADD_MEMBERSHIP',
  'IPV6_JOIN_GROUP',
  'MCAST_JOIN_GROUP',
  'MCAST_JOIN_SOURCE_GROUP',
];

export function defuseOption(args, c) {
  const [, level, name, value] = args;
  if (!ArrayBuffer.isView(value) || byteLength(value) === 0) return;
  const bytes = new Uint8Array(value.buffer, value.byteOffset, byteLength(value));
  if (level === c.SOL_SOCKET && name === c.SO_LINGER) bytes.fill(0, 0, 4);
  if (MEMBERSHIP.some((n) => c[n] !== undefined && c[n] === name)) bytes.fill(0);
}

// The native setters of one kind of value (a timeval, a name) take any level and option name,
// so their value can land in a multicast join or SO_BINDTODEVICE: a join gets an empty (invalid)
// value, a device name the treatment of defuseDevice.
function defuseNamed(args, c, native) {
  const [, level, name, value] = args;
  if (MEMBERSHIP.some((n) => c[n] !== undefined && c[n] === name)) {
    args[3] = typeof value === 'string' ? '' : 0;
  } else if (level === c.SOL_SOCKET && name === c.SO_BINDTODEVICE) {
    if (typeof value === 'string') defuseDevice(args, 3, native);
    else args[3] = 0;
  }
}

// An ioctl that sets something on an interface (SIOCSIF*: flags, address, MTU, …) names the
// interface in the struct ifreq's first IFNAMSIZ bytes. Run as root, one with `lo` there could
// take loopback down for the whole machine, so the name is always empty (ENODEV): the fuzzer
// exercises the argument checks and the struct passing, never a real interface.
const IFNAMSIZ = 16;

const CLONE_FLAGS = [
  'CLONE_NEWNET',
  'CLONE_NEWNS',
  'CLONE_NEWUTS',
  'CLONE_NEWIPC',
  'CLONE_NEWUSER',
  'CLONE_NEWPID',
  'CLONE_NEWCGROUP',
  'CLONE_NEWTIME',
  'CLONE_FILES',
  'CLONE_FS',
  'CLONE_SYSVSEM',
];

// Before a fuzzed unshare: a flag word the kernel could act on becomes 0, a no-op. unshare(2)
// would move the worker's thread to namespaces it cannot leave (a new network namespace has its
// loopback down, and the pool's connections need it); a word the argument checks refuse stays.
function defuseUnshare(args) {
  const flags = args[0];
  if (Number.isInteger(flags) && flags >= 0 && flags <= 0x7fffffff) args[0] = 0;
}

function defuseIoctl(args, c) {
  const [, request, buffer] = args;
  if (typeof request !== 'number' || !ArrayBuffer.isView(buffer)) return;
  const sets = Object.keys(c).filter((n) => /^(SIOCS|TUNSET)/.test(n));
  if (!sets.some((n) => c[n] === request >>> 0 || c[n] === (request | 0))) return;
  const n = Math.min(IFNAMSIZ, byteLength(buffer));
  if (n > 0) new Uint8Array(buffer.buffer, buffer.byteOffset, n).fill(0);
}

// Before a fuzzed close: whatever linger a fuzzed call set on the fd, switch it off.
function lingerOff(args, c, native) {
  const fd = args[0];
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) return;
  const off = Buffer.alloc(8);
  try {
    native.setsockoptBytes(fd, c.SOL_SOCKET, c.SO_LINGER, off);
  } catch {
    // Not a socket, or no such fd.
  }
}

// ---------------------------------------------------------------------------------------------
// The option functions, from the options table (lib/sys/options/table.ts, as built in dist/):
// each getter checked for the type its kind documents, each setter given values of its own kind
// (mostly good ones, then edges, then anything).

const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

/** An integer setter's value: mostly in range, its edges, just past them, or anything. */
export function ranged(min, max) {
  return fc.oneof(
    { arbitrary: fc.integer({ min, max: Math.min(max, 0x7fffffff) }), weight: 4 },
    { arbitrary: fc.constantFrom(min, max, 0, 1, 64, Math.min(max, 65536)), weight: 3 },
    { arbitrary: fc.constantFrom(min - 1, max + 1, 0.5, min + 0.5, -0), weight: 2 },
    { arbitrary: S.number, weight: 1 },
    { arbitrary: S.scalar, weight: 1 },
  );
}

const returned = (what, ok) => (r) => (ok(r) ? null : `${what} returned ${String(r)}`);
const isInt = (min, max) => (r) => Number.isInteger(r) && r >= min && r <= max;

// Timeouts only bound a blocking wait, and no pool fd blocks: every value passes as it is.
const ms = fc.oneof(
  { arbitrary: fc.constantFrom(0, 1, 0.5, 0.0005, 1.0015, 10, 1000, 2 ** 31, 1e15), weight: 4 },
  { arbitrary: fc.double({ min: 0, max: 1e7, noNaN: true }), weight: 2 },
  { arbitrary: S.number, weight: 1 },
  { arbitrary: S.scalar, weight: 1 },
);

// Per value kind: what its getter may return, and its setter's arguments after the fd (with the
// defusing `prepare` some need). A kind the table gains needs a line here.
const OPTION_KINDS = {
  bool: { ok: (r) => typeof r === 'boolean', set: () => ({ args: [['any', S.boolean]] }) },
  // Getters report the kernel's int; read-only ones (SO_TYPE, …) are never negative.
  int: {
    // An option the kernel keeps any int for (SO_INCOMING_CPU) says so with its min.
    ok: (r, o) => isInt(o.readOnly ? 0 : Math.min(-1, o.min ?? -1), INT32_MAX)(r),
    set: (o) => ({ args: [['any', ranged(o.min, o.max)]] }),
  },
  uint32: { ok: isInt(0, UINT32_MAX), set: () => ({ args: [['any', ranged(0, UINT32_MAX)]] }) },
  timeval: {
    ok: (r) => typeof r === 'number' && Number.isFinite(r) && r >= 0,
    set: () => ({ args: [['any', ms]] }),
  },
  name: {
    ok: (r) => typeof r === 'string',
    set: (o) => {
      const max = o.nameSize === 'IFNAMSIZ' ? 15 : 255;
      const names = ['', 'lo', 'eth0', 'cubic', 'reno', 'nope', 'lo\0', 'x'.repeat(max)];
      return {
        args: [['any', fc.oneof(fc.constantFrom(...names, 'x'.repeat(max + 1)), S.string)]],
        // An interface name (SO_BINDTODEVICE) must not take a pool socket off loopback.
        prepare:
          o.nameSize === 'IFNAMSIZ'
            ? (args, _c, native) => defuseDevice(args, 1, native)
            : undefined,
      };
    },
  },
  errno: { ok: (r) => r === null || (typeof r === 'string' && r !== '') },
  linger: {
    ok: (r) => r === null || (Number.isInteger(r) && r >= 0),
    set: () => ({
      args: [['any', fc.oneof(fc.constant(null), ranged(0, INT32_MAX))]],
      prepare: lingerZero(1),
    }),
  },
  peerCred: { ok: (r) => r && ['pid', 'uid', 'gid'].every((k) => Number.isInteger(r[k])) },
  tcpInfo: { ok: (r) => r && Number.isInteger(r.state) && typeof r.stateName === 'string' },
  multicastIfV4: { ok: (r) => isIPv4(r), set: () => ({ args: [['any', iface4]] }) },
  membershipV4: {
    set: () => ({
      args: [
        ['any', group4],
        ['any', iface4],
      ],
      keep: 2,
      prepare: (args) => safeGroup(args, 1, false),
    }),
  },
  sourceMembershipV4: {
    set: () => ({
      args: [
        ['any', group4],
        ['any', source4],
        ['any', mostly(fc.constantFrom('0.0.0.0', '127.0.0.1', '', 1))],
      ],
      keep: 3,
      prepare: (args) => safeGroup(args, 1, false),
    }),
  },
  groupSourceReq: {
    set: () => ({
      args: [
        ['any', fc.oneof(group4, group6)],
        ['any', fc.oneof(source4, source6)],
        ['any', ranged(0, INT32_MAX)],
      ],
      keep: 3,
      prepare: (args) => safeGroup(args, 1, typeof args[1] === 'string' && args[1].includes(':')),
    }),
  },
  uint64: { ok: (r) => typeof r === 'bigint' && r > 0n && r < 2n ** 64n },
  inetAddress: {
    ok: (r) =>
      (r?.family === 'inet' || r?.family === 'inet6') &&
      isIP(r.address) !== 0 &&
      Number.isInteger(r.port),
  },
  membershipV6: {
    set: () => ({
      args: [
        ['any', group6],
        ['any', ranged(0, INT32_MAX)],
      ],
      keep: 2,
      prepare: (args) => safeGroup(args, 1, true),
    }),
  },
};

function optionEntries() {
  const entries = {};
  for (const o of listOptions()) {
    const kind = OPTION_KINDS[o.kind];
    if (!kind) throw new Error(`fuzz/table.mjs: no generators for option kind ${o.kind}`);
    if (o.getter) {
      entries[o.getter] = { args: [fdRo], check: returned(o.getter, (r) => kind.ok(r, o)) };
    }
    if (o.setter) {
      const { args, ...more } = kind.set(o);
      entries[o.setter] = { args: [fdArg, ...args], ...more };
    }
  }
  return entries;
}

// A linger that is on with a time makes a close wait; on with 0 s it resets the connection at
// close and returns at once, so a valid time becomes 0 (out-of-range values stay, to be refused).
function lingerZero(at) {
  return (args) => {
    const s = args[at];
    if (Number.isInteger(s) && s > 0 && s <= INT32_MAX) args[at] = 0;
  };
}

// SO_BINDTODEVICE to any interface but lo would take a pool socket's traffic off loopback: such a
// name becomes '' (no binding). The kernel reads the name up to a NUL and cuts it at IFNAMSIZ - 1.
function defuseDevice(args, at, native) {
  if (typeof args[at] !== 'string') return;
  const name = Buffer.from(args[at].split('\0')[0]).subarray(0, 15).toString('latin1');
  if (name !== '' && name !== 'lo' && native.ifNameToIndex(name) > 0) args[at] = '';
}

// ---------------------------------------------------------------------------------------------
// The packet helpers of lib/tools/packet/. Decoders get bytes the matching encoder made from a random
// valid header, as they are or truncated, bit-flipped, with a length field changed or padding
// after them, and arbitrary bytes; encoders get headers with valid and out-of-range fields.

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: UINT32_MAX });

export const ipv4Text = fc.tuple(u8, u8, u8, u8).map((b) => b.join('.'));
// Full, compressed and dotted-tail forms, so the encoders' parser meets every shape.
export const ipv6Text = fc.oneof(
  fc.array(u16, { minLength: 8, maxLength: 8 }).map((w) => w.map((x) => x.toString(16)).join(':')),
  fc
    .tuple(fc.array(u16, { maxLength: 3 }), fc.array(u16, { maxLength: 3 }))
    .map(
      ([a, b]) =>
        `${a.map((x) => x.toString(16)).join(':')}::${b.map((x) => x.toString(16)).join(':')}`,
    ),
  ipv4Text.map((v4) => `::ffff:${v4}`),
  fc
    .tuple(fc.array(u16, { maxLength: 2 }), fc.array(u16, { maxLength: 2 }), ipv4Text)
    .map(
      ([a, b, v4]) =>
        `${a.map((x) => x.toString(16)).join(':')}::${[...b.map((x) => x.toString(16)), v4].join(':')}`,
    ),
  fc.constantFrom('::', '::1', 'fe80::1', 'ff02::1', '2001:db8::8:800:200c:417a', '::1.2.3.4'),
);

/** Valid header fields of each kind; `options` is the generator of option bytes. */
function headerFields(kind, c, options) {
  const flags4 = fc.subarray([c.IP_RF, c.IP_DF, c.IP_MF]).map((a) => a.reduce((x, y) => x | y, 0));
  switch (kind) {
    case 'IPv4':
      return {
        fields: {
          protocol: u8,
          source: ipv4Text,
          destination: ipv4Text,
          tos: u8,
          id: u16,
          flags: flags4,
          fragmentOffset: fc.integer({ min: 0, max: c.IP_OFFMASK }),
          ttl: u8,
          options,
        },
        required: ['protocol', 'source', 'destination'],
        overrides: ['totalLength', 'checksum'],
      };
    case 'IPv6':
      return {
        fields: {
          nextHeader: u8,
          source: ipv6Text,
          destination: ipv6Text,
          trafficClass: u8,
          flowLabel: fc.integer({ min: 0, max: 0xfffff }),
          hopLimit: u8,
        },
        required: ['nextHeader', 'source', 'destination'],
        overrides: ['payloadLength'],
      };
    case 'IcmpEcho':
    case 'Icmp6Echo': {
      const types =
        kind === 'IcmpEcho'
          ? [c.ICMP_ECHO, c.ICMP_ECHOREPLY]
          : [c.ICMP6_ECHO_REQUEST, c.ICMP6_ECHO_REPLY];
      return {
        fields: { identifier: u16, sequence: u16, type: fc.constantFrom(...types), code: u8 },
        required: ['identifier', 'sequence'],
        overrides: ['checksum'],
      };
    }
    case 'Udp':
      return {
        fields: { sourcePort: u16, destinationPort: u16 },
        required: ['sourcePort', 'destinationPort'],
        overrides: ['length', 'checksum'],
      };
    case 'Tcp':
      return {
        fields: {
          sourcePort: u16,
          destinationPort: u16,
          sequence: u32,
          acknowledgment: u32,
          flags: fc.integer({ min: 0, max: 0x1ff }),
          reserved: fc.integer({ min: 0, max: 7 }),
          window: u16,
          urgentPointer: u16,
          options,
        },
        required: ['sourcePort', 'destinationPort'],
        overrides: ['checksum'],
      };
    default:
      throw new Error(kind);
  }
}

const PACKET_KINDS = ['IPv4', 'IPv6', 'IcmpEcho', 'Icmp6Echo', 'Udp', 'Tcp'];
// Which encoders take the pseudo-header's addresses, and with which protocol.
const TRANSPORT = { Icmp6Echo: 'IPPROTO_ICMPV6', Udp: 'IPPROTO_UDP', Tcp: 'IPPROTO_TCP' };

const addressPair = fc.oneof(
  fc.record({ source: ipv4Text, destination: ipv4Text }),
  fc.record({ source: ipv6Text, destination: ipv6Text }),
);

const dropUndefined = (o) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** A valid header of `kind` as plain values, with its addresses where it takes them. */
export function validHeader(kind, c) {
  const { fields, required } = headerFields(kind, c, fc.uint8Array({ maxLength: 40 }));
  return fc.record({
    header: fc.record(fields, { requiredKeys: required }),
    payload: fc.uint8Array({ maxLength: 64 }),
    addresses:
      kind === 'IPv4' || kind === 'IPv6' || kind === 'IcmpEcho'
        ? fc.constant(undefined)
        : addressPair,
  });
}

// Where each kind keeps the fields that say how long it is: [offset, bits] (16: a big-endian
// word; 'hi'/'lo': a nibble of that byte; 8: the byte, for ICMP's type).
const LENGTH_FIELDS = {
  IPv4: [
    [0, 'lo'],
    [2, 16],
    [0, 'hi'],
  ],
  IPv6: [
    [4, 16],
    [0, 'hi'],
  ],
  IcmpEcho: [[0, 8]],
  Icmp6Echo: [[0, 8]],
  Udp: [[4, 16]],
  Tcp: [[12, 'hi']],
};

function setField(bytes, [at, bits], value) {
  if (bytes.length <= at + (bits === 16 ? 1 : 0)) return;
  if (bits === 16) {
    bytes[at] = (value >>> 8) & 0xff;
    bytes[at + 1] = value & 0xff;
  } else if (bits === 'hi') bytes[at] = (bytes[at] & 0x0f) | ((value & 0xf) << 4);
  else if (bits === 'lo') bytes[at] = (bytes[at] & 0xf0) | (value & 0xf);
  else bytes[at] = value & 0xff;
}

const mutation = fc.oneof(
  { arbitrary: fc.constant({ m: 'none' }), weight: 4 },
  { arbitrary: fc.nat().map((n) => ({ m: 'cut', n })), weight: 2 },
  {
    arbitrary: fc
      .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 3 })
      .map((flips) => ({ m: 'flip', flips })),
    weight: 2,
  },
  {
    arbitrary: fc
      .tuple(
        fc.nat(),
        fc.oneof(fc.constantFrom(0, 1, 4, 5, 6, 7, 8, 15, 19, 20, 39, 40, 41, 0xffff), u16),
        fc.constantFrom(-1, 0, 1),
      )
      .map(([field, value, rel]) => ({ m: 'length', field, value, rel })),
    weight: 3,
  },
  {
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((pad) => ({ m: 'pad', pad })),
    weight: 1,
  },
);

function mutate(bytes, mut, kind) {
  const b = Uint8Array.from(bytes);
  switch (mut.m) {
    case 'cut':
      return b.subarray(0, mut.n % (b.length + 1));
    case 'flip':
      for (const [pos, bit] of mut.flips) if (b.length) b[pos % b.length] ^= 1 << bit;
      return b;
    case 'length': {
      const fields = LENGTH_FIELDS[kind];
      // Mostly a value near the real length, so a length that is just wrong is tried often.
      const value = mut.rel === 0 ? mut.value : b.length + mut.rel - (kind === 'IPv6' ? 40 : 0);
      setField(b, fields[mut.field % fields.length], value);
      return b;
    }
    case 'pad':
      return Uint8Array.from([...b, ...mut.pad]);
    default:
      return b;
  }
}

/** Decoder input: an encoding of a valid header (mutated or not), arbitrary bytes, or junk. */
function packetBytes(kind, c, pkg) {
  const encoded = fc
    .tuple(validHeader(kind, c), mutation)
    .map(([{ header, payload, addresses }, mut]) => {
      const bytes = pkg[`encode${kind}`](header, payload, addresses);
      return Buffer.from(mutate(bytes, mut, kind)).toString('hex');
    });
  return fc.oneof(
    { arbitrary: S.bytesView(encoded), weight: 12 },
    { arbitrary: S.bytesView(S.hexBytes(80)), weight: 2 },
    { arbitrary: S.buffer, weight: 1 },
    { arbitrary: S.scalar, weight: 1 },
  );
}

/** Encoder header: valid fields nine times in ten each, overrides now and then, or junk. */
function headerSpec(kind, c) {
  const optionBytes = fc.oneof(
    { arbitrary: S.bytesView(S.hexBytes(40)), weight: 6 },
    { arbitrary: S.bytesView(S.hexBytes(48)), weight: 1 },
    { arbitrary: S.buffer, weight: 1 },
  );
  const { fields, required, overrides } = headerFields(kind, c, optionBytes);
  const fuzzy = (arb) =>
    fc.oneof(
      { arbitrary: arb, weight: 38 },
      { arbitrary: S.number, weight: 1 },
      { arbitrary: S.scalar, weight: 1 },
    );
  const all = Object.fromEntries(Object.entries(fields).map(([k, arb]) => [k, fuzzy(arb)]));
  for (const k of overrides) all[k] = fc.option(u16, { freq: 8, nil: undefined });
  // Sometimes with a hostile getter on any one field: each encoder reads its fields in its own
  // order, and a getter read after the payload was measured is what finds a second measure.
  return fc.oneof(
    {
      arbitrary: fc
        .tuple(
          fc.record(all, { requiredKeys: required }),
          S.trap,
          fc.constantFrom(...Object.keys(fields)),
        )
        .map(([v, trap, key]) =>
          trap ? { $: 'addr', v: dropUndefined(v), trap, key } : { $: 'obj', v: dropUndefined(v) },
        ),
      weight: 10,
    },
    { arbitrary: S.scalar, weight: 1 },
  );
}

const payloadSpec = fc.oneof(
  { arbitrary: S.bytesView(S.hexBytes(64)), weight: 8 },
  { arbitrary: S.buffer, weight: 1 },
  { arbitrary: S.scalar, weight: 1 },
);

const addressesSpec = fc.oneof(
  { arbitrary: addressPair.map((v) => ({ $: 'obj', v })), weight: 8 },
  {
    arbitrary: fc
      .record({
        source: fc.oneof(ipv4Text, ipv6Text, fc.constantFrom('fe80::1%lo', '', '1.2.3'), S.scalar),
        destination: fc.oneof(ipv4Text, ipv6Text, S.scalar),
      })
      .map((v) => ({ $: 'obj', v })),
    weight: 2,
  },
  { arbitrary: S.scalar, weight: 1 },
);

/** The decoded header and payload encoded again: the bytes they were read from. */
function reencode(kind, pkg, { header: h, payload }) {
  const anywhere = { source: '0.0.0.0', destination: '0.0.0.0' };
  switch (kind) {
    case 'IPv4':
    case 'IPv6':
      return pkg[`encode${kind}`](h, payload);
    case 'IcmpEcho':
    case 'Icmp6Echo':
      return pkg[`encode${kind}`](h, payload);
    case 'Udp':
      return pkg.encodeUdp(h, payload);
    case 'Tcp':
      return pkg.encodeTcp(h, payload, anywhere);
    default:
      throw new Error(kind);
  }
}

// Where the payload lies in a packet of `length` bytes, by its header's own length fields.
function payloadBounds(kind, h, length) {
  switch (kind) {
    case 'IPv4':
      return [h.ihl * 4, h.totalLength];
    case 'IPv6':
      return [40, 40 + h.payloadLength];
    case 'Udp':
      return [8, h.length];
    case 'Tcp':
      return [h.dataOffset * 4, length];
    default:
      return [8, length];
  }
}

// A decoder returns views inside its input (payload, options), the payload where the header's
// length fields put it, and fields that encode back to the bytes they came from.
function checkDecoded(kind, pkg) {
  return (r, [input]) => {
    if (!r || !(r.payload instanceof Uint8Array)) return 'decoded without a payload view';
    const inside = (v) =>
      v instanceof Uint8Array &&
      v.buffer === input.buffer &&
      v.byteOffset >= input.byteOffset &&
      v.byteOffset + v.byteLength <= input.byteOffset + input.byteLength;
    if (!inside(r.payload)) return 'the payload is not a view inside the input';
    if ('options' in r.header && !inside(r.header.options)) {
      return 'the options are not a view inside the input';
    }
    const [start, end] = payloadBounds(kind, r.header, input.length);
    const from = r.payload.byteOffset - input.byteOffset;
    if (from !== start || r.payload.byteLength !== end - start) {
      return `the payload is bytes ${from} to ${from + r.payload.byteLength}, not ${start} to ${end}`;
    }
    let again;
    try {
      again = reencode(kind, pkg, r);
    } catch (e) {
      return `the decoded header does not encode again: ${e.message}`;
    }
    const want = Uint8Array.from(input.subarray(0, again.length));
    if (again.length !== want.length) return `encodes again to ${again.length} bytes`;
    const at = again.findIndex((x, i) => x !== want[i]);
    return at < 0 ? null : `encodes again to other bytes, from byte ${at}`;
  };
}

// What an encoder made decodes to the fields it was given, and its checksum verifies when the
// encoder computed it.
function checkEncoded(kind, c, pkg) {
  return (r, [header, payload, addresses]) => {
    if (!(r instanceof Uint8Array)) return `encode${kind} returned no bytes`;
    // Whether the header sets a field (looked up without running a hostile getter).
    const given = (k) => Object.hasOwn(header, k) && (header[TRAPPED] || header[k] !== undefined);
    if (given('totalLength') || given('payloadLength') || given('length')) return null;
    // A getter changed the header or the views while the encoder read them: whatever it built
    // must still say its own length (a payload measured twice would not).
    if (header[TRAPPED]) return lengthFieldsAgree(kind, pkg, r);
    let d;
    try {
      d = pkg[`decode${kind}`](r);
    } catch (e) {
      // The echo encoders write any type they are given; the decoders read echo types only.
      if (e.code === 'ERR_PACKET_BAD_TYPE' && given('type')) return null;
      return `decode${kind} refused what encode${kind} made: ${e.code} ${e.message}`;
    }
    for (const [k, v] of Object.entries(header)) {
      if (typeof v === 'number' && k in d.header && d.header[k] !== v) {
        return `${k} ${v} decodes as ${d.header[k]}`;
      }
    }
    const sent = payload === undefined ? new Uint8Array(0) : payload;
    if (Buffer.compare(Buffer.from(d.payload), Buffer.from(sent)) !== 0) return 'payload differs';
    if (given('checksum')) return null;
    let sum = 0;
    if (kind === 'IPv4') sum = pkg.internetChecksum(r.subarray(0, d.header.ihl * 4));
    else if (kind === 'IcmpEcho') sum = pkg.internetChecksum(r);
    else if (TRANSPORT[kind] && addresses !== undefined) {
      sum = pkg.transportChecksum(r, c[TRANSPORT[kind]], addresses);
    }
    return sum === 0 ? null : `its checksum does not verify (${sum})`;
  };
}

// The length fields of an encoding the encoder computed itself (not given in the header),
// against the bytes it returned.
function lengthFieldsAgree(kind, pkg, r) {
  let d;
  try {
    d = pkg[`decode${kind}`](r);
  } catch {
    return null; // a header the getter turned invalid for its decoder, not a length
  }
  const h = d.header;
  const want =
    kind === 'IPv4'
      ? h.totalLength
      : kind === 'IPv6'
        ? 40 + h.payloadLength
        : kind === 'Udp'
          ? h.length
          : r.length;
  return want === r.length ? null : `encode${kind} wrote a length of ${want} for ${r.length} bytes`;
}

// The ones'-complement sum as RFC 1071 defines it, for comparison.
function referenceSum(data, sum) {
  let s = sum;
  for (let i = 0; i < data.length; i += 2) s += (data[i] << 8) | (data[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

function packetEntries(c, pkg) {
  const entries = {};
  for (const kind of PACKET_KINDS) {
    const args = [
      ['any', headerSpec(kind, c)],
      ['any', payloadSpec],
    ];
    if (TRANSPORT[kind])
      args.push([
        'any',
        kind === 'Tcp' ? addressesSpec : fc.oneof(addressesSpec, fc.constant(S.UNDEF)),
      ]);
    entries[`encode${kind}`] = {
      args,
      keep: kind === 'Tcp' ? 3 : 1,
      check: checkEncoded(kind, c, pkg),
    };
    entries[`decode${kind}`] = {
      args: [['any', packetBytes(kind, c, pkg)]],
      check: checkDecoded(kind, pkg),
    };
  }
  const anyPacket = fc.oneof(...PACKET_KINDS.map((k) => packetBytes(k, c, pkg)));
  const sum16 = fc.oneof(
    { arbitrary: u16, weight: 6 },
    { arbitrary: ranged(0, 0xffff), weight: 2 },
  );
  const protocol = fc.oneof(
    S.oneOfConstants(['IPPROTO_UDP', 'IPPROTO_TCP', 'IPPROTO_ICMPV6'], c),
    ranged(0, 0xff),
  );
  const sumCheck =
    (complement) =>
    (r, [data, sum = 0]) => {
      const want = referenceSum(data, sum);
      return r === (complement ? ~want & 0xffff : want) ? null : `${r} where ${want} was expected`;
    };
  const inRange = isInt('the checksum', 0, 0xffff);
  return {
    ...entries,
    onesComplementSum: {
      args: [
        ['any', anyPacket],
        ['any', sum16],
      ],
      keep: 1,
      check: sumCheck(false),
    },
    internetChecksum: {
      args: [
        ['any', anyPacket],
        ['any', sum16],
      ],
      keep: 1,
      check: sumCheck(true),
    },
    // Undoing an update gives back the same sum (0 and 0xffff are the same in ones' complement).
    updateChecksum: {
      args: [
        ['any', sum16],
        ['any', sum16],
        ['any', sum16],
      ],
      check: (r, [sum, from, to]) => {
        if (inRange(r)) return inRange(r);
        const back = pkg.updateChecksum(r, to, from);
        const same = back === sum || Math.min(back, sum) + 0xffff === Math.max(back, sum);
        return same ? null : `undone it gives ${back}, not ${sum}`;
      },
    },
    pseudoHeaderSum: {
      args: [
        ['any', addressesSpec],
        ['any', protocol],
        ['any', fc.oneof(u16, ranged(0, UINT32_MAX))],
      ],
      check: inRange,
    },
    transportChecksum: {
      args: [
        ['any', anyPacket],
        ['any', protocol],
        ['any', addressesSpec],
      ],
      check: inRange,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The addon's batch, address-slot and control-message functions.

const BATCH_FLAGS = ['MSG_DONTWAIT', 'MSG_PEEK', 'MSG_TRUNC', 'MSG_WAITFORONE', 'MSG_CONFIRM'];

/**
 * The arguments a native batch call takes between its fd and its flags, mostly consistent with
 * each other (views as iovCounts says, names and state as long as the messages need) and then
 * not: `slab` gives the views as one ArrayBuffer and a layout. Names are zeros (AF_UNSPEC), so a
 * destination length in state reaches the kernel without naming any host.
 */
function batchArgs(native, { slab, send }) {
  const slot = native.sizeofSockaddrStorage;
  const junk = (good, weight = 20) =>
    fc.oneof(
      { arbitrary: good, weight },
      { arbitrary: S.buffer, weight: 1 },
      { arbitrary: S.scalar, weight: 1 },
    );
  const addrLength = fc.constantFrom(0, 0, 0, 16, 28, 110, slot, slot + 1, -1);
  return fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }).chain((counts) => {
    const n = counts.length;
    const total = counts.reduce((x, y) => x + y, 0);
    const iovCounts = fc.oneof(
      { arbitrary: fc.constant(S.typedArray('Int32Array', counts)), weight: 8 },
      {
        arbitrary: fc
          .array(
            fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constantFrom(1024, 1025, INT32_MAX)),
            {
              maxLength: 5,
            },
          )
          .map((v) => S.typedArray('Int32Array', v)),
        weight: 1,
      },
      { arbitrary: S.buffer, weight: 1 },
    );
    const names = fc.oneof(
      {
        arbitrary: fc.constant(S.typedArray('Uint8Array', new Array(n * slot).fill(0))),
        weight: 6,
      },
      { arbitrary: fc.constant(null), weight: 3 },
      {
        arbitrary: fc.constant(
          S.typedArray('Uint8Array', new Array(Math.max(0, n * slot - 1)).fill(0)),
        ),
        weight: 1,
      },
      { arbitrary: S.buffer, weight: 1 },
    );
    const state = junk(
      fc.oneof(
        {
          arbitrary: fc
            .array(send ? addrLength : fc.constant(0), { minLength: n, maxLength: n })
            .map((l) =>
              S.typedArray(
                'Int32Array',
                l.flatMap((x) => [0, 0, x]),
              ),
            ),
          weight: 8,
        },
        {
          arbitrary: fc.constant(
            S.typedArray('Int32Array', new Array(Math.max(0, 3 * n - 1)).fill(0)),
          ),
          weight: 1,
        },
      ),
    );
    let views;
    if (slab) {
      views = fc
        .tuple(
          fc.integer({ min: 0, max: 512 }),
          fc.constantFrom('empty', 'garbage'),
          fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: total, maxLength: total }),
          fc.constantFrom('fits', 'fits', 'fits', 'fits', 'past', 'odd', 'short'),
        )
        .map(([len, fill, pairs, how]) => {
          // [byteOffset, byteLength] per view: inside the slab, past its end, fractional, or a
          // layout of the wrong length.
          const layout = pairs.flatMap(([a, b]) => {
            const off = len ? a % (len + 1) : 0;
            const length = how === 'past' ? len - off + 1 + (b % 4) : b % (len - off + 1);
            return how === 'odd' ? [off + 0.5, length] : [off, length];
          });
          if (how === 'short') layout.pop();
          return [
            { $: 'slot', len, fill, hex: 'ab'.repeat(len) },
            S.typedArray('Float64Array', layout),
          ];
        });
    } else {
      views = fc.oneof(
        {
          arbitrary: fc
            .array(S.buffer, { minLength: total, maxLength: total })
            .map((v) => [{ $: 'arr', v }]),
          weight: 8,
        },
        {
          arbitrary: fc.array(S.buffer, { maxLength: 4 }).map((v) => [{ $: 'arr', v }]),
          weight: 1,
        },
        { arbitrary: S.scalar.map((v) => [v]), weight: 1 },
      );
    }
    return fc.tuple(views, iovCounts, names, state).map(([v, ...rest]) => [...v, ...rest]);
  });
}

// A sockaddr as the kernel or a caller could leave it in a slot: a family the decoder knows or
// not, then any bytes.
function sockaddrHex(c, slot) {
  const family = fc.oneof(
    S.oneOfConstants(
      ['AF_INET', 'AF_INET6', 'AF_UNIX', 'AF_PACKET', 'AF_NETLINK', 'AF_UNSPEC'],
      c,
    ).filter((f) => Number.isInteger(f) && f >= 0 && f <= 0xffff),
    u16,
  );
  return fc
    .tuple(family, fc.uint8Array({ minLength: slot - 2, maxLength: slot - 2 }))
    .map(([f, rest]) => Buffer.concat([Buffer.from([f & 0xff, f >> 8]), rest]).toString('hex'));
}

// Control-message bytes as recvmsg would find them: cmsghdrs (a size_t length, then level and
// type) of every kind the decoder knows, with lengths that fit, fall short or run past the end.
function cmsgHex(c) {
  const kinds = [
    ['SOL_SOCKET', 'SCM_RIGHTS'],
    ['SOL_SOCKET', 'SCM_CREDENTIALS'],
    ['SOL_SOCKET', 'SO_TIMESTAMP'],
    ['SOL_SOCKET', 'SO_TIMESTAMPNS'],
    ['SOL_SOCKET', 'SO_RXQ_OVFL'],
    ['IPPROTO_IP', 'IP_TTL'],
    ['IPPROTO_IP', 'IP_TOS'],
    ['IPPROTO_IP', 'IP_PKTINFO'],
    ['IPPROTO_IP', 'IP_RECVERR'],
    ['IPPROTO_IPV6', 'IPV6_HOPLIMIT'],
    ['IPPROTO_IPV6', 'IPV6_TCLASS'],
    ['IPPROTO_IPV6', 'IPV6_PKTINFO'],
    ['IPPROTO_IPV6', 'IPV6_RECVERR'],
  ]
    .filter(([l, t]) => c[l] !== undefined && c[t] !== undefined)
    .map(([l, t]) => [c[l], c[t]]);
  const header = 16; // sizeof(struct cmsghdr) on 64-bit Linux
  const one = fc
    .tuple(
      fc.oneof(
        { arbitrary: fc.constantFrom(...kinds), weight: 6 },
        { arbitrary: fc.tuple(fc.integer(), fc.integer()), weight: 1 },
      ),
      fc.oneof(
        fc.constantFrom(0, 1, 3, 4, 8, 12, 16, 20, 24, 28, 32, 40, 44, 60),
        fc.integer({ min: 0, max: 80 }),
      ),
      fc.oneof(
        { arbitrary: fc.constant('fits'), weight: 6 },
        { arbitrary: fc.constantFrom(0, 1, 15, 16, 17, 4096, 2 ** 32, 2 ** 53), weight: 1 },
      ),
      fc.uint8Array({ maxLength: 80 }),
    )
    .map(([[level, type], n, len, data]) => {
      const b = Buffer.alloc(header + Math.ceil(n / 8) * 8);
      b.writeBigUInt64LE(BigInt(len === 'fits' ? header + n : len), 0);
      b.writeInt32LE(level | 0, 8);
      b.writeInt32LE(type | 0, 12);
      b.set(data.subarray(0, n), header);
      return b;
    });
  return fc
    .tuple(fc.array(one, { maxLength: 3 }), fc.option(fc.nat(), { nil: undefined }))
    .map(([list, cut]) => {
      const all = Buffer.concat(list);
      return (cut === undefined ? all : all.subarray(0, cut % (all.length + 1))).toString('hex');
    });
}

function nativeMessageEntries(c, native) {
  const slot = native.sizeofSockaddrStorage;
  const flags = ['any', S.flagsOf(BATCH_FLAGS, c)];
  const timeout = ['timeout', fc.oneof(fc.constantFrom(0, 0, 1, -1, -2), S.scalar)];
  const batch = (opts) => ['spread', batchArgs(native, opts)];
  const count = (what) => (r) =>
    typeof r === 'number' && Number.isInteger(r) && r >= -4095 && r <= 1024
      ? null
      : `${what} returned ${r}`;
  const length = fc.oneof(ranged(0, 65536), fc.constantFrom(65537, 2 ** 31));
  // Per-message control: lists for sendmmsg (or null each), lengths for recvmmsg; mostly absent.
  const { control } = messageArbitraries(c);
  const controls = [
    'any',
    fc.oneof(
      { arbitrary: fc.constant(S.UNDEF), weight: 4 },
      {
        arbitrary: fc
          .array(fc.oneof(control, fc.constant(null)), { maxLength: 5 })
          .map((v) => ({ $: 'arr', v })),
        weight: 4,
      },
      { arbitrary: S.scalar, weight: 1 },
    ),
  ];
  const controlLengths = [
    'any',
    fc.oneof(
      { arbitrary: fc.constant(S.UNDEF), weight: 4 },
      {
        arbitrary: fc
          .array(fc.constantFrom(0, 16, 24, 256, 65536, 65537, -1), { maxLength: 5 })
          .map((v) => S.typedArray('Int32Array', v)),
        weight: 4,
      },
      { arbitrary: S.scalar, weight: 1 },
    ),
  ];
  const countOrControl = (what) => (r) =>
    Array.isArray(r) ? (r.every(Array.isArray) ? null : `${what} control lists`) : count(what)(r);
  const offset = fc.oneof(
    { arbitrary: fc.constantFrom(0, 0, 0, slot), weight: 8 },
    { arbitrary: fc.constantFrom(1, 7, -1, 2 ** 31), weight: 1 },
    { arbitrary: S.number, weight: 1 },
  );
  const names = fc.oneof(
    {
      arbitrary: fc
        .constantFrom(slot, slot, 2 * slot, 2 * slot, 0, slot - 1, slot + 1)
        .map((len) => S.typedArray('Uint8Array', new Array(len).fill(0))),
      weight: 6,
    },
    { arbitrary: S.buffer, weight: 2 },
    { arbitrary: S.scalar, weight: 1 },
  );
  const filledNames = fc
    .tuple(
      fc.array(sockaddrHex(c, slot), { minLength: 1, maxLength: 2 }),
      fc.oneof({ arbitrary: fc.constant(0), weight: 8 }, { arbitrary: fc.nat(8), weight: 1 }),
    )
    .chain(([slots, cut]) =>
      S.bytesView(fc.constant(slots.join('').slice(0, slots.join('').length - 2 * cut))),
    );
  const addressOrNull = (r) =>
    r === null || typeof r?.family === 'string' ? null : `decodeAddress returned ${String(r)}`;
  return {
    sendmmsg: {
      args: [fdArg, batch({ send: true }), flags, controls],
      check: count('sendmmsg'),
      scanFds: () => true,
    },
    recvmmsg: {
      args: [fdArg, batch({}), flags, timeout, controlLengths],
      check: countOrControl('recvmmsg'),
      scanFds: () => true,
    },
    sendmmsgSlab: {
      args: [fdArg, batch({ slab: true, send: true }), flags, controls],
      check: count('sendmmsgSlab'),
      scanFds: () => true,
    },
    recvmmsgSlab: {
      args: [fdArg, batch({ slab: true }), flags, timeout, controlLengths],
      check: countOrControl('recvmmsgSlab'),
      scanFds: () => true,
    },
    encodeAddress: {
      args: [['any', names], ['any', offset], nativeAddress(c)],
      check: (r) =>
        r === undefined || (Number.isInteger(r) && r > 0 && r <= slot)
          ? null
          : `encodeAddress returned ${r}`,
    },
    decodeAddress: {
      args: [
        ['any', fc.oneof({ arbitrary: filledNames, weight: 8 }, { arbitrary: names, weight: 1 })],
        [
          'any',
          fc.oneof(
            { arbitrary: fc.constantFrom(0, 0, 0, slot), weight: 8 },
            { arbitrary: offset, weight: 1 },
          ),
        ],
        [
          'any',
          fc.oneof(
            fc.constantFrom(0, 1, 2, 4, 8, 14, 16, 20, 24, 28, 110, slot),
            fc.nat(slot),
            S.number,
          ),
        ],
      ],
      check: addressOrNull,
    },
    cmsgSpace: {
      args: [['any', length]],
      check: (r, [n]) => (r >= n && r % 8 === 0 ? null : `cmsgSpace(${n}) = ${r}`),
    },
    cmsgLen: {
      args: [['any', length]],
      check: (r, [n]) => (r >= n ? null : `cmsgLen(${n}) = ${r}`),
    },
    decodeControl: {
      args: [
        [
          'any',
          fc.oneof(
            { arbitrary: S.bytesView(cmsgHex(c)), weight: 8 },
            { arbitrary: S.buffer, weight: 1 },
          ),
        ],
      ],
      check: (r) => (Array.isArray(r) ? null : 'decodeControl returned no list'),
    },
  };
}

/** The native address group (family, host, port, flowinfo, scopeId), spread over five. */
function nativeAddress(c) {
  return [
    'naddr',
    fc
      .tuple(
        S.familyAndHost(c),
        S.port,
        fc.oneof(fc.constantFrom(0, -1, 0x7fffffff), S.scalar),
        fc.oneof(fc.constantFrom(0, 1, -1, 0x7fffffff), S.scalar),
      )
      .map(([[family, host], port, flowinfo, scopeId]) => [family, host, port, flowinfo, scopeId]),
  ];
}
