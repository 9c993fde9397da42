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
//            five positions), 'any'.
//   keep     how many leading arguments are never dropped (the arity mutation drops the rest)
//   creates  (result, args) -> the fds the call opened, which the worker closes at once
//   scanFds  args -> whether the call may open fds it does not return: the worker then closes
//            whatever is new in /proc/self/fd after it
//   heal     the call may close a pool fd or make it blocking: repair the pool after it
//   construct  call with `new`
//   check    (result, args) -> a broken invariant as text, or null
//   prepare  (args, constants, native) -> void; defuses values that would make a call block or
//            reach off this machine
import fc from 'fast-check';

import * as S from './specs.mjs';

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

function pollTimeout() {
  return ['timeout', fc.oneof(fc.constantFrom(0, 0, 0, 1, -1, -2, 1000), S.scalar)];
}

/** The entries for the package's exports, keyed by export name. */
export function packageTable(c) {
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

  const { sendMessage, recvMessage } = messageArbitraries(c);
  // Fds that arrive in SCM_RIGHTS are new fds of this process; the worker finds them.
  const msgEntry = (message) => ({ args: [fdArg, ['any', message]], scanFds: () => true });

  return {
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
    connect: { args: [fdArg, ['any', S.address]] },
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
    if_nametoindex: { args: [['any', S.string]] },
    if_indextoname: { args: [['any', S.number]] },
    errnoName: { args: [['any', S.number]] },
    formatAddress: { args: [['any', fc.oneof(S.address, S.scalar)]] },
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
    obj({ type: fc.constantFrom('timestamp', 'pidfd', 'recverr', 'nope') }),
    S.scalar,
  );
  const sendMessage = fc.oneof(
    {
      arbitrary: obj({
        buffers,
        address: S.address,
        control: fc.oneof(arr(control, 3), S.scalar),
        flags: S.flagsOf(MSG_FLAGS, c),
      }),
      weight: 8,
    },
    { arbitrary: S.scalar, weight: 1 },
  );
  const recvMessage = fc.oneof(
    {
      arbitrary: obj({
        buffers,
        controlLength: fc.oneof(fc.constantFrom(0, 1, 16, 24, 256, 65536, 65537), S.number),
        flags: S.flagsOf(MSG_FLAGS, c),
      }),
      weight: 8,
    },
    { arbitrary: S.scalar, weight: 1 },
  );
  return { sendMessage, recvMessage };
}

/** The entries for the addon's raw functions (dist/native.js), which trust no caller either. */
export function nativeTable(c, native) {
  const i32 = (name) => ['any', S.oneOfConstants([name], c)];
  const int = ['any', S.number];
  // (family, host, port, flowinfo, scopeId) as lib/address.ts flattens an address: one
  // generator, spread over five arguments by the worker, so family and host mostly agree.
  const addr = [
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
  return {
    socket: { args: [i32('AF_INET'), i32('SOCK_DGRAM'), int], creates: created },
    socketpair: {
      args: [i32('AF_UNIX'), i32('SOCK_STREAM'), int],
      creates: (r) => (Array.isArray(r) ? r : []),
    },
    bind: { args: [fdArg, addr] },
    listen: { args: [fdArg, int] },
    accept: { args: [fdArg, int], creates: (r) => (r && typeof r.fd === 'number' ? [r.fd] : []) },
    connect: { args: [fdArg, addr] },
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
    recvfrom: { args: [fdArg, ['any', S.buffer], msgFlags] },
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
    pidfdOpen: { args: [['any', pid]], creates: created },
    pidfdGetfd: {
      args: [fdRo, ['any', fc.oneof(fc.constantFrom(0, 1, 2, 3), S.number)]],
      creates: created,
    },
    ifNameToIndex: { args: [['any', S.string]] },
    ifIndexToName: { args: [int] },
    lastErrno: { args: [] },
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

// An ioctl that sets something on an interface (SIOCSIF*: flags, address, MTU, …) names the
// interface in the struct ifreq's first IFNAMSIZ bytes. Run as root, one with `lo` there could
// take loopback down for the whole machine, so the name is always empty (ENODEV): the fuzzer
// exercises the argument checks and the struct passing, never a real interface.
const IFNAMSIZ = 16;

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
