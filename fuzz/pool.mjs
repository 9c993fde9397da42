// The fuzz worker's world: a pool of live fds of every kind the fuzzer aims calls at, and the
// step that turns the specs of fuzz/specs.mjs into real argument values for one call.
//
// Three rules keep a fuzz run honest and harmless:
// - Every pool fd is nonblocking (or never blocks: /dev/null, a file, a directory), and heal()
//   restores that after any call that could change it, so no call can hang the worker.
// - Calls that change or consume an fd (close, shutdown, setsockopt, send, recv, ...) only ever
//   get pool fds or numbers that are not open; the process's own fds (stdio, libuv's epoll and
//   signal fds, the input log) are offered to read-only calls alone.
// - Destinations stay on this machine: every IP address and port a call can see is checked
//   again here, so a generator bug can never aim traffic off loopback or at another program's
//   port on it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

import { POOL_FDS } from './specs.mjs';

/** Thrown by the hostile getters of generated objects; the library may let it through. */
export class FuzzTrap extends Error {}

/** Marks an object with a hostile getter: its fields may read differently after the call. */
export const TRAPPED = Symbol('fuzz trap');

/** The fds open in this process, from /proc/self/fd, without the one the listing itself used. */
export function openFds() {
  const fds = new Set();
  const self = `/proc/${process.pid}/fd`;
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${name}`) !== self) fds.add(Number(name));
    } catch {
      // Closed since the listing: the listing's own fd.
    }
  }
  return fds;
}

const GUARD = 16; // guard bytes on each side of a plain buffer's view
const CANARY = 0xa5;

export class Pool {
  /**
   * @param {typeof import('sockfd')} pkg the package under test
   * @param {object} native the addon's raw functions (dist/sys/native.js)
   * @param {string} dir this worker's own directory; the worker's cwd
   */
  constructor(pkg, native, dir) {
    this.pkg = pkg;
    this.native = native;
    this.c = pkg.constants;
    this.dir = dir;
    this.fds = new Map(); // name -> fd
    this.ports = new Map(); // name -> bound port
    this.abstractPrefix = Buffer.from(`sockfd-fuzz-${process.pid}-`);
    this.loIndex = pkg.if_nametoindex('lo');
    this.ipv6 = true;
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    this.refresh();
  }

  // Each group is created and closed together: the ends of a pair, a listener with its
  // connection. Returns name -> fd.
  create(group) {
    const p = this.pkg;
    const { AF_INET, AF_INET6, AF_UNIX, SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_NONBLOCK } =
      this.c;
    const NB = SOCK_NONBLOCK;
    const ro = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;
    switch (group) {
      case 'udp4': {
        const fd = p.socket(AF_INET, SOCK_DGRAM | NB);
        p.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
        return { udp4: fd };
      }
      case 'udp6': {
        if (this.ipv6) {
          const fd = p.socket(AF_INET6, SOCK_DGRAM | NB);
          try {
            p.bind(fd, { family: 'inet6', address: '::1', port: 0 });
            return { udp6: fd };
          } catch {
            // No IPv6 loopback here: the name stands for a second IPv4 socket.
            p.close(fd);
            this.ipv6 = false;
          }
        }
        return { udp6: this.create('udp4').udp4 };
      }
      case 'tcp': {
        const tcpListen = p.socket(AF_INET, SOCK_STREAM | NB);
        p.bind(tcpListen, { family: 'inet', address: '127.0.0.1', port: 0 });
        p.listen(tcpListen, 64);
        const tcpClient = p.socket(AF_INET, SOCK_STREAM | NB);
        try {
          p.connect(tcpClient, p.getsockname(tcpListen));
        } catch (e) {
          if (e.code !== 'EINPROGRESS') throw e;
        }
        p.poll([{ fd: tcpListen, events: this.c.POLLIN }], 2000);
        const tcpServer = p.accept(tcpListen, NB).fd;
        return { tcpListen, tcpClient, tcpServer };
      }
      case 'tcpFresh':
        return { tcpFresh: p.socket(AF_INET, SOCK_STREAM | NB) };
      case 'tcp6Fresh':
        return { tcp6Fresh: p.socket(this.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | NB) };
      case 'unixStream': {
        const [unixStreamA, unixStreamB] = p.socketpair(AF_UNIX, SOCK_STREAM | NB);
        return { unixStreamA, unixStreamB };
      }
      case 'unixDgram': {
        const [unixDgramA, unixDgramB] = p.socketpair(AF_UNIX, SOCK_DGRAM | NB);
        return { unixDgramA, unixDgramB };
      }
      case 'unixSeq': {
        const [unixSeqA, unixSeqB] = p.socketpair(AF_UNIX, SOCK_SEQPACKET | NB);
        return { unixSeqA, unixSeqB };
      }
      case 'unixListen': {
        const path = join(this.dir, 'listen.sock');
        fs.rmSync(path, { force: true });
        const fd = p.socket(AF_UNIX, SOCK_STREAM | NB);
        p.bind(fd, { family: 'unix', path });
        p.listen(fd, 8);
        return { unixListen: fd };
      }
      case 'pipe': {
        // A FIFO opened at both ends is a pipe; O_NONBLOCK makes neither open nor I/O wait.
        const pipeR = fs.openSync(join(this.dir, 'fifo'), ro);
        const pipeW = fs.openSync(
          join(this.dir, 'fifo'),
          fs.constants.O_WRONLY | fs.constants.O_NONBLOCK,
        );
        return { pipeR, pipeW };
      }
      case 'devnull':
        return { devnull: fs.openSync('/dev/null', 'r+') };
      case 'file':
        return { file: fs.openSync(join(this.dir, 'file'), 'w+') };
      case 'dir':
        return { dir: fs.openSync(this.dir, 'r') };
      case 'epoll':
        return { epoll: p.epoll_create1() };
      default:
        throw new Error(`unknown pool group ${group}`);
    }
  }

  static groupOf(name) {
    if (name.startsWith('tcp') && name !== 'tcpFresh' && name !== 'tcp6Fresh') return 'tcp';
    if (name.startsWith('unixStream')) return 'unixStream';
    if (name.startsWith('unixDgram')) return 'unixDgram';
    if (name.startsWith('unixSeq')) return 'unixSeq';
    if (name.startsWith('pipe')) return 'pipe';
    return name;
  }

  // Closes an fd of the pool. A lingering close blocks even on a nonblocking socket
  // (socket(7) SO_LINGER), so linger is switched off first in case a fuzzed call set it.
  closeQuietly(fd) {
    const { SOL_SOCKET, SO_LINGER } = this.c;
    try {
      this.pkg.setsockopt(fd, SOL_SOCKET, SO_LINGER, Buffer.alloc(8));
    } catch {
      // Not a socket, or already closed.
    }
    try {
      this.pkg.close(fd);
    } catch {
      // Already closed by a fuzzed call.
    }
  }

  recreate(group) {
    for (const name of POOL_FDS) {
      if (Pool.groupOf(name) === group && this.fds.has(name)) {
        this.closeQuietly(this.fds.get(name));
        this.fds.delete(name);
      }
    }
    for (const [name, fd] of Object.entries(this.create(group))) this.fds.set(name, fd);
    this.learnPorts();
  }

  learnPorts() {
    for (const name of ['udp4', 'udp6', 'tcpListen']) {
      const fd = this.fds.get(name);
      if (fd === undefined) continue;
      try {
        this.ports.set(name, this.pkg.getsockname(fd).port);
      } catch {
        // A fuzzed call closed it; heal() recreates it.
      }
    }
  }

  /** Closes every pool fd and makes the pool anew: fresh states for the next calls. */
  refresh() {
    for (const fd of this.fds.values()) this.closeQuietly(fd);
    this.fds.clear();
    const groups = new Set(POOL_FDS.map(Pool.groupOf));
    for (const g of groups)
      for (const [name, fd] of Object.entries(this.create(g))) this.fds.set(name, fd);
    this.learnPorts();
    this.poolSet = new Set(this.fds.values());
    // Everything else open now belongs to the runtime: stdio, libuv, the input log.
    this.protected = new Set([...openFds()].filter((fd) => !this.poolSet.has(fd)));
    const max = Math.max(...openFds());
    this.closedNumbers = [max + 1, max + 9, 1000, 4095, 65535, 0x7fffffff];
  }

  /**
   * Repairs the pool after a call that may have closed one of its fds or made one blocking:
   * a closed fd's group is made anew, a blocking one is made nonblocking again.
   */
  heal() {
    const { O_NONBLOCK } = this.c;
    const broken = new Set();
    for (const [name, fd] of this.fds) {
      const flags = this.native.fcntlGetfl(fd);
      if (flags < 0) broken.add(Pool.groupOf(name));
      else if ((flags & O_NONBLOCK) === 0) this.native.fcntlSetfl(fd, flags | O_NONBLOCK);
    }
    for (const g of broken) this.recreate(g);
    if (broken.size) this.poolSet = new Set(this.fds.values());
  }

  /**
   * The open fds that are neither the runtime's nor the pool's: one directory listing, and a
   * readlink only for those (the listing's own fd is one of them).
   */
  unknownFds() {
    const self = `/proc/${process.pid}/fd`;
    const pool = new Set(this.fds.values());
    const found = [];
    for (const name of fs.readdirSync('/proc/self/fd')) {
      const fd = Number(name);
      if (this.protected.has(fd) || pool.has(fd)) continue;
      try {
        if (fs.readlinkSync(`/proc/self/fd/${name}`) !== self) found.push(fd);
      } catch {
        // Closed since the listing: the listing's own fd.
      }
    }
    return found;
  }

  /** Checks that the only fds open are the runtime's and the pool's: nothing leaked. */
  leaked() {
    return [...openFds()]
      .filter((fd) => !this.protected.has(fd) && !this.poolSet.has(fd))
      .map((fd) => {
        try {
          return `${fd} -> ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`;
        } catch {
          return String(fd);
        }
      });
  }
}

const ALLOWED_PORTS_EXTRA = new Set([0, 1, 9]);

/** Per-call materialization: specs -> values, with the guards and the buffers to check after. */
export class CallContext {
  constructor(pool, rng) {
    this.pool = pool;
    this.rng = rng; // a deterministic number in [0, 1) per call, for choices specs leave open
    this.views = []; // [{ view, ab, before, after }] to check the guard bytes of
    this.buffers = []; // every ArrayBuffer made for this call, for the hostile getters
  }

  value(spec) {
    if (spec === null || typeof spec !== 'object') return spec;
    switch (spec.$) {
      case 'undef':
        return undefined;
      case 'num':
        return { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 }[spec.v];
      case 'big':
        return BigInt(spec.v);
      case 'sym':
        return Symbol('fuzz');
      case 'fn':
        return () => 0;
      case 'proxy':
        return new Proxy(
          {},
          {
            get() {
              throw new FuzzTrap('proxy get');
            },
            has() {
              throw new FuzzTrap('proxy has');
            },
          },
        );
      case 'obj':
        return Object.fromEntries(Object.entries(spec.v).map(([k, v]) => [k, this.value(v)]));
      case 'arr':
        return spec.v.map((v) => this.value(v));
      case 'rep':
        return Array.from({ length: spec.n }, () => this.value(spec.v));
      case 'i32': {
        // The native poll's flat [fd, events, revents, ...] list, in any TypedArray type.
        const flat = spec.v.flatMap((v) => [this.value(v.fd), this.value(v.events), 0]);
        const E = globalThis[spec.type] ?? Int32Array;
        const a = new E(flat.length);
        flat.forEach((x, i) => {
          a[i] = typeof x === 'number' ? x : 0;
        });
        return a;
      }
      case 'str':
        return spec.s.repeat(spec.n);
      case 'fd':
        return this.fd(spec.name);
      case 'buf':
        return this.view(spec);
      case 'port':
        return this.pool.ports.get(spec.of) ?? 9;
      case 'pid':
        return process.pid;
      case 'ppid':
        return process.ppid;
      case 'abstract': {
        const tail = Buffer.from(spec.hex, 'hex');
        return spec.own ? Buffer.concat([this.pool.abstractPrefix, tail]) : tail;
      }
      case 'addr':
        return this.address(spec);
      case 'slot':
        return this.slot(spec);
      case 'inspection': {
        const fd = this.pool.fds.get(spec.of);
        let info;
        try {
          info = this.pool.pkg.inspect(fd ?? 0);
        } catch {
          info = {};
        }
        return this.changed(info, spec);
      }
      case 'fdtable': {
        const entries = this.pool.pkg.listFds();
        // One entry changed (a socket's, when there is one) and anything appended.
        const at = Math.max(
          0,
          entries.findIndex((e) => e.socket !== undefined),
        );
        if (entries.length > 0) entries[at] = this.changed(entries[at], spec);
        return [...entries, ...spec.extra.map((v) => this.value(v))];
      }
      case 'kaddr': {
        const fd = this.pool.fds.get(spec.of);
        try {
          return fd === undefined ? null : this.pool.pkg.getsockname(fd);
        } catch {
          return { family: 'unix' };
        }
      }
      default:
        throw new Error(`unknown spec ${JSON.stringify(spec)}`);
    }
  }

  fd(name) {
    const pool = this.pool;
    if (name === 'closed') return pick(pool.closedNumbers, this.rng);
    if (name === 'stdio') return pick([0, 1, 2], this.rng);
    return pool.fds.get(name) ?? pick(pool.closedNumbers, this.rng);
  }

  /**
   * sendtoSlot's slot: an ArrayBuffer of `len` bytes, left empty, filled with `garbage` bytes, or
   * `filled` by a sendto of an empty datagram from the pool's udp4 socket to itself (the only way
   * a real caller fills one).
   */
  slot(spec) {
    const ab = new ArrayBuffer(spec.len);
    if (spec.fill === 'garbage') {
      new Uint8Array(ab).set(Buffer.from(spec.hex, 'hex').subarray(0, spec.len));
    } else if (spec.fill === 'filled') {
      const fd = this.pool.fds.get('udp4');
      const to = fd === undefined ? null : this.pool.pkg.getsockname(fd);
      // A slot too short to hold an address cannot be filled: sendto refuses it, as it should.
      if (to !== null && to.family === 'inet' && spec.len >= this.pool.native.sentAddressBytes) {
        const { AF_INET } = this.pool.pkg.constants;
        this.pool.native.sendto(fd, new Uint8Array(0), 0, AF_INET, to.address, to.port, 0, 0, ab);
      }
    }
    return ab;
  }

  view(spec) {
    const v = this.makeView(spec);
    if (spec.hex !== undefined || spec.fill !== undefined) fillView(v, spec);
    return v;
  }

  makeView(spec) {
    const E = globalThis[spec.type === 'Buffer' ? 'Uint8Array' : spec.type] ?? DataView;
    const size = spec.type === 'DataView' || spec.type === 'Buffer' ? 1 : E.BYTES_PER_ELEMENT;
    const bytes = spec.len * size;
    const make = (ab, offset, length) => {
      if (spec.type === 'Buffer') return Buffer.from(ab, offset, length);
      if (spec.type === 'DataView') return new DataView(ab, offset, length);
      return new E(ab, offset, length);
    };
    switch (spec.mode) {
      case 'shared': {
        const sab = new SharedArrayBuffer(bytes + spec.off * size);
        return make(sab, spec.off * size, spec.len);
      }
      case 'resizable':
      case 'tracking': {
        const ab = new ArrayBuffer(bytes + spec.off * size, {
          maxByteLength: 2 * (bytes + spec.off * size) + 8,
        });
        this.buffers.push(ab);
        return spec.mode === 'tracking'
          ? make(ab, spec.off * size)
          : make(ab, spec.off * size, spec.len);
      }
      case 'detached': {
        const ab = new ArrayBuffer(bytes + spec.off * size);
        const v = make(ab, spec.off * size, spec.len);
        structuredClone(ab, { transfer: [ab] });
        return v;
      }
      case 'pool':
        if (spec.type === 'Buffer' && bytes < 4096) {
          // Buffer.from on a short string slices Node's shared pool: neighbours are live data.
          return Buffer.from('x'.repeat(bytes));
        }
      // falls through
      default: {
        // A view with guard bytes before and after; a write outside the view changes them.
        const ab = new ArrayBuffer(GUARD + bytes + GUARD);
        new Uint8Array(ab).fill(CANARY);
        this.buffers.push(ab);
        const v = make(ab, GUARD, spec.len);
        this.views.push(v);
        return v;
      }
    }
  }

  /** `obj` with the keys of spec.drop removed and those of spec.set given generated values. */
  changed(obj, spec) {
    const out = { ...obj };
    for (const k of spec.drop) delete out[k];
    for (const [k, v] of Object.entries(spec.set)) out[k] = this.value(v);
    return out;
  }

  address(spec) {
    const fields = Object.fromEntries(Object.entries(spec.v).map(([k, v]) => [k, this.value(v)]));
    const o = this.safeAddress(fields);
    if (!spec.trap) return o;
    // A getter that runs while the library reads the address, after it has checked the other
    // arguments: it throws, detaches every buffer of this call, shrinks or grows the resizable
    // ones, or hands out junk from its second read on. `key` names the field it sits on (a
    // packet header's, say); the object is marked TRAPPED for the checks.
    const keys = Object.keys(o);
    const key =
      spec.key ??
      (spec.trap === 'flip'
        ? (keys[keys.length - 1] ?? 'family')
        : 'family' in o
          ? 'family'
          : 'port');
    Object.defineProperty(o, TRAPPED, { value: spec.trap });
    const value = o[key];
    const buffers = this.buffers;
    let reads = 0;
    Object.defineProperty(o, key, {
      enumerable: true,
      get() {
        if (spec.trap === 'throw') throw new FuzzTrap('address getter');
        if (spec.trap === 'flip') return reads++ === 0 ? value : Symbol('flipped');
        for (const ab of buffers) {
          try {
            if (spec.trap === 'detach') structuredClone(ab, { transfer: [ab] });
            if (spec.trap === 'shrink' && ab.resizable) ab.resize(0);
            if (spec.trap === 'grow' && ab.resizable) ab.resize(ab.maxByteLength);
          } catch {
            // Detached already, by an earlier read of this getter.
          }
        }
        return value;
      },
    });
    return o;
  }

  // The network guard for address objects: an IP that is not loopback or unspecified becomes
  // loopback, a port that is not ours (or 0, 1, 9) becomes 9, a scope other than lo becomes lo.
  safeAddress(o) {
    if (typeof o.address === 'string') o.address = this.safeHost(o.address);
    if (typeof o.port === 'number' && !this.portAllowed(o.port)) o.port = 9;
    if (typeof o.scopeId === 'number' && o.scopeId !== 0 && o.scopeId !== this.pool.loIndex) {
      if (Number.isInteger(o.scopeId) && o.scopeId > 0 && o.scopeId <= 0xffffffff) {
        o.scopeId = this.pool.loIndex;
      }
    }
    return o;
  }

  portAllowed(port) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) return true; // rejected as invalid
    if (ALLOWED_PORTS_EXTRA.has(port)) return true;
    for (const p of this.pool.ports.values()) if (p === port) return true;
    return false;
  }

  safeHost(text) {
    const pct = text.indexOf('%');
    const ip = pct >= 0 ? text.slice(0, pct) : text;
    const scope = pct >= 0 ? text.slice(pct + 1) : '';
    if (!isIP(ip)) return text; // not an address: the library must reject it
    const v4 = isIP(ip) === 4;
    const safe = v4
      ? ip.startsWith('127.') || ip === '0.0.0.0'
      : ip === '::1' ||
        ip === '::' ||
        /^(0+:){7}0*1$/.test(ip) ||
        /^::ffff:127\./i.test(ip) ||
        /^fe80:/i.test(ip);
    let out = safe ? ip : v4 ? '127.0.0.1' : '::1';
    if (pct >= 0) {
      // Only lo, or names and numbers that are no interface at all.
      const idx = /^\d+$/.test(scope) ? Number(scope) : interfaceIndex(this.pool, scope);
      out += `%${idx > 0 && idx !== this.pool.loIndex ? 'lo' : scope}`;
    }
    return out;
  }

  /** The guard for the native layer's flat address group (family, host, port, ...). */
  safeNativeAddress(args, at) {
    if (typeof args[at + 1] === 'string') args[at + 1] = this.safeHost(args[at + 1]);
    if (typeof args[at + 2] === 'number' && !this.portAllowed(args[at + 2])) args[at + 2] = 9;
    const scope = args[at + 4];
    if (typeof scope === 'number' && scope !== 0 && scope !== this.pool.loIndex) {
      args[at + 4] = this.pool.loIndex;
    }
  }

  /**
   * For calls that change or consume an fd: a number that is one of the runtime's own open fds
   * becomes a closed number instead.
   */
  guardFd(value) {
    if (typeof value === 'number' && this.pool.protected.has(value)) {
      return pick(this.pool.closedNumbers, this.rng);
    }
    return value;
  }

  /** Returns a description of any guard byte that a call changed, or null. */
  brokenGuards() {
    for (const v of this.views) {
      if (v.buffer.byteLength === 0) continue; // detached by a getter
      const all = new Uint8Array(v.buffer);
      for (let i = 0; i < GUARD; i++) {
        if (all[i] !== CANARY) return `byte ${i - GUARD} before the view was written`;
        const j = all.length - GUARD + i;
        if (all[j] !== CANARY) return `byte ${i} after the view's end was written`;
      }
    }
    return null;
  }
}

// A view's contents: `hex` bytes from its start, or `fill` element by element (what does not
// fit is left out; a detached view gets nothing).
function fillView(v, spec) {
  const n = byteLengthOf(v);
  if (n === 0) return;
  if (spec.hex !== undefined) {
    const bytes = Buffer.from(spec.hex, 'hex');
    new Uint8Array(v.buffer, v.byteOffset, n).set(bytes.subarray(0, n));
    return;
  }
  for (let i = 0; i < Math.min(v.length ?? 0, spec.fill.length); i++) {
    const x = spec.fill[i];
    v[i] = typeof v[0] === 'bigint' ? BigInt(Math.trunc(Number(x) || 0)) : Number(x);
  }
}

function byteLengthOf(view) {
  try {
    return view.byteLength;
  } catch {
    return 0;
  }
}

function pick(list, rng) {
  return list[Math.floor(rng * list.length) % list.length];
}

function interfaceIndex(pool, name) {
  try {
    return pool.pkg.if_nametoindex(name);
  } catch {
    return 0;
  }
}
