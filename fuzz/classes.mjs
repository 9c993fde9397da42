// The fuzzer's class entries. One run of an entry is a scenario: it makes one to three instances
// of the class through its static constructors (or `new`) with generated arguments, calls a
// generated sequence of their methods, sync and async, on them (including after close() and
// detach(), and on instances adopted from fds that are no sockets), then aborts every wait,
// closes every instance and checks that each pending call settled and no fd is left open.
//
// A scenario spec (logged, and replayed with --replay like any other input):
//   { make: [{ how, args }], steps: [{ on, m, args, wait, next }] }
// `how` names a static constructor (or 'new', or a helper below that links instances), `on`
// picks an instance (modulo how many there are), `m` a method, `wait` how many event loop
// turns to wait for an async result before the next step, `next` how many items to ask of an
// async iterator. Specs of fuzz/specs.mjs, plus these, which only a scenario resolves:
//   {$:'signal'}       the scenario's AbortSignal, aborted when the steps are done
//   {$:'aborted'}      a signal that is already aborted
//   {$:'own', kind}    a new fd the scenario owns: a socket of some type, a pipe end, /dev/null,
//                      a directory, or a dup of a pool fd ({kind:'dup', of})
//   {$:'ifd', k}       instance k's fd (-1 once closed)
//   {$:'iaddr', k}     instance k's local address
//   {$:'detached'}     the fd the last detach() returned, or a closed number
//   {$:'cb'}           a watcher callback that records its calls
//   {$:'ownAbstract'}  a unix address with an abstract name no other scenario uses
import * as fs from 'node:fs';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';

import fc from 'fast-check';

import { CallContext } from './pool.mjs';
import * as S from './specs.mjs';
import {
  LEVELS,
  byteLength,
  defuseOption,
  group4,
  source4,
  source6,
  group6,
  iface4,
  messageArbitraries,
  optionNames,
  safeGroup,
} from './table.mjs';

const tag = ($, fields = {}) => ({ $, ...fields });
const obj = (v) => tag('obj', { v });
const SIGNAL = tag('signal');

// Called only by subclasses (TypeScript's `protected`), so not fuzzed as public API.
const PROTECTED = new Set(['constructor', 'liveFd', 'io', 'wait', 'connectTo', 'receive']);
// Methods that return an async iterator; a step asks it for `next` items.
const ITERATORS = new Set(['connections', 'messages', 'Symbol.asyncIterator']);
const isClose = (m) => m === 'close' || /dispose$/i.test(m);
// The time a scenario's pending calls get to settle once their signal is aborted and their
// socket closed. Both reject a wait at once, so this is only reached by a bug.
const SETTLE_MS = 5000;

// Methods named by symbols, by the symbol's description (Node 20's Symbol.dispose is
// Symbol('nodejs.dispose')).
const SYMBOLS = new Map();

/** The public methods of a class and its bases, as the spec logs their names. */
function methodNames(cls) {
  const names = new Set();
  for (let p = cls.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Reflect.ownKeys(p)) {
      const name = typeof key === 'symbol' ? key.description : key;
      if (typeof key === 'symbol') SYMBOLS.set(name, key);
      const desc = Object.getOwnPropertyDescriptor(p, key);
      if (PROTECTED.has(name) || typeof desc?.value !== 'function') continue;
      names.add(name);
    }
  }
  return [...names].sort();
}

function methodOf(instance, name) {
  return instance[SYMBOLS.get(name) ?? name];
}

// Waits: mostly the scenario's signal, sometimes one already aborted, none, or junk; close()
// at the end of the scenario ends a wait that has no signal.
const waitOptions = fc.oneof(
  { arbitrary: fc.constant(obj({ signal: SIGNAL })), weight: 12 },
  { arbitrary: fc.constant(obj({ signal: tag('aborted') })), weight: 1 },
  { arbitrary: fc.constantFrom(S.UNDEF, obj({}), null), weight: 2 },
  { arbitrary: S.scalar, weight: 1 },
  { arbitrary: S.scalar.map((signal) => obj({ signal })), weight: 1 },
);
// A static connect's socket is the caller's only once the call resolves, so nothing but its
// signal can end its wait: it gets the scenario's signal, or junk it must refuse up front.
const ownWaitOptions = fc.oneof(
  { arbitrary: fc.constant(obj({ signal: SIGNAL })), weight: 12 },
  { arbitrary: fc.constant(obj({ signal: tag('aborted') })), weight: 1 },
  { arbitrary: fc.constantFrom(null, 0, 'x', true, tag('sym'), tag('big', { v: '1' })), weight: 1 },
  {
    arbitrary: fc
      .constantFrom(null, 0, 'x', true, tag('fn'), obj({}), tag('proxy'))
      .map((signal) => obj({ signal })),
    weight: 1,
  },
);

const family = fc.oneof(
  { arbitrary: fc.constantFrom('inet', 'inet6', 'unix'), weight: 8 },
  { arbitrary: S.scalar, weight: 1 },
);
const instanceRef = fc.nat(5);
/** Where to bind, connect or send: another instance, a fresh local address, or anything. */
const address = fc.oneof(
  { arbitrary: instanceRef.map((k) => tag('iaddr', { k })), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      obj({ family: 'inet', address: '127.0.0.1', port: 0 }),
      obj({ family: 'inet6', address: '::1', port: 0 }),
    ),
    weight: 2,
  },
  { arbitrary: fc.constant(tag('ownAbstract')), weight: 1 },
  { arbitrary: S.address, weight: 4 },
);
const backlog = fc.oneof(fc.constantFrom(0, 1, 8, 128, -1, 0x7fffffff), S.scalar);
const data = fc.oneof({ arbitrary: S.buffer, weight: 4 }, { arbitrary: S.string, weight: 1 });
const OWN_KINDS = [
  'unixStream',
  'unixDgram',
  'unixSeq',
  'tcp',
  'tcp6',
  'udp',
  'udp6',
  'raw',
  'raw6',
  'pipeR',
  'pipeW',
  'devnull',
  'dir',
];
const ownFd = fc.oneof(
  { arbitrary: fc.constantFrom(...OWN_KINDS).map((kind) => tag('own', { kind })), weight: 3 },
  {
    arbitrary: fc.constantFrom(...S.POOL_FDS).map((of) => tag('own', { kind: 'dup', of })),
    weight: 1,
  },
);
/** What `from` adopts: a new fd of any kind, one detached before, another's fd, or anything. */
const fromFd = fc.oneof(
  { arbitrary: ownFd, weight: 8 },
  { arbitrary: fc.constant(tag('detached')), weight: 2 },
  { arbitrary: instanceRef.map((k) => tag('ifd', { k })), weight: 1 },
  { arbitrary: S.fd, weight: 2 },
  { arbitrary: S.scalar, weight: 1 },
);

/** Argument arbitraries by method name; a method not named here gets generic ones. */
function methodTable(c) {
  const { sendMessage, recvMessage, control } = messageArbitraries(c);
  const number = fc.oneof(fc.constantFrom(0, 1, 2, 64, 255, 256, 1000, 65536, -1), S.number);
  const setter = [fc.oneof(S.boolean, number)];
  const index = fc.oneof(fc.nat(4), S.number);
  const msgFlags = S.flagsOf(['MSG_DONTWAIT', 'MSG_PEEK', 'MSG_TRUNC', 'MSG_WAITFORONE'], c);
  const watchFd = fc.oneof({ arbitrary: ownFd, weight: 4 }, { arbitrary: S.fd, weight: 2 });
  return {
    setter,
    args: {
      bind: [address],
      listen: [backlog],
      accept: [waitOptions],
      connections: [waitOptions],
      messages: [
        fc.oneof(
          waitOptions,
          fc
            .oneof(fc.constantFrom(1, 16, 65536, 0, -1, 2 ** 31), S.scalar)
            .map((bufferSize) => obj({ signal: SIGNAL, bufferSize })),
        ),
      ],
      'Symbol.asyncIterator': [],
      connect: [address, waitOptions],
      read: [S.buffer, waitOptions],
      recv: [S.buffer, waitOptions],
      recvFrom: [S.buffer, waitOptions],
      write: [data, waitOptions],
      send: [data, waitOptions],
      sendTo: [data, address, waitOptions],
      sendMsg: [sendMessage, waitOptions],
      recvMsg: [recvMessage, waitOptions],
      shutdown: [fc.oneof(fc.constantFrom('read', 'write', 'both', S.UNDEF), S.scalar)],
      getOption: [S.oneOfConstants(LEVELS, c), S.oneOfConstants(optionNames(c), c)],
      setOption: [
        S.oneOfConstants(LEVELS, c),
        S.oneOfConstants(optionNames(c), c),
        fc.oneof(S.number, S.boolean, S.buffer, S.scalar),
      ],
      setLinger: [fc.oneof(fc.constantFrom(null, 0, 1, 5), S.number)],
      setBindDevice: [fc.oneof(fc.constantFrom('', 'lo'), S.string)],
      setTcpCongestion: [fc.oneof(fc.constantFrom('cubic', 'reno', 'bbr', 'nope', ''), S.string)],
      setMulticastIfV4: [iface4],
      joinMulticastV4: [group4, iface4],
      leaveMulticastV4: [group4, iface4],
      joinSourceMulticastV4: [group4, source4, iface4],
      leaveSourceMulticastV4: [group4, source4, iface4],
      joinSourceGroup: [
        fc.oneof(group4, group6),
        fc.oneof(source4, source6),
        fc.oneof(fc.constantFrom(0, 1), S.number),
      ],
      leaveSourceGroup: [
        fc.oneof(group4, group6),
        fc.oneof(source4, source6),
        fc.oneof(fc.constantFrom(0, 1), S.number),
      ],
      // The file: any pool fd (a file, a pipe, a socket) or junk; where in it and how much.
      sendfile: [
        S.fd,
        fc.oneof(
          waitOptions,
          fc
            .record({
              offset: fc.oneof(fc.constantFrom(null, 0, 1, 4096, -1, 2 ** 53), S.number),
              count: fc.oneof(fc.constantFrom(S.UNDEF, 0, 1, 65536), S.number),
            })
            .map(({ offset, count }) => obj({ signal: SIGNAL, offset, count })),
        ),
      ],
      joinMulticastV6: [group6, fc.oneof(fc.constantFrom(0, 1), S.number)],
      leaveMulticastV6: [group6, fc.oneof(fc.constantFrom(0, 1), S.number)],
      // MessageBatch, and the calls that take one.
      setAddress: [
        index,
        fc.oneof(
          S.address,
          fc.constant(null),
          instanceRef.map((k) => tag('iaddr', { k })),
        ),
      ],
      bytes: [index],
      flags: [index],
      address: [index],
      setControl: [index, fc.oneof(control, fc.constant(null))],
      control: [index],
      sendmmsg: [S.fd, msgFlags],
      recvmmsg: [S.fd, msgFlags, fc.oneof(fc.constantFrom(S.UNDEF, 0, 1), S.number)],
      poke: [fc.constantFrom('state', 'iovCounts', 'views'), fc.nat(40), S.anything],
      // The addon's Watcher.
      open: [watchFd],
      start: [fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 15), S.number)],
    },
  };
}

/** A step: a method, its arguments (one in ten anything, sometimes fewer or more), waits. */
function stepArbitrary(names, table) {
  const pseudo = new Set(['turn', 'closeFd']);
  return fc.oneof(
    ...names.map((m) => {
      const specs = table.args[m] ?? (m.startsWith('set') ? table.setter : []);
      const gens = specs.map((a) =>
        fc.oneof({ arbitrary: a, weight: 9 }, { arbitrary: S.anything, weight: 1 }),
      );
      const busy =
        /^(read|recv|recvFrom|write|send|sendTo|sendfile|accept|connect|close|detach)$/.test(m);
      return {
        weight: busy ? 10 : pseudo.has(m) ? 2 : 1,
        arbitrary: fc
          .record({
            on: instanceRef,
            args: fc.tuple(...gens),
            arity: fc.integer({ min: 0, max: 19 }),
            extra: fc.array(S.scalar, { maxLength: 2 }),
            wait: fc.constantFrom(0, 0, 0, 1, 2, 4),
            next: fc.integer({ min: 1, max: 3 }),
          })
          .map(({ on, args, arity, extra, wait, next }) => {
            let a = args;
            if (arity === 0) a = a.concat(extra);
            else if (arity === 1) a = a.slice(0, Math.floor(a.length / 2));
            const step = { on, m, args: a, wait };
            if (ITERATORS.has(m)) step.next = next;
            return step;
          }),
      };
    }),
  );
}

/** The class entries: `scenario` is the spec arbitrary, `run` plays one spec. */
export function classTable(pkg, native, c) {
  const table = methodTable(c);
  const protocol = (names) => fc.oneof(fc.constantFrom(0, ...names.map((n) => c[n])), S.number);
  const scenario = (makers, names, extra = []) =>
    fc.record({
      make: fc.array(fc.oneof(...makers), { minLength: 1, maxLength: 3 }),
      steps: fc.array(stepArbitrary([...names, ...extra], table), { maxLength: 10 }),
    });
  const make = (how, ...args) => fc.tuple(...args).map((a) => ({ how, args: a }));
  // Linked instances make data flow between the steps' sends and receives: picked most.
  const linked = (families) => ({
    arbitrary: fc.constantFrom(...families).map((f) => ({ how: 'linked', args: [f] })),
    weight: 4,
  });
  const fromMaker = make('from', fromFd);

  const socketEntry = (cls, makers) => ({
    scenario: scenario(makers, methodNames(cls), ['turn']),
    run: (spec, world) => new Scenario(pkg, native, c, cls, world).run(spec),
  });
  return {
    StreamSocket: socketEntry(pkg.StreamSocket, [
      make('create', family, protocol(['IPPROTO_TCP'])),
      fromMaker,
      make('listen', address, backlog),
      make('connect', address, ownWaitOptions),
      linked(['inet', 'inet6', 'unix', 'pair']),
    ]),
    DatagramSocket: socketEntry(pkg.DatagramSocket, [
      make('create', family, protocol(['IPPROTO_UDP', 'IPPROTO_ICMP', 'IPPROTO_ICMPV6'])),
      make('bound', address),
      fromMaker,
      linked(['inet', 'inet6', 'unix']),
    ]),
    SeqPacketSocket: socketEntry(pkg.SeqPacketSocket, [
      make('create', family, protocol(['IPPROTO_SCTP'])),
      make('pair'),
      make('listen', address, backlog),
      make('connect', address, ownWaitOptions),
      fromMaker,
      linked(['unix']),
    ]),
    // IPPROTO_RAW (255) would mean IP_HDRINCL: packets with a header, and a destination, of
    // the fuzzer's making. headerIncluded is never set either.
    RawSocket: socketEntry(pkg.RawSocket, [
      make(
        'create',
        fc.oneof(fc.constantFrom('inet', 'inet6'), S.scalar),
        protocol(['IPPROTO_ICMP', 'IPPROTO_ICMPV6', 'IPPROTO_UDP']).map((p) => (p === 255 ? 0 : p)),
        fc.oneof(fc.constantFrom(S.UNDEF, obj({}), obj({ headerIncluded: false })), S.scalar),
      ),
      fromMaker,
    ]),
    MessageBatch: {
      scenario: scenario(
        [
          make(
            'new',
            fc.oneof(
              {
                arbitrary: fc
                  .array(
                    fc.oneof(
                      S.buffer,
                      fc.array(S.buffer, { maxLength: 3 }).map((v) => tag('arr', { v })),
                      S.scalar,
                    ),
                    { maxLength: 5 },
                  )
                  .map((v) => tag('arr', { v })),
                weight: 8,
              },
              {
                arbitrary: fc.constant(tag('rep', { n: 1025, v: tag('arr', { v: [] }) })),
                weight: 1,
              },
              { arbitrary: S.scalar, weight: 1 },
            ),
            // Options: a control length for recvmmsg, sometimes, or junk.
            fc.oneof(
              fc.constant(S.UNDEF),
              fc
                .constantFrom(0, 64, 256, 65536, 65537, -1)
                .map((n) => tag('obj', { v: { controlLength: n } })),
              S.scalar,
            ),
          ),
        ],
        [...methodNames(pkg.MessageBatch), 'sendmmsg', 'recvmmsg', 'poke'],
      ),
      run: (spec, world) => new Scenario(pkg, native, c, pkg.MessageBatch, world).run(spec),
    },
    Watcher: {
      scenario: scenario(
        [
          make(
            'new',
            fc.oneof(
              { arbitrary: fc.constant(tag('cb')), weight: 9 },
              { arbitrary: S.scalar, weight: 1 },
            ),
          ),
        ],
        [...methodNames(native.Watcher), 'turn', 'closeFd'],
      ),
      run: (spec, world) => new Scenario(pkg, native, c, native.Watcher, world).run(spec),
    },
    // The abstract bases are fuzzed through the classes above, which inherit all their methods.
    SocketBase: { via: 'StreamSocket, DatagramSocket, SeqPacketSocket, RawSocket' },
    MessageSocket: { via: 'DatagramSocket, SeqPacketSocket, RawSocket' },
  };
}

/** The scenario's own argument specs on top of the pool's. */
class ScenarioContext extends CallContext {
  constructor(scenario, pick) {
    super(scenario.world.pool, pick);
    this.s = scenario;
  }

  value(spec) {
    const s = this.s;
    switch (spec?.$) {
      case 'signal':
        return s.controller.signal;
      case 'aborted':
        return AbortSignal.abort();
      case 'own':
        return s.ownFd(spec.kind, spec.of);
      case 'ifd':
        return s.instances.length ? s.instances[spec.k % s.instances.length].fd : -1;
      case 'iaddr':
        return s.instanceAddress(spec.k);
      case 'detached':
        return s.lastDetached ?? this.fd('closed');
      case 'cb':
        return s.watcherCallback();
      case 'ownAbstract':
        return { family: 'unix', abstract: s.abstractName() };
      default:
        return super.value(spec);
    }
  }
}

class Scenario {
  /**
   * @param world from the worker: { pool, pick, record(key, error or null) -> why it is not
   *   allowed or null, fail(why) }
   */
  constructor(pkg, native, c, cls, world) {
    this.pkg = pkg;
    this.native = native;
    this.c = c;
    this.cls = cls;
    this.world = world;
    this.key = `${cls === native.Watcher ? 'native' : 'pkg'}.${cls.name}`;
    this.controller = new AbortController();
    this.instances = [];
    this.pending = [];
    this.ownFds = new Set();
    this.lastDetached = undefined;
    this.watchedFd = new Map(); // watcher -> the fd its open() was given
    this.closedWatchers = new Set();
    this.lateCallbacks = 0;
    this.failures = [];
  }

  record(key, error) {
    const why = this.world.record(key, error);
    if (why) this.fail(`${key}: ${why}`);
  }

  // Failures wait until teardown is done, so a failing scenario still closes what it made.
  fail(why) {
    this.failures.push(why);
  }

  static counter = 0;

  abstractName() {
    return Buffer.concat([this.world.pool.abstractPrefix, Buffer.from(`c${Scenario.counter++}`)]);
  }

  ownFd(kind, of) {
    const p = this.pkg;
    const c = this.c;
    const NB = c.SOCK_NONBLOCK;
    const dir = this.world.pool.dir;
    let fd;
    try {
      switch (kind) {
        case 'unixStream':
        case 'unixDgram':
        case 'unixSeq': {
          const type = {
            unixStream: c.SOCK_STREAM,
            unixDgram: c.SOCK_DGRAM,
            unixSeq: c.SOCK_SEQPACKET,
          }[kind];
          const [a, b] = p.socketpair(c.AF_UNIX, type | NB);
          this.ownFds.add(b);
          fd = a;
          break;
        }
        case 'tcp':
        case 'tcp6':
          fd = p.socket(kind === 'tcp' ? c.AF_INET : c.AF_INET6, c.SOCK_STREAM | NB);
          break;
        case 'udp':
        case 'udp6':
          fd = p.socket(kind === 'udp' ? c.AF_INET : c.AF_INET6, c.SOCK_DGRAM | NB);
          break;
        case 'raw':
        case 'raw6':
          fd =
            kind === 'raw'
              ? p.socket(c.AF_INET, c.SOCK_RAW | NB, c.IPPROTO_ICMP)
              : p.socket(c.AF_INET6, c.SOCK_RAW | NB, c.IPPROTO_ICMPV6);
          break;
        // The write end is opened O_RDWR: O_WRONLY fails with ENXIO while no reader has the
        // FIFO open.
        case 'pipeR':
        case 'pipeW':
          fd = fs.openSync(
            join(dir, 'fifo'),
            (kind === 'pipeR' ? fs.constants.O_RDONLY : fs.constants.O_RDWR) |
              fs.constants.O_NONBLOCK,
          );
          break;
        case 'devnull':
          fd = fs.openSync('/dev/null', 'r+');
          break;
        case 'dir':
          fd = fs.openSync(dir, 'r');
          break;
        case 'dup': {
          const poolFd = this.world.pool.fds.get(of);
          if (poolFd === undefined) return -1;
          fd = p.dup(poolFd);
          break;
        }
        default:
          throw new Error(`unknown own fd kind ${kind}`);
      }
    } catch (e) {
      if (e instanceof p.SocketError) return -1; // no raw sockets without CAP_NET_RAW, no IPv6
      throw e;
    }
    this.ownFds.add(fd);
    return fd;
  }

  instanceAddress(k) {
    const list = this.instances.filter((i) => i instanceof this.pkg.SocketBase);
    const s = list.length ? list[k % list.length] : undefined;
    try {
      if (s) return s.localAddress();
    } catch {
      // Closed, or not bound: fall through.
    }
    return { family: 'inet', address: '127.0.0.1', port: 9 };
  }

  watcherCallback() {
    const self = this;
    return function onEvents(status, events) {
      if (self.closedWatchers.has(this)) self.lateCallbacks++;
      void status;
      void events;
    };
  }

  /** Takes ownership of what a call returned: instances, and fds that are the caller's now. */
  adopt(v) {
    if (
      v instanceof this.pkg.SocketBase ||
      v instanceof this.native.Watcher ||
      v instanceof this.pkg.MessageBatch
    ) {
      if (!this.instances.includes(v)) this.instances.push(v);
      if (typeof v.fd === 'number') this.ownFds.delete(v.fd);
    } else if (Array.isArray(v)) {
      for (const x of v) if (x instanceof this.pkg.SocketBase) this.adopt(x);
    } else if (v && typeof v === 'object') {
      // A received message's SCM_RIGHTS fds, and an iterator's next connection.
      if (Array.isArray(v.control)) {
        for (const m of v.control)
          if (m.type === 'rights') for (const fd of m.fds) this.ownFds.add(fd);
      }
      if (v.value instanceof this.pkg.SocketBase) this.adopt(v.value);
    }
  }

  /** Checks what a method returned against what its documentation promises. */
  check(m, args, v, inst) {
    if (/^nodejs\.dispose$|^Symbol\.dispose$/.test(m)) m = 'close';
    const view = args[0];
    const len = ArrayBuffer.isView(view) ? byteLength(view) : 0;
    switch (m) {
      case 'read':
        if (inst instanceof this.pkg.StreamSocket) {
          if (v === null || (Number.isInteger(v) && v > 0 && v <= len) || (v === 0 && len === 0))
            return null;
          return `read resolved ${v} for a ${len}-byte view`;
        }
        return null;
      case 'recv':
      case 'recvFrom':
        if (v === null && inst instanceof this.pkg.SeqPacketSocket && m === 'recv') return null;
        if (inst instanceof this.pkg.StreamSocket) return this.check('read', args, v, inst);
        if (
          !v ||
          !Number.isInteger(v.bytes) ||
          v.bytes < 0 ||
          v.bytes > len ||
          typeof v.truncated !== 'boolean'
        ) {
          return `${m} resolved ${JSON.stringify(v)} for a ${len}-byte view`;
        }
        return null;
      case 'close':
        if (inst.fd !== undefined && (inst.fd !== -1 || inst.closed !== true))
          return `fd ${inst.fd} after close`;
        return null;
      case 'detach':
        if (!Number.isInteger(v) || v < 0 || inst.fd !== -1 || !inst.closed)
          return `detach returned ${v}`;
        return null;
      default:
        return null;
    }
  }

  /** Runs a call and records its outcome; returns its value when it returned one. */
  call(name, fn, args = [], inst = undefined) {
    let v;
    try {
      v = fn();
    } catch (e) {
      this.record(`${this.key}#${name}`, e);
      return undefined;
    }
    if (v !== null && typeof v === 'object' && typeof v.then === 'function') {
      const settled = v.then(
        (r) => {
          this.adopt(r);
          this.record(`${this.key}#${name}`, null);
          const why = this.check(name, args, r, inst);
          if (why) this.fail(`${this.key}#${name}: ${why}`);
        },
        (e) => this.record(`${this.key}#${name}`, e),
      );
      this.pending.push(settled);
      return settled;
    }
    this.adopt(v);
    this.record(`${this.key}#${name}`, null);
    const why = this.check(name, args, v, inst);
    if (why) this.fail(`${this.key}#${name}: ${why}`);
    return v;
  }

  async make({ how, args: specs }, ctx) {
    const cls = this.cls;
    const args = specs.map((s) => ctx.value(s));
    if (how === 'from') args[0] = ctx.guardFd(args[0]);
    if (how === 'linked') return this.linked(args[0]);
    const p = this.call(`${how === 'new' ? 'new' : `.${how}`}`, () =>
      how === 'new' ? new cls(...args) : cls[how](...args),
    );
    if (p instanceof Promise) await Promise.race([p, turns(8)]);
  }

  // Instances joined to each other: a listener, a client and the connection it accepted, or
  // two datagram sockets connected to each other, or a socketpair adopted with from(). Each
  // connected one then sends its peer a message, so the steps' receives find data.
  async linked(kind) {
    const { StreamSocket, DatagramSocket } = this.pkg;
    const signal = this.controller.signal;
    const first = this.instances.length;
    let listener;
    const here =
      kind === 'unix'
        ? { family: 'unix', abstract: this.abstractName() }
        : { family: kind, address: kind === 'inet' ? '127.0.0.1' : '::1', port: 0 };
    const cls = this.cls;
    if (kind === 'pair') {
      const c = this.c;
      const [a, b] = this.pkg.socketpair(c.AF_UNIX, c.SOCK_STREAM);
      this.ownFds.add(a);
      this.ownFds.add(b);
      this.call('.from', () => StreamSocket.from(a));
      this.call('.from', () => StreamSocket.from(b));
    } else if (cls === DatagramSocket) {
      const a = this.call('.bound', () => DatagramSocket.bound(here));
      const there = kind === 'unix' ? { family: 'unix', abstract: this.abstractName() } : here;
      const b = this.call('.bound', () => DatagramSocket.bound(there));
      if (!a || !b) return;
      const p = [
        this.call('connect', () => a.connect(b.localAddress(), { signal })),
        this.call('connect', () => b.connect(a.localAddress(), { signal })),
      ];
      await Promise.race([Promise.all(p), turns(8)]);
    } else {
      listener = this.call('.listen', () => cls.listen(here, 8));
      if (!listener) return;
      const p = [
        this.call('.connect', () => cls.connect(listener.localAddress(), { signal })),
        this.call('accept', () => listener.accept({ signal })),
      ];
      await Promise.race([Promise.all(p), turns(8)]);
    }
    for (const s of this.instances.slice(first)) {
      if (s === listener || s.closed) continue;
      const size = PRIMED[Scenario.counter++ % PRIMED.length];
      this.call('send', () => s.send(Buffer.alloc(size, 0x5a), { signal }));
    }
  }

  async step(step, ctx) {
    const { m } = step;
    if (m === 'turn') {
      await turns(1 + (step.on % 4));
      return;
    }
    if (this.instances.length === 0) return;
    const inst = this.instances[step.on % this.instances.length];
    const args = step.args.map((s) => ctx.value(s));
    if (m === 'closeFd') {
      // Closes the fd a watcher watches through the addon's close(), which closes the
      // watcher's handle first; the watcher object stays, for the calls after it.
      const fd = this.watchedFd.get(inst);
      if (fd !== undefined && this.ownFds.has(fd)) {
        this.ownFds.delete(fd);
        this.call('closeFd', () => this.pkg.close(fd));
      }
      return;
    }
    if (m === 'sendmmsg' || m === 'recvmmsg') {
      args[0] = ctx.guardFd(args[0]);
      this.call(m, () => this.pkg[m](args[0], inst, ...args.slice(1)));
      this.world.pool.heal();
      return;
    }
    if (m === 'poke') {
      const [field, at, value] = args;
      if (typeof field !== 'string' || !Number.isInteger(at)) return;
      const target = inst[field];
      if (target && typeof target === 'object' && target.length > 0) {
        try {
          target[at % target.length] = value;
        } catch {
          // A frozen array, or a BigInt into an Int32Array: the poke is refused, no call made.
        }
      }
      return;
    }
    const fn = methodOf(inst, m);
    if (typeof fn !== 'function') return;
    this.prepare(m, args, inst);
    if (m === 'open') {
      args[0] = ctx.guardFd(args[0]);
      this.watchedFd.set(inst, args[0]);
    }
    if (m === 'close' && inst instanceof this.native.Watcher) this.closedWatchers.add(inst);
    // getsockopt(SO_PEERPIDFD) installs a pidfd and returns its number, as much of it as fits
    // (fuzz/table.mjs peerPidfd): whatever it opened is the caller's to close.
    const pidfd =
      m === 'getOption' && args[0] === this.c.SOL_SOCKET && args[1] === SO_PEERPIDFD(this.c);
    const before = pidfd ? new Set(this.world.pool.unknownFds()) : null;
    const v = this.call(m, () => fn.apply(inst, args), args, inst);
    if (before)
      for (const fd of this.world.pool.unknownFds()) if (!before.has(fd)) this.ownFds.add(fd);
    if (m === 'detach' && Number.isInteger(v) && v >= 0) {
      this.ownFds.add(v);
      this.lastDetached = v;
    }
    if (ITERATORS.has(m) && v && typeof v.next === 'function') {
      for (let i = 0; i < (step.next ?? 1); i++) {
        const p = this.call(`${m}.next`, () => v.next());
        if (step.wait) await Promise.race([p, turns(step.wait)]);
      }
      return;
    }
    if (step.wait && v instanceof Promise) await Promise.race([v, turns(step.wait)]);
    else if (step.wait && this.pending.length) await turns(step.wait);
  }

  // Defuses arguments that would reach off this machine or make a close block.
  prepare(m, args, inst) {
    const c = this.c;
    if (m === 'joinMulticastV4' || m === 'leaveMulticastV4') safeGroup(args, 0, false);
    if (m === 'joinMulticastV6' || m === 'leaveMulticastV6') safeGroup(args, 0, true);
    if (m === 'setOption') {
      defuseOption([inst.fd, ...args], c);
      // IP_HDRINCL on a raw socket would send headers, and destinations, of the fuzzer's making.
      if (
        (args[0] === c.IPPROTO_IP && args[1] === c.IP_HDRINCL) ||
        (args[0] === c.IPPROTO_IPV6 && args[1] === c.IPV6_HDRINCL)
      ) {
        args[2] = 0;
      }
    }
    if (m === 'setHeaderIncluded') args[0] = false;
    if (isClose(m)) lingerOff(inst);
  }

  async run(spec) {
    const pool = this.world.pool;
    const ctx = new ScenarioContext(this, this.world.pick);
    try {
      for (const m of spec.make) await this.make(m, ctx);
      for (const step of spec.steps) await this.step(step, ctx);
    } finally {
      await this.teardown();
    }
    const broken = ctx.brokenGuards();
    if (broken) this.fail(`wrote outside the buffer it was given: ${broken}`);
    if (this.lateCallbacks)
      this.fail(`a watcher called back ${this.lateCallbacks} times after close()`);
    pool.heal();
    const left = pool.unknownFds();
    if (left.length) {
      const names = left.map((fd) => {
        try {
          return `${fd} -> ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`;
        } catch {
          return String(fd);
        }
      });
      for (const fd of left) pool.closeQuietly(fd);
      this.fail(`fds left open after every instance was closed: ${names.join(', ')}`);
    }
    for (const why of this.failures) this.world.fail(why);
  }

  // Aborts every wait, closes every instance, and waits for all pending calls to settle:
  // both reject a wait at once, so one still pending after SETTLE_MS is a bug.
  async teardown() {
    this.controller.abort();
    const closeAll = () => {
      for (const inst of this.instances) {
        lingerOff(inst);
        if (inst instanceof this.native.Watcher) this.closedWatchers.add(inst);
        try {
          inst.close?.();
        } catch (e) {
          if (!(e instanceof this.pkg.SocketError)) throw e;
        }
      }
    };
    closeAll();
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(() => resolve('late'), SETTLE_MS);
    });
    // Settling may adopt more (a connection accepted just before the abort); close again
    // until no call is left.
    for (let seen = 0; seen < this.pending.length;) {
      const batch = this.pending.slice(seen);
      seen = this.pending.length;
      const r = await Promise.race([Promise.all(batch), late]);
      if (r === 'late') {
        clearTimeout(timer);
        closeAll();
        this.fail(
          `a call was still pending ${SETTLE_MS} ms after its signal was aborted and its socket closed`,
        );
        return;
      }
      closeAll();
    }
    clearTimeout(timer);
    // A watcher's handle is released on the loop's next turn, after its close callback.
    if (this.instances.some((i) => i instanceof this.native.Watcher)) await turns(1);
    for (const fd of this.ownFds) this.world.pool.closeQuietly(fd);
    this.ownFds.clear();
  }
}

// What linked instances send each other: sizes around the usual buffers and a UDP datagram's
// limit (65,507 bytes over IPv4; more fails with EMSGSIZE, also an outcome).
const PRIMED = [1, 17, 1500, 4096, 65507, 70000];

// glibc 2.36 has no constant for it; see fuzz/table.mjs.
const SO_PEERPIDFD = (c) => c.SO_PEERPIDFD ?? 77;

async function turns(n) {
  for (let i = 0; i < n; i++) await turn();
}

// A linger that is on makes close() wait for unsent data even on a nonblocking socket
// (socket(7)); close() is fuzzed with it off, as the pool's closes are.
function lingerOff(inst) {
  if (typeof inst?.setLinger !== 'function' || inst.closed) return;
  try {
    inst.setLinger(null);
  } catch {
    // Not a socket (adopted from a pipe fails earlier), or no longer open.
  }
}
