// Addresses: ephemeral ports, unix pathname/abstract/unnamed names round-tripping through
// getsockname, and the argument errors thrown before any syscall.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { pair, sock } from '../helpers/fds.js';

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
