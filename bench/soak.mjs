#!/usr/bin/env node
// Soak: opens and closes --sockets sockets of every type and --connections TCP connections on
// loopback with the fd-integer API, printing RSS and the fd count as it goes, and fails if
// either grows beyond a small bound. `npm run soak` runs 100,000 and 10,000; test/reliability/soak.test.ts
// runs 5,000 and 500 in `npm test`.
//
// usage: node --expose-gc bench/soak.mjs [--sockets N] [--connections N] [--rss-mb N]
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const s = createRequire(import.meta.url)('sockfd');

const { values: opt } = parseArgs({
  options: {
    sockets: { type: 'string', default: '100000' },
    connections: { type: 'string', default: '10000' },
    // Growth allowed after the warm-up sample. A leak of one 128-byte sockaddr per call would
    // add 12 MB over 100,000 sockets; V8's heap settling after gc() stays well under this.
    'rss-mb': { type: 'string', default: '12' },
    samples: { type: 'string', default: '10' },
  },
});

const gc = globalThis.gc;
if (typeof gc !== 'function') {
  console.error('soak: run with node --expose-gc so RSS is measured after a collection');
  process.exit(2);
}

// Under AddressSanitizer (npm run test:asan) freed memory waits in ASan's quarantine, so RSS
// climbs by design: the RSS bound is reported but not enforced there. The fd bounds still are.
const underAsan = readFileSync('/proc/self/maps', 'utf8').includes('libasan');

const c = s.constants;
const LOOPBACK = { family: 'inet', address: '127.0.0.1', port: 0 };
const POLL_MS = 5000; // a step that is not ready in this long is a failure, not a hang

function fdState() {
  const names = readdirSync('/proc/self/fd');
  let sockets = 0;
  for (const n of names) {
    try {
      if (readlinkSync(`/proc/self/fd/${n}`).startsWith('socket:')) sockets++;
    } catch {
      // The fd readdir used, closed by now.
    }
  }
  return { fds: names.length, sockets };
}

function sample() {
  gc();
  gc();
  return { rss: process.memoryUsage.rss() / 2 ** 20, ...fdState() };
}

function waitFor(fd, events, what) {
  const [r] = s.poll([{ fd, events }], POLL_MS);
  if (r.revents === 0) throw new Error(`soak: ${what} not ready after ${POLL_MS} ms`);
}

// One socket of each kind in turn, each put through a call or two before it is closed.
const kinds = [
  () => {
    const fd = s.socket(c.AF_INET, c.SOCK_DGRAM);
    s.bind(fd, LOOPBACK);
    s.getsockname(fd);
    return [fd];
  },
  () => {
    const fd = s.socket(c.AF_INET, c.SOCK_STREAM);
    s.setsockopt(fd, c.SOL_SOCKET, c.SO_REUSEADDR, 1);
    s.getsockopt(fd, c.SOL_SOCKET, c.SO_TYPE);
    return [fd];
  },
  () => {
    const fd = s.socket(c.AF_INET6, c.SOCK_DGRAM);
    s.setNonblocking(fd, true);
    return [fd];
  },
  () => {
    const fd = s.socket(c.AF_UNIX, c.SOCK_DGRAM);
    s.bind(fd, { family: 'unix' }); // autobind: an abstract name the kernel picks
    s.getsockname(fd);
    return [fd];
  },
  () => s.socketpair(c.AF_UNIX, c.SOCK_STREAM),
  () => s.socketpair(c.AF_UNIX, c.SOCK_SEQPACKET),
];

function soakSockets(total, every, report) {
  let opened = 0;
  for (let i = 0; opened < total; i++) {
    const fds = kinds[i % kinds.length]();
    for (const fd of fds) s.close(fd);
    const before = opened;
    opened += fds.length;
    if (Math.floor(opened / every) !== Math.floor(before / every)) report('sockets', opened);
  }
  return opened;
}

function soakConnections(total, every, report) {
  const listener = s.socket(c.AF_INET, c.SOCK_STREAM);
  s.bind(listener, LOOPBACK);
  s.listen(listener, 128);
  const address = s.getsockname(listener);
  const buf = Buffer.alloc(1);
  try {
    for (let i = 1; i <= total; i++) {
      const client = s.socket(c.AF_INET, c.SOCK_STREAM);
      s.connect(client, address);
      waitFor(listener, c.POLLIN, 'accept');
      const server = s.accept(listener).fd;
      s.send(client, Buffer.from('q'));
      waitFor(server, c.POLLIN, 'request');
      if (s.recv(server, buf) !== 1) throw new Error('soak: request lost');
      s.send(server, Buffer.from('a'));
      waitFor(client, c.POLLIN, 'reply');
      if (s.recv(client, buf) !== 1) throw new Error('soak: reply lost');
      // The server closes first, so TIME_WAIT stays on its side and holds no ephemeral port.
      s.close(server);
      waitFor(client, c.POLLIN, 'end of stream');
      if (s.recv(client, buf) !== 0) throw new Error('soak: no end of stream');
      s.close(client);
      if (i % every === 0) report('connections', i);
    }
  } finally {
    s.close(listener);
  }
}

function main() {
  const sockets = Number(opt.sockets);
  const connections = Number(opt.connections);
  const bound = Number(opt['rss-mb']);
  const samples = Number(opt.samples);
  const started = performance.now();
  const first = sample();
  let base = null; // the sample after the first interval: the heap has warmed up by then
  const failures = [];

  const report = (what, n) => {
    const now = sample();
    const listening = what === 'connections' ? 1 : 0; // the listener stays open meanwhile
    base ??= now;
    const line =
      `soak: ${what} ${String(n).padStart(7)}  rss ${now.rss.toFixed(1)} MB ` +
      `(${(now.rss - base.rss >= 0 ? '+' : '') + (now.rss - base.rss).toFixed(1)})  ` +
      `fds ${now.fds} (sockets ${now.sockets})`;
    console.log(line);
    if (now.sockets !== first.sockets + listening) {
      failures.push(`${what} ${n}: ${now.sockets} sockets open, ${first.sockets} at the start`);
    }
    // Two fds of slack for the runtime's own (an inotify or timer fd opened lazily).
    if (now.fds > first.fds + 2)
      failures.push(`${what} ${n}: ${now.fds} fds, ${first.fds} at the start`);
    if (now.rss - base.rss > bound && !underAsan) {
      failures.push(
        `${what} ${n}: rss grew ${(now.rss - base.rss).toFixed(1)} MB (bound ${bound})`,
      );
    }
  };

  console.log(
    `soak: ${sockets} sockets, then ${connections} loopback TCP connections; ` +
      `start rss ${first.rss.toFixed(1)} MB, fds ${first.fds}`,
  );
  const opened = soakSockets(sockets, Math.max(1, Math.ceil(sockets / samples)), report);
  soakConnections(connections, Math.max(1, Math.ceil(connections / samples)), report);
  const end = sample();
  const secs = (performance.now() - started) / 1000;
  console.log(
    `soak: ${opened} sockets and ${connections} connections opened and closed in ` +
      `${secs.toFixed(1)} s; rss ${base?.rss.toFixed(1)} -> ${end.rss.toFixed(1)} MB ` +
      `(bound +${bound}${underAsan ? ', not enforced under ASan' : ''}), ` +
      `fds ${first.fds} -> ${end.fds}, sockets ${first.sockets} -> ${end.sockets}`,
  );
  if (failures.length) {
    console.error(`soak: FAILED\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
}

main();
