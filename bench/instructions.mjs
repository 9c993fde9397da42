// Instructions per operation under callgrind, for comparing two builds of sockfd where wall-clock
// benchmarks are too noisy to show a few percent (a shared VM). Each workload runs at two counts;
// the difference of the two instruction totals divided by the difference of the counts leaves out
// start-up, module loading and compilation.
//
//   node bench/instructions.mjs [--root DIR]... [--only udp-async,recv] [--counts 20000,120000]
//
// Every --root is a checkout with dist/ and build/ (default: this one). Needs valgrind. Node runs
// with --predictable and a 64 MiB young generation, so the two runs differ only in their count.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SIZE = 64;
const BATCH = 64;

// Each workload: the body of a script run as `node -e` with `s` (the package) and `n` (the count).
// The async ones return a promise. One operation is one call, datagram or round trip.
const WORKLOADS = {
  getsockopt: `const fd = s.socket(C.AF_INET, C.SOCK_DGRAM);
    for (let i = 0; i < n; i++) s.getsockopt(fd, C.SOL_SOCKET, C.SO_RCVBUF);`,
  // recv and recvfrom: with the send that queues each datagram (measure 'send' to take it off).
  send: `const [rx, tx] = [udp(), udp()]; s.connect(tx, s.getsockname(rx));
    for (let i = 0; i < n; i++) s.send(tx, out);`,
  recv: `const [rx, tx] = [udp(), udp()]; s.connect(tx, s.getsockname(rx));
    for (let d = 0; d < n; d += B) {
      for (let i = 0; i < B; i++) s.send(tx, out);
      for (let i = 0; i < B; i++) s.recv(rx, buf);
    }`,
  recvfrom: `const [rx, tx] = [udp(), udp()]; s.connect(tx, s.getsockname(rx));
    for (let d = 0; d < n; d += B) {
      for (let i = 0; i < B; i++) s.send(tx, out);
      for (let i = 0; i < B; i++) s.recvfrom(rx, buf);
    }`,
  udp: `const [rx, tx] = [udp(), udp()]; const to = s.getsockname(rx);
    for (let d = 0; d < n; d += B) {
      for (let i = 0; i < B; i++) s.sendto(tx, out, 0, to);
      for (let i = 0; i < B; i++) if (s.recvfrom(rx, buf).bytes !== ${SIZE}) throw new Error('short');
    }`,
  // One operation is one datagram, in batches of B.
  'udp-mmsg': `const [rx, tx] = [udp(), udp()]; const to = s.getsockname(rx);
    const o = s.MessageBatch.alloc(B, ${SIZE}), r = s.MessageBatch.alloc(B, ${SIZE});
    for (let i = 0; i < B; i++) o.setAddress(i, to);
    for (let d = 0; d < n; d += B) {
      for (let k = 0; k < B;) k += s.sendmmsg(tx, o, 0);
      for (let k = 0; k < B;) k += s.recvmmsg(rx, r, C.MSG_WAITFORONE);
    }`,
  'tcp-pp': `const [a, b] = tcp(); pingPong(a, b);`,
  'seq-pp': `const [a, b] = s.socketpair(C.AF_UNIX, C.SOCK_SEQPACKET); pingPong(a, b);`,
  'udp-async': `return (async () => {
      const rx = s.DatagramSocket.bound(LO), tx = s.DatagramSocket.bound(LO);
      const to = rx.localAddress();
      for (let d = 0; d < n; d += B) {
        for (let i = 0; i < B; i++) await tx.sendTo(out, to);
        for (let i = 0; i < B; i++) if ((await rx.recvFrom(buf)).bytes !== ${SIZE}) throw new Error('short');
      }
      tx.close(); rx.close();
    })();`,
  'tcp-pp-async': `return (async () => {
      const l = s.StreamSocket.listen(LO);
      const [c, d] = await Promise.all([s.StreamSocket.connect(l.localAddress()), l.accept()]);
      l.close();
      for (const x of [c, d]) x.setOption(C.IPPROTO_TCP, C.TCP_NODELAY, true);
      await asyncPingPong(c, d, (x, b) => x.write(b), (x, b) => x.read(b));
    })();`,
  'seq-pp-async': `return (async () => {
      const [c, d] = s.SeqPacketSocket.pair();
      await asyncPingPong(c, d, (x, b) => x.send(b), async (x, b) => (await x.recv(b))?.bytes ?? null);
    })();`,
};

const PRELUDE = `
const s = require(process.env.SOCKFD_ROOT + '/dist/index.js');
const C = s.constants, n = Number(process.env.COUNT), B = ${BATCH};
const LO = { family: 'inet', address: '127.0.0.1', port: 0 };
const out = Buffer.alloc(${SIZE}), buf = Buffer.alloc(${SIZE});
function udp() { const fd = s.socket(C.AF_INET, C.SOCK_DGRAM); s.bind(fd, LO); return fd; }
function tcp() {
  const l = s.socket(C.AF_INET, C.SOCK_STREAM); s.bind(l, LO); s.listen(l, 1);
  const a = s.socket(C.AF_INET, C.SOCK_STREAM); s.connect(a, s.getsockname(l));
  const b = s.accept(l).fd; s.close(l);
  for (const fd of [a, b]) s.setsockopt(fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
  return [a, b];
}
function pingPong(a, b) {
  for (let i = 0; i < n; i++) { s.send(a, out); s.recv(b, buf); s.send(b, buf); s.recv(a, buf); }
}
async function asyncPingPong(c, d, write, read) {
  const big = Buffer.alloc(65536);
  const echo = (async () => {
    for (let k = await read(d, big); k !== null; k = await read(d, big)) await write(d, big.subarray(0, k));
  })();
  for (let i = 0; i < n; i++) {
    await write(c, out);
    for (let got = 0; got < ${SIZE};) { const k = await read(c, big); if (k === null) throw new Error('closed'); got += k; }
  }
  c.close(); await echo; d.close();
}
`;

function instructions(root, name, count, dir) {
  const script = `${PRELUDE}\nPromise.resolve((() => { ${WORKLOADS[name]} })()).catch((e) => { console.error(e); process.exit(1); });`;
  const file = join(dir, `callgrind.${process.pid}`);
  const r = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${file}`,
      process.execPath,
      '--predictable',
      '--min-semi-space-size=64',
      '--max-semi-space-size=64',
      '-e',
      script,
    ],
    { encoding: 'utf8', env: { ...process.env, SOCKFD_ROOT: root, COUNT: String(count) } },
  );
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (r.status !== 0 || m === null) throw new Error(`${name} in ${root}: ${r.stderr.slice(-2000)}`);
  return Number(m[1]);
}

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    root: { type: 'string', multiple: true },
    only: { type: 'string' },
    counts: { type: 'string', default: '12800,76800' },
  },
});
const roots = (values.root ?? [join(here, '..')]).map((r) => resolve(r));
const names = values.only ? values.only.split(',') : Object.keys(WORKLOADS);
for (const name of names) if (!(name in WORKLOADS)) throw new Error(`unknown workload ${name}`);
const [lo, hi] = values.counts.split(',').map(Number);
if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.error('bench/instructions.mjs: needs valgrind');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'sockfd-instructions-'));
try {
  console.log(['workload', ...roots].join('\t'));
  for (const name of names) {
    // Ping-pong rounds cost ~4 syscalls each: fewer of them keep the run short.
    const scale = name.includes('pp') ? 8 : 1;
    const row = roots.map((root) => {
      const a = instructions(root, name, lo / scale, dir);
      const b = instructions(root, name, hi / scale, dir);
      return Math.round((b - a) / ((hi - lo) / scale));
    });
    console.log([name, ...row].join('\t'));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
