// Control messages through sendmsg/recvmsg: fd passing (SCM_RIGHTS) and MSG_CTRUNC,
// credentials, IP/IPv6 packet info, TTL/hop limit/TOS/traffic class, timestamps, the
// receive-queue drop counter, the error queue, the raw escape hatch, and bad control objects.
import {
  fstatSync,
  mkdtempSync,
  openSync,
  readSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { native } from '../../lib/sys/native.js';
import { expectArgError } from '../helpers/arg-errors.js';
import { own, pair, release, sock } from '../helpers/fds.js';

const c = s.constants;
const { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_STREAM, SOCK_SEQPACKET } = c;
const { SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, MSG_CTRUNC, MSG_DONTWAIT, MSG_ERRQUEUE } = c;

const dir = mkdtempSync(join(tmpdir(), 'sockfd-cmsg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONTROL = 256; // Room for every metadata message at once.
const lo = s.if_nametoindex('lo');

function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** A file holding `text`, opened for reading; the fd is owned by the current test. */
function fileFd(text: string): number {
  const path = join(dir, `f-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, text);
  return own(openSync(path, 'r'));
}

function readAll(fd: number): string {
  const buf = Buffer.alloc(64);
  return buf.toString('utf8', 0, readSync(fd, buf, 0, 64, 0));
}

function udp(family: 'inet' | 'inet6' = 'inet'): {
  fd: number;
  address: s.InetAddress | s.Inet6Address;
} {
  const fd = sock(family === 'inet' ? AF_INET : AF_INET6, SOCK_DGRAM);
  s.bind(
    fd,
    family === 'inet'
      ? { family, address: '127.0.0.1', port: 0 }
      : { family, address: '::1', port: 0 },
  );
  return { fd, address: s.getsockname(fd) as s.InetAddress };
}

function ipv6Loopback(): boolean {
  try {
    const fd = s.socket(AF_INET6, SOCK_DGRAM);
    try {
      s.bind(fd, { family: 'inet6', address: '::1', port: 0 });
    } finally {
      s.close(fd);
    }
    return true;
  } catch (e) {
    console.warn(`skipping IPv6 control message tests: cannot bind ::1 (${(e as Error).message})`);
    return false;
  }
}
const hasIPv6 = ipv6Loopback();

/** Receives one datagram on `fd` (waiting up to a second) with room for control messages. */
function recvWithControl(fd: number, flags = 0): s.RecvMsgResult {
  s.poll([{ fd, events: c.POLLIN }], 1000);
  return s.recvmsg(fd, { buffers: [Buffer.alloc(2048)], controlLength: CONTROL, flags });
}

function find<T extends s.ControlMessage['type']>(
  r: s.RecvMsgResult,
  type: T,
): Extract<s.ControlMessage, { type: T }> {
  const m = r.control.find((x) => x.type === type);
  expect(m, `a ${String(type)} control message in ${JSON.stringify(r.control)}`).toBeDefined();
  return m as Extract<s.ControlMessage, { type: T }>;
}

function rightsOf(r: s.RecvMsgResult): number[] {
  // Every received fd is owned at once, so a failing assertion below cannot leak it.
  return r.control.flatMap((m) => (m.type === 'rights' ? m.fds.map(own) : []));
}

describe('SCM_RIGHTS', () => {
  it('passes one fd: a new number for the same open file, close-on-exec', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    const f = fileFd('through the socket');
    expect(
      s.sendmsg(a, { buffers: [Buffer.from('x')], control: [{ type: 'rights', fds: [f] }] }),
    ).toBe(1);
    const r = s.recvmsg(b, { buffers: [Buffer.alloc(4)], controlLength: s.cmsgSpace(4) });
    const [got] = rightsOf(r);
    expect(r.flags & MSG_CTRUNC).toBe(0);
    expect(got).toBeDefined();
    expect(got).not.toBe(f);
    expect(fstatSync(got!).ino).toBe(fstatSync(f).ino);
    expect(readAll(got!)).toBe('through the socket');
    expect(s.getCloexec(got!)).toBe(true);
  });

  it('passes four fds at once, in order', () => {
    const [a, b] = pair(AF_UNIX, SOCK_SEQPACKET);
    const files = ['one', 'two', 'three', 'four'].map(fileFd);
    s.sendmsg(a, { buffers: [Buffer.from('4')], control: [{ type: 'rights', fds: files }] });
    const r = s.recvmsg(b, { buffers: [Buffer.alloc(4)], controlLength: s.cmsgSpace(16) });
    const got = rightsOf(r);
    expect(got.map(readAll)).toEqual(['one', 'two', 'three', 'four']);
    for (const fd of got) expect(s.getCloexec(fd)).toBe(true);
  });

  it('passes fds in two messages, each arriving with its own', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.sendmsg(a, {
      buffers: [Buffer.from('1')],
      control: [{ type: 'rights', fds: [fileFd('first')] }],
    });
    s.sendmsg(a, {
      buffers: [Buffer.from('2')],
      control: [{ type: 'rights', fds: [fileFd('second'), fileFd('third')] }],
    });
    const opts = { buffers: [Buffer.alloc(4)], controlLength: s.cmsgSpace(16) };
    expect(rightsOf(s.recvmsg(b, opts)).map(readAll)).toEqual(['first']);
    expect(rightsOf(s.recvmsg(b, opts)).map(readAll)).toEqual(['second', 'third']);
  });

  it('passes a socket: the received fd sends on the same connection', () => {
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    const [x, y] = pair(AF_UNIX, SOCK_DGRAM);
    s.sendmsg(a, { buffers: [Buffer.from('s')], control: [{ type: 'rights', fds: [x] }] });
    const [x2] = rightsOf(
      s.recvmsg(b, { buffers: [Buffer.alloc(1)], controlLength: s.cmsgSpace(4) }),
    );
    s.send(x2!, Buffer.from('via the passed fd'));
    const buf = Buffer.alloc(32);
    expect(buf.toString('utf8', 0, s.recv(y, buf))).toBe('via the passed fd');
  });

  it('MSG_CTRUNC: a too-small control buffer still returns the fds that arrived, and leaks none', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    const files = ['a', 'b', 'c', 'd'].map(fileFd);
    s.sendmsg(a, { buffers: [Buffer.from('4')], control: [{ type: 'rights', fds: files }] });
    s.sendmsg(a, { buffers: [Buffer.from('4')], control: [{ type: 'rights', fds: files }] });
    const before = openFdCount();
    // CMSG_LEN(4) has room for exactly one fd: the kernel installs it and closes the rest.
    const one = s.recvmsg(b, { buffers: [Buffer.alloc(4)], controlLength: s.cmsgLen(4) });
    expect(one.flags & MSG_CTRUNC).toBe(MSG_CTRUNC);
    const got = rightsOf(one);
    expect(got.map(readAll)).toEqual(['a']);
    expect(openFdCount()).toBe(before + 1);
    // CMSG_SPACE(4) pads to the alignment of size_t, which leaves room for whole fds on 64-bit.
    const padded = s.recvmsg(b, { buffers: [Buffer.alloc(4)], controlLength: s.cmsgSpace(4) });
    expect(padded.flags & MSG_CTRUNC).toBe(MSG_CTRUNC);
    const more = rightsOf(padded);
    expect(more.length).toBe((s.cmsgSpace(4) - s.cmsgLen(0)) / 4);
    expect(openFdCount()).toBe(before + 1 + more.length);
    for (const fd of [...got, ...more]) release(fd);
    expect(openFdCount()).toBe(before);
  });

  it('MSG_CTRUNC with no control buffer at all: no fds arrive and none leak', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.sendmsg(a, {
      buffers: [Buffer.from('x')],
      control: [{ type: 'rights', fds: [fileFd('z')] }],
    });
    const before = openFdCount();
    const r = s.recvmsg(b, { buffers: [Buffer.alloc(4)] });
    expect(r.flags & MSG_CTRUNC).toBe(MSG_CTRUNC);
    expect(r.control).toEqual([]);
    expect(openFdCount()).toBe(before);
  });

  // Linux 6.5 names; absent from older build headers, so looked up by name.
  const { SO_PASSPIDFD, SCM_PIDFD } = c as Record<string, number | undefined>;
  it.runIf(SO_PASSPIDFD !== undefined && SCM_PIDFD !== undefined)(
    'SO_PASSPIDFD: the pidfd that arrives is close-on-exec and owned by the caller',
    () => {
      const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
      s.setsockopt(b, SOL_SOCKET, SO_PASSPIDFD!, 1);
      s.send(a, Buffer.from('p'));
      const r = s.recvmsg(b, { buffers: [Buffer.alloc(2)], controlLength: CONTROL });
      const pidfd = own(find(r, 'pidfd').fd);
      expect(s.getCloexec(pidfd)).toBe(true);
    },
  );
  if (SCM_PIDFD === undefined) {
    console.warn('skipping the SCM_PIDFD test: the build headers do not define SCM_PIDFD');
  }

  it('refuses fds with a zero-byte payload on a stream socket, which would drop them', () => {
    const [a] = pair(AF_UNIX, SOCK_STREAM);
    expect(() =>
      s.sendmsg(a, { buffers: [], control: [{ type: 'rights', fds: [fileFd('x')] }] }),
    ).toThrow(/SOCK_STREAM/);
    expect(() =>
      s.sendmsg(a, { buffers: [], control: [{ type: 'rights', fds: [fileFd('x')] }] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it('a zero-byte seqpacket message carries fds', () => {
    const [a, b] = pair(AF_UNIX, SOCK_SEQPACKET);
    expect(
      s.sendmsg(a, { buffers: [], control: [{ type: 'rights', fds: [fileFd('empty')] }] }),
    ).toBe(0);
    const r = s.recvmsg(b, { buffers: [Buffer.alloc(4)], controlLength: s.cmsgSpace(4) });
    expect(r.bytes).toBe(0);
    expect(rightsOf(r).map(readAll)).toEqual(['empty']);
  });
});

describe('SCM_CREDENTIALS', () => {
  const me = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };

  it('arrive on every message once the receiver sets SO_PASSCRED', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.setsockopt(b, SOL_SOCKET, c.SO_PASSCRED, 1);
    s.send(a, Buffer.from('who'));
    const r = s.recvmsg(b, { buffers: [Buffer.alloc(4)], controlLength: s.cmsgSpace(12) });
    expect(r.control).toEqual([{ type: 'credentials', ...me }]);
  });

  it('a sender may state its own', () => {
    const [a, b] = pair(AF_UNIX, SOCK_SEQPACKET);
    s.setsockopt(b, SOL_SOCKET, c.SO_PASSCRED, 1);
    s.sendmsg(a, { buffers: [Buffer.from('me')], control: [{ type: 'credentials', ...me }] });
    const r = s.recvmsg(b, { buffers: [Buffer.alloc(4)], controlLength: CONTROL });
    expect(find(r, 'credentials')).toEqual({ type: 'credentials', ...me });
  });
});

describe('IP and IPv6 packet metadata', () => {
  it('IP_PKTINFO reports lo and 127.0.0.1; a chosen source address arrives as the sender', () => {
    const r = udp();
    s.setsockopt(r.fd, IPPROTO_IP, c.IP_PKTINFO, 1);
    const snd = udp();
    s.sendto(snd.fd, Buffer.from('x'), 0, r.address);
    const got = recvWithControl(r.fd);
    expect(find(got, 'pktinfo')).toEqual({
      type: 'pktinfo',
      ifindex: lo,
      addr: '127.0.0.1',
      specDst: '127.0.0.1',
    });
    expect(got.address).toEqual(snd.address);

    s.sendmsg(snd.fd, {
      buffers: [Buffer.from('y')],
      address: r.address,
      control: [{ type: 'pktinfo', specDst: '127.0.0.2' }],
    });
    const chosen = recvWithControl(r.fd);
    expect(chosen.address).toEqual({ ...snd.address, address: '127.0.0.2' });
  });

  it.runIf(hasIPv6)('IPV6_PKTINFO reports lo and ::1', () => {
    const r = udp('inet6');
    s.setsockopt(r.fd, IPPROTO_IPV6, c.IPV6_RECVPKTINFO, 1);
    const snd = udp('inet6');
    s.sendmsg(snd.fd, {
      buffers: [Buffer.from('x')],
      address: r.address,
      control: [{ type: 'pktinfo6', ifindex: lo, addr: '::1' }],
    });
    expect(find(recvWithControl(r.fd), 'pktinfo6')).toEqual({
      type: 'pktinfo6',
      ifindex: lo,
      addr: '::1',
    });
  });

  it('IP_RECVORIGDSTADDR reports the address each datagram was sent to', () => {
    const r = udp();
    s.setsockopt(r.fd, IPPROTO_IP, c.IP_RECVORIGDSTADDR, 1);
    const snd = udp();
    s.sendto(snd.fd, Buffer.from('x'), 0, r.address);
    expect(find(recvWithControl(r.fd), 'origDstAddr')).toEqual({
      type: 'origDstAddr',
      address: r.address,
    });
  });

  it.runIf(hasIPv6)('IPV6_RECVORIGDSTADDR reports it for IPv6', () => {
    const r = udp('inet6');
    s.setsockopt(r.fd, IPPROTO_IPV6, c.IPV6_RECVORIGDSTADDR, 1);
    const snd = udp('inet6');
    s.sendto(snd.fd, Buffer.from('x'), 0, r.address);
    expect(find(recvWithControl(r.fd), 'origDstAddr')).toMatchObject({
      type: 'origDstAddr',
      address: { family: 'inet6', address: '::1', port: (r.address as s.Inet6Address).port },
    });
  });

  it('IP_RECVTTL reports the socket TTL and a per-datagram IP_TTL', () => {
    const r = udp();
    s.setsockopt(r.fd, IPPROTO_IP, c.IP_RECVTTL, 1);
    const snd = udp();
    s.setsockopt(snd.fd, IPPROTO_IP, c.IP_TTL, 7);
    s.sendto(snd.fd, Buffer.from('x'), 0, r.address);
    expect(find(recvWithControl(r.fd), 'ttl').value).toBe(7);
    s.sendmsg(snd.fd, {
      buffers: [Buffer.from('x')],
      address: r.address,
      control: [{ type: 'ttl', value: 9 }],
    });
    expect(find(recvWithControl(r.fd), 'ttl').value).toBe(9);
  });

  it('IP_RECVTOS reports a per-datagram IP_TOS', () => {
    const r = udp();
    s.setsockopt(r.fd, IPPROTO_IP, c.IP_RECVTOS, 1);
    const snd = udp();
    s.sendmsg(snd.fd, {
      buffers: [Buffer.from('x')],
      address: r.address,
      control: [{ type: 'tos', value: 0x10 }],
    });
    expect(find(recvWithControl(r.fd), 'tos').value).toBe(0x10);
  });

  it.runIf(hasIPv6)('IPV6_HOPLIMIT and IPV6_TCLASS round-trip', () => {
    const r = udp('inet6');
    s.setsockopt(r.fd, IPPROTO_IPV6, c.IPV6_RECVHOPLIMIT, 1);
    s.setsockopt(r.fd, IPPROTO_IPV6, c.IPV6_RECVTCLASS, 1);
    const snd = udp('inet6');
    s.sendmsg(snd.fd, {
      buffers: [Buffer.from('x')],
      address: r.address,
      control: [
        { type: 'hoplimit', value: 5 },
        { type: 'tclass', value: 0x20 },
      ],
    });
    const got = recvWithControl(r.fd);
    expect(find(got, 'hoplimit').value).toBe(5);
    expect(find(got, 'tclass').value).toBe(0x20);
  });

  it('anything untyped arrives raw: SO_RCVMARK delivers the fwmark as a C u32', () => {
    const r = udp();
    s.setsockopt(r.fd, SOL_SOCKET, c.SO_RCVMARK, 1);
    const snd = udp();
    // Sent raw too: an IP_TTL whose payload is a C int in host byte order.
    s.sendmsg(snd.fd, {
      buffers: [Buffer.from('x')],
      address: r.address,
      control: [{ level: IPPROTO_IP, type: c.IP_TTL, data: new Int32Array([3]) }],
    });
    const got = recvWithControl(r.fd);
    const raw = got.control.find((m): m is s.RawControlMessage => typeof m.type === 'number');
    expect(raw).toMatchObject({ level: SOL_SOCKET, type: c.SO_MARK });
    expect(raw!.data.readUInt32LE(0)).toBe(0); // no mark on loopback traffic of this test
  });
});

describe('socket-level metadata', () => {
  it('SO_TIMESTAMP and SO_TIMESTAMPNS lie within a second of the clock', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.setsockopt(b, SOL_SOCKET, c.SO_TIMESTAMP, 1);
    s.send(a, Buffer.from('t'));
    const us = find(
      s.recvmsg(b, { buffers: [Buffer.alloc(2)], controlLength: CONTROL }),
      'timestamp',
    );
    expect(Math.abs(us.sec * 1000 + us.usec / 1000 - Date.now())).toBeLessThan(1000);
    expect(us.usec).toBeLessThan(1e6);

    const u = udp();
    s.setsockopt(u.fd, SOL_SOCKET, c.SO_TIMESTAMPNS, 1);
    s.sendto(udp().fd, Buffer.from('t'), 0, u.address);
    const ns = find(recvWithControl(u.fd), 'timestampns');
    expect(Math.abs(ns.sec * 1000 + ns.nsec / 1e6 - Date.now())).toBeLessThan(1000);
    expect(ns.nsec).toBeLessThan(1e9);
  });

  it('SO_RXQ_OVFL counts the datagrams dropped by a full receive buffer', () => {
    const r = udp();
    s.setsockopt(r.fd, SOL_SOCKET, c.SO_RCVBUF, 1); // The kernel raises it to its minimum.
    s.setsockopt(r.fd, SOL_SOCKET, c.SO_RXQ_OVFL, 1);
    const snd = udp();
    const sent = 64;
    const payload = Buffer.alloc(1000);
    for (let i = 0; i < sent; i++) s.sendto(snd.fd, payload, 0, r.address);
    s.poll([{ fd: r.fd, events: c.POLLIN }], 1000);
    let received = 0;
    const buf = [Buffer.alloc(2048)];
    for (;;) {
      try {
        s.recvmsg(r.fd, { buffers: buf, flags: MSG_DONTWAIT });
        received++;
      } catch (e) {
        expect(e).toMatchObject({ code: 'EAGAIN' });
        break;
      }
    }
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(sent);
    // The kernel stamps the counter on datagrams queued after a drop: send one more.
    s.sendto(snd.fd, payload, 0, r.address);
    const { dropped } = find(recvWithControl(r.fd), 'rxqOverflow');
    expect(dropped).toBe(sent - received);
  });
});

describe('the error queue', () => {
  function closedPort(family: 'inet' | 'inet6'): s.InetAddress | s.Inet6Address {
    const u = udp(family);
    release(u.fd);
    return u.address;
  }

  it('IP_RECVERR: a send to a closed UDP port queues ECONNREFUSED from ICMP port unreachable', () => {
    const u = udp();
    s.setsockopt(u.fd, IPPROTO_IP, c.IP_RECVERR, 1);
    const dest = closedPort('inet');
    s.sendto(u.fd, Buffer.from('anyone?'), 0, dest);
    expect(s.poll([{ fd: u.fd, events: 0 }], 1000)[0]!.revents & c.POLLERR).toBe(c.POLLERR);
    const buf = Buffer.alloc(16);
    const r = s.recvmsg(u.fd, { buffers: [buf], controlLength: CONTROL, flags: MSG_ERRQUEUE });
    expect(r.flags & MSG_ERRQUEUE).toBe(MSG_ERRQUEUE);
    // The queued skb is the datagram that failed, addressed as it was sent.
    expect(buf.toString('utf8', 0, r.bytes)).toBe('anyone?');
    expect(r.address).toEqual(dest);
    expect(find(r, 'recverr')).toEqual({
      type: 'recverr',
      errno: c.ECONNREFUSED,
      code: 'ECONNREFUSED',
      origin: c.SO_EE_ORIGIN_ICMP,
      icmpType: c.ICMP_DEST_UNREACH,
      icmpCode: c.ICMP_PORT_UNREACH,
      info: 0,
      data: 0,
      offender: { family: 'inet', address: '127.0.0.1', port: 0 },
    });
    // Read once, the entry is gone.
    expect(() =>
      s.recvmsg(u.fd, { buffers: [buf], controlLength: CONTROL, flags: MSG_ERRQUEUE }),
    ).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
  });

  it.runIf(hasIPv6)('IPV6_RECVERR: the same over ::1 with ICMPv6', () => {
    const u = udp('inet6');
    s.setsockopt(u.fd, IPPROTO_IPV6, c.IPV6_RECVERR, 1);
    s.sendto(u.fd, Buffer.from('x'), 0, closedPort('inet6'));
    s.poll([{ fd: u.fd, events: 0 }], 1000);
    const r = s.recvmsg(u.fd, {
      buffers: [Buffer.alloc(4)],
      controlLength: CONTROL,
      flags: MSG_ERRQUEUE,
    });
    expect(find(r, 'recverr')).toMatchObject({
      code: 'ECONNREFUSED',
      origin: c.SO_EE_ORIGIN_ICMP6,
      icmpType: c.ICMP6_DST_UNREACH,
      icmpCode: c.ICMP6_DST_UNREACH_NOPORT,
      offender: { family: 'inet6', address: '::1', port: 0 },
    });
  });
});

describe('the control-message decoder on bytes the kernel never wrote', () => {
  const HDR = s.cmsgLen(0);
  const is64 = HDR === 16;

  /** A cmsghdr as laid out on 64-bit Linux: size_t cmsg_len, int level, int type. */
  function header(len: number, level: number, type: number): Buffer {
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(BigInt(len), 0);
    b.writeInt32LE(level, 8);
    b.writeInt32LE(type, 12);
    return b;
  }

  it('random bytes of every length decode without a crash', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.alloc(i % 97);
      for (let k = 0; k < b.length; k++) b[k] = rand();
      // Small lengths make plausible headers: rewrite cmsg_len now and then.
      if (b.length >= 8 && i % 3 === 0) b.writeBigUInt64LE(BigInt(rand() % 64), 0);
      expect(Array.isArray(native.decodeControl(b))).toBe(true);
    }
  });

  it.runIf(is64)('stops at a header whose length runs past the buffer or is too small', () => {
    const fd4 = Buffer.alloc(8);
    fd4.writeInt32LE(7, 0);
    const good = Buffer.concat([header(HDR + 4, SOL_SOCKET, c.SCM_RIGHTS), fd4]);
    expect(native.decodeControl(good)).toEqual([{ type: 'rights', fds: [7] }]);
    // cmsg_len past the end, huge, below the header size, zero: nothing past the good one.
    for (const bad of [HDR + 100, 2 ** 53, HDR - 1, 0]) {
      const b = Buffer.concat([good, header(bad, SOL_SOCKET, c.SCM_RIGHTS), fd4]);
      expect(native.decodeControl(b)).toEqual([{ type: 'rights', fds: [7] }]);
    }
    // A header cut short by the buffer's end.
    expect(native.decodeControl(Buffer.concat([good, header(HDR, 0, 0).subarray(0, 10)]))).toEqual([
      { type: 'rights', fds: [7] },
    ]);
  });

  it.runIf(is64)(
    'a typed message whose payload is too short comes back raw; rights keep whole fds',
    () => {
      const short = Buffer.concat([header(HDR + 6, IPPROTO_IP, c.IP_PKTINFO), Buffer.alloc(8, 1)]);
      expect(native.decodeControl(short)).toEqual([
        { level: IPPROTO_IP, type: c.IP_PKTINFO, data: Buffer.alloc(6, 1) },
      ]);
      const rights = Buffer.concat([
        header(HDR + 6, SOL_SOCKET, c.SCM_RIGHTS),
        Buffer.from([5, 0, 0, 0, 9, 9, 0, 0]),
      ]);
      expect(native.decodeControl(rights)).toEqual([{ type: 'rights', fds: [5] }]);
    },
  );
});

type Case = [string, unknown, string, string, RegExp];

const badControl: Case[] = [
  ['not an array', { type: 'rights' }, 'TypeError', 'ERR_INVALID_ARG_TYPE', /"control"/],
  ['a null entry', [null], 'TypeError', 'ERR_INVALID_ARG_TYPE', /"control\[0\]"/],
  [
    'an unknown type',
    [{ type: 'bogus' }],
    'TypeError',
    'ERR_INVALID_ARG_VALUE',
    /'control\[0\].type'/,
  ],
  [
    'a receive-only type',
    [{ type: 'timestamp', sec: 1, usec: 2 }],
    'TypeError',
    'ERR_INVALID_ARG_VALUE',
    /only received/,
  ],
  ['a boolean type', [{ type: true }], 'TypeError', 'ERR_INVALID_ARG_TYPE', /"control\[0\].type"/],
  [
    'rights without fds',
    [{ type: 'rights' }],
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"control\[0\].fds"/,
  ],
  [
    'a negative fd',
    [{ type: 'rights', fds: [0, -1] }],
    'RangeError',
    'ERR_OUT_OF_RANGE',
    /"control\[0\].fds\[1\]"/,
  ],
  [
    'a string fd',
    [{ type: 'rights', fds: ['3'] }],
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"control\[0\].fds\[0\]"/,
  ],
  [
    'credentials without pid',
    [{ type: 'credentials', uid: 0, gid: 0 }],
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"control\[0\].pid"/,
  ],
  [
    'pktinfo with an IPv6 specDst',
    [{ type: 'pktinfo', specDst: '::1' }],
    'TypeError',
    'ERR_INVALID_ARG_VALUE',
    /control\[0\].specDst/,
  ],
  [
    'pktinfo6 with an IPv4 addr',
    [{ type: 'pktinfo6', addr: '1.2.3.4' }],
    'TypeError',
    'ERR_INVALID_ARG_VALUE',
    /control\[0\].addr/,
  ],
  ['ttl 0', [{ type: 'ttl', value: 0 }], 'RangeError', 'ERR_OUT_OF_RANGE', /"control\[0\].value"/],
  [
    'tos 256',
    [{ type: 'tos', value: 256 }],
    'RangeError',
    'ERR_OUT_OF_RANGE',
    /"control\[0\].value"/,
  ],
  [
    'raw without data',
    [{ level: 0, type: 2 }],
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"control\[0\].data"/,
  ],
  [
    'raw with a string level',
    [{ level: 'ip', type: 2, data: Buffer.alloc(4) }],
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"control\[0\].level"/,
  ],
];

describe('bad control messages', () => {
  it.each(badControl)('%s', (_name, control, type, code, names) => {
    const [a] = pair(AF_UNIX, SOCK_DGRAM);
    expectArgError(
      () =>
        s.sendmsg(a, { buffers: [Buffer.from('x')], control: control as s.SendControlMessage[] }),
      type,
      code,
      names,
    );
  });

  it('the native layer refuses the same junk on its own, with a code, and never crashes', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM | c.SOCK_NONBLOCK);
    const junk: unknown[] = [
      // The kernel, not the native layer, checks ranges: leave out the two that only it refuses.
      ...badControl
        .filter(([name]) => name !== 'ttl 0' && name !== 'tos 256')
        .map(([, control]) => control),
      [{ type: 'a'.repeat(200) }],
      [{ type: 'rights', fds: [{}] }],
      [{ type: 'rights', fds: 'xyz' }],
      [{ type: 'pktinfo', ifindex: 1, specDst: 5 }],
      [{ type: 'pktinfo', specDst: '1'.repeat(500) }],
      [{ type: 'pktinfo6', ifindex: -1 }],
      [{ type: 'credentials', pid: 1, uid: -1, gid: 0 }],
      [{ type: 1, level: 1, data: 'x' }],
      [Symbol('s')],
      [() => 0],
      [{ type: 'timestampns' }],
      [{ type: 'ttl', value: 2 ** 40 }],
      [{ type: 'ttl', value: NaN }],
      [{ type: 'ttl', value: 10n }],
      [{ type: 'ttl' }],
    ];
    for (const [i, control] of junk.entries()) {
      let err: unknown;
      try {
        native.sendmsg(a, [Buffer.from('x')], 0, control as Record<string, unknown>[], null);
      } catch (e) {
        err = e;
      }
      expect(['TypeError', 'RangeError'], `junk[${i}]`).toContain((err as Error)?.constructor.name);
      expect(err).toHaveProperty('code');
    }
    // Nothing was sent along the way.
    expect(() => s.recv(b, Buffer.alloc(4))).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
  });
});

describe('fds that arrive in a recvmsg that fails after the syscall', () => {
  // The result's object and the address are built with plain property sets, so a setter on
  // Object.prototype runs in the middle of building them: after the fds arrived and before
  // the caller could learn them. Each must be closed, not leaked.
  it.each(['family', 'flags'])('are closed when setting "%s" throws', (key) => {
    // Named sockets, so the sender's address is an object to build ("family").
    const name = (side: string): s.UnixAddress => ({
      family: 'unix',
      abstract: Buffer.from(`sockfd-late-failure-${process.pid}-${side}`),
    });
    const a = sock(AF_UNIX, SOCK_DGRAM);
    const b = sock(AF_UNIX, SOCK_DGRAM);
    s.bind(a, name('a'));
    s.bind(b, name('b'));
    const passed = sock(AF_UNIX, SOCK_DGRAM);
    s.sendmsg(a, {
      buffers: [Buffer.from('x')],
      control: [{ type: 'rights', fds: [passed, passed, passed] }],
      address: name('b'),
    });
    const before = readdirSync('/proc/self/fd').sort();
    let thrown: unknown;
    Object.defineProperty(Object.prototype, key, {
      set() {
        throw new Error(`setter of ${key}`);
      },
      configurable: true,
    });
    try {
      s.recvmsg(b, { buffers: [Buffer.alloc(4)], controlLength: s.cmsgSpace(12) });
    } catch (e) {
      thrown = e;
    } finally {
      delete (Object.prototype as Record<string, unknown>)[key];
    }
    expect((thrown as Error | undefined)?.message).toBe(`setter of ${key}`);
    expect(readdirSync('/proc/self/fd').sort()).toEqual(before);
  });
});
