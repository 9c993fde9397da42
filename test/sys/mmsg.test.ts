// sendmmsg/recvmmsg: many datagrams per syscall with per-datagram buffers and addresses, the
// MSG_DONTWAIT behaviour, and a MessageBatch reused across calls.
import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { native } from '../../lib/sys/native.js';
import { type ArgErrorCase, expectArgError } from '../helpers/arg-errors.js';
import { pair, sock, viewsDetachingFirst } from '../helpers/fds.js';

const { AF_INET, AF_UNIX, SOCK_DGRAM, MSG_DONTWAIT, MSG_TRUNC, MSG_WAITFORONE } = s.constants;

function udp(): { fd: number; address: s.InetAddress } {
  const fd = sock(AF_INET, SOCK_DGRAM);
  s.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
  return { fd, address: s.getsockname(fd) as s.InetAddress };
}

/** Waits until `fd` has `n` datagrams' worth queued (loopback delivery is quick, not instant). */
function waitReadable(fd: number): void {
  s.poll([{ fd, events: s.constants.POLLIN }], 1000);
}

describe('sendmmsg/recvmmsg', () => {
  it('moves 32 datagrams each way with per-datagram addresses', () => {
    const snd = udp();
    const r1 = udp();
    const r2 = udp();
    const messages = Array.from({ length: 32 }, (_, i) => ({
      buffers: [Buffer.from(`msg-`), Buffer.from(String(i).padStart(2, '0'))],
      address: i % 2 ? r2.address : r1.address,
    }));
    expect(s.sendmmsg(snd.fd, messages)).toBe(32);
    for (const r of [r1, r2]) {
      waitReadable(r.fd);
      const bufs = Array.from({ length: 32 }, () => ({ buffers: [Buffer.alloc(16)] }));
      // MSG_WAITFORONE: block for the first, then take whatever is queued.
      let got: s.RecvMmsgResult[] = [];
      const texts: string[] = [];
      const deadline = Date.now() + 2000;
      while (texts.length < 16 && Date.now() < deadline) {
        got = s.recvmmsg(r.fd, bufs, MSG_WAITFORONE);
        got.forEach((m, i) => {
          expect(m.address).toEqual(snd.address);
          expect(m.flags).toBe(0);
          texts.push(bufs[i]!.buffers[0]!.toString('utf8', 0, m.bytes));
        });
      }
      const parity = r === r1 ? 0 : 1;
      expect(texts).toEqual(
        Array.from({ length: 16 }, (_, k) => `msg-${String(2 * k + parity).padStart(2, '0')}`),
      );
    }
  });

  it('MSG_DONTWAIT returns only what is queued, then EAGAIN', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    for (const m of ['a', 'bb', 'ccc', 'dddd', 'eeeee']) s.send(a, Buffer.from(m));
    const batch = new s.MessageBatch(Array.from({ length: 32 }, () => Buffer.alloc(8)));
    expect(s.recvmmsg(b, batch, MSG_DONTWAIT)).toBe(5);
    expect([0, 1, 2, 3, 4].map((i) => batch.bytes(i))).toEqual([1, 2, 3, 4, 5]);
    expect(() => s.recvmmsg(b, batch, MSG_DONTWAIT)).toThrow(
      expect.objectContaining({ code: 'EAGAIN', syscall: 'recvmmsg' }),
    );
  });

  it('a MessageBatch is reused: results land in its Int32Array, addresses decode on demand', () => {
    const snd = udp();
    const r = udp();
    const slots = Array.from({ length: 8 }, () => Buffer.alloc(4));
    const batch = new s.MessageBatch(slots.map((b) => [b.subarray(0, 2), b.subarray(2)]));
    const state = batch.state;
    for (let round = 0; round < 3; round++) {
      const out = new s.MessageBatch(
        Array.from({ length: 8 }, (_, i) => Buffer.from(`${round}${i}xy`)),
      );
      for (let i = 0; i < 8; i++) out.setAddress(i, r.address);
      expect(s.sendmmsg(snd.fd, out)).toBe(8);
      expect(out.bytes(7)).toBe(4);
      expect(out.address(0)).toEqual(r.address);
      let n = 0;
      while (n < 8) {
        waitReadable(r.fd);
        const got = s.recvmmsg(r.fd, batch, MSG_DONTWAIT);
        for (let i = 0; i < got; i++) {
          expect(slots[i]!.toString()).toBe(`${round}${n + i}xy`);
        }
        n += got;
      }
      // The same arrays every time: nothing allocated per call.
      expect(batch.state).toBe(state);
      expect(batch.address(0)).toEqual(snd.address);
    }
  });

  it('each message scatters across its own views; short ones report MSG_TRUNC', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.sendmmsg(a, [
      { buffers: Buffer.from('0123456789') },
      { buffers: [] },
      { buffers: [Buffer.from('xy')] },
    ]);
    const first = [Buffer.alloc(3), Buffer.alloc(0), Buffer.alloc(4)];
    const second = [Buffer.alloc(1)];
    const third = [Buffer.alloc(1), Buffer.alloc(1)];
    const got = s.recvmmsg(
      b,
      [{ buffers: first }, { buffers: second }, { buffers: third }],
      MSG_DONTWAIT,
    );
    expect(got.map((m) => m.bytes)).toEqual([7, 0, 2]);
    expect(got.map((m) => m.flags & MSG_TRUNC)).toEqual([MSG_TRUNC, 0, 0]);
    expect(Buffer.concat(first).toString()).toBe('0123456');
    expect(Buffer.concat(third).toString()).toBe('xy');
    // Unnamed unix peers have no address.
    expect(got[0]!.address).toBeNull();
  });

  it('timeout 0 returns what arrived without blocking for the rest of the batch', () => {
    // recvmmsg(2) BUGS: the kernel checks the timeout only after each datagram, so a larger
    // timeout would still block for a second datagram on a blocking socket.
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    s.send(a, Buffer.from('only'));
    const batch = new s.MessageBatch([Buffer.alloc(8), Buffer.alloc(8)]);
    expect(s.recvmmsg(b, batch, 0, 0)).toBe(1);
    expect(batch.bytes(0)).toBe(4);
  });

  it('an empty batch sends and receives nothing', () => {
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    expect(s.sendmmsg(a, [])).toBe(0);
    expect(s.recvmmsg(b, new s.MessageBatch([]), MSG_DONTWAIT)).toBe(0);
  });

  it('sendmmsg throws only when the first message fails', () => {
    const fd = sock(AF_INET, SOCK_DGRAM);
    expect(() => s.sendmmsg(fd, [{ buffers: Buffer.from('x') }])).toThrow(
      expect.objectContaining({ code: 'EDESTADDRREQ', syscall: 'sendmmsg' }),
    );
  });
});

const cases: ArgErrorCase[] = [
  [
    'messages not an array',
    () => s.sendmmsg(0, 3 as never),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"messages"/,
  ],
  [
    'a message without buffers',
    () => s.sendmmsg(0, [{} as never]),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"messages\[0\].buffers"/,
  ],
  [
    'a bad address',
    () => s.sendmmsg(0, [{ buffers: [], address: { family: 'inet', address: '::1', port: 1 } }]),
    'TypeError',
    'ERR_INVALID_ARG_VALUE',
    /address/,
  ],
  [
    'a batch too big',
    () =>
      new s.MessageBatch(Array.from({ length: s.constants.IOV_MAX + 1 }, () => Buffer.alloc(1))),
    'RangeError',
    'ERR_OUT_OF_RANGE',
    /"messages.length"/,
  ],
  [
    'a batch index out of range',
    () => new s.MessageBatch([Buffer.alloc(1)]).bytes(1),
    'RangeError',
    'ERR_OUT_OF_RANGE',
    /"index"/,
  ],
  [
    'a negative timeout',
    () => s.recvmmsg(0, [], 0, -1),
    'RangeError',
    'ERR_OUT_OF_RANGE',
    /"timeoutMs"/,
  ],
];

describe('sendmmsg/recvmmsg argument errors', () => {
  it.each(cases)('%s', (_name, call, type, code, names) => {
    expectArgError(call, type, code, names);
  });

  it('the native batch calls refuse inconsistent arrays without touching memory', () => {
    const [a] = pair(AF_UNIX, SOCK_DGRAM);
    const slot = native.sizeofSockaddrStorage;
    const v = [Buffer.alloc(1)];
    const bad: [string, () => unknown][] = [
      [
        'views and counts disagree',
        () => native.sendmmsg(a, v, new Int32Array([2]), null, new Int32Array(3), 0),
      ],
      [
        'state too short',
        () => native.sendmmsg(a, v, new Int32Array([1]), null, new Int32Array(2), 0),
      ],
      [
        'names too short',
        () =>
          native.recvmmsg(
            a,
            v,
            new Int32Array([1]),
            Buffer.alloc(slot - 1),
            new Int32Array(3),
            0,
            -1,
          ),
      ],
      [
        'negative count',
        () => native.sendmmsg(a, v, new Int32Array([-1]), null, new Int32Array(3), 0),
      ],
      [
        'counts not Int32Array',
        () => native.sendmmsg(a, v, new Uint32Array([1]) as never, null, new Int32Array(3), 0),
      ],
      [
        'address length too big',
        () =>
          native.sendmmsg(
            a,
            v,
            new Int32Array([1]),
            Buffer.alloc(slot),
            new Int32Array([0, 0, slot + 1]),
            0,
          ),
      ],
      ['slot past the end', () => native.decodeAddress(Buffer.alloc(slot), 1, 16)],
      ['slot length too big', () => native.decodeAddress(Buffer.alloc(slot), 0, slot + 1)],
    ];
    for (const [name, call] of bad) {
      expect(call, name).toThrow(expect.objectContaining({ code: expect.any(String) as string }));
    }
  });
});

describe('MessageBatch over one ArrayBuffer', () => {
  it('MessageBatch.alloc moves datagrams both ways with their senders', () => {
    const a = udp();
    const b = udp();
    const out = s.MessageBatch.alloc(8, 16);
    const inb = s.MessageBatch.alloc(8, 16);
    out.views.forEach((v, i) => {
      (v as Buffer).write(`datagram ${i}`);
      out.setAddress(i, b.address);
    });
    expect(s.sendmmsg(a.fd, out)).toBe(8);
    waitReadable(b.fd);
    const got: string[] = [];
    for (let tries = 0; got.length < 8 && tries < 100; tries++) {
      const n = s.recvmmsg(b.fd, inb, MSG_DONTWAIT | MSG_WAITFORONE);
      for (let i = 0; i < n; i++) {
        expect(inb.address(i)).toEqual(a.address);
        expect(inb.bytes(i)).toBe(16);
        got.push((inb.views[i] as Buffer).toString('utf8', 0, inb.bytes(i)).replace(/\0+$/, ''));
      }
    }
    // Each message's bytes came from its own 16-byte part of the one buffer.
    expect(got).toEqual(Array.from({ length: 8 }, (_, i) => `datagram ${i}`));
  });

  it('slices of one Buffer of different sizes keep their bounds, truncation reported', () => {
    const [x, y] = pair(AF_UNIX, SOCK_DGRAM);
    const slab = Buffer.alloc(32, 0x2e);
    const batch = new s.MessageBatch([slab.subarray(0, 4), slab.subarray(8, 24)]);
    s.send(x, Buffer.from('longer than four'));
    s.send(x, Buffer.from('second'));
    expect(s.recvmmsg(y, batch, MSG_DONTWAIT)).toBe(2);
    expect(batch.flags(0) & MSG_TRUNC).toBe(MSG_TRUNC);
    expect(slab.toString('latin1')).toBe('long....second..........'.padEnd(32, '.'));
  });

  it('a slab detached after the batch was made reads as empty views, never stale memory', () => {
    const [x, y] = pair(AF_UNIX, SOCK_DGRAM);
    const batch = s.MessageBatch.alloc(2, 8);
    structuredClone(batch.views[0]!.buffer, { transfer: [batch.views[0]!.buffer as ArrayBuffer] });
    s.send(x, Buffer.from('hello'));
    expect(s.recvmmsg(y, batch, MSG_DONTWAIT)).toBe(1);
    expect(batch.bytes(0)).toBe(0); // nothing written
    expect(batch.flags(0) & MSG_TRUNC).toBe(MSG_TRUNC);
    // And sends from it are empty datagrams.
    expect(s.sendmmsg(x, batch)).toBe(2);
    const buf = Buffer.alloc(8);
    expect(s.recv(y, buf, MSG_DONTWAIT)).toBe(0);
  });

  it('its views are frozen: the batch sends what it was made with', () => {
    const batch = s.MessageBatch.alloc(2, 8);
    expect(() => {
      (batch.views as ArrayBufferView[])[0] = Buffer.alloc(8);
    }).toThrow(TypeError);
  });

  it('the raw slab calls refuse a wrong layout and read a view outside the slab as empty', () => {
    const [x, y] = pair(AF_UNIX, SOCK_DGRAM);
    const counts = new Int32Array([1]);
    const state = new Int32Array(3);
    const slab = new ArrayBuffer(8);
    for (const layout of [new Float64Array(4), new Int32Array(2), null]) {
      expect(() =>
        native.sendmmsgSlab(x, slab, layout as Float64Array, counts, null, state, 0),
      ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    expect(() =>
      native.sendmmsgSlab(x, Buffer.alloc(8) as never, new Float64Array(2), counts, null, state, 0),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    for (const bad of [
      [4, 8],
      [-1, 2],
      [0, 1e300],
      [Number.NaN, 1],
      [0.5, 1],
    ]) {
      expect(native.sendmmsgSlab(x, slab, new Float64Array(bad), counts, null, state, 0)).toBe(1);
      expect(s.recv(y, Buffer.alloc(8), MSG_DONTWAIT)).toBe(0);
    }
  });
});

describe('the raw batch calls against views arrays that run code while read', () => {
  // An element getter runs JavaScript in the middle of the native call: it may detach a view
  // read before it or change iovCounts. The kernel must never get a pointer into memory that
  // was given up meanwhile.
  it('a getter that detaches an earlier view leaves that view empty', () => {
    const [x, y] = pair(AF_UNIX, SOCK_DGRAM);
    const a = new Uint8Array(4);
    const b = Buffer.alloc(8);
    const views = viewsDetachingFirst(a, b);
    s.send(x, Buffer.from('abcdefgh'));
    const state = new Int32Array(3);
    expect(native.recvmmsg(y, views, new Int32Array([2]), null, state, MSG_DONTWAIT, -1)).toBe(1);
    // All eight bytes went to the view that still had memory.
    expect(state[0]).toBe(8);
    expect(b.toString()).toBe('abcdefgh');
  });

  it('a getter that changes iovCounts makes the call fail with a coded error', () => {
    const [x] = pair(AF_UNIX, SOCK_DGRAM);
    const counts = new Int32Array([1, 1]);
    const views: ArrayBufferView[] = [Buffer.alloc(4)];
    Object.defineProperty(views, 1, {
      enumerable: true,
      get() {
        counts[0] = 1000;
        return Buffer.alloc(4);
      },
    });
    expect(() => native.sendmmsg(x, views, counts, null, new Int32Array(6), 0)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
});
