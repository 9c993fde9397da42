// Blocking calls under a signal storm: a child process sends this one a signal as fast as it
// can while the main thread is blocked in poll, epoll_wait, recv, accept, send and connect.
//
// `node signal-storm.mjs js` (the default): the signal is SIGUSR2 and a JS handler counts it.
// Its handler can only run once the call returns, so each call must fail promptly with EINTR
// (a SocketError), long before its peer or its timeout would have ended it, and never return
// fake data (native/signals.h).
//
// `node signal-storm.mjs native`: the signal is SIGCHLD, which only libuv's native handler
// takes, while JavaScript listens to SIGUSR2 (never sent), so the calls wait in poll(2) and
// see every signal. Nothing waits to handle them: each call must neither hang nor return
// early: poll waits its full timeout, recv returns the bytes the peer sent (not a fake 0), a
// timed-out call throws EAGAIN after about its timeout.
//
// Prints one line per call and exits non-zero on the first failure. Run by
// test/reliability/faults.test.ts; `node test/faults/signal-storm.mjs [js|native]` runs it alone.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { setImmediate as tick } from 'node:timers/promises';

import { signalsHandled, startStorm } from './storm.mjs';

const s = createRequire(import.meta.url)('sockfd');
const c = s.constants;

const DELAY_MS = 200; // when a peer process sends, after the call under test has started
const TIMEOUT_MS = 250; // poll timeouts and SO_RCVTIMEO/SO_SNDTIMEO
const SLACK_MS = 1500; // how late a call may return on a loaded machine

// A peer that acts after DELAY_MS: writes to its fd 3, or connects to a port and writes. It
// sends the time it wrote, so the call's lateness is measured from then and not from when the
// peer was spawned (node starts slowly on a loaded machine, and slower under ASan).
const PEER = `
  const [mode, delay, port] = process.argv.slice(1);
  setTimeout(() => {
    const msg = 'hello ' + Date.now();
    if (mode === 'write') require('fs').writeSync(3, msg);
    else require('net').connect(Number(port), '127.0.0.1', function () { this.end(msg); });
  }, Number(delay));`;

// Checks what a peer sent and how long after its write the call returned.
function fromPeer(buf, n) {
  const [word, sentAt] = buf.toString('utf8', 0, n).split(' ');
  return { ok: word === 'hello', got: `${n} bytes`, late: Date.now() - Number(sentAt) };
}

function peer(mode, { fd, port } = {}) {
  const stdio = ['ignore', 'ignore', 'inherit'];
  if (fd !== undefined) stdio.push(fd);
  return spawn(process.execPath, ['-e', PEER, mode, String(DELAY_MS), String(port ?? 0)], {
    stdio,
  });
}

// SO_RCVTIMEO and SO_SNDTIMEO take a struct timeval.
function timeval(ms) {
  const b = Buffer.alloc(16);
  b.writeBigInt64LE(BigInt(Math.floor(ms / 1000)), 0);
  b.writeBigInt64LE(BigInt((ms % 1000) * 1000), 8);
  return b;
}

function pair(type = c.SOCK_STREAM) {
  return s.socketpair(c.AF_UNIX, type);
}

function listener() {
  const fd = s.socket(c.AF_INET, c.SOCK_STREAM);
  s.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
  s.listen(fd, 8);
  return { fd, port: s.getsockname(fd).port };
}

function throwsCode(fn) {
  try {
    fn();
    return 'returned';
  } catch (e) {
    return e.code ?? String(e);
  }
}

// Each case: what it runs (blocking), what it must give back, and how long it must take.
const cases = [
  {
    name: 'poll with a timeout and nothing ready waits the whole timeout',
    min: TIMEOUT_MS,
    run() {
      const [a, b] = pair();
      try {
        const [r] = s.poll([{ fd: a, events: c.POLLIN }], TIMEOUT_MS);
        return { ok: r.revents === 0, got: `revents ${r.revents}` };
      } finally {
        s.close(a);
        s.close(b);
      }
    },
  },
  {
    name: 'poll without a timeout returns when data arrives',
    min: DELAY_MS,
    run() {
      const [a, b] = pair();
      const p = peer('write', { fd: b });
      try {
        const [r] = s.poll([{ fd: a, events: c.POLLIN }], -1);
        const buf = Buffer.alloc(64);
        const read = fromPeer(buf, s.recv(a, buf));
        return {
          ...read,
          ok: read.ok && (r.revents & c.POLLIN) !== 0,
          got: `revents ${r.revents}`,
        };
      } finally {
        p.kill();
        s.close(a);
        s.close(b);
      }
    },
  },
  {
    name: 'epoll_wait with a timeout and nothing ready waits the whole timeout',
    min: TIMEOUT_MS,
    run() {
      const [a, b] = pair();
      const ep = s.epoll_create1();
      try {
        s.epoll_ctl(ep, c.EPOLL_CTL_ADD, a, c.EPOLLIN);
        const ready = s.epoll_wait(ep, 1, TIMEOUT_MS);
        return { ok: ready.length === 0, got: `${ready.length} ready` };
      } finally {
        s.close(ep);
        s.close(a);
        s.close(b);
      }
    },
  },
  {
    name: 'epoll_wait without a timeout returns when data arrives',
    min: DELAY_MS,
    run() {
      const [a, b] = pair();
      const ep = s.epoll_create1();
      const p = peer('write', { fd: b });
      try {
        s.epoll_ctl(ep, c.EPOLL_CTL_ADD, a, c.EPOLLIN);
        const ready = s.epoll_wait(ep, 1, -1);
        const buf = Buffer.alloc(64);
        const read = fromPeer(buf, s.recv(a, buf));
        return { ...read, ok: read.ok && ready[0]?.data === a, got: `${ready.length} ready` };
      } finally {
        p.kill();
        s.close(ep);
        s.close(a);
        s.close(b);
      }
    },
  },
  {
    name: 'recv returns the bytes the peer sent, not 0',
    min: DELAY_MS,
    run() {
      const [a, b] = pair();
      const p = peer('write', { fd: b });
      try {
        const buf = Buffer.alloc(64);
        return fromPeer(buf, s.recv(a, buf));
      } finally {
        p.kill();
        s.close(a);
        s.close(b);
      }
    },
  },
  {
    name: 'recv with SO_RCVTIMEO (EINTR, not restarted) returns the bytes the peer sent',
    min: DELAY_MS,
    run() {
      const [a, b] = pair();
      s.setsockopt(a, c.SOL_SOCKET, c.SO_RCVTIMEO, timeval(10_000));
      const p = peer('write', { fd: b });
      try {
        const buf = Buffer.alloc(64);
        return fromPeer(buf, s.recv(a, buf));
      } finally {
        p.kill();
        s.close(a);
        s.close(b);
      }
    },
  },
  {
    name: 'accept returns the connection a peer makes',
    min: DELAY_MS,
    run() {
      const l = listener();
      const p = peer('connect', { port: l.port });
      try {
        const { fd } = s.accept(l.fd);
        const buf = Buffer.alloc(64);
        const n = s.recv(fd, buf);
        s.close(fd);
        return fromPeer(buf, n);
      } finally {
        p.kill();
        s.close(l.fd);
      }
    },
  },
  {
    name: 'recv with SO_RCVTIMEO and no data throws EAGAIN after about the timeout',
    min: TIMEOUT_MS,
    run() {
      const [a, b] = pair();
      s.setsockopt(a, c.SOL_SOCKET, c.SO_RCVTIMEO, timeval(TIMEOUT_MS));
      try {
        const code = throwsCode(() => s.recv(a, Buffer.alloc(16)));
        return { ok: code === 'EAGAIN', got: code };
      } finally {
        s.close(a);
        s.close(b);
      }
    },
  },
  {
    name: 'accept with SO_RCVTIMEO and no connection throws EAGAIN after about the timeout',
    min: TIMEOUT_MS,
    run() {
      const l = listener();
      s.setsockopt(l.fd, c.SOL_SOCKET, c.SO_RCVTIMEO, timeval(TIMEOUT_MS));
      try {
        const code = throwsCode(() => s.accept(l.fd));
        return { ok: code === 'EAGAIN', got: code };
      } finally {
        s.close(l.fd);
      }
    },
  },
  {
    name: 'send with SO_SNDTIMEO to a full peer throws EAGAIN after about the timeout',
    min: TIMEOUT_MS,
    run() {
      const [a, b] = pair();
      // Fill the pair's buffers without blocking, then block with a send timeout.
      s.setNonblocking(a, true);
      const chunk = Buffer.alloc(65536);
      while (throwsCode(() => s.send(a, chunk)) === 'returned');
      s.setNonblocking(a, false);
      s.setsockopt(a, c.SOL_SOCKET, c.SO_SNDTIMEO, timeval(TIMEOUT_MS));
      try {
        const code = throwsCode(() => s.send(a, chunk));
        return { ok: code === 'EAGAIN', got: code };
      } finally {
        s.close(a);
        s.close(b);
      }
    },
  },
  {
    name: 'connect with SO_SNDTIMEO to a full listener throws EINPROGRESS after about the timeout',
    min: TIMEOUT_MS,
    run() {
      // Backlog 0 queues one connection; with it unaccepted, the kernel drops the next SYN and
      // a blocking connect waits for the retransmission, a second away.
      const l = listener();
      s.listen(l.fd, 0);
      const first = s.socket(c.AF_INET, c.SOCK_STREAM);
      const second = s.socket(c.AF_INET, c.SOCK_STREAM);
      try {
        s.connect(first, { family: 'inet', address: '127.0.0.1', port: l.port });
        s.setsockopt(second, c.SOL_SOCKET, c.SO_SNDTIMEO, timeval(TIMEOUT_MS));
        const to = { family: 'inet', address: '127.0.0.1', port: l.port };
        const code = throwsCode(() => s.connect(second, to));
        return { ok: code === 'EINPROGRESS', got: code };
      } finally {
        s.close(first);
        s.close(second);
        s.close(l.fd);
      }
    },
  },
];

const mode = process.argv[2] ?? 'js';

// Runs one case; a SocketError it throws becomes its result.
function attempt(t) {
  try {
    return t.run();
  } catch (e) {
    if (typeof e?.code !== 'string') throw e;
    return { ok: false, got: e.code };
  }
}

async function main() {
  const storm = await startStorm(mode === 'js' ? 'SIGUSR2' : 'SIGCHLD');
  try {
    let failed = 0;
    let total = 0;
    for (const t of cases) {
      process.stdout.write(`storm: ${t.name} ... `);
      const before = signalsHandled();
      const t0 = performance.now();
      const { ok, got, late } = attempt(t);
      const ms = performance.now() - t0;
      await tick(); // let the JS handler count the signals that arrived meanwhile
      await tick();
      const signals = signalsHandled() - before;
      total += signals;
      // Never sooner than it may (poll(2) rounds to the millisecond), and no later than
      // SLACK_MS after its timeout, or after the peer's write when a peer ends the wait.
      const timely = ms >= t.min - 1 && (late ?? ms - t.min) <= SLACK_MS;
      // With JavaScript's handler waiting: EINTR, before the peer or the timeout could end it.
      const interrupted = got === 'EINTR' && ms < t.min;
      const verdict = (mode === 'js' ? interrupted : ok && timely) && signals > 0 ? 'ok' : 'FAILED';
      if (verdict !== 'ok') failed++;
      const after =
        late === undefined || mode === 'js' ? '' : `, ${late} ms after the peer's write`;
      console.log(`${verdict}: ${got} in ${ms.toFixed(0)} ms${after} (${signals} signals)`);
    }
    const what = mode === 'js' ? 'SIGUSR2 handled' : 'SIGCHLD sent';
    console.log(
      `storm (${mode}): ${cases.length} blocking calls, ${total} ${what}, ${failed} failed`,
    );
    process.exitCode = failed ? 1 : 0;
  } finally {
    storm.stop();
  }
}

await main();
