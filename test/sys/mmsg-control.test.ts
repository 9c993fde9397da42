// Control messages per message in sendmmsg/recvmmsg: a TTL and a source address chosen per
// datagram, IP_PKTINFO and IP_TTL read back per datagram, fds per message, in the array form
// and on a MessageBatch (one slab, or views of their own), and a batch without a control length
// that receives none.
import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { type ArgErrorCase, expectArgError } from '../helpers/arg-errors.js';
import { own, pair, sock } from '../helpers/fds.js';

const c = s.constants;
const { AF_INET, AF_UNIX, SOCK_DGRAM, SOCK_STREAM, IPPROTO_IP, MSG_DONTWAIT, MSG_CTRUNC } = c;
const CONTROL = 256;

function udp(): { fd: number; address: s.InetAddress } {
  const fd = sock(AF_INET, SOCK_DGRAM);
  s.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
  return { fd, address: s.getsockname(fd) as s.InetAddress };
}

/** A receiver that reports each datagram's TTL and IP_PKTINFO. */
function receiver(): { fd: number; address: s.InetAddress } {
  const r = udp();
  s.setsockopt(r.fd, IPPROTO_IP, c.IP_RECVTTL, 1);
  s.setsockopt(r.fd, IPPROTO_IP, c.IP_PKTINFO, 1);
  return r;
}

/** Waits until `fd` is readable; loopback delivers within the send, so then all have come. */
function waitFor(fd: number): void {
  s.poll([{ fd, events: c.POLLIN }], 1000);
}

const ttlOf = (control: s.ControlMessage[] | undefined): number | undefined =>
  (control?.find((m) => m.type === 'ttl') as { value: number } | undefined)?.value;

describe('sendmmsg and recvmmsg with control messages per message', () => {
  it('the array form: a TTL per datagram and a chosen source, read back per datagram', () => {
    const r = receiver();
    const snd = udp();
    const sent = s.sendmmsg(snd.fd, [
      { buffers: Buffer.from('a'), address: r.address, control: [{ type: 'ttl', value: 3 }] },
      { buffers: Buffer.from('b'), address: r.address },
      {
        buffers: Buffer.from('c'),
        address: r.address,
        control: [
          { type: 'ttl', value: 5 },
          { type: 'pktinfo', specDst: '127.0.0.2' },
        ],
      },
    ]);
    expect(sent).toBe(3);
    waitFor(r.fd);
    // Views of their own (not one slab): the per-view path.
    const got = s.recvmmsg(
      r.fd,
      Array.from({ length: 4 }, () => ({ buffers: new Uint8Array(8), controlLength: CONTROL })),
      MSG_DONTWAIT,
    );
    expect(got).toHaveLength(3);
    expect(got.map((m) => ttlOf(m.control))).toEqual([3, 64, 5]);
    for (const m of got) {
      expect(m.flags & MSG_CTRUNC).toBe(0);
      expect(m.control).toContainEqual(
        expect.objectContaining({ type: 'pktinfo', ifindex: s.if_nametoindex('lo') }),
      );
    }
    expect(got.map((m) => (m.address as s.InetAddress).address)).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.2',
    ]);
  });

  it('a MessageBatch: setControl per message, control(i) after recvmmsg, reused', () => {
    const r = receiver();
    const snd = udp();
    const out = s.MessageBatch.alloc(4, 16);
    const into = s.MessageBatch.alloc(4, 16, { controlLength: CONTROL });
    expect(into.controlLength).toBe(CONTROL);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) {
        out.setAddress(i, r.address);
        out.setControl(i, i === 2 ? null : [{ type: 'ttl', value: 10 * round + i + 1 }]);
      }
      expect(s.sendmmsg(snd.fd, out)).toBe(4);
      waitFor(r.fd);
      expect(s.recvmmsg(r.fd, into, MSG_DONTWAIT)).toBe(4);
      const ttls = [0, 1, 2, 3].map((i) => ttlOf(into.control(i)));
      expect(ttls).toEqual([10 * round + 1, 10 * round + 2, 64, 10 * round + 4]);
      expect(into.control(0)).toContainEqual(
        expect.objectContaining({ type: 'pktinfo', addr: '127.0.0.1' }),
      );
    }
  });

  it('a batch without a control length receives none: the kernel cuts it (MSG_CTRUNC)', () => {
    const r = receiver();
    const snd = udp();
    s.sendto(snd.fd, Buffer.from('x'), 0, r.address);
    waitFor(r.fd);
    const batch = s.MessageBatch.alloc(2, 16);
    expect(s.recvmmsg(r.fd, batch, MSG_DONTWAIT)).toBe(1);
    expect(batch.control(0)).toEqual([]);
    expect(batch.flags(0) & MSG_CTRUNC).toBe(MSG_CTRUNC);
    s.sendto(snd.fd, Buffer.from('y'), 0, r.address);
    waitFor(r.fd);
    const [m] = s.recvmmsg(r.fd, [{ buffers: Buffer.alloc(4) }], MSG_DONTWAIT);
    expect(m).not.toHaveProperty('control');
  });

  it('fds per message over a unix datagram socket arrive close-on-exec, each with its message', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    const [x, y] = pair(AF_UNIX, SOCK_DGRAM);
    expect(
      s.sendmmsg(a, [
        { buffers: Buffer.from('1'), control: [{ type: 'rights', fds: [x] }] },
        { buffers: Buffer.from('2') },
        { buffers: Buffer.from('3'), control: [{ type: 'rights', fds: [x, y] }] },
      ]),
    ).toBe(3);
    const got = s.recvmmsg(
      b,
      Array.from({ length: 3 }, () => ({ buffers: Buffer.alloc(4), controlLength: CONTROL })),
      MSG_DONTWAIT,
    );
    const fds = got.map((m) =>
      m.control!.flatMap((cm) => (cm.type === 'rights' ? cm.fds.map(own) : [])),
    );
    expect(fds.map((f) => f.length)).toEqual([1, 0, 2]);
    for (const fd of fds.flat()) expect(s.getCloexec(fd)).toBe(true);
    // The fd that came with message 1 is x's socket: what is sent on y arrives on it.
    s.send(y, Buffer.from('through'));
    const buf = Buffer.alloc(16);
    expect(buf.toString('utf8', 0, s.recv(fds[0]![0]!, buf))).toBe('through');
  });

  it('refuses fds on an empty SOCK_STREAM message, which would lose them', () => {
    const [a] = pair(AF_UNIX, SOCK_STREAM);
    expectArgError(
      () =>
        s.sendmmsg(a, [
          { buffers: Buffer.from('x') },
          { buffers: Buffer.alloc(0), control: [{ type: 'rights', fds: [a] }] },
        ]),
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
      /messages\[1\]\.buffers/,
    );
  });

  const bad: ArgErrorCase[] = [
    [
      'a control message out of range',
      () =>
        s.sendmmsg(0, [
          { buffers: Buffer.alloc(1) },
          { buffers: Buffer.alloc(1), control: [{ type: 'ttl', value: 0 }] },
        ]),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"messages\[1\]\.control\[0\]\.value"/,
    ],
    [
      'control not an array',
      () => s.sendmmsg(0, [{ buffers: Buffer.alloc(1), control: 'ttl' as never }]),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"messages\[0\]\.control"/,
    ],
    [
      'a receive-only control message',
      () => s.MessageBatch.alloc(1, 1).setControl(0, [{ type: 'timestamp' } as never]),
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
      /control\[0\]\.type/,
    ],
    [
      'setControl index out of range',
      () => s.MessageBatch.alloc(1, 1).setControl(1, null),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"index"/,
    ],
    [
      'a controlLength above 65536',
      () => s.recvmmsg(0, [{ buffers: Buffer.alloc(1), controlLength: 65537 }]),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"messages\[0\]\.controlLength"/,
    ],
    [
      'a batch controlLength that is not a number',
      () => s.MessageBatch.alloc(1, 1, { controlLength: '8' as never }),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"options\.controlLength"/,
    ],
  ];
  it.each(bad)('%s throws before any syscall', (_, call, type, code, names) =>
    expectArgError(call, type, code, names),
  );
});
