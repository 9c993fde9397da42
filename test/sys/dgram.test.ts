// SOCK_DGRAM over UDP and AF_UNIX: message boundaries, MSG_TRUNC, MSG_PEEK, MSG_DONTWAIT, and
// buffers that are views into larger memory.
import { describe, expect, it } from 'vitest';

import { addrArgs } from '../../lib/sys/address.js';
import { addressMetaBuffer } from '../../lib/internal/addrmeta.js';
import * as s from '../../lib/index.js';
import { native } from '../../lib/sys/native.js';
import { pair, sock } from '../helpers/fds.js';

const { AF_INET, AF_UNIX, SOCK_DGRAM, MSG_TRUNC, MSG_PEEK, MSG_DONTWAIT } = s.constants;

function udpSocket(): { fd: number; address: s.InetAddress } {
  const fd = sock(AF_INET, SOCK_DGRAM);
  s.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
  return { fd, address: s.getsockname(fd) as s.InetAddress };
}

describe('SOCK_DGRAM', () => {
  it('sends a UDP datagram to an ephemeral port and reports the sender', () => {
    const a = udpSocket();
    const b = udpSocket();
    expect(a.address.port).toBeGreaterThan(0);
    expect(s.sendto(a.fd, Buffer.from('ping'), 0, b.address)).toBe(4);
    const buf = Buffer.alloc(64);
    const r = s.recvfrom(b.fd, buf);
    expect(r.bytes).toBe(4);
    expect(buf.toString('utf8', 0, 4)).toBe('ping');
    expect(r.address).toEqual(a.address);
  });

  it('keeps message boundaries: three sends are three datagrams', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    for (const m of ['one', 'two', 'three']) s.send(a, Buffer.from(m));
    const buf = Buffer.alloc(64);
    const got = [0, 1, 2].map(() => buf.toString('utf8', 0, s.recv(b, buf)));
    expect(got).toEqual(['one', 'two', 'three']);
  });

  it('MSG_TRUNC returns the real length and never writes past the view', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.send(a, Buffer.from('0123456789abcdef'));
    const backing = Buffer.alloc(32, 0xee);
    const view = backing.subarray(8, 12);
    expect(s.recv(b, view, MSG_TRUNC)).toBe(16);
    expect(view.toString()).toBe('0123');
    // Bytes on either side of the view are untouched.
    expect([...backing.subarray(0, 8)].every((x) => x === 0xee)).toBe(true);
    expect([...backing.subarray(12)].every((x) => x === 0xee)).toBe(true);
  });

  it('without MSG_TRUNC a short buffer gets the first bytes and the rest is dropped', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.send(a, Buffer.from('abcdef'));
    s.send(a, Buffer.from('next'));
    const small = Buffer.alloc(3);
    expect(s.recv(b, small)).toBe(3);
    expect(small.toString()).toBe('abc');
    const buf = Buffer.alloc(16);
    expect(buf.toString('utf8', 0, s.recv(b, buf))).toBe('next');
  });

  it('MSG_PEEK leaves the datagram queued; MSG_DONTWAIT throws EAGAIN when empty', () => {
    const a = udpSocket();
    const b = udpSocket();
    s.sendto(a.fd, Buffer.from('peek'), 0, b.address);
    const buf = Buffer.alloc(16);
    // The datagram may take a moment to be queued on loopback; wait for it.
    s.poll([{ fd: b.fd, events: s.constants.POLLIN }], 1000);
    expect(s.recvfrom(b.fd, buf, MSG_PEEK).bytes).toBe(4);
    expect(s.recvfrom(b.fd, buf, MSG_DONTWAIT).bytes).toBe(4);
    expect(() => s.recvfrom(b.fd, buf, MSG_DONTWAIT)).toThrow(
      expect.objectContaining({ code: 'EAGAIN', syscall: 'recvfrom' }),
    );
  });

  it('reads into and sends from any ArrayBufferView: DataView, Uint16Array, a subarray', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    const src = new Uint16Array([0x0102, 0x0304, 0x0506]);
    expect(s.send(a, src.subarray(1))).toBe(4);
    const ab = new ArrayBuffer(16);
    const dv = new DataView(ab, 4, 4);
    expect(s.recv(b, dv)).toBe(4);
    expect(new Uint16Array(ab, 4, 2)).toEqual(new Uint16Array([0x0304, 0x0506]));
    expect(new Uint8Array(ab, 0, 4)).toEqual(new Uint8Array(4));
  });

  it('sends and receives a zero-length datagram', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    expect(s.send(a, new Uint8Array(0))).toBe(0);
    expect(s.recv(b, Buffer.alloc(4), MSG_DONTWAIT)).toBe(0);
  });

  it('send on a connected UDP socket goes to its peer', () => {
    const a = udpSocket();
    const b = udpSocket();
    s.connect(a.fd, b.address);
    s.send(a.fd, Buffer.from('connected'));
    const buf = Buffer.alloc(16);
    expect(s.recvfrom(b.fd, buf).address).toEqual(a.address);
  });

  it('reports each sender right when senders alternate (the host string is cached per thread)', () => {
    const b = udpSocket();
    const senders = [udpSocket(), udpSocket()];
    const six = sock(s.constants.AF_INET6, SOCK_DGRAM);
    s.bind(six, { family: 'inet6', address: '::1', port: 0 });
    const b6 = sock(s.constants.AF_INET6, SOCK_DGRAM);
    s.bind(b6, { family: 'inet6', address: '::1', port: 0 });
    const buf = Buffer.alloc(8);
    for (let round = 0; round < 3; round++) {
      for (const a of senders) {
        s.sendto(a.fd, Buffer.from('x'), 0, b.address);
        expect(s.recvfrom(b.fd, buf).address).toEqual(a.address);
      }
      s.sendto(six, Buffer.from('y'), 0, s.getsockname(b6) as s.Inet6Address);
      expect(s.recvfrom(b6, buf).address).toEqual(s.getsockname(six));
    }
  });

  it('sends to each destination right when destinations alternate (the last one is cached)', () => {
    const a = udpSocket();
    const dests = [udpSocket(), udpSocket()];
    const buf = Buffer.alloc(8);
    for (let round = 0; round < 3; round++) {
      for (const [i, d] of dests.entries()) {
        // A fresh object each time, equal by value to the cached one every other round.
        s.sendto(a.fd, Buffer.from([i]), 0, { ...d.address });
        s.poll([{ fd: d.fd, events: s.constants.POLLIN }], 1000);
        expect(s.recv(d.fd, buf, MSG_DONTWAIT)).toBe(1);
        expect(buf[0]).toBe(i);
      }
    }
    expect(() => s.sendto(a.fd, Buffer.alloc(1), 0, { ...dests[0]!.address, port: 65536 })).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }),
    );
  });

  it('sendto through the address slot refuses an empty slot and junk in its place', () => {
    const a = udpSocket();
    const slot = new ArrayBuffer(native.sentAddressBytes);
    const buf = Buffer.alloc(1);
    expect(() => native.sendtoSlot(a.fd, buf, 0, slot)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => native.sendtoSlot(a.fd, buf, 0, undefined as unknown as ArrayBuffer)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    for (const junk of [new ArrayBuffer(8), Buffer.alloc(200), 1, 'x', null]) {
      expect(() => native.sendtoSlot(a.fd, buf, 0, junk as ArrayBuffer)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
      );
    }
    // Filled by a sendto, the slot sends there again.
    const b = udpSocket();
    expect(native.sendto(a.fd, Buffer.from('1'), 0, ...addrArgs(b.address), slot)).toBe(1);
    expect(native.sendtoSlot(a.fd, Buffer.from('2'), 0, slot)).toBe(1);
    const got = Buffer.alloc(4);
    for (const want of ['1', '2']) {
      const n = s.recv(b.fd, got);
      expect(got.toString('utf8', 0, n)).toBe(want);
    }
  });

  it('recvfrom gets the sender right after a host string was returned to someone else', () => {
    const a = udpSocket();
    const b = udpSocket();
    const buf = Buffer.alloc(8);
    // A raw native call returns the host string and drops it: the next call's "same host as
    // last time" must not be taken from a stale copy.
    s.sendto(a.fd, Buffer.from('1'), 0, b.address);
    expect(native.recvfrom(b.fd, buf, 0, addressMetaBuffer)).toBe('127.0.0.1');
    s.sendto(a.fd, Buffer.from('2'), 0, b.address);
    expect(native.recvfrom(b.fd, buf, 0, addressMetaBuffer)).toBeUndefined();
    s.sendto(a.fd, Buffer.from('3'), 0, b.address);
    expect(s.recvfrom(b.fd, buf).address).toEqual(a.address);
    s.sendto(a.fd, Buffer.from('4'), 0, b.address);
    expect(s.recvfrom(b.fd, buf).address).toEqual(a.address);
  });

  it('recvfrom(fd, buf, flags, out) fills and returns `out`, reusing its address object', () => {
    const a = udpSocket();
    const c = udpSocket();
    const b = udpSocket();
    const buf = Buffer.alloc(16);
    const out: s.Received = { bytes: 0, address: null };
    s.sendto(a.fd, Buffer.from('one'), 0, b.address);
    expect(s.recvfrom(b.fd, buf, 0, out)).toBe(out);
    expect(out).toEqual({ bytes: 3, address: a.address });
    const first = out.address;
    s.sendto(c.fd, Buffer.from('three'), 0, b.address);
    s.recvfrom(b.fd, buf, 0, out);
    // Same family: the same object, rewritten in place.
    expect(out.address).toBe(first);
    expect(out).toEqual({ bytes: 5, address: c.address });
    // Another family replaces the address (an unnamed socketpair end reports none).
    const [u1, u2] = pair(AF_UNIX, SOCK_DGRAM);
    s.send(u1, Buffer.from('u'));
    s.recvfrom(u2, buf, 0, out);
    expect(out).toEqual({ bytes: 1, address: null });
    s.sendto(a.fd, Buffer.from('four'), 0, b.address);
    s.recvfrom(b.fd, buf, 0, out);
    expect(out).toEqual({ bytes: 4, address: a.address });
    expect(out.address).not.toBe(first);
    expect(() => s.recvfrom(b.fd, buf, MSG_DONTWAIT, null as unknown as s.Received)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
});
