// Typed socket options: each round-trips through the kernel, the struct-valued ones (timeval,
// linger, ucred, ip_mreq/ip_mreqn/ipv6_mreq, in_addr, names, tcp_info) decode to typed values,
// and bad arguments are refused before any syscall.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { own, pair, release, sock, tcpPair } from '../helpers/fds.js';

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

// socket(7): the kernel doubles the value set for SO_RCVBUF/SO_SNDBUF for its bookkeeping.
const LINUX_DOUBLES_BUFFER_SIZES = 2;
// socket(7): SO_RCVTIMEO/SO_SNDTIMEO are kept in jiffies, so a timeout reads back rounded up
// to the clock tick, which is at most 10 ms (CONFIG_HZ is 100 to 1000).
const MAX_CLOCK_TICK_MS = 10;
// ip(7): IP_MULTICAST_IF reads back only an address; an interface set by index reads 0.0.0.0.
const MULTICAST_IF_BY_INDEX_READS = '0.0.0.0';

// The privileged options need CAP_NET_ADMIN (12) and CAP_NET_RAW (13), not uid 0 as such: CI
// also runs the suite as root with every capability dropped.
const capEff = BigInt(
  `0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`,
);
const isRoot = (capEff & (1n << 12n)) !== 0n && (capEff & (1n << 13n)) !== 0n;
if (!isRoot)
  console.warn('skipping privileged option tests: they need CAP_NET_ADMIN and CAP_NET_RAW');

const lo = s.if_nametoindex('lo');

type Factory = () => number;
const tcp: Factory = () => sock(AF_INET, SOCK_STREAM);
const udp: Factory = () => sock(AF_INET, SOCK_DGRAM);
const udp6: Factory = () => sock(AF_INET6, SOCK_DGRAM);
const tcp6: Factory = () => sock(AF_INET6, SOCK_STREAM);
const rawIcmp: Factory = () => sock(AF_INET, SOCK_RAW, c.IPPROTO_ICMP);

describe('boolean options', () => {
  const cases: [string, Factory, (fd: number) => boolean, (fd: number, on: boolean) => void][] = [
    ['SO_BROADCAST', udp, s.getBroadcast, s.setBroadcast],
    ['SO_KEEPALIVE', tcp, s.getKeepalive, s.setKeepalive],
    ['SO_OOBINLINE', tcp, s.getOutOfBandInline, s.setOutOfBandInline],
    ['SO_REUSEADDR', tcp, s.getReuseAddress, s.setReuseAddress],
    ['SO_REUSEPORT', udp, s.getReusePort, s.setReusePort],
    ['IP_FREEBIND', tcp, s.getFreebind, s.setFreebind],
    ['IP_MULTICAST_LOOP', udp, s.getMulticastLoopV4, s.setMulticastLoopV4],
    ['IPV6_MULTICAST_LOOP', udp6, s.getMulticastLoopV6, s.setMulticastLoopV6],
    ['IPV6_V6ONLY', tcp6, s.getOnlyV6, s.setOnlyV6],
    ['TCP_CORK', tcp, s.getTcpCork, s.setTcpCork],
    ['TCP_NODELAY', tcp, s.getTcpNoDelay, s.setTcpNoDelay],
    ['TCP_QUICKACK', tcp, s.getTcpQuickAck, s.setTcpQuickAck],
  ];
  it.each(cases)('%s round-trips', (_name, make, get, set) => {
    const fd = make();
    for (const on of [true, false, true]) {
      set(fd, on);
      expect(get(fd)).toBe(on);
    }
  });

  const privileged: typeof cases = [
    ['IP_TRANSPARENT', tcp, s.getIpTransparent, s.setIpTransparent],
    ['IP_HDRINCL', rawIcmp, s.getHeaderIncluded, s.setHeaderIncluded],
  ];
  it.skipIf(!isRoot).each(privileged)('%s round-trips (root)', (_name, make, get, set) => {
    const fd = make();
    for (const on of [true, false]) {
      set(fd, on);
      expect(get(fd)).toBe(on);
    }
  });

  it.skipIf(!isRoot)('IP_HDRINCL is implied by IPPROTO_RAW (root)', () => {
    expect(s.getHeaderIncluded(sock(AF_INET, SOCK_RAW, c.IPPROTO_RAW))).toBe(true);
    expect(s.getHeaderIncluded(rawIcmp())).toBe(false);
  });
});

describe('integer options', () => {
  // [option, socket, getter, setter, value set, value read back]
  const cases: [
    string,
    Factory,
    (fd: number) => number,
    (fd: number, v: number) => void,
    number,
    number,
  ][] = [
    [
      'SO_RCVBUF',
      udp,
      s.getRecvBufferSize,
      s.setRecvBufferSize,
      65536,
      65536 * LINUX_DOUBLES_BUFFER_SIZES,
    ],
    [
      'SO_SNDBUF',
      udp,
      s.getSendBufferSize,
      s.setSendBufferSize,
      65536,
      65536 * LINUX_DOUBLES_BUFFER_SIZES,
    ],
    ['SO_RCVLOWAT', tcp, s.getRecvLowWater, s.setRecvLowWater, 100, 100],
    ['SO_PRIORITY', udp, s.getPriority, s.setPriority, 5, 5],
    ['IP_MULTICAST_TTL', udp, s.getMulticastTtlV4, s.setMulticastTtlV4, 7, 7],
    ['IP_TOS', udp, s.getTos, s.setTos, 0x10, 0x10],
    ['IP_TTL', udp, s.getTtl, s.setTtl, 42, 42],
    ['IPV6_MULTICAST_HOPS', udp6, s.getMulticastHopsV6, s.setMulticastHopsV6, 5, 5],
    ['IPV6_MULTICAST_IF', udp6, s.getMulticastIfV6, s.setMulticastIfV6, lo, lo],
    ['IPV6_TCLASS', udp6, s.getTclassV6, s.setTclassV6, 0x20, 0x20],
    ['IPV6_UNICAST_HOPS', udp6, s.getUnicastHopsV6, s.setUnicastHopsV6, 9, 9],
    ['TCP_KEEPCNT', tcp, s.getTcpKeepaliveRetries, s.setTcpKeepaliveRetries, 4, 4],
    ['TCP_KEEPIDLE', tcp, s.getTcpKeepaliveTime, s.setTcpKeepaliveTime, 30, 30],
    ['TCP_KEEPINTVL', tcp, s.getTcpKeepaliveInterval, s.setTcpKeepaliveInterval, 5, 5],
    // Before connect, TCP_MAXSEG reads back the value set; after, the MSS in use.
    ['TCP_MAXSEG', tcp, s.getTcpMaxSegment, s.setTcpMaxSegment, 1000, 1000],
    ['TCP_USER_TIMEOUT', tcp, s.getTcpUserTimeout, s.setTcpUserTimeout, 1500, 1500],
  ];
  it.each(cases)('%s round-trips', (_name, make, get, set, value, expected) => {
    const fd = make();
    set(fd, value);
    expect(get(fd)).toBe(expected);
  });

  it.each([
    ['IP_TTL', s.getTtl, s.setTtl, udp],
    ['IPV6_UNICAST_HOPS', s.getUnicastHopsV6, s.setUnicastHopsV6, udp6],
    ['IPV6_MULTICAST_HOPS', s.getMulticastHopsV6, s.setMulticastHopsV6, udp6],
    ['IPV6_TCLASS', s.getTclassV6, s.setTclassV6, udp6],
  ] as const)('%s set to -1 reads back the default again', (_name, get, set, make) => {
    const fd = make();
    const initial = get(fd);
    set(fd, 3);
    expect(get(fd)).toBe(3);
    set(fd, -1);
    expect(get(fd)).toBe(initial);
  });

  it.skipIf(!isRoot)('SO_MARK round-trips an unsigned 32-bit mark (root)', () => {
    const fd = udp();
    expect(s.getMark(fd)).toBe(0);
    s.setMark(fd, 0xdeadbeef);
    expect(s.getMark(fd)).toBe(0xdeadbeef);
  });
});

describe('timeouts (struct timeval as milliseconds)', () => {
  const cases: [string, (fd: number) => number, (fd: number, ms: number) => void][] = [
    ['SO_RCVTIMEO', s.getRecvTimeout, s.setRecvTimeout],
    ['SO_SNDTIMEO', s.getSendTimeout, s.setSendTimeout],
  ];
  it.each(cases)('%s starts at 0 (none) and round-trips to the clock tick', (_name, get, set) => {
    const fd = udp();
    expect(get(fd)).toBe(0);
    for (const ms of [1000, 2500, 10, 1234.5, 0.001]) {
      set(fd, ms);
      const back = get(fd);
      expect(back).toBeGreaterThanOrEqual(ms);
      expect(back).toBeLessThan(ms + MAX_CLOCK_TICK_MS);
    }
    set(fd, 0);
    expect(get(fd)).toBe(0);
  });

  it('a blocking recv gives up with EAGAIN after SO_RCVTIMEO', () => {
    const [a] = pair(AF_UNIX, SOCK_DGRAM);
    s.setRecvTimeout(a, 50);
    const t0 = Date.now();
    expect(() => s.recv(a, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
  });

  it.each([-1, NaN, Infinity, -Infinity])('rejects %s ms with ERR_OUT_OF_RANGE', (ms) => {
    const fd = udp();
    expect(() => s.setRecvTimeout(fd, ms)).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => s.setSendTimeout(fd, ms)).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }),
    );
  });
});

describe('SO_LINGER', () => {
  it('is off (null) by default and round-trips seconds and null', () => {
    const fd = tcp();
    expect(s.getLinger(fd)).toBeNull();
    for (const v of [5, 0, null, 120]) {
      s.setLinger(fd, v);
      expect(s.getLinger(fd)).toBe(v);
    }
  });

  it.each([-1, 1.5, 2 ** 31])('rejects %s seconds', (v) => {
    expect(() => s.setLinger(tcp(), v)).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }),
    );
  });
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

  it('SO_BINDTODEVICE refuses names the kernel would cut short, before any syscall', () => {
    const fd = udp();
    const long = 'x'.repeat(c.IFNAMSIZ);
    for (const name of [long, 'lo\0x']) {
      expect(() => s.setBindDevice(fd, name)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
    }
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

describe('argument errors', () => {
  // [error class, code]
  const typeError = ['TypeError', 'ERR_INVALID_ARG_TYPE'] as const;
  const rangeError = ['RangeError', 'ERR_OUT_OF_RANGE'] as const;
  const valueError = ['TypeError', 'ERR_INVALID_ARG_VALUE'] as const;

  // Each call gets a real fd so only the argument under test is wrong.
  const cases: [string, (fd: number) => unknown, readonly [string, string]][] = [
    ['a negative fd', () => s.getReuseAddress(-1), rangeError],
    ['a fractional fd', () => s.getTcpInfo(1.5), rangeError],
    ['a string fd', () => s.getLinger('3' as unknown as number), typeError],
    ['a number for a boolean', (fd) => s.setTcpNoDelay(fd, 1 as unknown as boolean), typeError],
    ['a fractional buffer size', (fd) => s.setRecvBufferSize(fd, 1.5), rangeError],
    ['a negative buffer size', (fd) => s.setSendBufferSize(fd, -1), rangeError],
    ['TTL 256', (fd) => s.setTtl(fd, 256), rangeError],
    ['TOS -1', (fd) => s.setTos(fd, -1), rangeError],
    ['a mark above 2^32 - 1', (fd) => s.setMark(fd, 2 ** 32), rangeError],
    ['a string timeout', (fd) => s.setRecvTimeout(fd, '5' as unknown as number), typeError],
    ['a string linger', (fd) => s.setLinger(fd, '5' as unknown as number), typeError],
    ['an IPv6 group for IPv4', (fd) => s.joinMulticastV4(fd, 'ff02::1'), valueError],
    ['an unparsable group', (fd) => s.joinMulticastV4(fd, '300.1.1.1'), valueError],
    ['an IPv4 group for IPv6', (fd) => s.joinMulticastV6(fd, '239.1.1.1'), valueError],
    [
      'an object interface',
      (fd) => s.joinMulticastV4(fd, '239.1.1.1', {} as unknown as string),
      typeError,
    ],
    ['a negative ifindex', (fd) => s.setMulticastIfV4(fd, -1), rangeError],
    ['a non-string device', (fd) => s.setBindDevice(fd, 1 as unknown as string), typeError],
    ['a NUL in a congestion name', (fd) => s.setTcpCongestion(fd, 're\0no'), valueError],
  ];
  it.each(cases)('rejects %s', (_what, call, [name, code]) => {
    expect(() => call(tcp())).toThrow(expect.objectContaining({ name, code }));
  });

  it('a closed fd gives a SocketError from getsockopt/setsockopt', () => {
    const fd = own(s.socket(AF_INET, SOCK_STREAM));
    release(fd);
    expect(() => s.getTcpInfo(fd)).toThrow(
      expect.objectContaining({ code: 'EBADF', syscall: 'getsockopt' }),
    );
    expect(() => s.getLinger(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => s.setRecvTimeout(fd, 5)).toThrow(
      expect.objectContaining({ code: 'EBADF', syscall: 'setsockopt' }),
    );
    expect(() => s.getPeerCred(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => s.getBindDevice(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
