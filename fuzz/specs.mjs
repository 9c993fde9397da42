// The fuzzer's argument generators. Each arbitrary yields a *spec*: plain data that describes an
// argument (a pool fd by name, a buffer by type/length/backing, an address with bad fields)
// rather than the live value. Specs log as JSON and replay by hand; fuzz/pool.mjs turns them
// into values, fresh for every call, so one call's detached buffer or closed fd never leaks
// into the next.
//
// A spec is either a JSON value used as it is, or an object tagged with `$`:
//   {$:'undef'} {$:'num', v:'NaN'|'Infinity'|'-Infinity'|'-0'} {$:'big', v:'10'} {$:'sym'}
//   {$:'fn'} {$:'proxy'} {$:'obj', v:{..specs}} {$:'arr', v:[..specs]}
//   {$:'str', s:'a', n:200}                      a long string without a long log line
//   {$:'fd', name}                                an fd of the pool (fuzz/pool.mjs), 'closed', 'stdio'
//   {$:'buf', type, len, off, mode, hex?, fill?}  an ArrayBufferView with guard bytes around it,
//                                                 holding `hex` bytes or `fill` elements
//   {$:'port', of}                                the port a pool socket is bound to
//   {$:'abstract', hex, own}                      an abstract unix name under this run's prefix
//   {$:'addr', v:{..specs}, trap, key}            an address (or header) object, optionally with a
//                                                 hostile getter (on field `key`)
//   {$:'kaddr', of}                               an address the kernel returned (getsockname)
//   {$:'slot', len, fill, hex}                    sendtoSlot's ArrayBuffer: empty, garbage or filled
//   {$:'inspection', of, drop, set}               inspect() of a pool fd, keys dropped or set to specs
//   {$:'fdtable', drop, set, extra}               listFds() of this process, one entry changed, extras
import fc from 'fast-check';

const tag = ($, fields = {}) => ({ $, ...fields });

export const UNDEF = tag('undef');

/** The pool's fds by name; see fuzz/pool.mjs. */
export const POOL_FDS = [
  'udp4',
  'udp6',
  'tcpListen',
  'tcpClient',
  'tcpServer',
  'tcpFresh',
  'tcp6Fresh',
  'unixStreamA',
  'unixStreamB',
  'unixDgramA',
  'unixDgramB',
  'unixSeqA',
  'unixSeqB',
  'unixListen',
  'pipeR',
  'pipeW',
  'devnull',
  'file',
  'dir',
  'epoll',
];

/** Pool sockets bound to a port, so a destination can name them. */
export const PORTED = ['udp4', 'udp6', 'tcpListen'];

// Numbers at and around every boundary the API has: int32, uint32, ports, 2^53, fractions.
const edgeNumbers = fc.constantFrom(
  0,
  1,
  -1,
  2,
  3,
  7,
  8,
  255,
  256,
  1023,
  65535,
  65536,
  0x7fffffff,
  -0x80000000,
  0x80000000,
  0xffffffff,
  0x100000000,
  2 ** 53,
  -(2 ** 53),
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  0.5,
  1.5,
  -1.5,
  3.000001,
);
const specialNumbers = fc.constantFrom(
  tag('num', { v: 'NaN' }),
  tag('num', { v: 'Infinity' }),
  tag('num', { v: '-Infinity' }),
  tag('num', { v: '-0' }),
);

/** Any number a caller could pass: boundaries, specials, small and full-range integers, doubles. */
export const number = fc.oneof(
  { arbitrary: edgeNumbers, weight: 4 },
  { arbitrary: specialNumbers, weight: 1 },
  { arbitrary: fc.integer({ min: -4, max: 4096 }), weight: 2 },
  { arbitrary: fc.integer(), weight: 2 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
);

const longString = fc.record({
  $: fc.constant('str'),
  s: fc.constantFrom('a', 'é', '\0', '☃', '\uD800'),
  n: fc.constantFrom(100, 107, 108, 109, 200, 4096, 100_000),
});

/** Strings: empty, numeric-looking, NUL-laden, lone surrogates, random, very long. */
export const string = fc.oneof(
  fc.constantFrom('', 'x', '3', '0x10', ' 1', 'a\0b', '\0', '\uD800', 'lo', 'eth0', '%', 'inet'),
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 12, unit: 'binary' }),
  longString,
);

/** Values of every type that is not a number, string, buffer or fd. */
const otherScalar = fc.constantFrom(
  UNDEF,
  null,
  true,
  false,
  tag('big', { v: '0' }),
  tag('big', { v: '10' }),
  tag('big', { v: '-1' }),
  tag('big', { v: '18446744073709551616' }),
  tag('sym'),
  tag('fn'),
  tag('proxy'),
  tag('obj', { v: {} }),
  tag('arr', { v: [] }),
  tag('arr', { v: [1, 2, 3] }),
);

/** One argument of no particular role: anything at all except structured specs. */
export const scalar = fc.oneof(
  { arbitrary: number, weight: 3 },
  { arbitrary: string, weight: 2 },
  { arbitrary: otherScalar, weight: 2 },
);

const VIEW_TYPES = [
  'Buffer',
  'Uint8Array',
  'Int8Array',
  'Uint8ClampedArray',
  'Uint16Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'DataView',
];

// plain: an ArrayBuffer of its own with guard bytes before and after the view; shared: a
// SharedArrayBuffer; resizable/tracking: a resizable ArrayBuffer with a fixed or a
// length-tracking view; detached: its ArrayBuffer transferred away; pool: a Buffer from
// Node's shared allocation pool, whose neighbours are other Buffers.
const BUF_MODES = [
  'plain',
  'plain',
  'plain',
  'shared',
  'resizable',
  'tracking',
  'detached',
  'pool',
];

/** An ArrayBufferView of any type, length, offset and backing. */
export const buffer = fc.record({
  $: fc.constant('buf'),
  type: fc.constantFrom(...VIEW_TYPES),
  len: fc.oneof(
    { arbitrary: fc.constantFrom(0, 1, 2, 7, 8, 64, 4096, 65536), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: 300 }), weight: 3 },
  ),
  off: fc.constantFrom(0, 0, 1, 3, 8),
  mode: fc.constantFrom(...BUF_MODES),
});

const poolFd = fc.constantFrom(...POOL_FDS).map((name) => tag('fd', { name }));
// Numbers that are never open here (closed long ago or never opened) and the process's own
// stdio, which only read-only calls may be given (fuzz/pool.mjs enforces that).
const closedFd = fc.constant(tag('fd', { name: 'closed' }));
const stdioFd = fc.constant(tag('fd', { name: 'stdio' }));

/** An fd argument: mostly live fds of every kind, sometimes closed ones or junk. */
export const fd = fc.oneof(
  { arbitrary: poolFd, weight: 12 },
  { arbitrary: closedFd, weight: 2 },
  { arbitrary: stdioFd, weight: 1 },
  { arbitrary: number, weight: 2 },
  { arbitrary: scalar, weight: 1 },
);

/** A protocol family, socket type or level: mostly real values, sometimes anything. */
export function oneOfConstants(names, constants) {
  const values = names.map((n) => constants[n]).filter((v) => v !== undefined);
  return fc.oneof(
    { arbitrary: fc.constantFrom(...values), weight: 6 },
    {
      arbitrary: fc.constantFrom(...values).chain((v) => fc.constantFrom(v | 1, v + 1)),
      weight: 1,
    },
    { arbitrary: number, weight: 2 },
    { arbitrary: scalar, weight: 1 },
  );
}

/** Flags: ORs of the given constants, or anything. */
export function flagsOf(names, constants) {
  const bits = names.map((n) => constants[n]).filter((v) => v !== undefined);
  return fc.oneof(
    { arbitrary: fc.subarray(bits).map((a) => a.reduce((x, y) => x | y, 0)), weight: 6 },
    { arbitrary: number, weight: 2 },
    { arbitrary: scalar, weight: 1 },
  );
}

/** A port: a pool socket's own, a closed one, the edges, or junk. Never someone else's port. */
export const port = fc.oneof(
  { arbitrary: fc.constantFrom(...PORTED).map((of) => tag('port', { of })), weight: 4 },
  { arbitrary: fc.constantFrom(0, 9, 1, 65535, 65536, -1, 1.5, 2 ** 31), weight: 3 },
  { arbitrary: specialNumbers, weight: 1 },
  { arbitrary: scalar, weight: 1 },
);

// Destinations stay on this machine: loopback, the unspecified address (which Linux sends to
// loopback), and text that is no address at all. pool.mjs checks every value again.
const ipv4Text = fc.oneof(
  { arbitrary: fc.constantFrom('127.0.0.1', '127.0.0.1', '127.1.2.3', '0.0.0.0'), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      '',
      '256.0.0.1',
      '127.0.0',
      '127.0.0.1.',
      '127.0.0.01',
      ' 127.0.0.1',
    ),
    weight: 1,
  },
  {
    arbitrary: fc.constantFrom('::1', 'localhost', '127.0.0.1\0', '127.0.0.1%lo', '0x7f.1'),
    weight: 1,
  },
);
const ipv6Text = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      '::1',
      '::1',
      '::',
      '::ffff:127.0.0.1',
      '0:0:0:0:0:0:0:1',
      'fe80::1%lo',
    ),
    weight: 6,
  },
  {
    arbitrary: fc.constantFrom(
      '::1%lo',
      '::1%1',
      '::1%',
      '::1%nonexistent0',
      '::1%999999',
      'fe80::1%0',
    ),
    weight: 1,
  },
  {
    arbitrary: fc.constantFrom(
      '',
      ':::',
      '::1::',
      '127.0.0.1',
      '::g',
      '[::1]',
      '::1\0',
      'a'.repeat(46),
    ),
    weight: 1,
  },
);

const UNIX_NAMES = ['s0', 's1', 's2', 'listen.sock', 'file', 'fifo', '.', '/', '/nonexistent/s'];
const unixPath = fc.oneof(
  { arbitrary: fc.constantFrom(...UNIX_NAMES), weight: 4 },
  { arbitrary: fc.constantFrom('', 'a\0b', '\0lead', 'trail\0'), weight: 2 },
  {
    arbitrary: fc.record({
      $: fc.constant('str'),
      s: fc.constantFrom('a', 'é', '☃'),
      n: fc.constantFrom(35, 36, 53, 54, 106, 107, 108, 109, 200),
    }),
    weight: 2,
  },
  // As bytes: names that are not UTF-8, and a NUL, an empty and a too-long one.
  {
    arbitrary: bytesView(
      fc.constantFrom('fffe', '73ff', 'c0af', 'eda080', '7300ff', '', '61'.repeat(108)),
    ),
    weight: 2,
  },
  { arbitrary: scalar, weight: 1 },
);

const abstractName = fc.oneof(
  {
    arbitrary: fc.record({
      $: fc.constant('abstract'),
      hex: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b).toString('hex')),
      own: fc.constant(true),
    }),
    weight: 4,
  },
  // Exactly at and past sun_path: 107 bytes fit after the leading NUL, 108 do not.
  {
    arbitrary: fc
      .constantFrom(0, 1, 106, 107, 108, 200)
      .map((n) => tag('abstract', { hex: '00'.repeat(n), own: false })),
    weight: 1,
  },
  { arbitrary: fc.constantFrom('', 'name', 'a\0b', 'x'.repeat(107), 'x'.repeat(108)), weight: 1 },
  { arbitrary: buffer, weight: 1 },
  { arbitrary: scalar, weight: 1 },
);

// throw: the getter throws; detach/shrink/grow: it detaches (or shrinks, or grows to their
// maximum) every buffer of the call; flip: it returns the value once and a Symbol after, so a
// second read sees junk.
export const trap = fc.constantFrom(
  ...Array(9).fill(undefined),
  'throw',
  'detach',
  'shrink',
  'grow',
  'flip',
);

// Mostly every field present; one time in six any of them may be missing.
function addrObject(fields) {
  const v = fc.oneof(
    { arbitrary: fc.record(fields), weight: 5 },
    { arbitrary: fc.record(fields, { requiredKeys: [] }), weight: 1 },
  );
  return fc.tuple(v, trap).map(([v, t]) => (t ? tag('addr', { v, trap: t }) : tag('addr', { v })));
}

const family = (name) =>
  fc.oneof({ arbitrary: fc.constant(name), weight: 12 }, { arbitrary: scalar, weight: 1 });

/**
 * An address object for bind/connect/sendto: every family, each with good and bad fields,
 * missing or extra keys, wrong families, addresses the kernel returned, and hostile getters.
 */
export const address = fc.oneof(
  {
    arbitrary: addrObject({ family: family('inet'), address: ipv4Text, port }),
    weight: 4,
  },
  {
    arbitrary: addrObject({
      family: family('inet6'),
      address: ipv6Text,
      port,
      flowinfo: fc.oneof(fc.constantFrom(0, 1, 0xfffff, 0xffffffff, 2 ** 32, -1), scalar),
      scopeId: fc.oneof(fc.constantFrom(0, 1, 0xffffffff, 2 ** 32, -1, 1.5), scalar),
    }),
    weight: 3,
  },
  { arbitrary: addrObject({ family: family('unix'), path: unixPath }), weight: 3 },
  { arbitrary: addrObject({ family: family('unix'), abstract: abstractName }), weight: 3 },
  { arbitrary: addrObject({ family: family('unix') }), weight: 1 },
  {
    arbitrary: addrObject({ family: family('unix'), path: unixPath, pathBytes: unixPath }),
    weight: 1,
  },
  {
    arbitrary: addrObject({ family: family('unix'), path: unixPath, abstract: abstractName }),
    weight: 1,
  },
  {
    arbitrary: addrObject({
      family: fc.constantFrom('INET', 'inet4', 'ipv4', 'other', 'packet', '', 2, 1, 10, 17),
      address: ipv4Text,
      port,
      path: unixPath,
    }),
    weight: 1,
  },
  // Node's shape (server.address()): 'IPv4'/'IPv6', or 4/6 as older Node wrote it.
  {
    arbitrary: addrObject({
      family: fc.constantFrom('IPv4', 'IPv6', 4, 6),
      address: fc.oneof(ipv4Text, ipv6Text),
      port,
    }),
    weight: 1,
  },
  { arbitrary: fc.constantFrom(...POOL_FDS).map((of) => tag('kaddr', { of })), weight: 1 },
  { arbitrary: scalar, weight: 1 },
);

/**
 * The native layer's address group (family, host) as lib/sys/address.ts flattens an address: a
 * family and a host that belong together most of the time, any pairing otherwise.
 */
export function familyAndHost(c) {
  const host = fc.oneof(ipv4Text, ipv6Text, unixPath, abstractName, fc.constant(null));
  return fc.oneof(
    { arbitrary: fc.tuple(fc.constant(c.AF_INET), ipv4Text), weight: 3 },
    { arbitrary: fc.tuple(fc.constant(c.AF_INET6), ipv6Text), weight: 3 },
    {
      arbitrary: fc.tuple(
        fc.constant(c.AF_UNIX),
        fc.oneof(unixPath, abstractName, fc.constant(null)),
      ),
      weight: 3,
    },
    {
      arbitrary: fc.tuple(
        oneOfConstants(['AF_INET', 'AF_INET6', 'AF_UNIX', 'AF_UNSPEC', 'AF_PACKET'], c),
        host,
      ),
      weight: 2,
    },
  );
}

/** Anything, including structured values; what the generic fallback passes. */
export const anything = fc.oneof(
  { arbitrary: scalar, weight: 4 },
  { arbitrary: fd, weight: 2 },
  { arbitrary: buffer, weight: 2 },
  { arbitrary: address, weight: 1 },
);

/** A boolean, or not. */
export const boolean = fc.oneof(
  { arbitrary: fc.boolean(), weight: 6 },
  { arbitrary: fc.constantFrom(0, 1, 'true', null, UNDEF), weight: 1 },
  { arbitrary: scalar, weight: 1 },
);

/** Given bytes (hex) in a view of any backing: mostly a Uint8Array, at any offset. */
export function bytesView(hex) {
  return fc
    .record({
      hex,
      type: fc.constantFrom('Uint8Array', 'Uint8Array', 'Uint8Array', 'Buffer'),
      off: fc.constantFrom(0, 0, 1, 3, 8),
      mode: fc.constantFrom(...BUF_MODES),
    })
    .map(({ hex: h, type, off, mode }) =>
      tag('buf', { type, len: h.length / 2, off, mode, hex: h }),
    );
}

/** A typed array of `type` holding `values`, with guard bytes around it. */
export function typedArray(type, values) {
  return tag('buf', { type, len: values.length, off: 0, mode: 'plain', fill: values });
}

/** Random bytes as hex. */
export function hexBytes(maxLength) {
  return fc.uint8Array({ maxLength }).map((b) => Buffer.from(b).toString('hex'));
}

// Keys of what inspect() and listFds() return, including nested ones a formatter reads.
const INSPECTION_KEYS = [
  'fd',
  'kind',
  'target',
  'inode',
  'family',
  'type',
  'protocol',
  'numbers',
  'localAddress',
  'remoteAddress',
  'nonblocking',
  'cloexec',
  'recvBufferSize',
  'sendBufferSize',
  'recvQueue',
  'sendQueue',
  'listening',
  'acceptQueue',
  'drops',
  'tcp',
  'position',
  'size',
];
const FD_ENTRY_KEYS = ['fd', 'kind', 'target', 'protocol', 'socket'];
const changes = (keys) =>
  fc.record({
    drop: fc.subarray(keys, { maxLength: 3 }),
    set: fc.dictionary(fc.constantFrom(...keys), anything, { maxKeys: 3 }),
  });

/**
 * What the inspector's formatters take: a real inspect() or listFds() result, mostly as it is,
 * sometimes with keys dropped or set to anything, so the formatters meet both the shapes they
 * render and the ones a caller could build by hand.
 */
export const inspection = fc
  .tuple(fc.constantFrom(...POOL_FDS), changes(INSPECTION_KEYS))
  .map(([of, c]) => ({ $: 'inspection', of, ...c }));
export const fdTable = fc
  .tuple(changes(FD_ENTRY_KEYS), fc.array(anything, { maxLength: 2 }))
  .map(([c, extra]) => ({ $: 'fdtable', ...c, extra }));
