// Addresses: ephemeral ports, unix pathname/abstract/unnamed names round-tripping through
// getsockname, and the argument errors thrown before any syscall.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { own, pair, sock } from '../helpers/fds.js';

const { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_STREAM } = s.constants;
const dir = mkdtempSync(join(tmpdir(), 'sockfd-addr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('addresses', () => {
  it('port 0 binds an ephemeral port that getsockname reports', () => {
    const fd = sock(AF_INET, SOCK_DGRAM);
    expect(s.getsockname(fd)).toEqual({ family: 'inet', address: '0.0.0.0', port: 0 });
    s.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
    const a = s.getsockname(fd) as s.InetAddress;
    expect(a.family).toBe('inet');
    expect(a.address).toBe('127.0.0.1');
    expect(a.port).toBeGreaterThan(1023);
  });

  it('a unix pathname round-trips and creates the socket file', () => {
    const path = join(dir, 'stream.sock');
    const fd = sock(AF_UNIX, SOCK_STREAM);
    s.bind(fd, { family: 'unix', path });
    expect(s.getsockname(fd)).toEqual({ family: 'unix', path });
    expect(statSync(path).isSocket()).toBe(true);
  });

  it('an abstract name round-trips byte for byte, embedded NULs included', () => {
    const name = Buffer.from([0x73, 0x00, 0x66, 0x00, 0x00, 0x64, process.pid & 0xff, 0xff]);
    const fd = sock(AF_UNIX, SOCK_DGRAM);
    s.bind(fd, { family: 'unix', abstract: name });
    const got = s.getsockname(fd) as { family: 'unix'; abstract: Buffer };
    expect(Buffer.isBuffer(got.abstract)).toBe(true);
    expect(got.abstract.equals(name)).toBe(true);
  });

  it('an abstract name given as a string is its UTF-8 bytes', () => {
    const fd = sock(AF_UNIX, SOCK_DGRAM);
    const name = `sockfd-é-${process.pid}`;
    s.bind(fd, { family: 'unix', abstract: name });
    expect((s.getsockname(fd) as { abstract: Buffer }).abstract.toString()).toBe(name);
  });

  it('socketpair ends are unnamed; binding an unnamed address autobinds an abstract name', () => {
    const [a] = pair(AF_UNIX, SOCK_DGRAM);
    expect(s.getsockname(a)).toEqual({ family: 'unix' });
    const fd = sock(AF_UNIX, SOCK_DGRAM);
    s.bind(fd, { family: 'unix' });
    const got = s.getsockname(fd) as { abstract: Buffer };
    // unix(7): autobind picks 5 hex digits.
    expect(got.abstract.toString()).toMatch(/^[0-9a-f]{5}$/);
  });

  it('a datagram sent to a unix path reports the sender path', () => {
    const pa = join(dir, 'a.sock');
    const pb = join(dir, 'b.sock');
    const a = sock(AF_UNIX, SOCK_DGRAM);
    const b = sock(AF_UNIX, SOCK_DGRAM);
    s.bind(a, { family: 'unix', path: pa });
    s.bind(b, { family: 'unix', path: pb });
    s.sendto(a, Buffer.from('x'), 0, { family: 'unix', path: pb });
    expect(s.recvfrom(b, Buffer.alloc(4)).address).toEqual({ family: 'unix', path: pa });
  });

  describe('unix paths as bytes', () => {
    const dirBytes = Buffer.from(`${dir}/`);
    const at = (...tail: number[]) => Buffer.concat([dirBytes, Buffer.from(tail)]);
    type Received = { family: 'unix'; path: string; pathBytes?: Buffer };

    it('a path that is not UTF-8 binds and comes back as its exact bytes', () => {
      const path = at(0xff, 0xfe);
      const fd = sock(AF_UNIX, SOCK_DGRAM);
      s.bind(fd, { family: 'unix', path });
      const got = s.getsockname(fd) as Received;
      expect(got.pathBytes?.equals(path)).toBe(true);
      // The string stands in for display, with U+FFFD where the bytes are not UTF-8.
      expect(got.path).toBe(`${dir}/\ufffd\ufffd`);
      expect(statSync(path).isSocket()).toBe(true);
    });

    it('a returned address passed back names the same socket', () => {
      const server = sock(AF_UNIX, SOCK_STREAM);
      s.bind(server, { family: 'unix', path: at(0x80, 0x61) });
      s.listen(server, 4);
      const client = sock(AF_UNIX, SOCK_STREAM);
      s.bind(client, { family: 'unix', path: at(0xc0, 0xaf) }); // an overlong '/'
      s.connect(client, s.getsockname(server) as s.UnixPathAddress);
      const peer = s.getpeername(client) as Received;
      expect(peer.pathBytes?.equals(at(0x80, 0x61))).toBe(true);
      // accept decodes through the compact path, getsockname through objects: both keep bytes.
      const { fd, address } = s.accept(server);
      own(fd);
      expect((address as Received).pathBytes?.equals(at(0xc0, 0xaf))).toBe(true);
    });

    it('recvfrom and recvmsg report a sender whose path is not UTF-8', () => {
      const a = sock(AF_UNIX, SOCK_DGRAM);
      const b = sock(AF_UNIX, SOCK_DGRAM);
      s.bind(a, { family: 'unix', path: at(0xed, 0xa0, 0x80) }); // an encoded surrogate
      s.bind(b, { family: 'unix', path: at(0x62) });
      const to = s.getsockname(b) as Received;
      expect(to).toEqual({ family: 'unix', path: `${dir}/b` });
      for (let i = 0; i < 2; i++) s.sendto(a, Buffer.from('x'), 0, to);
      const got = s.recvfrom(b, Buffer.alloc(4)).address as Received;
      expect(got.pathBytes?.equals(at(0xed, 0xa0, 0x80))).toBe(true);
      const msg = s.recvmsg(b, { buffers: [Buffer.alloc(4)] }).address as Received;
      expect(msg.pathBytes?.equals(at(0xed, 0xa0, 0x80))).toBe(true);
    });

    it('every byte but NUL round-trips', () => {
      // '/' is the separator, so the names take every other byte, 40 at a time.
      const bytes = [...Array(255).keys()].map((i) => i + 1).filter((b) => b !== 0x2f);
      for (let i = 0; i < bytes.length; i += 40) {
        const path = at(...bytes.slice(i, i + 40));
        const fd = sock(AF_UNIX, SOCK_DGRAM);
        s.bind(fd, { family: 'unix', path: new Uint8Array(path) });
        const got = s.getsockname(fd) as Received;
        expect(got.pathBytes ?? Buffer.from(got.path)).toEqual(path);
      }
    });

    it('an abstract name of any bytes round-trips, ff fe and NUL included', () => {
      const name = Buffer.from([0xff, 0xfe, 0x00, ...Buffer.from(`sockfd-${process.pid}`)]);
      const fd = sock(AF_UNIX, SOCK_DGRAM);
      s.bind(fd, { family: 'unix', abstract: name });
      const got = s.getsockname(fd) as { abstract: Buffer };
      expect(got.abstract.equals(name)).toBe(true);
      const to = sock(AF_UNIX, SOCK_DGRAM);
      s.sendto(to, Buffer.from('y'), 0, { family: 'unix', abstract: got.abstract });
      expect(s.recv(fd, Buffer.alloc(4))).toBe(1);
    });

    it('bytes that are UTF-8 come back as the string alone', () => {
      const fd = sock(AF_UNIX, SOCK_DGRAM);
      s.bind(fd, { family: 'unix', path: Buffer.from(`${dir}/é`) });
      expect(s.getsockname(fd)).toEqual({ family: 'unix', path: `${dir}/é` });
    });

    it('formats a path given as bytes', () => {
      expect(s.formatAddress({ family: 'unix', path: Buffer.from('/tmp/\xff', 'latin1') })).toBe(
        '/tmp/\ufffd',
      );
    });
  });

  it('IPv6 scope ids come from scopeId or from a %interface suffix', () => {
    const lo = s.if_nametoindex('lo');
    const fd = sock(AF_INET6, SOCK_DGRAM);
    // Link-local on lo is not assigned, so bind fails; the scope still reaches the kernel's
    // error path only after validation passes, which is what this checks.
    expect(() => s.bind(fd, { family: 'inet6', address: 'fe80::1%lo', port: 0 })).toThrow(
      expect.objectContaining({ syscall: 'bind' }),
    );
    expect(() => s.bind(fd, { family: 'inet6', address: 'fe80::1', port: 0, scopeId: lo })).toThrow(
      expect.objectContaining({ syscall: 'bind' }),
    );
    expect(() => s.bind(fd, { family: 'inet6', address: 'fe80::1%nosuchif0', port: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  const bad: [string, unknown, string, string][] = [
    [
      'port 65536',
      { family: 'inet', address: '127.0.0.1', port: 65536 },
      'RangeError',
      'ERR_SOCKET_BAD_PORT',
    ],
    [
      'negative port',
      { family: 'inet', address: '127.0.0.1', port: -1 },
      'RangeError',
      'ERR_SOCKET_BAD_PORT',
    ],
    [
      'fractional port',
      { family: 'inet', address: '127.0.0.1', port: 80.5 },
      'RangeError',
      'ERR_SOCKET_BAD_PORT',
    ],
    [
      'string port',
      { family: 'inet', address: '127.0.0.1', port: '80' },
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
    ],
    [
      'unparsable IPv4',
      { family: 'inet', address: '127.0.0.256', port: 1 },
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'IPv6 text for inet',
      { family: 'inet', address: '::1', port: 1 },
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'unparsable IPv6',
      { family: 'inet6', address: '::g', port: 1 },
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'unknown family',
      { family: 'ipx', address: '1', port: 1 },
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
    ],
    ['not an object', '127.0.0.1:80', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['null', null, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    [
      'path longer than sun_path',
      { family: 'unix', path: `/tmp/${'x'.repeat(200)}` },
      'RangeError',
      'ERR_OUT_OF_RANGE',
    ],
    [
      'path of 108 bytes',
      { family: 'unix', path: 'p'.repeat(108) },
      'RangeError',
      'ERR_OUT_OF_RANGE',
    ],
    [
      'multi-byte path too long',
      { family: 'unix', path: 'é'.repeat(54) },
      'RangeError',
      'ERR_OUT_OF_RANGE',
    ],
    ['path with NUL', { family: 'unix', path: '/tmp/a\0b' }, 'TypeError', 'ERR_INVALID_ARG_VALUE'],
    ['empty path', { family: 'unix', path: '' }, 'TypeError', 'ERR_INVALID_ARG_VALUE'],
    [
      'abstract too long',
      { family: 'unix', abstract: Buffer.alloc(108) },
      'RangeError',
      'ERR_OUT_OF_RANGE',
    ],
    [
      'empty path bytes',
      { family: 'unix', path: Buffer.alloc(0) },
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'path bytes with NUL',
      { family: 'unix', path: Buffer.from('/tmp/a\0b') },
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'path bytes of 108',
      { family: 'unix', path: Buffer.alloc(108, 0x61) },
      'RangeError',
      'ERR_OUT_OF_RANGE',
    ],
    ['path a number', { family: 'unix', path: 7 }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    [
      'pathBytes a string',
      { family: 'unix', pathBytes: '/tmp/s' },
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
    ],
    [
      'pathBytes and abstract',
      { family: 'unix', pathBytes: Buffer.from('/a'), abstract: 'b' },
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'path and abstract',
      { family: 'unix', path: '/a', abstract: 'b' },
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
    ],
  ];

  it.each(bad)('rejects %s before any syscall', (_what, address, type, code) => {
    // fd 2147483647 is never open: reaching the syscall would give EBADF instead.
    let err: unknown;
    try {
      s.bind(0x7fffffff, address as s.SocketAddress);
    } catch (e) {
      err = e;
    }
    expect((err as Error).constructor.name).toBe(type);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(/address/);
  });

  it('accepts a 107-byte path, the longest that fits with its NUL', () => {
    const path = join(dir, 'x'.repeat(107 - dir.length - 1));
    expect(Buffer.byteLength(path)).toBe(107);
    const fd = sock(AF_UNIX, SOCK_STREAM);
    s.bind(fd, { family: 'unix', path });
    expect(s.getsockname(fd)).toEqual({ family: 'unix', path });
  });

  it('formats addresses the way ss prints them', () => {
    expect(s.formatAddress({ family: 'inet', address: '127.0.0.1', port: 80 })).toBe(
      '127.0.0.1:80',
    );
    expect(s.formatAddress({ family: 'inet6', address: '::1', port: 80 })).toBe('[::1]:80');
    expect(s.formatAddress({ family: 'unix', path: '/tmp/s' })).toBe('/tmp/s');
    expect(s.formatAddress({ family: 'unix', abstract: 'name' })).toBe('@name');
    // A detached name reads as empty, as the native layer sees it.
    const detached = new Uint8Array(4);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(s.formatAddress({ family: 'unix', abstract: detached })).toBe('@');
  });
});
