// An fd from socket() is an ordinary fd: fs calls work on it, fcntl flags, poll, the ioctls
// that read queue sizes, socket options, and the errors of a closed fd.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { own, pair, release, sock } from '../helpers/fds.js';

const c = s.constants;
const { AF_INET, AF_UNIX, SOCK_STREAM, SOCK_DGRAM, SOCK_NONBLOCK, SOL_SOCKET, POLLIN, POLLOUT } = c;

// socket(7): the kernel doubles the value set for SO_RCVBUF/SO_SNDBUF for its bookkeeping.
const LINUX_DOUBLES_BUFFER_SIZES = 2;

describe('fds are plain integers', () => {
  it('socket() returns a small integer, and the lowest free number is reused after close', () => {
    const fd = s.socket(AF_INET, SOCK_DGRAM);
    expect(Number.isInteger(fd)).toBe(true);
    expect(fd).toBeGreaterThan(2);
    s.close(fd);
    const again = own(s.socket(AF_INET, SOCK_DGRAM));
    expect(again).toBe(fd);
  });

  it('fs.writeSync on one end of a socketpair is read by recv on the other', () => {
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    writeSync(a, 'through fs');
    const buf = Buffer.alloc(32);
    expect(buf.toString('utf8', 0, s.recv(b, buf))).toBe('through fs');
    s.send(b, Buffer.from('back'));
    const n = readSync(a, buf, 0, 32, null);
    expect(buf.toString('utf8', 0, n)).toBe('back');
  });

  it('is close-on-exec by default; setCloexec turns it off and on', () => {
    const fd = sock(AF_INET, SOCK_STREAM);
    expect(s.getCloexec(fd)).toBe(true);
    s.setCloexec(fd, false);
    expect(s.getCloexec(fd)).toBe(false);
    s.setCloexec(fd, true);
    expect(s.getCloexec(fd)).toBe(true);
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    expect(s.getCloexec(a) && s.getCloexec(b)).toBe(true);
  });

  it('O_NONBLOCK is off by default and can be toggled', () => {
    const fd = sock(AF_INET, SOCK_DGRAM);
    expect(s.getNonblocking(fd)).toBe(false);
    s.setNonblocking(fd, true);
    expect(s.getNonblocking(fd)).toBe(true);
    expect(() => s.recv(fd, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    s.setNonblocking(fd, false);
    expect(s.getNonblocking(fd)).toBe(false);
    expect(s.getNonblocking(sock(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK))).toBe(true);
  });

  it('dup gives a second fd for the same socket', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    const d = own(s.dup(a));
    expect(d).not.toBe(a);
    expect(s.getCloexec(d)).toBe(true);
    s.send(d, Buffer.from('dup'));
    expect(s.recv(b, Buffer.alloc(8))).toBe(3);
  });

  it('a closed fd gives EBADF everywhere; closing twice throws EBADF', () => {
    const fd = s.socket(AF_INET, SOCK_DGRAM);
    s.close(fd);
    const buf = Buffer.alloc(1);
    for (const call of [
      () => s.send(fd, buf),
      () => s.recv(fd, buf),
      () => s.getsockname(fd),
      () => s.getsockopt(fd, SOL_SOCKET, c.SO_TYPE),
      () => s.ioctl(fd, c.FIONREAD),
      () => s.getNonblocking(fd),
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'EBADF', errno: -c.EBADF }));
    }
    expect(() => s.close(fd)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'close' }));
  });

  it('a non-socket fd gives ENOTSOCK', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      expect(() => s.getsockname(fd)).toThrow(expect.objectContaining({ code: 'ENOTSOCK' }));
    } finally {
      closeSync(fd);
    }
  });
});

describe('poll', () => {
  it('reports POLLOUT on a fresh pair and POLLIN once data is queued', () => {
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    let r = s.poll([{ fd: b, events: POLLIN | POLLOUT }], 0);
    expect(r).toEqual([{ fd: b, events: POLLIN | POLLOUT, revents: POLLOUT }]);
    s.send(a, Buffer.from('x'));
    r = s.poll(
      [
        { fd: b, events: POLLIN },
        { fd: a, events: POLLIN },
      ],
      0,
    );
    expect(r.map((p) => p.revents)).toEqual([POLLIN, 0]);
  });

  it('times out after about the timeout, with nothing ready', () => {
    const [a] = pair(AF_UNIX, SOCK_DGRAM);
    const t0 = Date.now();
    expect(s.poll([{ fd: a, events: POLLIN }], 50)[0]!.revents).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
  });

  it('reports POLLNVAL for a closed fd and ignores negative ones', () => {
    const fd = s.socket(AF_INET, SOCK_DGRAM);
    s.close(fd);
    expect(
      s
        .poll(
          [
            { fd, events: POLLIN },
            { fd: -1, events: POLLIN },
          ],
          0,
        )
        .map((p) => p.revents),
    ).toEqual([c.POLLNVAL, 0]);
  });

  it('reports POLLHUP when the peer closes', () => {
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    release(b);
    expect(s.poll([{ fd: a, events: POLLIN }], 0)[0]!.revents & c.POLLHUP).toBeTruthy();
  });
});

describe('ioctl', () => {
  it('FIONREAD/SIOCINQ counts the bytes waiting; SIOCOUTQ the bytes not yet read by the peer', () => {
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    expect(s.ioctl(b, c.FIONREAD)).toBe(0);
    s.send(a, Buffer.alloc(100));
    expect(s.ioctl(b, c.SIOCINQ)).toBe(100);
    // For unix sockets SIOCOUTQ counts the kernel memory (sk_wmem_alloc) the queued skbs hold,
    // not the payload: at least the 100 bytes, and back to 0 once the peer has read them.
    expect(s.ioctl(a, c.SIOCOUTQ)).toBeGreaterThanOrEqual(100);
    s.recv(b, Buffer.alloc(60));
    expect(s.ioctl(b, c.FIONREAD)).toBe(40);
    s.recv(b, Buffer.alloc(60));
    expect(s.ioctl(a, c.SIOCOUTQ)).toBe(0);
  });

  it('refuses requests that do not write a single int', () => {
    const [a] = pair(AF_UNIX, SOCK_STREAM);
    expect(() => s.ioctl(a, c.SIOCGIFNAME)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });
});

describe('interfaces', () => {
  it('maps lo to its index and back', () => {
    const idx = s.if_nametoindex('lo');
    expect(idx).toBeGreaterThan(0);
    expect(s.if_indextoname(idx)).toBe('lo');
  });

  it('throws a syscall error for an unknown interface', () => {
    expect(() => s.if_nametoindex('nosuchif0')).toThrow(
      expect.objectContaining({ code: 'ENODEV', syscall: 'if_nametoindex' }),
    );
    expect(() => s.if_indextoname(0x7ffffff0)).toThrow(
      expect.objectContaining({ syscall: 'if_indextoname' }),
    );
  });
});

describe('socket options', () => {
  it('reads SO_TYPE, SO_DOMAIN and SO_PROTOCOL as integers', () => {
    const fd = sock(AF_INET, SOCK_STREAM);
    expect(s.getsockopt(fd, SOL_SOCKET, c.SO_TYPE)).toBe(SOCK_STREAM);
    expect(s.getsockopt(fd, SOL_SOCKET, c.SO_DOMAIN)).toBe(AF_INET);
    expect(s.getsockopt(fd, SOL_SOCKET, c.SO_PROTOCOL)).toBe(c.IPPROTO_TCP);
  });

  it('sets options from a number, a boolean or a Buffer', () => {
    const fd = sock(AF_INET, SOCK_STREAM);
    s.setsockopt(fd, SOL_SOCKET, c.SO_REUSEADDR, true);
    expect(s.getsockopt(fd, SOL_SOCKET, c.SO_REUSEADDR)).toBe(1);
    s.setsockopt(fd, SOL_SOCKET, c.SO_REUSEADDR, false);
    expect(s.getsockopt(fd, SOL_SOCKET, c.SO_REUSEADDR)).toBe(0);
    s.setsockopt(fd, SOL_SOCKET, c.SO_RCVBUF, 65536);
    expect(s.getsockopt(fd, SOL_SOCKET, c.SO_RCVBUF)).toBe(65536 * LINUX_DOUBLES_BUFFER_SIZES);
    const one = Buffer.alloc(4);
    one.writeInt32LE(1);
    s.setsockopt(fd, c.IPPROTO_TCP, c.TCP_NODELAY, one);
    expect(s.getsockopt(fd, c.IPPROTO_TCP, c.TCP_NODELAY)).toBe(1);
  });

  it('reads a negative value as a value, not as an error', () => {
    const fd = sock(AF_UNIX, SOCK_DGRAM);
    expect(s.getsockopt(fd, SOL_SOCKET, c.SO_PEEK_OFF)).toBe(-1); // socket(7): -1 while off
  });

  it('reads raw bytes sized by the length the kernel returns', () => {
    const fd = sock(AF_INET, SOCK_STREAM);
    const linger = s.getsockoptBuffer(fd, SOL_SOCKET, c.SO_LINGER, 64);
    expect(linger.length).toBe(8); // struct linger { int l_onoff; int l_linger; }
    const info = s.getsockoptBuffer(fd, c.IPPROTO_TCP, c.TCP_INFO, 1024);
    expect(info.length).toBeGreaterThan(100);
    expect(info.length).toBeLessThan(1024);
    expect(info[0]).toBe(c.TCP_CLOSE); // tcpi_state of a fresh socket
  });

  it('throws ENOPROTOOPT for an unknown option and EINVAL for a bad value size', () => {
    const fd = sock(AF_INET, SOCK_STREAM);
    expect(() => s.getsockopt(fd, SOL_SOCKET, 0x7fff)).toThrow(
      expect.objectContaining({ code: 'ENOPROTOOPT', syscall: 'getsockopt' }),
    );
    expect(() => s.setsockopt(fd, SOL_SOCKET, c.SO_REUSEADDR, Buffer.alloc(1))).toThrow(
      expect.objectContaining({ code: 'EINVAL', syscall: 'setsockopt' }),
    );
  });
});
