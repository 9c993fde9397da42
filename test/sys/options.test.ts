// Typed socket options: every option of the table round-trips through the kernel on each kind
// of socket it applies to, and every setter refuses values of the wrong type or range before
// any syscall; then the quirks and the struct-valued options (timeval, linger, ucred,
// ip_mreq/ip_mreqn/ipv6_mreq, in_addr, names, tcp_info) one by one.
import { closeSync, openSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { runNode } from '../helpers/child.js';
import { own, pair, release, sock, tcpPair } from '../helpers/fds.js';
import {
  OPTIONS,
  type OptionInfo,
  type RoundTrip,
  badArgs,
  fn,
  isRoot,
  lo,
  roundTrips,
  validArgs,
} from '../helpers/options.js';

const c = s.constants;
const {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  SOCK_STREAM,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_SEQPACKET,
  IPPROTO_TCP,
  IPPROTO_UDP,
  POLLIN,
  POLLERR,
} = c;

// ip(7): IP_MULTICAST_IF reads back only an address; an interface set by index reads 0.0.0.0.
const MULTICAST_IF_BY_INDEX_READS = '0.0.0.0';

if (!isRoot)
  console.warn('skipping privileged option tests: they need CAP_NET_ADMIN and CAP_NET_RAW');

type Factory = () => number;
const tcp: Factory = () => sock(AF_INET, SOCK_STREAM);
const udp: Factory = () => sock(AF_INET, SOCK_DGRAM);
const udp6: Factory = () => sock(AF_INET6, SOCK_DGRAM);
const rawIcmp: Factory = () => sock(AF_INET, SOCK_RAW, c.IPPROTO_ICMP);

// The sockets the table's APPLIES names.
const SOCKETS: Record<string, Factory> = {
  tcp4: tcp,
  udp4: udp,
  tcp6: () => sock(AF_INET6, SOCK_STREAM),
  udp6,
  unixStream: () => pair(AF_UNIX, SOCK_STREAM)[0],
  raw4: rawIcmp,
  raw6: () => sock(AF_INET6, SOCK_RAW, c.IPPROTO_ICMPV6),
};

// [option, socket] for every socket kind an option applies to.
const onEach = (options: OptionInfo[]): [string, string, OptionInfo][] =>
  options.flatMap((o) => o.sockets.map((k): [string, string, OptionInfo] => [o.opt, k, o]));
const readWrite = OPTIONS.filter((o) => o.getter && o.setter && roundTrips(o).length > 0);
const setters = OPTIONS.filter((o) => o.setter);

describe('the options table', () => {
  it('has a function for every getter and setter, exported from the package', () => {
    for (const o of OPTIONS) {
      for (const name of [o.getter, o.setter]) if (name) expect(typeof fn(name)).toBe('function');
    }
  });

  function roundTrip(_opt: string, kind: string, o: OptionInfo): void {
    const fd = SOCKETS[kind]!();
    for (const { value, readsBack } of roundTrips(o)) {
      fn(o.setter!)(fd, value);
      readsBack(fn(o.getter!)(fd));
    }
  }
  it.each(onEach(readWrite.filter((o) => !o.privileged)))('%s round-trips on %s', roundTrip);
  it.skipIf(!isRoot).each(onEach(readWrite.filter((o) => o.privileged === true)))(
    '%s round-trips on %s (root)',
    roundTrip,
  );

  const restorable = setters.filter((o) => o.kind === 'int' && o.min === -1);
  it.each(onEach(restorable))('%s set to -1 on %s reads back the default again', (_o, kind, o) => {
    const [get, set] = [fn(o.getter!), fn(o.setter!)];
    const fd = SOCKETS[kind]!();
    const initial = get(fd);
    const [{ value, readsBack }] = roundTrips(o) as [RoundTrip];
    set(fd, value);
    readsBack(get(fd));
    set(fd, -1);
    expect(get(fd)).toBe(initial);
  });

  const refusals = setters.flatMap((o) =>
    badArgs(o).map(([what, args, error]) => [o.setter!, what, args, error] as const),
  );
  it.each(refusals)('%s refuses %s', (setter, _what, args, [name, code]) => {
    expect(() => fn(setter)(tcp(), ...args)).toThrow(expect.objectContaining({ name, code }));
  });

  const functions = OPTIONS.flatMap((o) => [o.getter, o.setter]).filter((f) => f !== undefined);
  it.each(functions)('%s refuses a bad fd before any syscall', (name) => {
    const o = OPTIONS.find((x) => x.getter === name || x.setter === name)!;
    const args = name === o.setter ? validArgs(o) : [];
    for (const [fd, error] of [
      [-1, 'RangeError'],
      [1.5, 'RangeError'],
      ['3', 'TypeError'],
    ] as const) {
      expect(() => fn(name)(fd as number, ...args)).toThrow(
        expect.objectContaining({ name: error }),
      );
    }
  });

  it.each(functions)('%s on a closed fd fails with EBADF from its syscall', (name) => {
    const o = OPTIONS.find((x) => x.getter === name || x.setter === name)!;
    const isSetter = name === o.setter;
    const fd = own(s.socket(AF_INET, SOCK_STREAM));
    release(fd);
    expect(() => fn(name)(fd, ...(isSetter ? validArgs(o) : []))).toThrow(
      expect.objectContaining({ code: 'EBADF', syscall: isSetter ? 'setsockopt' : 'getsockopt' }),
    );
  });
});

describe('quirks of the bool and int options', () => {
  it.skipIf(!isRoot)('IP_HDRINCL is implied by IPPROTO_RAW (root)', () => {
    expect(s.getHeaderIncluded(sock(AF_INET, SOCK_RAW, c.IPPROTO_RAW))).toBe(true);
    expect(s.getHeaderIncluded(rawIcmp())).toBe(false);
  });

  it.skipIf(!isRoot)('SO_MARK starts at 0 and reads back unsigned (root)', () => {
    const fd = udp();
    expect(s.getMark(fd)).toBe(0);
    s.setMark(fd, 0xdeadbeef);
    expect(s.getMark(fd)).toBe(0xdeadbeef);
  });
});

describe('SO_COOKIE (a 64-bit number as a bigint)', () => {
  it('names the socket: the same through every fd of it, another for every other socket', () => {
    const { client, server, listener } = tcpPair();
    const cookies = [client, server, listener, udp()].map((fd) => s.getCookie(fd));
    for (const cookie of cookies) {
      expect(typeof cookie).toBe('bigint');
      expect(cookie).toBeGreaterThan(0n);
      expect(cookie).toBeLessThan(2n ** 64n);
    }
    expect(new Set(cookies).size).toBe(cookies.length);
    expect(s.getCookie(client)).toBe(cookies[0]);
    expect(s.getCookie(own(s.dup(client)))).toBe(cookies[0]);
  });

  it('fails with a syscall error on a file that is no socket', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      expect(() => s.getCookie(fd)).toThrow(
        expect.objectContaining({ code: 'ENOTSOCK', syscall: 'getsockopt' }),
      );
    } finally {
      closeSync(fd);
    }
  });
});

describe('timeouts (struct timeval as milliseconds)', () => {
  it.each([
    ['SO_RCVTIMEO', s.getRecvTimeout, s.setRecvTimeout],
    ['SO_SNDTIMEO', s.getSendTimeout, s.setSendTimeout],
  ] as const)('%s starts at 0 (none), and 0 turns it off again', (_name, get, set) => {
    const fd = udp();
    expect(get(fd)).toBe(0);
    set(fd, 1000);
    set(fd, 0);
    expect(get(fd)).toBe(0);
  });

  // 2 ** 63 s does not fit time_t; the largest time_t rounds up to it as a double.
  const PAST_THE_KERNEL = 2 ** 63 * 1000;

  it.each([
    ['SO_RCVTIMEO', s.getRecvTimeout, s.setRecvTimeout],
    ['SO_SNDTIMEO', s.getSendTimeout, s.setSendTimeout],
  ] as const)('%s past what the kernel can hold means forever, read back as 0', (_n, get, set) => {
    const fd = udp();
    for (const ms of [PAST_THE_KERNEL, Number.MAX_VALUE]) {
      set(fd, 1000);
      set(fd, ms);
      expect(get(fd)).toBe(0);
    }
  });

  it('a blocking recv with a timeout past what the kernel can hold waits', async () => {
    // In a child, killed after WAIT_MS: the recv must still be waiting then, not have failed
    // at once with EAGAIN as with a zero timeout.
    const WAIT_MS = 1500;
    const script = `
      const s = require('./dist/index.js');
      const [a] = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_DGRAM);
      s.setRecvTimeout(a, ${PAST_THE_KERNEL});
      const t0 = Date.now();
      console.log('waiting');
      try { s.recv(a, Buffer.alloc(1)); console.log('returned'); }
      catch (e) { console.log(e.code + ' after ' + (Date.now() - t0) + ' ms'); }`;
    const r = await runNode(['-e', script], { timeoutMs: WAIT_MS });
    expect(r.stdout).toBe('waiting\n');
    expect(r.signal, r.output).toBe('SIGKILL');
  });

  it('a blocking recv gives up with EAGAIN after SO_RCVTIMEO', () => {
    const [a] = pair(AF_UNIX, SOCK_DGRAM);
    s.setRecvTimeout(a, 50);
    const t0 = Date.now();
    expect(() => s.recv(a, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
  });
});

it('SO_LINGER is off (null) by default', () => {
  expect(s.getLinger(tcp())).toBeNull();
});

describe('read-only socket facts', () => {
  it.each([
    [AF_INET, SOCK_STREAM, IPPROTO_TCP],
    [AF_INET, SOCK_DGRAM, IPPROTO_UDP],
    [AF_INET6, SOCK_DGRAM, IPPROTO_UDP],
    [AF_UNIX, SOCK_SEQPACKET, 0],
  ])('SO_DOMAIN %i, SO_TYPE %i, SO_PROTOCOL %i', (domain, type, protocol) => {
    const fd = sock(domain, type | c.SOCK_NONBLOCK);
    expect(s.getDomain(fd)).toBe(domain);
    expect(s.getType(fd)).toBe(type); // without SOCK_NONBLOCK/SOCK_CLOEXEC
    expect(s.getProtocol(fd)).toBe(protocol);
  });

  it('SO_ACCEPTCONN turns true on listen', () => {
    const fd = tcp();
    expect(s.getAcceptConn(fd)).toBe(false);
    s.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
    s.listen(fd, 1);
    expect(s.getAcceptConn(fd)).toBe(true);
  });

  it('SO_ERROR names a pending error once, then reads null', () => {
    // A port nobody listens on: bind one, note it, close it.
    const probe = udp();
    s.bind(probe, { family: 'inet', address: '127.0.0.1', port: 0 });
    const closed = s.getsockname(probe) as s.InetAddress;
    release(probe);

    const fd = udp();
    expect(s.getError(fd)).toBeNull();
    s.connect(fd, closed);
    s.send(fd, Buffer.from('anyone?'));
    // The ICMP port unreachable arrives as an error on the socket.
    expect(s.poll([{ fd, events: POLLIN }], 2000)[0]!.revents & POLLERR).toBeTruthy();
    expect(s.getError(fd)).toBe('ECONNREFUSED');
    expect(s.getError(fd)).toBeNull();
  });
});

describe('SO_PEERCRED', () => {
  it.each([SOCK_STREAM, SOCK_SEQPACKET])(
    'on a unix socketpair (type %i) is this process',
    (type) => {
      const [a, b] = pair(AF_UNIX, type);
      const want = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
      expect(s.getPeerCred(a)).toEqual(want);
      expect(s.getPeerCred(b)).toEqual(want);
    },
  );
});

describe('name options', () => {
  it.skipIf(!isRoot)('SO_BINDTODEVICE binds to lo, reads back, and clears with "" (root)', () => {
    const fd = udp();
    expect(s.getBindDevice(fd)).toBe('');
    s.setBindDevice(fd, 'lo');
    expect(s.getBindDevice(fd)).toBe('lo');
    s.setBindDevice(fd, '');
    expect(s.getBindDevice(fd)).toBe('');
  });

  it.skipIf(!isRoot)('SO_BINDTODEVICE to a missing interface throws ENODEV (root)', () => {
    expect(() => s.setBindDevice(udp(), 'nosuchif0')).toThrow(
      expect.objectContaining({ code: 'ENODEV', syscall: 'setsockopt' }),
    );
  });

  it('TCP_CONGESTION names the algorithm and switches to reno (always built in)', () => {
    const fd = tcp();
    expect(s.getTcpCongestion(fd)).toMatch(/^[a-z0-9_]+$/);
    s.setTcpCongestion(fd, 'reno');
    expect(s.getTcpCongestion(fd)).toBe('reno');
    expect(() => s.setTcpCongestion(fd, 'no-such-cc')).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'setsockopt' }),
    );
  });
});

describe('TCP_INFO', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  // Sends `bytes` on `from`, reads them all on `to`, and waits until the sender has them acked.
  async function exchange(from: number, to: number, bytes: number): Promise<void> {
    const out = Buffer.alloc(bytes, 0x61);
    let sent = 0;
    while (sent < bytes) sent += s.send(from, out.subarray(sent));
    const buf = Buffer.alloc(bytes);
    let got = 0;
    while (got < bytes) got += s.recv(to, buf.subarray(got));
    const deadline = Date.now() + 5000;
    while (s.getTcpInfo(from).unacked !== 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(5);
    }
  }

  it('reports CLOSE for a fresh socket and LISTEN for a listener', () => {
    const fd = tcp();
    expect(s.getTcpInfo(fd)).toMatchObject({ state: c.TCP_CLOSE, stateName: 'CLOSE' });
    const { listener } = tcpPair();
    expect(s.getTcpInfo(listener)).toMatchObject({ state: c.TCP_LISTEN, stateName: 'LISTEN' });
  });

  it('on an established loopback connection: ESTABLISHED, rtt > 0, bytesAcked grows', async () => {
    const { client, server } = tcpPair();
    await exchange(client, server, 1000);
    const first = s.getTcpInfo(client);
    expect(first.state).toBe(c.TCP_ESTABLISHED);
    expect(first.stateName).toBe('ESTABLISHED');
    expect(first.rtt).toBeGreaterThan(0);
    expect(first.sndMss).toBeGreaterThan(0);
    for (const value of Object.values(first)) {
      if (typeof value !== 'string') expect(typeof value).toBe('number');
    }
    // Every kernel since 4.x returns the 64-bit counters.
    expect(first.bytesAcked).toBeGreaterThanOrEqual(1000);
    expect(first.bytesReceived).toBe(0);

    await exchange(client, server, 5000);
    const second = s.getTcpInfo(client);
    expect(second.bytesAcked! - first.bytesAcked!).toBe(5000);
    expect(second.segsOut!).toBeGreaterThan(first.segsOut!);
    expect(s.getTcpInfo(server).bytesReceived).toBe(6000);
  });

  it('fails with ENOPROTOOPT (or EOPNOTSUPP) on a socket that is not TCP', () => {
    expect(() => s.getTcpInfo(udp())).toThrow(expect.objectContaining({ syscall: 'getsockopt' }));
  });
});

describe('multicast', () => {
  const GROUP_V4 = '239.255.77.1';
  const GROUP_V6 = 'ff02::77:1';

  // Joins, or returns why the kernel refused, for tests to skip on.
  function tryJoin(join: () => void): string | null {
    try {
      join();
      return null;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENODEV' || code === 'EADDRNOTAVAIL') {
        return `the kernel refused to join a group on lo: ${(e as Error).message}`;
      }
      throw e;
    }
  }

  it.each([
    ['an ifindex (ip_mreqn)', lo],
    ['an interface address (ip_mreq)', '127.0.0.1'],
  ] as const)('joins and leaves an IPv4 group on lo by %s', (_how, iface) => {
    const fd = udp();
    const refused = tryJoin(() => s.joinMulticastV4(fd, GROUP_V4, iface));
    if (refused) {
      console.warn(`skipping: ${refused}`);
      return;
    }
    // A second join of the same group and interface proves the first took.
    expect(() => s.joinMulticastV4(fd, GROUP_V4, iface)).toThrow(
      expect.objectContaining({ code: 'EADDRINUSE', syscall: 'setsockopt' }),
    );
    s.leaveMulticastV4(fd, GROUP_V4, iface);
    expect(() => s.leaveMulticastV4(fd, GROUP_V4, iface)).toThrow(
      expect.objectContaining({ code: 'EADDRNOTAVAIL', address: GROUP_V4 }),
    );
  });

  it('delivers a datagram sent to the group through lo (IP_MULTICAST_IF by index)', () => {
    const rx = udp();
    s.bind(rx, { family: 'inet', address: '0.0.0.0', port: 0 });
    const { port } = s.getsockname(rx) as s.InetAddress;
    const refused = tryJoin(() => s.joinMulticastV4(rx, GROUP_V4, lo));
    if (refused) {
      console.warn(`skipping: ${refused}`);
      return;
    }
    const tx = udp();
    s.setMulticastIfV4(tx, lo);
    s.setMulticastLoopV4(tx, true);
    s.setMulticastTtlV4(tx, 1);
    s.sendto(tx, Buffer.from('to the group'), 0, { family: 'inet', address: GROUP_V4, port });
    expect(s.poll([{ fd: rx, events: POLLIN }], 2000)[0]!.revents & POLLIN).toBeTruthy();
    const buf = Buffer.alloc(64);
    expect(buf.toString('utf8', 0, s.recv(rx, buf))).toBe('to the group');
  });

  it('joins and leaves an IPv6 group on lo (ipv6_mreq)', () => {
    const fd = udp6();
    const refused = tryJoin(() => s.joinMulticastV6(fd, GROUP_V6, lo));
    if (refused) {
      console.warn(`skipping: ${refused}`);
      return;
    }
    expect(() => s.joinMulticastV6(fd, GROUP_V6, lo)).toThrow(
      expect.objectContaining({ code: 'EADDRINUSE' }),
    );
    s.leaveMulticastV6(fd, GROUP_V6, lo);
    expect(() => s.leaveMulticastV6(fd, GROUP_V6, lo)).toThrow(
      expect.objectContaining({ code: 'EADDRNOTAVAIL' }),
    );
  });

  it('IP_MULTICAST_IF round-trips an address; an index reads back as 0.0.0.0', () => {
    const fd = udp();
    expect(s.getMulticastIfV4(fd)).toBe('0.0.0.0');
    s.setMulticastIfV4(fd, '127.0.0.1');
    expect(s.getMulticastIfV4(fd)).toBe('127.0.0.1');
    s.setMulticastIfV4(fd, lo);
    expect(s.getMulticastIfV4(fd)).toBe(MULTICAST_IF_BY_INDEX_READS);
    s.setMulticastIfV4(fd, '0.0.0.0');
    expect(s.getMulticastIfV4(fd)).toBe('0.0.0.0');
  });
});
