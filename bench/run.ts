// `npm run bench`: measures every row of bench/rows.ts against its baselines, side by side,
// prints the table and writes it to docs/benchmarks.md with the machine it ran on.
//
//   npm run bench                  full counts, 5 repetitions, writes docs/benchmarks.md
//   npm run bench -- --quick       tiny counts, 1 repetition, prints only (a smoke test)
//   options: --reps N, --only id,id, --out FILE (also in quick mode), --no-write
//
// Every measurement runs in a fresh process that times its own loop after a warm-up, so no
// row inherits another's JIT state, heap or sockets. Repetitions are interleaved: each
// repetition measures every row once, with its programs in a rotating order, so a burst of load
// from elsewhere hits subject and baseline alike. Each ratio is the median over repetitions
// of the ratio within one repetition.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';

import { type Impl, type Row, type Side, type Target, rows } from './rows.js';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'build-bench');
const C_PROGRAMS: Record<string, string> = {
  getsockopt: 'syscall',
  recv: 'syscall',
  recvfrom: 'syscall',
  udp: 'udp',
  'udp-batch': 'udp',
  'tcp-pp': 'pingpong',
  'seq-pp': 'pingpong',
  'tcp-bulk': 'bulk',
  'udp-async': 'epoll',
  'tcp-pp-async': 'epoll',
  'seq-pp-async': 'epoll',
  'tcp-bulk-async': 'epoll',
};

interface Options {
  quick: boolean;
  reps: number;
  only: Set<string> | null;
  out: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    quick: false,
    reps: 5,
    only: null,
    out: join(ROOT, 'docs', 'benchmarks.md'),
  };
  let reps: number | null = null;
  let out: string | null | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--reps') reps = Number(value());
    else if (a === '--only') o.only = new Set(value().split(','));
    else if (a === '--out') out = value();
    else if (a === '--no-write') out = null;
    else throw new Error(`unknown option ${a}`);
  }
  if (o.quick) {
    o.reps = 1;
    o.out = null; // a smoke run never overwrites the published table
  }
  if (reps !== null) {
    if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps needs a positive integer');
    o.reps = reps;
  }
  if (o.only !== null) o.out = null; // a partial run never replaces the full table
  if (out !== undefined) o.out = out;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Programs

/** Whether `out` is missing or older than any of `sources`. */
function stale(out: string, sources: string[]): boolean {
  if (!existsSync(out)) return true;
  const built = statSync(out).mtimeMs;
  return sources.some((s) => statSync(s).mtimeMs >= built);
}

/** The header every C program includes (bench/bench.h). */
const C_HEADER = join(ROOT, 'bench', 'bench.h');

/** Compiles bench/NAME.c into build-bench/c/NAME unless the binary is newer than its sources. */
function compileC(): void {
  mkdirSync(join(OUT, 'c'), { recursive: true });
  for (const name of new Set(Object.values(C_PROGRAMS))) {
    const src = join(ROOT, 'bench', `${name}.c`);
    const bin = join(OUT, 'c', name);
    if (!stale(bin, [src, C_HEADER])) continue;
    const r = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', bin, src], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new Error(`gcc ${src} failed: ${r.error?.message ?? r.stderr}`);
    }
  }
}

/** Where node_api.h is: the nodedir npm was given, else beside this node binary. */
function nodeApiHeaders(): string | null {
  const dirs = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    join(dirname(process.execPath), '..', 'include', 'node'),
  ];
  for (const d of dirs) if (d && existsSync(join(d, 'node_api.h'))) return d;
  return null;
}

/**
 * Compiles the Node-API floor (bench/floor.c) into build-bench/floor.node. Without headers the
 * floor column reads n/a; the other measurements do not need it.
 */
function compileFloor(): void {
  const src = join(ROOT, 'bench', 'floor.c');
  const out = join(OUT, 'floor.node');
  if (!stale(out, [src])) return;
  const headers = nodeApiHeaders();
  if (headers === null) {
    console.warn('bench: no node_api.h found; the Node-API floor column will read n/a');
    return;
  }
  const args = ['-O2', '-Wall', '-Wextra', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=floor'];
  const r = spawnSync('gcc', [...args, `-I${headers}`, '-o', out, src], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`gcc ${src} failed: ${r.error?.message ?? r.stderr}`);
  }
}

function hasPython(): boolean {
  const r = spawnSync('python3', ['-c', 'import socket'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

function command(side: Side, count: number): [string, string[]] {
  const n = String(count);
  switch (side.impl) {
    case 'c':
      return [join(OUT, 'c', C_PROGRAMS[side.name]!), [side.name, n]];
    case 'python':
      return ['python3', [join(ROOT, 'bench', 'cases.py'), side.name, n]];
    case 'sockfd':
    case 'node':
    case 'floor': {
      const flags = ['--expose-gc'];
      // A young generation big enough that no scavenge runs inside one measured chunk.
      if (side.name.startsWith('alloc-'))
        flags.push('--min-semi-space-size=64', '--max-semi-space-size=64');
      return [process.execPath, [...flags, join(OUT, 'cases.js'), side.impl, side.name, n]];
    }
  }
}

type Sample = Record<string, number | string>;

/** Runs one measurement; its last line of output is a JSON object. */
function measure(side: Side, count: number): Promise<Sample> {
  const [cmd, args] = command(side, count);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('error', (e) => resolve({ error: e.message }));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        const why = stderr.trim().split('\n').slice(-3).join(' / ');
        resolve({ error: why || `exit ${code ?? signal}` });
        return;
      }
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as Sample);
      } catch {
        resolve({ error: `unreadable output: ${line}` });
      }
    });
  });
}

/** The number a sample stands for in its row: ns per call, per second, or bytes. */
function valueOf(row: Row, side: Side, s: Sample): number | null {
  const num = (k: string): number | null => (typeof s[k] === 'number' ? s[k] : null);
  switch (row.kind) {
    case 'time': {
      const ns = num('ns');
      const ops = num('ops');
      return ns === null || ops === null ? null : ns / ops;
    }
    case 'rate':
    case 'bytes': {
      const ns = num('ns');
      const ops = num('ops');
      return ns === null || ops === null || ns === 0 ? null : (ops / ns) * 1e9;
    }
    case 'memory':
      return num(`${side.field ?? 'socket'}Heap`);
    case 'alloc':
      return num('perCall');
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function si(x: number, unit: string): string {
  const abs = Math.abs(x);
  const [div, prefix] =
    abs >= 1e9 ? [1e9, 'G'] : abs >= 1e6 ? [1e6, 'M'] : abs >= 1e3 ? [1e3, 'k'] : [1, ''];
  const v = x / div;
  return `${v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2)} ${prefix}${unit}`;
}

function bytes(x: number): string {
  const abs = Math.abs(x);
  if (abs >= 1 << 20) return `${(x / (1 << 20)).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(x / 1024).toFixed(1)} KiB`;
  return `${Math.round(x)} B`;
}

function formatValue(row: Row, v: number): string {
  switch (row.kind) {
    case 'time':
      return v >= 1000 ? `${(v / 1000).toFixed(2)} µs` : `${Math.round(v)} ns`;
    case 'rate':
      return `${si(v, '/s')}`;
    case 'bytes':
      return `${si(v, 'B/s')}`;
    case 'memory':
      return bytes(v);
    case 'alloc':
      return `${v.toFixed(2)} B/call`;
  }
}

/** The subject's figure relative to a baseline's: time over time, or rate over rate. */
function ratioOf(row: Row, subject: number, baseline: number): number {
  return subject / baseline;
}

interface Cell {
  side: Side;
  /** One per repetition (rows measured once have only the first). */
  samples: Sample[];
  /** The figures of the samples that have one. */
  values: number[];
  /** Printed after the figure: the floor's ratio to C. */
  note?: string;
}

interface RowResult {
  row: Row;
  cells: Cell[]; // subject first
  ratios: Map<string, number>; // baseline label -> median paired ratio
  verdict: 'MET' | 'MISSED' | 'n/a' | 'info' | 'ERROR';
  note: string;
}

/** a's figure relative to b's, one per repetition in which both ran. */
function pairedRatios(row: Row, a: Cell, b: Cell): number[] {
  const paired: number[] = [];
  a.samples.forEach((s, i) => {
    const x = valueOf(row, a.side, s);
    const bs = b.samples[i];
    const y = bs === undefined ? null : valueOf(row, b.side, bs);
    if (x !== null && y !== null && y !== 0) paired.push(ratioOf(row, x, y));
  });
  return paired;
}

/** The median over repetitions of a's figure relative to b's in the same repetition. */
function pairedRatio(row: Row, a: Cell, b: Cell): number | undefined {
  const paired = pairedRatios(row, a, b);
  return paired.length > 0 ? median(paired) : undefined;
}

function meets(t: Target, r: number): boolean {
  return t.max !== undefined ? r <= t.max : r >= (t.min ?? 0);
}

function summarize(row: Row, cells: Cell[], python: boolean): RowResult {
  const [subject, ...baselines] = cells as [Cell, ...Cell[]];
  const ratios = new Map<string, number>();
  for (const b of baselines) {
    const r = pairedRatio(row, subject, b);
    if (r !== undefined) ratios.set(b.side.label, r);
  }
  // The floor against C (a row's first C is the one of the same topology): the part of a C
  // target no Node-API binding can reach.
  const floor = baselines.find((b) => b.side.impl === 'floor');
  const c = baselines.find((b) => b.side.impl === 'c');
  const floorVsC = floor && c ? pairedRatio(row, floor, c) : undefined;
  if (floor && c && floorVsC !== undefined) floor.note = ratioLabel(row, floorVsC, c.side.label);
  const na = subject.samples.find((s) => typeof s.na === 'string');
  if (na !== undefined) return { row, cells, ratios, verdict: 'n/a', note: String(na.na) };
  const err = subject.samples.find((s) => typeof s.error === 'string');
  if (err !== undefined || subject.values.length === 0) {
    return { row, cells, ratios, verdict: 'ERROR', note: String(err?.error ?? 'no result') };
  }
  if (row.kind === 'alloc') {
    const per = median(subject.values);
    const growth = median(subject.samples.map((s) => Number(s.growth)));
    const calls = Number(subject.samples[0]?.calls);
    const note = `heap growth after GC over ${calls.toLocaleString('en-US')} calls: ${bytes(growth)}`;
    if (row.allocLimit === undefined) return { row, cells, ratios, verdict: 'info', note };
    return { row, cells, ratios, verdict: per <= row.allocLimit ? 'MET' : 'MISSED', note };
  }
  const t = row.target;
  if (t === undefined) return { row, cells, ratios, verdict: 'info', note: '' };
  const r = ratios.get(t.against);
  if (r === undefined) {
    const why = t.against === 'Python' && !python ? 'python3 not found' : 'no baseline result';
    return { row, cells, ratios, verdict: 'ERROR', note: why };
  }
  // How steady the verdict is: on a shared machine a row near its target can land on either
  // side from one repetition to the next, and the median alone would hide that.
  const base = cells.find((x) => x.side.label === t.against);
  const each = base === undefined ? [] : pairedRatios(row, subject, base);
  let note = '';
  if (each.length > 1) {
    const lo = Math.min(...each).toFixed(2);
    const hi = Math.max(...each).toFixed(2);
    const k = each.filter((x) => meets(t, x)).length;
    note = `met in ${k} of ${each.length} repetitions; ${lo}–${hi}×`;
  }
  return { row, cells, ratios, verdict: meets(t, r) ? 'MET' : 'MISSED', note };
}

/**
 * The rows with a Node-API floor, and those where sockfd stays within 10 % of it: what sockfd
 * itself adds, apart from what any Node-API binding pays (the C targets include both). The
 * async rows' event-loop floor is counted apart.
 */
function floorSummary(results: RowResult[]): string {
  return [
    floorCount(results, 'floor', "Against the Node-API floor (sockfd's own cost)"),
    floorCount(results, 'event-loop floor', 'Against the event-loop floor'),
  ]
    .filter((x) => x !== '')
    .join(' ');
}

function floorCount(results: RowResult[], label: string, lead: string): string {
  const near: string[] = [];
  const far: string[] = [];
  for (const { row, ratios } of results) {
    const r = ratios.get(label);
    if (r === undefined) continue;
    const within = row.kind === 'time' ? r <= 1.1 : r >= 0.9;
    (within ? near : far).push(row.id);
  }
  if (near.length + far.length === 0) return '';
  const list = (ids: string[]): string => (ids.length > 0 ? ` (${ids.join(', ')})` : '');
  return (
    `${lead}: ${near.length} of ${near.length + far.length} rows within 1.1× of its time or ` +
    `0.9× of its rate${list(near)}; ${far.length} not${list(far)}.`
  );
}

function cellText(row: Row, c: Cell): string {
  const na = c.samples.find((s) => typeof s.na === 'string');
  if (na !== undefined) return `n/a (${String(na.na)})`;
  if (c.values.length === 0) {
    const err = c.samples.find((s) => typeof s.error === 'string');
    return err === undefined ? '—' : 'error';
  }
  let text = formatValue(row, median(c.values));
  if (row.kind === 'memory') {
    const rss = median(c.samples.map((s) => Number(s[`${c.side.field ?? 'socket'}Rss`])));
    text = `${text} heap, ${bytes(rss)} RSS`;
  }
  return text;
}

function ratioLabel(row: Row, r: number, label: string): string {
  return row.kind === 'time' ? `${r.toFixed(2)}× ${label} time` : `${r.toFixed(2)}× ${label}`;
}

function ratioText(res: RowResult): string {
  const { row } = res;
  if (row.kind === 'alloc') return res.note;
  const parts: string[] = [];
  for (const [label, r] of res.ratios) parts.push(ratioLabel(row, r, label));
  return parts.join(', ') || '—';
}

/** The table's columns; a baseline labelled other than `plain` (net, C epoll …) is named in its cell. */
const COLUMNS: { label: string; impls: Impl[]; plain?: string }[] = [
  { label: 'sockfd', impls: ['sockfd'] },
  { label: 'C', impls: ['c'], plain: 'C' },
  { label: 'Node-API floor', impls: ['floor'], plain: 'floor' },
  { label: 'Node core', impls: ['node'] },
  { label: 'Python', impls: ['python'], plain: 'Python' },
  // The lab's rows measure a userspace link against a veth pair, both through sockfd.
  { label: 'veth pair', impls: ['sockfd'], plain: 'veth' },
];

function table(results: RowResult[]): string {
  const header = ['row', ...COLUMNS.map((c) => c.label), 'sockfd relative to', 'target', 'result'];
  const lines = [header, header.map(() => '---')];
  for (const res of results) {
    const { row } = res;
    const cols = COLUMNS.map(({ impls, plain }, i) => {
      const cells =
        i === 0
          ? res.cells.slice(0, 1)
          : res.cells.slice(1).filter((x) => impls.includes(x.side.impl));
      if (cells.length === 0) return '—';
      return cells
        .map((c) => {
          const notes = [c.side.label === plain ? undefined : c.side.label, c.note];
          const said = notes.filter((x) => x !== undefined).join('; ');
          return said === '' || i === 0 ? cellText(row, c) : `${cellText(row, c)} (${said})`;
        })
        .join('; ');
    });
    let target = row.target?.text ?? (row.kind === 'alloc' ? 'none set' : 'none set (info)');
    if (row.allocLimit !== undefined) target = 'nothing per call';
    let verdict: string = res.verdict;
    if (res.verdict === 'ERROR' || res.verdict === 'n/a') verdict = `${res.verdict}: ${res.note}`;
    else if (row.kind !== 'alloc' && res.note !== '') {
      verdict = `${res.verdict} (${res.note})`;
    }
    lines.push([row.title, ...cols, ratioText(res), target, verdict]);
  }
  return `${lines.map((l) => `| ${l.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`).join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------

function machine(): Record<string, string> {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1] !== undefined) cpu = m[1];
  } catch {
    // Not Linux's /proc; os.cpus() has the model too.
  }
  const py = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  const gcc = spawnSync('gcc', ['-dumpfullversion'], { encoding: 'utf8' });
  return {
    CPU: cpu,
    cores: String(cpus().length),
    kernel: `Linux ${release()}`,
    node: process.version,
    python: py.status === 0 ? py.stdout.trim() || py.stderr.trim() : 'not found',
    gcc: gcc.status === 0 ? gcc.stdout.trim() : 'unknown',
  };
}

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

function markdown(
  results: RowResult[],
  info: Record<string, string>,
  opts: Options,
  loads: [string, string],
): string {
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const met = results.filter((r) => r.verdict === 'MET').length;
  const missed = results.filter((r) => r.verdict === 'MISSED').length;
  return `<!-- Code generated by \`npm run bench\` (bench/run.ts). DO NOT EDIT. -->

# Benchmarks

Measured on ${date}. Run \`npm run bench\` again to replace this file.

| machine | |
| --- | --- |
${Object.entries(info)
  .map(([k, v]) => `| ${k} | ${v} |`)
  .join('\n')}
| load average (1, 5, 15 min) at start / end | ${loads[0]} / ${loads[1]} |
| repetitions | ${opts.reps} |

${table(results)}
Targets met: ${met}; missed: ${missed}. ${floorSummary(results)}

How to read it: every figure is the median of ${opts.reps} repetitions, and every ratio is the
median of the ratios measured within one repetition, where the programs of a row run one
after the other (in a rotating order). Times (ns, µs) are per call, lower is better, and their
ratios are time over time; rates and throughputs are per second, higher is better, and their
ratios are rate over rate. Absolute numbers move from machine to machine and with load; the
ratios are what the targets are about. A verdict is the median ratio's; beside it, in how many
repetitions the row's own ratio met the target, and the lowest and highest of those ratios.

What each row does (the loops are the same, call for call, in bench/*.c, bench/cases.py and
bench/cases.ts):

- One call: the syscall in a tight loop through the fd-integer API (functions bound once, as an
  ESM import binds them). recv/recvfrom time only the receives, each run of 64 finding its
  datagrams already queued. dgram's getRecvBufferSize() is its getsockopt(SO_RCVBUF).
- Node-API floor: the same loops through bench/floor.c, the thinnest Node-API functions that
  make the same syscalls (no argument checks, no error objects, addresses as raw sockaddr
  bytes; compiled by the bench against this node's headers). It is what any Node-API binding
  pays on this machine before doing anything of its own, so "× floor" is sockfd's own cost and
  the floor's ratio to C, printed beside it, is the part no Node-API library can remove.
- Async rows: sockfd's typed classes with both ends (or both sockets) on Node's one event loop.
  Beside each, the same work in the same topology. "C epoll" (bench/epoll.c): both ends as tasks
  of one level-triggered epoll loop in one process, on nonblocking fds, making the syscalls
  sockfd's readiness engine makes, in the same order (writes tried at once and waiting on
  EAGAIN; a stream read waits first after a short read, a message read after its last first
  try found nothing, trying first again every 16th time). The "event-loop floor": those tasks
  in JavaScript, waiting through the thinnest uv_poll binding (bench/floor.c: a uv_poll per fd
  on Node's loop, napi_make_callback into JavaScript on each readiness event, the syscalls
  through the floor's functions). "× event-loop floor" is what sockfd's classes (promises, the
  readiness engine) add; the floor's ratio to C epoll, beside its figure, is what waking
  JavaScript from libuv costs any binding. The blocking C loops stay beside them, named by
  their topology: "C lockstep" (ping-pong: both ends in one thread, no wait) and "C 2
  processes" (bulk: the reader in a second process).
- UDP: two unconnected sockets on 127.0.0.1; windows of 32 datagrams, each sent with its
  address (sendto) then received with the sender's (recvfrom); dgram sends with the address and
  counts 'message' events. Batched: sendmmsg/recvmmsg of 32. Async: DatagramSocket, whose
  receives find their datagrams queued (loopback delivers within sendto), so no call waits.
- Ping-pong, sync: both ends in one thread on blocking fds, in lockstep (send, receive at the
  far end, send back, receive), so each round trip is four syscalls and no scheduler wake-up
  blurs the comparison. Async: both ends on one event loop (sockfd's classes; net echoing
  whatever arrives); stream readers read into 64 KiB buffers, as net's do. net has no
  SEQPACKET: its row uses a unix stream socket.
- Bulk, sync: the writer in one process, a reader of the same library in another, blocking
  fds; the clock runs from the reader's ready byte to its acknowledgement of the last byte.
  Async: writer and reader on one event loop, with backpressure.
- Lab: two hosts of a lab (network namespaces of the bench process) joined by a userspace link
  with no impairment (a TUN device in each, and the link's thread carrying packets between
  them) or, beside it, a veth pair; blocking UDP sockets made in the hosts, both used from one
  thread. The round trip is the ping-pong's lockstep (each direction crosses the link once: the
  difference from veth, halved, is what one crossing of the thread adds, mostly its wake-up);
  the one-way rate sends windows of 32 and receives them.
- Memory: the heap (V8 heap + external memory) and RSS added per object, after a full GC, for
  5,000 objects: an open DatagramSocket (fd and object, no watcher), and the idle watcher it
  gains once it has waited (a receive started and aborted). dgram: a bound socket, which is
  reading.
- Allocation: 1,000,000 receives of ready datagrams (with fd-integer sends in between, which
  allocate nothing themselves), in chunks of 8,192 that each start on an empty young generation
  of 64 MiB, so no collection runs inside a chunk and the heap in use at its end minus at its
  start is exactly what it allocated; the same chunks run empty measure the meter itself, which
  is taken off. The typed-class row counts the caller's \`await\` too.
`;
}

async function pool(tasks: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: width }, worker));
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build:ts` (and `npm run build:native`)');
  }
  compileC();
  compileFloor();
  const python = hasPython();
  const selected = rows.filter((r) => opts.only === null || opts.only.has(r.id));
  const loadStart = load();
  const cells = new Map<Row, Cell[]>();
  for (const row of selected) {
    const sides = [row.subject, ...row.baselines].filter((s) => python || s.impl !== 'python');
    cells.set(
      row,
      sides.map((side) => ({ side, samples: [], values: [] })),
    );
  }
  const started = Date.now();
  for (let rep = 0; rep < opts.reps; rep++) {
    const tasks: (() => Promise<void>)[] = [];
    for (const row of selected) {
      if (row.once === true && rep > 0) continue;
      const list = cells.get(row)!;
      const count = opts.quick ? row.count.quick : row.count.full;
      // Rotate the order each repetition so no program always runs first (or last).
      for (let k = 0; k < list.length; k++) {
        const cell = list[(k + rep) % list.length]!;
        tasks.push(async () => {
          // Indexed by repetition, so that the pairs a ratio is taken over stay paired.
          cell.samples[rep] = await measure(cell.side, count);
        });
      }
    }
    // One at a time, so measurements never compete with each other; a smoke run (whose numbers
    // mean nothing) runs a few at once to finish quickly.
    await pool(tasks, opts.quick ? 4 : 1);
    if (!opts.quick) {
      const secs = Math.round((Date.now() - started) / 1000);
      process.stderr.write(`bench: repetition ${rep + 1}/${opts.reps} done (${secs} s)\n`);
    }
  }
  const results = selected.map((row) => {
    const list = cells.get(row)!;
    for (const c of list) {
      c.samples = Array.from(c.samples, (x) => x ?? { error: 'not run' });
      c.values = c.samples.flatMap((x) => valueOf(row, c.side, x) ?? []);
    }
    return summarize(row, list, python);
  });
  const out = table(results);
  process.stdout.write(out);
  const met = results.filter((r) => r.verdict === 'MET').length;
  const missed = results.filter((r) => r.verdict === 'MISSED').length;
  process.stdout.write(`\ntargets met: ${met}, missed: ${missed}\n`);
  const floor = floorSummary(results);
  if (floor !== '') process.stdout.write(`${floor}\n`);
  if (opts.out !== null) {
    const info = machine();
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, markdown(results, info, opts, [loadStart, load()]));
    process.stdout.write(`wrote ${opts.out}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
