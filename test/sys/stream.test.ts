// SOCK_STREAM over TCP and AF_UNIX: real traffic, no message boundaries, the connection errors.
import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { own, pair, release, sock, tcpPair } from '../helpers/fds.js';

const { AF_INET, AF_INET6, AF_UNIX, SOCK_STREAM, SOCK_NONBLOCK, MSG_PEEK, MSG_DONTWAIT, SHUT_WR } =
  s.constants;

describe('SOCK_STREAM', () => {
  it('carries bytes over TCP on loopback, both ways', () => {
    const { client, server } = tcpPair();
    expect(s.send(client, Buffer.from('hello, server'))).toBe(13);
    const buf = Buffer.alloc(64);
    const n = s.recv(server, buf);
    expect(buf.toString('utf8', 0, n)).toBe('hello, server');
    s.send(server, Buffer.from('hi'));
    expect(s.recv(client, buf)).toBe(2);
    expect(buf.toString('utf8', 0, 2)).toBe('hi');
  });

  it('keeps no message boundaries: three sends may be read as one blob', () => {
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    for (const part of ['one', 'two', 'three']) s.send(a, Buffer.from(part));
    const buf = Buffer.alloc(64);
    const n = s.recv(b, buf);
    expect(buf.toString('utf8', 0, n)).toBe('onetwothree');
  });

  it('reports the peer and the local address of a connection', () => {
    const { client, server, listener } = tcpPair();
    const local = s.getsockname(listener) as s.InetAddress;
    expect(s.getpeername(client)).toEqual(local);
    expect(s.getsockname(client)).toEqual(s.getpeername(server));
  });

  it('returns the peer address from accept', () => {
    const listener = sock(AF_INET, SOCK_STREAM);
    s.bind(listener, { family: 'inet', address: '127.0.0.1', port: 0 });
    s.listen(listener);
    const client = sock(AF_INET, SOCK_STREAM);
    s.connect(client, s.getsockname(listener) as s.InetAddress);
    const conn = s.accept(listener);
    own(conn.fd);
    expect(conn.address).toEqual(s.getsockname(client));
    expect(s.getCloexec(conn.fd)).toBe(true);
  });

  it('works over IPv6 loopback with flowinfo and scopeId reported', () => {
    const listener = sock(AF_INET6, SOCK_STREAM);
    s.bind(listener, { family: 'inet6', address: '::1', port: 0 });
    s.listen(listener);
    const addr = s.getsockname(listener);
    expect(addr).toMatchObject({ family: 'inet6', address: '::1', flowinfo: 0, scopeId: 0 });
    const client = sock(AF_INET6, SOCK_STREAM);
    s.connect(client, addr as s.Inet6Address);
    const server = own(s.accept(listener).fd);
    s.send(client, Buffer.from('v6'));
    const buf = Buffer.alloc(8);
    expect(s.recv(server, buf)).toBe(2);
  });

  it('MSG_PEEK reads without consuming; MSG_DONTWAIT on an empty queue throws EAGAIN', () => {
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    s.send(a, Buffer.from('peek'));
    const buf = Buffer.alloc(16);
    expect(s.recv(b, buf, MSG_PEEK)).toBe(4);
    expect(s.recv(b, buf)).toBe(4);
    expect(() => s.recv(b, buf, MSG_DONTWAIT)).toThrow(
      expect.objectContaining({ code: 'EAGAIN', syscall: 'recv', errno: -s.constants.EAGAIN }),
    );
  });

  it('reads 0 at end of stream after the peer shuts down writing', () => {
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    s.send(a, Buffer.from('last'));
    s.shutdown(a, SHUT_WR);
    const buf = Buffer.alloc(16);
    expect(s.recv(b, buf)).toBe(4);
    expect(s.recv(b, buf)).toBe(0);
  });

  it('throws EADDRINUSE with the address in the message', () => {
    const a = sock(AF_INET, SOCK_STREAM);
    s.bind(a, { family: 'inet', address: '127.0.0.1', port: 0 });
    s.listen(a);
    const { port } = s.getsockname(a) as s.InetAddress;
    const b = sock(AF_INET, SOCK_STREAM);
    let err: unknown;
    try {
      s.bind(b, { family: 'inet', address: '127.0.0.1', port });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(s.SocketError);
    expect(err).toMatchObject({
      code: 'EADDRINUSE',
      errno: -s.constants.EADDRINUSE,
      syscall: 'bind',
      address: '127.0.0.1',
      port,
      message: `bind EADDRINUSE 127.0.0.1:${port}`,
    });
  });

  it('throws ECONNREFUSED when nothing listens', () => {
    // Bind a port, then close it without listening so the port is known to be free.
    const probe = sock(AF_INET, SOCK_STREAM);
    s.bind(probe, { family: 'inet', address: '127.0.0.1', port: 0 });
    const { port } = s.getsockname(probe) as s.InetAddress;
    release(probe);
    const c = sock(AF_INET, SOCK_STREAM);
    expect(() => s.connect(c, { family: 'inet', address: '127.0.0.1', port })).toThrow(
      expect.objectContaining({
        code: 'ECONNREFUSED',
        syscall: 'connect',
        port,
        message: `connect ECONNREFUSED 127.0.0.1:${port}`,
      }),
    );
  });

  it('nonblocking connect reports EINPROGRESS, then SO_ERROR is 0 once writable', () => {
    const listener = sock(AF_INET, SOCK_STREAM);
    s.bind(listener, { family: 'inet', address: '127.0.0.1', port: 0 });
    s.listen(listener);
    const c = sock(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
    expect(s.getNonblocking(c)).toBe(true);
    try {
      s.connect(c, s.getsockname(listener) as s.InetAddress);
    } catch (e) {
      expect(e).toMatchObject({ code: 'EINPROGRESS' });
    }
    const [ready] = s.poll([{ fd: c, events: s.constants.POLLOUT }], 5000);
    expect(ready!.revents & s.constants.POLLOUT).toBeTruthy();
    expect(s.getsockopt(c, s.constants.SOL_SOCKET, s.constants.SO_ERROR)).toBe(0);
  });

  it('throws ENOTCONN for send and getpeername on an unconnected socket', () => {
    const fd = sock(AF_INET, SOCK_STREAM);
    expect(() => s.getpeername(fd)).toThrow(
      expect.objectContaining({ code: 'ENOTCONN', syscall: 'getpeername' }),
    );
    expect(() => s.send(fd, Buffer.from('x'))).toThrow(
      expect.objectContaining({
        code: expect.stringMatching(/^(ENOTCONN|EPIPE)$/) as unknown,
        syscall: 'send',
      }),
    );
    expect(() => s.shutdown(fd, SHUT_WR)).toThrow(expect.objectContaining({ code: 'ENOTCONN' }));
  });

  it('throws EPIPE (not SIGPIPE) when the peer has gone', () => {
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    release(b);
    expect(() => s.send(a, Buffer.from('into the void'))).toThrow(
      expect.objectContaining({ code: 'EPIPE', syscall: 'send', errno: -s.constants.EPIPE }),
    );
  });
});
