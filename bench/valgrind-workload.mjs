#!/usr/bin/env node
// The representative script `npm run test:valgrind` runs under memcheck: every native path of
// the fd-integer API, the failing ones too, in a loop. Slow under valgrind (about 50x), so the
// loop is short; it still touches each path a few hundred times.
// usage: node bench/valgrind-workload.mjs [iterations]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const s = require('sockfd');
const { native } = require('../dist/sys/native.js');
const c = s.constants;

const iterations = Number(process.argv[2] ?? 200);
const LOOPBACK = { family: 'inet', address: '127.0.0.1', port: 0 };

function expectThrow(fn) {
  try {
    fn();
  } catch {
    return;
  }
  throw new Error('expected a throw');
}

function udp(buf) {
  const a = s.socket(c.AF_INET, c.SOCK_DGRAM | c.SOCK_NONBLOCK);
  const b = s.socket(c.AF_INET6, c.SOCK_DGRAM | c.SOCK_NONBLOCK);
  s.bind(a, LOOPBACK);
  s.setsockopt(b, c.IPPROTO_IPV6, c.IPV6_V6ONLY, 0);
  s.bind(b, { family: 'inet6', address: '::1', port: 0, scopeId: 0 });
  s.sendto(a, Buffer.from('ping'), 0, s.getsockname(a));
  s.poll([{ fd: a, events: c.POLLIN }], 1000);
  s.ioctl(a, c.FIONREAD);
  const { bytes, address } = s.recvfrom(a, buf);
  if (bytes !== 4 || address.family !== 'inet') throw new Error('udp');
  s.getsockname(b);
  s.getsockopt(a, c.SOL_SOCKET, c.SO_RCVBUF);
  s.getsockoptBuffer(a, c.SOL_SOCKET, c.SO_RCVBUF, 8);
  s.setsockopt(a, c.SOL_SOCKET, c.SO_RCVBUF, Buffer.from([0, 0, 1, 0]));
  expectThrow(() => s.recv(a, buf, c.MSG_DONTWAIT)); // EAGAIN
  s.close(a);
  s.close(b);
}

function tcp(buf) {
  const l = s.socket(c.AF_INET, c.SOCK_STREAM);
  s.bind(l, LOOPBACK);
  s.listen(l, 4);
  const client = s.socket(c.AF_INET, c.SOCK_STREAM);
  s.connect(client, s.getsockname(l));
  const { fd: server, address } = s.accept(l, c.SOCK_NONBLOCK);
  if (address.family !== 'inet') throw new Error('accept');
  s.send(client, new Uint16Array([1, 2, 3]));
  s.poll([{ fd: server, events: c.POLLIN }], 1000);
  s.recv(server, new DataView(buf.buffer, buf.byteOffset + 1, 16));
  s.getpeername(server);
  s.shutdown(client, c.SHUT_WR);
  s.poll([{ fd: server, events: c.POLLIN }], 1000);
  s.recv(server, buf);
  s.close(server);
  s.close(client);
  s.close(l);
}

function unix(buf, i) {
  const [a, b] = s.socketpair(c.AF_UNIX, c.SOCK_SEQPACKET);
  s.send(a, buf.subarray(0, 7));
  s.recv(b, buf.subarray(3, 5), c.MSG_TRUNC);
  s.getsockname(a);
  s.setNonblocking(a, true);
  s.getNonblocking(a);
  s.setCloexec(b, false);
  s.getCloexec(b);
  const d = s.dup(a);
  s.close(d);
  s.close(a);
  s.close(b);

  const named = s.socket(c.AF_UNIX, c.SOCK_DGRAM);
  s.bind(named, { family: 'unix', abstract: Buffer.from(`sockfd-vg-${process.pid}-${i}\0x`) });
  const other = s.socket(c.AF_UNIX, c.SOCK_DGRAM);
  s.bind(other, { family: 'unix' }); // autobind
  s.sendto(other, Buffer.from('hi'), 0, s.getsockname(named));
  const { address } = s.recvfrom(named, buf);
  if (address.family !== 'unix') throw new Error('unix');
  s.close(named);
  s.close(other);
}

// An fd number that is not open (valgrind warns about numbers past its own limit).
function closed() {
  const fd = s.socket(c.AF_INET, c.SOCK_DGRAM);
  s.close(fd);
  return fd;
}

function errors(buf) {
  expectThrow(() => s.close(closed())); // EBADF
  expectThrow(() => s.recv(0, buf)); // ENOTSOCK
  expectThrow(() => s.bind(closed(), { family: 'unix', path: 'x'.repeat(200) })); // RangeError
  expectThrow(() => s.getsockopt(closed(), 1, 1));
  expectThrow(() => s.if_nametoindex('no-such-if'));
  s.if_indextoname(s.if_nametoindex('lo'));
  // The native layer's own checks, which throw from C++.
  expectThrow(() => native.send(3.5, buf, 0));
  expectThrow(() => native.recv(0, 'x', 0));
  expectThrow(() => native.bind(0, 2, 'a'.repeat(300), 0, 0, 0));
  expectThrow(() => native.poll([1, 2, 3], 0));
  expectThrow(() => native.ioctlInt(0, 0x5421)); // FIONBIO is refused
  native.getsockoptBytes(closed(), 1, 1, 64);
}

const buf = Buffer.alloc(256);
for (let i = 0; i < iterations; i++) {
  udp(buf);
  tcp(buf);
  unix(buf, i);
  errors(buf);
}
console.log(`valgrind workload: ${iterations} iterations`);
