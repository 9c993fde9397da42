// Bad arguments: a TypeError or RangeError with a Node-style code that names the argument,
// thrown before any syscall; and the native layer itself refuses garbage without crashing.
import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { native } from '../../lib/sys/native.js';
import { type ArgErrorCase, expectArgError } from '../helpers/arg-errors.js';
import { pair, release, sock } from '../helpers/fds.js';

const { AF_INET, AF_UNIX, SOCK_DGRAM, SOCK_STREAM } = s.constants;

const cases: ArgErrorCase[] = [
  ['fractional fd', () => s.close(3.5), 'RangeError', 'ERR_OUT_OF_RANGE', /"fd"/],
  ['negative fd', () => s.recv(-1, Buffer.alloc(1)), 'RangeError', 'ERR_OUT_OF_RANGE', /"fd"/],
  ['huge fd', () => s.send(2 ** 31, Buffer.alloc(1)), 'RangeError', 'ERR_OUT_OF_RANGE', /"fd"/],
  ['NaN fd', () => s.listen(NaN), 'RangeError', 'ERR_OUT_OF_RANGE', /"fd"/],
  [
    'string fd',
    () => s.close('3' as unknown as number),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"fd"/,
  ],
  [
    'string domain',
    () => s.socket('inet' as unknown as number, 1),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"domain"/,
  ],
  ['fractional type', () => s.socket(2, 1.5), 'RangeError', 'ERR_OUT_OF_RANGE', /"type"/],
  [
    'string as buffer',
    () => s.send(0, 'hi' as unknown as Buffer),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"buffer"/,
  ],
  [
    'ArrayBuffer as buffer',
    () => s.recv(0, new ArrayBuffer(4) as unknown as Buffer),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"buffer"/,
  ],
  [
    'flags as string',
    () => s.recv(0, Buffer.alloc(1), 'x' as unknown as number),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"flags"/,
  ],
  [
    'sockopt value object',
    () => s.setsockopt(0, 1, 2, {} as unknown as number),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"value"/,
  ],
  [
    'sockopt length too big',
    () => s.getsockoptBuffer(0, 1, 2, 1e9),
    'RangeError',
    'ERR_OUT_OF_RANGE',
    /"length"/,
  ],
  [
    'poll not an array',
    () => s.poll(3 as unknown as s.PollFd[]),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"fds"/,
  ],
  [
    'poll entry fd',
    () => s.poll([{ fd: 1.5, events: 1 }]),
    'RangeError',
    'ERR_OUT_OF_RANGE',
    /"fds\[0\]\.fd"/,
  ],
  ['poll timeout', () => s.poll([], -2), 'RangeError', 'ERR_OUT_OF_RANGE', /"timeoutMs"/],
  [
    'interface name',
    () => s.if_nametoindex(1 as unknown as string),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"name"/,
  ],
];

describe('argument errors', () => {
  it.each(cases)('%s', (_name, call, type, code, names) => {
    expectArgError(call, type, code, names);
  });

  it('errno names come from the native table, including ones util.getSystemErrorName misses', () => {
    expect(s.errnoName(s.constants.EPFNOSUPPORT)).toBe('EPFNOSUPPORT');
    expect(new s.SocketError(-s.constants.EAGAIN, 'recv').code).toBe('EAGAIN');
  });

  it('socket() with an unsupported family is a syscall error, not a crash', () => {
    expect(() => s.socket(4095, SOCK_DGRAM)).toThrow(
      expect.objectContaining({ code: 'EAFNOSUPPORT', syscall: 'socket' }),
    );
  });
});

// Found by the fuzzer (fuzz/): the exported helpers threw TypeErrors without a code for some
// values, and a getter read twice could put an unchecked value into an error message.
const helperCases: ArgErrorCase[] = [
  [
    'formatAddress(undefined)',
    () => s.formatAddress(undefined as never),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"address"/,
  ],
  [
    'formatAddress of a BigInt64Array name',
    () => s.formatAddress({ family: 'unix', abstract: new BigInt64Array(1) as never }),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"address.abstract"/,
  ],
  [
    'formatAddress of a Symbol port',
    () => s.formatAddress({ family: 'inet', address: '::1', port: Symbol('p') as never }),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"address.port"/,
  ],
  [
    'errnoName(10n)',
    () => s.errnoName(10n as never),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"errno"/,
  ],
  ['errnoName(1.5)', () => s.errnoName(1.5), 'RangeError', 'ERR_OUT_OF_RANGE', /"errno"/],
  [
    'SocketError with a Symbol syscall',
    () => new s.SocketError(-1, Symbol('x') as never),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"syscall"/,
  ],
  [
    'SocketError with a numeric target path',
    () => new s.SocketError(-1, 'bind', { path: 5 as never }),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"target.path"/,
  ],
  [
    'formatFdTable(null)',
    () => s.formatFdTable(null as never),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"entries"/,
  ],
  [
    'formatFdTable of entries of another shape',
    () => s.formatFdTable([5] as never),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"entries"/,
  ],
  [
    'formatInspection(undefined)',
    () => s.formatInspection(undefined as never),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"info"/,
  ],
  [
    'inspect with null options',
    () => s.inspect(0, null as never),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"options"/,
  ],
  [
    'readSocketTable of an unknown table',
    () => s.readSocketTable('tcp7' as never),
    'TypeError',
    'ERR_INVALID_ARG_VALUE',
    /'table'/,
  ],
  [
    'readSocketTables of a fractional pid',
    () => s.readSocketTables(1.5),
    'RangeError',
    'ERR_OUT_OF_RANGE',
    /"pid"/,
  ],
];

describe('exported helpers', () => {
  it.each(helperCases)('%s', (_name, call, type, code, names) => {
    expectArgError(call, type, code, names);
  });

  it('passes the checked address to the syscall, whatever a getter answers later', () => {
    const probe = sock(AF_INET, SOCK_STREAM);
    s.bind(probe, { family: 'inet', address: '127.0.0.1', port: 0 });
    const { port } = s.getsockname(probe) as s.InetAddress;
    release(probe);
    let reads = 0;
    const address = {
      family: 'inet' as const,
      address: '127.0.0.1',
      get port(): number {
        return reads++ === 0 ? port : (Symbol('later') as never);
      },
    };
    // A Symbol that reached the native layer would throw a TypeError; the error message reads
    // the object again and leaves out the field that no longer checks.
    expect(() => s.connect(sock(AF_INET, SOCK_STREAM), address)).toThrow(
      expect.objectContaining({
        name: 'SocketError',
        code: 'ECONNREFUSED',
        message: 'connect ECONNREFUSED 127.0.0.1',
      }),
    );
  });

  it('takes a DataView on a detached buffer as an empty view in sendmsg and recvmsg', () => {
    // A detached DataView throws on byteLength where a TypedArray reads 0 (found by the fuzzer).
    const detached = (): DataView => {
      const ab = new ArrayBuffer(8);
      const view = new DataView(ab);
      structuredClone(ab, { transfer: [ab] });
      return view;
    };
    const [a, b] = pair(AF_UNIX, SOCK_DGRAM);
    expect(s.sendmsg(a, { buffers: [detached(), Buffer.from('x')] })).toBe(1);
    expect(s.recvmsg(b, { buffers: detached() }).bytes).toBe(0);
  });

  it('reports a process that is not there as a syscall error from listFds', () => {
    expect(() => s.listFds(0x7fffffff)).toThrow(
      expect.objectContaining({ name: 'SocketError', code: 'ENOENT', syscall: 'scandir' }),
    );
  });

  it("keeps the syscall layer's plumbing out of the package root", () => {
    expect(Object.keys(s)).not.toContain('addrArgs');
    expect(Object.keys(s)).not.toContain('errorTarget');
  });
});

describe('the native layer refuses garbage on its own', () => {
  const junk: unknown[] = [
    undefined,
    null,
    NaN,
    -1,
    2 ** 40,
    1.5,
    'x',
    {},
    [],
    Symbol('s'),
    10n,
    () => 0,
  ];

  // Whatever a junk call manages to create is closed again, so the fd guard stays quiet.
  function closeCreated(r: unknown): void {
    if (Array.isArray(r)) r.forEach(closeCreated);
    else if (typeof r === 'number' && r > 2) s.close(r);
    else if (typeof r === 'object' && r !== null && 'fd' in r) closeCreated(r.fd);
  }

  it('throws a TypeError or RangeError, never crashes, for junk in every position', () => {
    const [fd] = pair(AF_UNIX, SOCK_DGRAM | s.constants.SOCK_NONBLOCK);
    const creators = new Set([
      'socket',
      'socketpair',
      'accept',
      'dup',
      'pidfdOpen',
      'pidfdGetfd',
      'openThreadNetns',
      'tunOpen',
    ]);
    // close would close the runner's fds; Watcher is a class, exercised below.
    const fns = Object.entries(native).filter(
      ([name, v]) => typeof v === 'function' && name !== 'close' && name !== 'Watcher',
    );
    expect(fns.length).toBeGreaterThan(20);
    let thrown = 0;
    for (const [name, fn] of fns as [string, (...a: unknown[]) => unknown][]) {
      for (let pos = 0; pos < 8; pos++) {
        for (const j of junk) {
          const args: unknown[] = [fd, Buffer.alloc(4), 0, AF_UNIX, null, 0, 0, 0];
          args[pos] = j;
          try {
            const r = fn(...args);
            if (creators.has(name)) closeCreated(r);
          } catch (e) {
            thrown++;
            expect(['TypeError', 'RangeError']).toContain((e as Error).constructor.name);
            expect(e).toHaveProperty('code');
          }
        }
      }
    }
    expect(thrown).toBeGreaterThan(100);
  });

  it('the Watcher class refuses junk callbacks, fds and event masks', () => {
    for (const j of junk) {
      if (typeof j === 'function') continue;
      expect(() => new native.Watcher(j as () => void)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
      );
    }
    const [fd] = pair(AF_UNIX, SOCK_DGRAM | s.constants.SOCK_NONBLOCK);
    const w = new native.Watcher(() => {});
    try {
      for (const j of junk) {
        expect(() => w.open(j as number)).toThrow(
          expect.objectContaining({ code: expect.any(String) as unknown }),
        );
      }
      expect(w.start(1)).toBe(-s.constants.EBADF); // not opened yet
      expect(w.open(fd)).toBe(0);
      expect(w.open(fd)).toBe(-s.constants.EALREADY);
      for (const j of junk) {
        expect(() => w.start(j as number)).toThrow(
          expect.objectContaining({ code: expect.any(String) as unknown }),
        );
      }
      expect(() => w.start(1 << 20)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    } finally {
      w.close();
      w.close();
    }
  });

  // The handle stays the watcher's until libuv's close callback on the next loop turn; a start
  // before then used to reach uv_poll_start on a closing handle, which aborts the process.
  it('a Watcher started after close(), or after the addon closed its fd, answers EBADF', () => {
    const [a, b] = pair(AF_UNIX, SOCK_STREAM | s.constants.SOCK_NONBLOCK);
    const w = new native.Watcher(() => {});
    expect(w.open(a)).toBe(0);
    expect(w.start(1)).toBe(0);
    w.close();
    expect(w.start(1)).toBe(-s.constants.EBADF);
    w.stop();

    const fd = s.dup(b);
    const w2 = new native.Watcher(() => {});
    expect(w2.open(fd)).toBe(0);
    expect(w2.start(1)).toBe(0);
    s.close(fd); // closes the watcher's handle first
    const reused = s.dup(b); // most likely the same number again
    try {
      expect(w2.start(1)).toBe(-s.constants.EBADF);
      w2.stop();
    } finally {
      w2.close();
      s.close(reused);
    }
  });
});
