// The rows of the bench suite: what each measures, against which baselines, and the target
// issue 6 sets for it. run.ts measures them; test/package/bench.test.ts checks that each is printed.

/**
 * Who runs a measurement: sockfd or Node core (bench/cases.ts), C (bench/*.c), Python
 * (bench/cases.py), or the Node-API floor (bench/floor.c through bench/cases.ts).
 */
export type Impl = 'sockfd' | 'node' | 'c' | 'python' | 'floor';

/** One program measured in a row: `impl` running `name` (a case of cases.ts, cases.py or a C program). */
export interface Side {
  impl: Impl;
  name: string;
  /** How the table names it: 'C', 'dgram', 'net', 'Python', … */
  label: string;
  /** For memory rows: which object the number is for. */
  field?: 'socket' | 'watcher';
}

/**
 * time: ns per call, lower is better; rate: operations per second; bytes: bytes per second;
 * memory: bytes per object; alloc: heap bytes allocated per call.
 */
export type Kind = 'time' | 'rate' | 'bytes' | 'memory' | 'alloc';

/** A ratio the subject must reach against one baseline, measured side by side. */
export interface Target {
  against: string; // a baseline's label
  /** The subject's time may be at most this many times the baseline's (time rows). */
  max?: number;
  /** The subject's rate must be at least this many times the baseline's (rate rows). */
  min?: number;
  text: string;
}

export interface Row {
  id: string;
  title: string;
  kind: Kind;
  subject: Side;
  baselines: Side[];
  /** Absent: the issue asks for the number but sets no target. */
  target?: Target;
  /** For alloc rows: the most heap a call may allocate and still count as "nothing". */
  allocLimit?: number;
  count: { full: number; quick: number };
  /** Run once per run instead of once per repetition (slow, and not a ratio). */
  once?: boolean;
}

const C = (name: string): Side => ({ impl: 'c', name, label: 'C' });
// The async rows' C in their own topology (bench/epoll.c): one process, both ends on one epoll
// loop, the same syscalls in the same order as sockfd's readiness engine.
const C_EPOLL = (name: string): Side => ({ impl: 'c', name, label: 'C epoll' });
// A blocking C loop beside an async row, named by its topology.
const C_BLOCKING = (name: string, label: string): Side => ({ impl: 'c', name, label });
const PY = (name: string): Side => ({ impl: 'python', name, label: 'Python' });
// The same loop through the thinnest possible Node-API binding: what sockfd cannot go below.
const FLOOR = (name: string): Side => ({ impl: 'floor', name, label: 'floor' });
// The async rows' floor: epoll.c's loop on Node's event loop through the thinnest uv_poll
// binding that calls back into JavaScript.
const LOOP_FLOOR = (name: string): Side => ({ impl: 'floor', name, label: 'event-loop floor' });
const S = (name: string, field?: Side['field']): Side => ({
  impl: 'sockfd',
  name,
  label: 'sockfd',
  field,
});
const N = (name: string, label: string, field?: Side['field']): Side => ({
  impl: 'node',
  name,
  label,
  field,
});

const ONE_CALL: Target = { against: 'C', max: 1.1, text: '≤ 1.1× C time' };
const NEAR_C: Target = { against: 'C', min: 0.9, text: '≥ 0.9× C' };

// The lab's rows: a userspace link against a veth pair between the same two hosts; both sides
// are sockfd's, the link is what differs.
const LINK = (name: string): Side => ({ impl: 'sockfd', name, label: 'userspace link' });
const VETH = (name: string): Side => ({ impl: 'sockfd', name, label: 'veth' });

export const rows: Row[] = [
  {
    id: 'getsockopt',
    title: 'one call: getsockopt(SO_RCVBUF)',
    kind: 'time',
    subject: S('getsockopt'),
    baselines: [C('getsockopt'), FLOOR('getsockopt'), N('getsockopt', 'dgram'), PY('getsockopt')],
    target: ONE_CALL,
    count: { full: 400_000, quick: 2_000 },
  },
  {
    id: 'recv',
    title: 'one call: recv of a ready 64 B datagram',
    kind: 'time',
    subject: S('recv'),
    baselines: [C('recv'), FLOOR('recv'), PY('recv')],
    target: ONE_CALL,
    count: { full: 300_000, quick: 2_048 },
  },
  {
    id: 'recvfrom',
    title: 'one call: recvfrom of a ready 64 B datagram, with the sender',
    kind: 'time',
    subject: S('recvfrom'),
    baselines: [C('recvfrom'), FLOOR('recvfrom'), PY('recvfrom')],
    target: ONE_CALL,
    count: { full: 300_000, quick: 2_048 },
  },
  {
    id: 'udp',
    title: 'UDP 64 B sendto+recvfrom, one call per datagram',
    kind: 'rate',
    subject: S('udp'),
    baselines: [C('udp'), FLOOR('udp'), N('udp', 'dgram'), PY('udp')],
    target: NEAR_C,
    count: { full: 100_000, quick: 1_024 },
  },
  {
    id: 'udp-batch',
    title: 'UDP 64 B sendmmsg/recvmmsg, batches of 32',
    kind: 'rate',
    subject: S('udp-batch'),
    baselines: [C('udp-batch'), N('udp', 'dgram')],
    target: { against: 'C', min: 0.9, text: "≥ 0.9× C's batched rate" },
    count: { full: 100_000, quick: 1_024 },
  },
  {
    id: 'udp-async',
    title: 'UDP 64 B, async: DatagramSocket sendTo/recvFrom, both sockets on one event loop',
    kind: 'rate',
    subject: S('udp-async'),
    baselines: [C_EPOLL('udp-async'), LOOP_FLOOR('udp-async'), N('udp', 'dgram')],
    count: { full: 100_000, quick: 1_024 },
  },
  {
    id: 'tcp-pp',
    title: 'TCP 64 B ping-pong, sync (blocking fds, both ends in one thread, in lockstep)',
    kind: 'rate',
    subject: S('tcp-pp'),
    baselines: [C('tcp-pp'), FLOOR('tcp-pp'), PY('tcp-pp')],
    target: NEAR_C,
    count: { full: 40_000, quick: 300 },
  },
  {
    id: 'tcp-pp-async',
    title: 'TCP 64 B ping-pong, async: StreamSocket, both ends on one event loop',
    kind: 'rate',
    subject: S('tcp-pp-async'),
    baselines: [
      C_EPOLL('tcp-pp-async'),
      LOOP_FLOOR('tcp-pp-async'),
      N('tcp-pp-async', 'net'),
      C_BLOCKING('tcp-pp', 'C lockstep'),
    ],
    target: { against: 'net', min: 1.3, text: '≥ 1.3× net' },
    count: { full: 30_000, quick: 300 },
  },
  {
    id: 'seq-pp',
    title:
      'AF_UNIX SEQPACKET 64 B ping-pong, sync (blocking fds, both ends in one thread, in lockstep)',
    kind: 'rate',
    subject: S('seq-pp'),
    baselines: [C('seq-pp'), FLOOR('seq-pp'), PY('seq-pp')],
    target: NEAR_C,
    count: { full: 80_000, quick: 500 },
  },
  {
    id: 'seq-pp-async',
    title:
      'AF_UNIX SEQPACKET 64 B ping-pong, async: SeqPacketSocket, both ends on one event loop (net: unix stream)',
    kind: 'rate',
    subject: S('seq-pp-async'),
    baselines: [
      C_EPOLL('seq-pp-async'),
      LOOP_FLOOR('seq-pp-async'),
      N('seq-pp-async', 'net'),
      C_BLOCKING('seq-pp', 'C lockstep'),
    ],
    target: { against: 'net', min: 1.3, text: '≥ 1.3× net' },
    count: { full: 50_000, quick: 500 },
  },
  {
    id: 'tcp-bulk',
    title: 'TCP bulk, 64 KiB writes, sync (blocking fds, writer and reader in two processes)',
    kind: 'bytes',
    subject: S('tcp-bulk'),
    baselines: [C('tcp-bulk'), PY('tcp-bulk')],
    target: NEAR_C,
    count: { full: 12_000, quick: 100 },
  },
  {
    id: 'tcp-bulk-async',
    title: 'TCP bulk, 64 KiB writes, async: StreamSocket, writer and reader on one event loop',
    kind: 'bytes',
    subject: S('tcp-bulk-async'),
    baselines: [
      C_EPOLL('tcp-bulk-async'),
      LOOP_FLOOR('tcp-bulk-async'),
      N('tcp-bulk-async', 'net'),
      C_BLOCKING('tcp-bulk', 'C 2 processes'),
    ],
    target: { against: 'net', min: 1.5, text: '≥ 1.5× net' },
    count: { full: 12_000, quick: 100 },
  },
  {
    id: 'link-pp',
    title: 'lab: UDP 64 B round trip between two hosts over a userspace link (no impairment)',
    kind: 'time',
    subject: LINK('link-pp-userspace'),
    baselines: [VETH('link-pp-veth')],
    count: { full: 40_000, quick: 200 },
  },
  {
    id: 'link-rate',
    title: 'lab: UDP 64 B one way between two hosts over a userspace link, windows of 32',
    kind: 'rate',
    subject: LINK('link-rate-userspace'),
    baselines: [VETH('link-rate-veth')],
    count: { full: 100_000, quick: 1_024 },
  },
  {
    id: 'mem-socket',
    title: 'memory per open socket object',
    kind: 'memory',
    subject: S('mem', 'socket'),
    baselines: [N('mem', 'dgram', 'socket')],
    count: { full: 5_000, quick: 100 },
  },
  {
    id: 'mem-watcher',
    title: 'memory per idle watcher (uv_poll)',
    kind: 'memory',
    subject: S('mem', 'watcher'),
    baselines: [],
    count: { full: 5_000, quick: 100 },
  },
  {
    id: 'alloc-recv',
    title: 'heap allocated per recv, fd-integer API, caller buffer',
    kind: 'alloc',
    subject: S('alloc-recv'),
    baselines: [],
    allocLimit: 0.5,
    count: { full: 1_000_000, quick: 16_384 },
    once: true,
  },
  {
    id: 'alloc-recvfrom-out',
    title: 'heap allocated per recvfrom(fd, buf, flags, out), fd-integer API, caller buffer',
    kind: 'alloc',
    subject: S('alloc-recvfrom-out'),
    baselines: [],
    allocLimit: 0.5,
    count: { full: 1_000_000, quick: 16_384 },
    once: true,
  },
  {
    id: 'alloc-recvfrom',
    title: 'heap allocated per recvfrom, fd-integer API (a new result object)',
    kind: 'alloc',
    subject: S('alloc-recvfrom'),
    baselines: [],
    count: { full: 1_000_000, quick: 16_384 },
    once: true,
  },
  {
    id: 'alloc-class',
    title: 'heap allocated per recvFrom, DatagramSocket (async)',
    kind: 'alloc',
    subject: S('alloc-class'),
    baselines: [],
    count: { full: 1_000_000, quick: 16_384 },
    once: true,
  },
];
