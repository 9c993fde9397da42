// Classic BPF: socket filters on UDP sockets (no privileges: a UDP socket's filter reads from the
// UDP header), a SO_REUSEPORT group steered by a program, the builders on raw and packet
// sockets in a private network namespace (test/children/bpf-raw.js), and the checks every
// program passes before the kernel sees it.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { type ArgErrorCase, expectArgError } from '../helpers/arg-errors.js';
import { sock } from '../helpers/fds.js';

const c = s.constants;
const { AF_INET, SOCK_DGRAM, SOCK_NONBLOCK } = c;
const { bpfStmt, bpfJump } = s;
const UDP_HEADER = 8; // a UDP socket's filter sees the 8-byte UDP header, then the payload

function udp(reuseport = false, port = 0): number {
  const fd = sock(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
  if (reuseport) s.setReusePort(fd, true);
  s.bind(fd, { family: 'inet', address: '127.0.0.1', port });
  return fd;
}

function portOf(fd: number): number {
  return (s.getsockname(fd) as s.InetAddress).port;
}

/** Every datagram queued on `fd` now, as text. */
function drain(fd: number): string[] {
  const got: string[] = [];
  const buf = Buffer.alloc(2048);
  for (;;) {
    try {
      got.push(buf.toString('latin1', 0, s.recv(fd, buf)));
    } catch (e) {
      if ((e as { code?: string }).code === 'EAGAIN') return got;
      throw e;
    }
  }
}

function sendAll(from: number, port: number, payloads: string[]): void {
  for (const p of payloads) {
    s.sendto(from, Buffer.from(p, 'latin1'), 0, { family: 'inet', address: '127.0.0.1', port });
  }
  // Loopback delivers within the sendto call; a short poll covers a busy machine.
  s.poll([], 20);
}

// Keeps a datagram whose first payload byte is `byte`, whole; drops the rest.
const firstByteIs = (byte: number): s.BpfInstruction[] => [
  bpfStmt(c.BPF_LD | c.BPF_B | c.BPF_ABS, UDP_HEADER),
  bpfJump(c.BPF_JMP | c.BPF_JEQ | c.BPF_K, byte, 0, 1),
  bpfStmt(c.BPF_RET | c.BPF_K, 0xffffffff),
  bpfStmt(c.BPF_RET | c.BPF_K, 0),
];

describe('attachFilter, detachFilter, lockFilter', () => {
  it('a filter drops what it returns 0 for, and detaching it lets everything in again', () => {
    const rx = udp();
    const tx = udp();
    s.attachFilter(rx, firstByteIs('k'.charCodeAt(0)));
    sendAll(tx, portOf(rx), ['k1', 'x2', 'k3']);
    expect(drain(rx)).toEqual(['k1', 'k3']);
    s.detachFilter(rx);
    sendAll(tx, portOf(rx), ['k4', 'x5']);
    expect(drain(rx)).toEqual(['k4', 'x5']);
    expect(() => s.detachFilter(rx)).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'setsockopt' }),
    );
  });

  it('the length a program returns trims the packet', () => {
    const rx = udp();
    const tx = udp();
    s.attachFilter(rx, [bpfStmt(c.BPF_RET | c.BPF_K, UDP_HEADER + 3)]);
    sendAll(tx, portOf(rx), ['abcdefgh']);
    expect(drain(rx)).toEqual(['abc']);
  });

  it('a locked filter can be neither replaced nor detached', () => {
    const rx = udp();
    s.attachFilter(rx, firstByteIs(1));
    s.lockFilter(rx);
    expect(() => s.detachFilter(rx)).toThrow(expect.objectContaining({ code: 'EPERM' }));
    expect(() => s.attachFilter(rx, firstByteIs(2))).toThrow(
      expect.objectContaining({ code: 'EPERM', syscall: 'setsockopt' }),
    );
  });

  it('the kernel refuses a program that does not end in a return, with EINVAL', () => {
    const rx = udp();
    expect(() => s.attachFilter(rx, [bpfStmt(c.BPF_LD | c.BPF_B | c.BPF_ABS, 0)])).toThrow(
      expect.objectContaining({ code: 'EINVAL', syscall: 'setsockopt' }),
    );
    // A jump past the end is refused too.
    expect(() =>
      s.attachFilter(rx, [
        bpfJump(c.BPF_JMP | c.BPF_JEQ | c.BPF_K, 0, 5, 0),
        bpfStmt(c.BPF_RET | c.BPF_K, 0),
      ]),
    ).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('takes BPF_MAXINSNS instructions and no more', () => {
    const rx = udp();
    const max = c.BPF_MAXINSNS;
    const nops = Array.from({ length: max - 1 }, () => bpfStmt(c.BPF_LD | c.BPF_W | c.BPF_IMM, 0));
    s.attachFilter(rx, [...nops, bpfStmt(c.BPF_RET | c.BPF_K, 0xffffffff)]);
    expectArgError(
      () => s.attachFilter(rx, [...nops, ...nops.slice(0, 1), bpfStmt(c.BPF_RET | c.BPF_K, 0)]),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"program.length"/,
    );
  });
});

describe('attachReuseportCbpf', () => {
  it('steers each datagram of a reuseport group to the socket its first byte names', () => {
    const a = udp(true);
    const b = udp(true, portOf(a));
    const tx = udp();
    s.attachReuseportCbpf(a, s.bpfReuseportByByte(0, 2));
    const payloads = Array.from({ length: 20 }, (_, i) => String.fromCharCode(i) + `#${i}`);
    sendAll(tx, portOf(a), payloads);
    // Socket 0 of the group (bound first) gets the even bytes, socket 1 the odd ones.
    expect(drain(a)).toEqual(payloads.filter((_, i) => i % 2 === 0));
    expect(drain(b)).toEqual(payloads.filter((_, i) => i % 2 === 1));
  });

  it('by CPU: a sender pinned to CPU n reaches socket n % 2', () => {
    const taskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
    if (!taskset || availableParallelism() < 2) {
      console.warn(
        `skipping the reuseport-by-CPU test: needs taskset and 2 CPUs (taskset ${taskset ? 'works' : 'missing'}, ${availableParallelism()} CPUs)`,
      );
      return;
    }
    const a = udp(true);
    const b = udp(true, portOf(a));
    s.attachReuseportCbpf(b, s.bpfReuseportByCpu(2));
    const send = (cpu: number): void => {
      const code = `const d=require('dgram').createSocket('udp4');d.send('cpu${cpu}',${portOf(a)},'127.0.0.1',()=>d.close())`;
      const r = spawnSync('taskset', ['-c', String(cpu), process.execPath, '-e', code]);
      expect(r.status).toBe(0);
    };
    send(0);
    send(1);
    s.poll([], 20);
    // Loopback delivers on the sending CPU (its backlog), unless RPS moves it elsewhere.
    expect(drain(a)).toEqual(['cpu0']);
    expect(drain(b)).toEqual(['cpu1']);
  });

  it('a program that returns an index past the last socket leaves the choice to the hash', () => {
    const a = udp(true);
    const b = udp(true, portOf(a));
    s.attachReuseportCbpf(a, [bpfStmt(c.BPF_RET | c.BPF_K, 7)]);
    const tx = udp();
    sendAll(tx, portOf(a), ['x', 'y']);
    // One sender: one hash, so both land on the same socket, whichever it is.
    expect([drain(a).length, drain(b).length].sort()).toEqual([0, 2]);
  });
});

describe('the builders on raw and packet sockets (a private network namespace)', () => {
  it('bpfIpProtocol and bpfDestinationPort keep what they say, at IP and Ethernet offsets', () => {
    const script = join(__dirname, '..', 'children', 'bpf-raw.js');
    const r = spawnSync(
      'unshare',
      ['-rn', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${script}"`],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (r.status !== 0 && /unshare|Operation not permitted|ip: not found/.test(r.stderr)) {
      console.warn(`skipping the raw and packet filter tests: ${r.stderr.trim()}`);
      return;
    }
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      rawUnfiltered: ['A', 'B'],
      rawByPort: ['A'],
      packetByPort: ['A'],
      packetByProtocol: { udp: true, icmp: false },
      packetIcmp: { udp: false, icmp: true },
    });
  });
});

describe('program checks', () => {
  const ok = bpfStmt(c.BPF_RET | c.BPF_K, 0);
  const bad: ArgErrorCase[] = [
    ['fd negative', () => s.attachFilter(-1, [ok]), 'RangeError', 'ERR_OUT_OF_RANGE', /"fd"/],
    [
      'program not an array',
      () => s.attachFilter(0, ok as never),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"program"/,
    ],
    [
      'program empty',
      () => s.attachFilter(0, []),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"program.length"/,
    ],
    [
      'an instruction not an object',
      () => s.attachFilter(0, [ok, 3 as never]),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"program\[1\]"/,
    ],
    [
      'code above u16',
      () => s.attachFilter(0, [{ ...ok, code: 0x10000 }]),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"program\[0\]\.code"/,
    ],
    [
      'jt above u8',
      () => s.attachFilter(0, [ok, { ...ok, jt: 256 }]),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"program\[1\]\.jt"/,
    ],
    [
      'jf negative',
      () => s.attachFilter(0, [{ ...ok, jf: -1 }]),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"program\[0\]\.jf"/,
    ],
    [
      'k fractional',
      () => s.attachFilter(0, [{ ...ok, k: 0.5 }]),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"program\[0\]\.k"/,
    ],
    [
      'k above u32',
      () => s.attachFilter(0, [{ ...ok, k: 2 ** 32 }]),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"program\[0\]\.k"/,
    ],
    [
      'k missing',
      () => s.attachFilter(0, [{ code: 6, jt: 0, jf: 0 } as never]),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"program\[0\]\.k"/,
    ],
    [
      'reuseport program not an array',
      () => s.attachReuseportCbpf(0, null as never),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"program"/,
    ],
    [
      'protocol above 255',
      () => s.bpfIpProtocol(256),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"protocol"/,
    ],
    [
      'port above 65535',
      () => s.bpfDestinationPort(17, 65536),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"port"/,
    ],
    [
      'link unknown',
      () => s.bpfDestinationPort(17, 53, 'ppp' as never),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"link"/,
    ],
    ['count 0', () => s.bpfReuseportByCpu(0), 'RangeError', 'ERR_OUT_OF_RANGE', /"count"/],
    [
      'offset negative',
      () => s.bpfReuseportByByte(-1, 2),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"offset"/,
    ],
  ];
  it.each(bad)('%s throws before any syscall', (_, call, type, code, names) =>
    expectArgError(call, type, code, names),
  );
});
