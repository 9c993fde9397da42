// sendmsg/recvmsg without control data: scatter/gather across several views (zero-length ones
// included), destination and sender addresses, msg_flags, and the argument errors.
import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { native } from '../../lib/sys/native.js';
import { type ArgErrorCase, expectArgError } from '../helpers/arg-errors.js';
import { pair, sock, tcpPair, viewsDetachingFirst } from '../helpers/fds.js';

const { AF_INET, AF_UNIX, SOCK_DGRAM, SOCK_SEQPACKET, MSG_TRUNC, MSG_DONTWAIT, MSG_PEEK } =
  s.constants;

function udpSocket(): { fd: number; address: s.InetAddress } {
  const fd = sock(AF_INET, SOCK_DGRAM);
  s.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
  return { fd, address: s.getsockname(fd) as s.InetAddress };
}

describe('sendmsg/recvmsg', () => {
  it('gathers several views, zero-length ones included, into one datagram', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    const parts = [Buffer.from('ab'), new Uint8Array(0), Buffer.from('cde'), Buffer.alloc(0)];
    expect(s.sendmsg(a, { buffers: parts })).toBe(5);
    const buf = Buffer.alloc(16);
    expect(s.recv(b, buf)).toBe(5);
    expect(buf.toString('utf8', 0, 5)).toBe('abcde');
  });

  it('scatters one datagram across views exactly, leaving the rest untouched', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.send(a, Buffer.from('0123456789'));
    const backing = Buffer.alloc(24, 0xee);
    const views = [
      backing.subarray(0, 3),
      backing.subarray(4, 4), // zero-length: skipped by the kernel
      new DataView(backing.buffer, backing.byteOffset + 8, 4),
      backing.subarray(16, 24),
    ];
    const r = s.recvmsg(b, { buffers: views });
    expect(r.bytes).toBe(10);
    expect(r.flags).toBe(0);
    expect(r.control).toEqual([]);
    expect(backing.toString('latin1', 0, 3)).toBe('012');
    expect(backing.toString('latin1', 8, 12)).toBe('3456');
    expect(backing.toString('latin1', 16, 19)).toBe('789');
    // Everything the datagram did not reach keeps its old bytes.
    for (const i of [3, 4, 5, 6, 7, 12, 13, 14, 15, 19, 20, 23]) expect(backing[i]).toBe(0xee);
  });

  it('a single view works in place of a list', () => {
    const [a, b] = pair(AF_UNIX, SOCK_SEQPACKET);
    s.sendmsg(a, { buffers: Buffer.from('one') });
    const buf = Buffer.alloc(8);
    expect(s.recvmsg(b, { buffers: buf }).bytes).toBe(3);
  });

  it('a stream is gathered and scattered across views too', () => {
    const { client, server } = tcpPair();
    const sent = s.sendmsg(client, {
      buffers: [Buffer.from('hello '), Buffer.from('stream '), Buffer.from('world')],
    });
    expect(sent).toBe(18);
    const a = Buffer.alloc(5);
    const b = Buffer.alloc(13);
    // Wait until all 18 bytes are queued so one recvmsg reads them all.
    const deadline = Date.now() + 2000;
    while (s.ioctl(server, s.constants.FIONREAD) < 18 && Date.now() < deadline) {
      s.poll([{ fd: server, events: s.constants.POLLIN }], 10);
    }
    expect(s.recvmsg(server, { buffers: [a, b] }).bytes).toBe(18);
    expect(Buffer.concat([a, b]).toString()).toBe('hello stream world');
  });

  it('sends to an address and reports the sender', () => {
    const a = udpSocket();
    const b = udpSocket();
    expect(
      s.sendmsg(a.fd, { buffers: [Buffer.from('to '), Buffer.from('b')], address: b.address }),
    ).toBe(4);
    s.poll([{ fd: b.fd, events: s.constants.POLLIN }], 1000);
    const buf = Buffer.alloc(8);
    const r = s.recvmsg(b.fd, { buffers: [buf] });
    expect(r.address).toEqual(a.address);
    expect(buf.toString('utf8', 0, r.bytes)).toBe('to b');
  });

  it('MSG_TRUNC in msg_flags when the datagram is longer than the views; the flag returns its length', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.send(a, Buffer.from('0123456789'));
    s.send(a, Buffer.from('0123456789'));
    const small = [Buffer.alloc(2), Buffer.alloc(2)];
    const r = s.recvmsg(b, { buffers: small });
    expect(r.bytes).toBe(4);
    expect(r.flags & MSG_TRUNC).toBe(MSG_TRUNC);
    const real = s.recvmsg(b, { buffers: small, flags: MSG_TRUNC });
    expect(real.bytes).toBe(10);
    expect(Buffer.concat(small).toString()).toBe('0123');
  });

  it('MSG_PEEK leaves the message; MSG_DONTWAIT throws EAGAIN when nothing is queued', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.send(a, Buffer.from('x'));
    const buf = Buffer.alloc(4);
    expect(s.recvmsg(b, { buffers: [buf], flags: MSG_PEEK }).bytes).toBe(1);
    expect(s.recvmsg(b, { buffers: [buf], flags: MSG_DONTWAIT }).bytes).toBe(1);
    expect(() => s.recvmsg(b, { buffers: [buf], flags: MSG_DONTWAIT })).toThrow(
      expect.objectContaining({ code: 'EAGAIN', syscall: 'recvmsg' }),
    );
  });

  it('a failed sendmsg throws a SocketError naming the destination', () => {
    const fd = sock(AF_INET, SOCK_DGRAM);
    expect(() =>
      s.sendmsg(fd, {
        buffers: [Buffer.from('x')],
        address: { family: 'inet', address: '127.0.0.1', port: 0 },
      }),
    ).toThrow(expect.objectContaining({ syscall: 'sendmsg', address: '127.0.0.1', port: 0 }));
  });

  it('more views than IOV_MAX is a RangeError before any syscall', () => {
    const [a] = pair(AF_UNIX, SOCK_DGRAM);
    const many = Array.from({ length: s.constants.IOV_MAX + 1 }, () => Buffer.alloc(1));
    expect(() => s.sendmsg(a, { buffers: many })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => native.sendmsg(a, many, 0, null, null)).toThrow(RangeError);
  });
});

const badCases: ArgErrorCase[] = [
  [
    'message not an object',
    () => s.sendmsg(0, 3 as never),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"message"/,
  ],
  [
    'buffers a string',
    () => s.sendmsg(0, { buffers: 'x' as never }),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"message.buffers"/,
  ],
  [
    'buffers with a number',
    () => s.recvmsg(0, { buffers: [Buffer.alloc(1), 2 as never] }),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"options.buffers\[1\]"/,
  ],
  [
    'flags fractional',
    () => s.sendmsg(0, { buffers: [], flags: 0.5 }),
    'RangeError',
    'ERR_OUT_OF_RANGE',
    /"message.flags"/,
  ],
  [
    'controlLength too big',
    () => s.recvmsg(0, { buffers: [], controlLength: 65537 }),
    'RangeError',
    'ERR_OUT_OF_RANGE',
    /"options.controlLength"/,
  ],
  [
    'controlLength negative',
    () => s.recvmsg(0, { buffers: [], controlLength: -1 }),
    'RangeError',
    'ERR_OUT_OF_RANGE',
    /"options.controlLength"/,
  ],
  [
    'bad address',
    () => s.sendmsg(0, { buffers: [], address: { family: 'inet', address: 'x', port: 1 } }),
    'TypeError',
    'ERR_INVALID_ARG_VALUE',
    /message.address.address/,
  ],
  ['cmsgSpace negative', () => s.cmsgSpace(-1), 'RangeError', 'ERR_OUT_OF_RANGE', /"length"/],
];

describe('sendmsg/recvmsg argument errors', () => {
  it.each(badCases)('%s', (_name, call, type, code, names) => {
    expectArgError(call, type, code, names);
  });

  it('CMSG_SPACE and CMSG_LEN come from the C macros', () => {
    expect(s.cmsgLen(4)).toBeLessThan(s.cmsgSpace(4));
    expect(s.cmsgSpace(0)).toBe(s.cmsgLen(0));
    expect(s.cmsgSpace(4) % 4).toBe(0);
  });
});

describe('the raw sendmsg/recvmsg against arrays that run code while read', () => {
  it('recvmsg: a getter that detaches an earlier view leaves that view empty', () => {
    const [x, y] = pair(AF_UNIX, SOCK_DGRAM);
    const a = new Uint8Array(4);
    const b = Buffer.alloc(8);
    const views = viewsDetachingFirst(a, b);
    s.send(x, Buffer.from('abcdefgh'));
    const r = native.recvmsg(y, views, 0, MSG_DONTWAIT);
    expect(r).toMatchObject({ bytes: 8 });
    expect(b.toString()).toBe('abcdefgh');
  });

  it('sendmsg: a control payload detached by a later getter goes out empty, never stale', () => {
    const { IPPROTO_IP, IP_TOS, EINVAL, SOCK_DGRAM: DGRAM, AF_INET: INET } = s.constants;
    const x = sock(INET, DGRAM);
    const y = sock(INET, DGRAM);
    s.bind(y, { family: 'inet', address: '127.0.0.1', port: 0 });
    const to = s.getsockname(y) as s.InetAddress;
    const tos = new Int32Array([0]);
    const control = [{ level: IPPROTO_IP, type: IP_TOS, data: tos }];
    const views: ArrayBufferView[] = [];
    Object.defineProperty(views, 0, {
      enumerable: true,
      get() {
        // Read after the control list: detaches the IP_TOS payload already looked at.
        structuredClone(tos.buffer, { transfer: [tos.buffer] });
        return Buffer.from('data');
      },
    });
    // IP_TOS with no payload is EINVAL (ip(7)); the 4 bytes read before the detach would pass.
    expect(native.sendmsg(x, views, 0, control as never, INET, to.address, to.port, 0, 0)).toBe(
      -EINVAL,
    );
  });
});
