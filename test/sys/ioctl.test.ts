// ioctl with a struct argument: only requests whose struct size the library knows, with a
// buffer at least that long; and pidfd_getfd, which borrows another process's fd.
import { readlinkSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { own, sock } from '../helpers/fds.js';

const c = s.constants;
const IFNAMSIZ = c.IFNAMSIZ; // struct ifreq: the name, then a union at this offset. netdevice(7)

function ifreq(name: string): Buffer {
  const b = Buffer.alloc(s.ioctlArgSize(c.SIOCGIFINDEX)!);
  b.write(name, 0, 'latin1');
  return b;
}

describe('ioctl(fd, request, buffer)', () => {
  it('knows the size of a struct ifreq and of the TUN requests', () => {
    expect(s.ioctlArgSize(c.SIOCGIFINDEX)).toBeGreaterThanOrEqual(32);
    expect(s.ioctlArgSize(c.TUNSETIFF)).toBe(s.ioctlArgSize(c.SIOCGIFINDEX));
    expect(s.ioctlArgSize(c.FIONREAD)).toBe(4);
    expect(s.ioctlArgSize(0x1234)).toBeUndefined();
  });

  it('SIOCGIFINDEX and SIOCGIFFLAGS fill the struct ifreq in place', () => {
    const fd = sock(c.AF_INET, c.SOCK_DGRAM);
    const req = ifreq('lo');
    expect(s.ioctl(fd, c.SIOCGIFINDEX, req)).toBe(0);
    expect(req.readInt32LE(IFNAMSIZ)).toBe(s.if_nametoindex('lo'));
    const flags = ifreq('lo');
    s.ioctl(fd, c.SIOCGIFFLAGS, flags);
    expect(flags.readUInt16LE(IFNAMSIZ) & c.IFF_LOOPBACK).toBe(c.IFF_LOOPBACK);
  });

  it('reports the kernel error with the syscall name', () => {
    const fd = sock(c.AF_INET, c.SOCK_DGRAM);
    expect(() => s.ioctl(fd, c.SIOCGIFINDEX, ifreq('no-such-if0'))).toThrow(
      expect.objectContaining({ code: 'ENODEV', syscall: 'ioctl' }),
    );
  });

  it('refuses a request whose size it does not know, and a buffer that is too short', () => {
    const fd = sock(c.AF_INET, c.SOCK_DGRAM);
    expect(() => s.ioctl(fd, 0x1234, Buffer.alloc(4096))).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => s.ioctl(fd, c.SIOCGIFINDEX, Buffer.alloc(IFNAMSIZ))).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => s.ioctl(fd, c.SIOCGIFINDEX, 'lo' as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });

  it('the int form still reads a count', () => {
    expect(s.ioctl(sock(c.AF_UNIX, c.SOCK_DGRAM), c.SIOCINQ)).toBe(0);
  });

  it('the int form reports a failed ioctl as a syscall error', () => {
    expect(() => s.ioctl(999_999, c.SIOCINQ)).toThrow(
      expect.objectContaining({ code: 'EBADF', syscall: 'ioctl' }),
    );
  });
});

describe('pidfd_open and pidfd_getfd', () => {
  it('borrow an fd: a new number for the same socket, close-on-exec', () => {
    const fd = sock(c.AF_INET, c.SOCK_DGRAM);
    s.setCloexec(fd, false);
    const pidfd = own(s.pidfd_open(process.pid));
    const copy = own(s.pidfd_getfd(pidfd, fd));
    expect(copy).not.toBe(fd);
    expect(readlinkSync(`/proc/self/fd/${copy}`)).toBe(readlinkSync(`/proc/self/fd/${fd}`));
    expect(s.getCloexec(copy)).toBe(true);
  });

  it('report a closed target fd as EBADF', () => {
    const pidfd = own(s.pidfd_open(process.pid));
    expect(() => s.pidfd_getfd(pidfd, 999_999)).toThrow(
      expect.objectContaining({ code: 'EBADF', syscall: 'pidfd_getfd' }),
    );
  });
});
