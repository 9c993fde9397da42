// Awaited class calls under a signal storm: a child process sends this one SIGUSR2 as fast as
// it can while the event loop waits in epoll_wait for StreamSocket, DatagramSocket and
// SeqPacketSocket reads, accepts, connects and writes. Each signal interrupts epoll_wait (and
// runs the JS handler, which counts it); each call must still complete with exactly what the
// peer sent, never early and never with a fake 0, null or empty message. The peer acts from a
// timer in this process DELAY_MS after the call has started.
// Prints one line per call and exits non-zero on the first failure.
// Run by test/reliability/faults.test.ts; `node test/faults/signal-storm-async.mjs` runs it alone.
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

import { signalsHandled, startStorm } from './storm.mjs';

const s = createRequire(import.meta.url)('sockfd');
const c = s.constants;

const DELAY_MS = 200; // when the peer acts, after the call under test has started
const SLACK_MS = 1500; // how late a call may complete on a loaded machine
// A SYN the kernel dropped at a full TCP backlog is sent again after the initial RTO, 1 s.
const SYN_RETRY_MS = 1000;

/** Runs `fn` after DELAY_MS, returning the time it ran. */
function later(fn) {
  return sleep(DELAY_MS).then(() => {
    const at = performance.now();
    fn();
    return at;
  });
}

function streamPair() {
  const [a, b] = s.socketpair(c.AF_UNIX, c.SOCK_STREAM);
  return [s.StreamSocket.from(a), s.StreamSocket.from(b)];
}

const cases = [
  {
    name: 'StreamSocket.read returns the bytes a peer writes later, not 0 or null',
    async run() {
      const [a, b] = streamPair();
      try {
        const msg = Buffer.from('hello from the peer');
        const peer = later(() => void b.write(msg));
        const buf = Buffer.alloc(64);
        const n = await a.read(buf);
        const acted = await peer;
        const ok = n === msg.length && buf.subarray(0, n).equals(msg);
        return { ok, got: `${n} bytes`, acted };
      } finally {
        a.close();
        b.close();
      }
    },
  },
  {
    name: 'StreamSocket.accept returns the connection a client makes later, with its bytes',
    async run() {
      const l = s.StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
      let client;
      try {
        const msg = Buffer.from('first bytes');
        const peer = later(() => {
          client = s.StreamSocket.connect(l.localAddress()).then(async (cl) => {
            await cl.write(msg);
            return cl;
          });
        });
        const conn = await l.accept();
        const acted = await peer;
        const buf = Buffer.alloc(64);
        const n = await conn.read(buf);
        conn.close();
        const ok = n === msg.length && buf.subarray(0, n).equals(msg);
        return { ok, got: `a connection and ${n} bytes`, acted };
      } finally {
        (await client)?.close();
        l.close();
      }
    },
  },
  {
    name: 'StreamSocket.connect to a full TCP backlog completes once the listener accepts',
    extra: SYN_RETRY_MS,
    async run() {
      // Backlog 0 queues one connection; the next SYN is dropped until that one is accepted.
      const l = s.StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 }, 0);
      const first = await s.StreamSocket.connect(l.localAddress());
      let accepted = [];
      try {
        const peer = later(() => {
          accepted.push(l.accept());
        });
        const second = await s.StreamSocket.connect(l.localAddress());
        const acted = await peer;
        accepted.push(l.accept());
        accepted = await Promise.all(accepted);
        const ok = second.remoteAddress().port === l.localAddress().port && second.error() === null;
        second.close();
        return { ok, got: 'connected', acted };
      } finally {
        for (const a of accepted) if (a instanceof s.StreamSocket) a.close();
        first.close();
        l.close();
      }
    },
  },
  {
    name: 'StreamSocket.connect to a full unix backlog completes once the listener accepts',
    async run() {
      const name = { family: 'unix', abstract: Buffer.from(`sockfd-storm-${process.pid}`) };
      const l = s.StreamSocket.listen(name, 0);
      const first = await s.StreamSocket.connect(name);
      const accepted = [];
      try {
        const peer = later(() => {
          accepted.push(l.accept());
        });
        const second = await s.StreamSocket.connect(name);
        const acted = await peer;
        accepted.push(await accepted[0]);
        const ok = second.remoteAddress().family === 'unix';
        second.close();
        return { ok, got: 'connected', acted };
      } finally {
        for (const a of await Promise.allSettled(accepted)) a.value?.close?.();
        first.close();
        l.close();
      }
    },
  },
  {
    name: 'StreamSocket.write of 8 MiB to a reader that starts later arrives whole',
    async run() {
      const [a, b] = streamPair();
      try {
        const data = randomBytes(8 * 2 ** 20);
        const hash = createHash('sha256');
        let received = 0;
        const peer = later(() => {});
        const reader = peer.then(async () => {
          const buf = Buffer.alloc(65536);
          while (received < data.length) {
            const n = await b.read(buf);
            if (n === null || n === 0) throw new Error(`read ${n} after ${received} bytes`);
            hash.update(buf.subarray(0, n));
            received += n;
          }
        });
        await a.write(data);
        await reader;
        const acted = await peer;
        const same = hash.digest('hex') === createHash('sha256').update(data).digest('hex');
        return { ok: same && received === data.length, got: `${received} bytes`, acted };
      } finally {
        a.close();
        b.close();
      }
    },
  },
  {
    name: 'DatagramSocket.recv returns a datagram sent later, whole, with its sender',
    async run() {
      const rx = s.DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
      const tx = s.DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
      try {
        const msg = randomBytes(1200);
        const peer = later(() => void tx.sendTo(msg, rx.localAddress()));
        const buf = Buffer.alloc(2048);
        const r = await rx.recv(buf);
        const acted = await peer;
        const ok =
          r.bytes === msg.length &&
          !r.truncated &&
          buf.subarray(0, r.bytes).equals(msg) &&
          r.address?.port === tx.localAddress().port;
        return { ok, got: `${r.bytes} bytes from port ${r.address?.port}`, acted };
      } finally {
        rx.close();
        tx.close();
      }
    },
  },
  {
    name: 'SeqPacketSocket.recv returns a record sent later, not null',
    async run() {
      const [a, b] = s.SeqPacketSocket.pair();
      try {
        const msg = Buffer.from('one record');
        const peer = later(() => void b.send(msg));
        const buf = Buffer.alloc(64);
        const r = await a.recv(buf);
        const acted = await peer;
        const ok = r !== null && r.bytes === msg.length && buf.subarray(0, r.bytes).equals(msg);
        return { ok, got: r === null ? 'null' : `${r.bytes} bytes`, acted };
      } finally {
        a.close();
        b.close();
      }
    },
  },
];

async function main() {
  const storm = await startStorm();
  try {
    let failed = 0;
    let total = 0;
    for (const t of cases) {
      process.stdout.write(`storm (async): ${t.name} ... `);
      const before = signalsHandled();
      const t0 = performance.now();
      let result;
      try {
        result = await t.run();
      } catch (e) {
        result = { ok: false, got: `threw ${e?.code ?? e}`, acted: undefined };
      }
      const done = performance.now();
      const signals = signalsHandled() - before;
      total += signals;
      const { ok, got, acted } = result;
      // Not before the peer acted, and no later than SLACK_MS (plus a SYN retry) after it.
      const late = acted === undefined ? Infinity : done - acted;
      const timely = done - t0 >= DELAY_MS - 1 && late <= SLACK_MS + (t.extra ?? 0);
      const verdict = ok && timely && signals > 0 ? 'ok' : 'FAILED';
      if (verdict !== 'ok') failed++;
      console.log(
        `${verdict}: ${got} in ${(done - t0).toFixed(0)} ms, ${late.toFixed(0)} ms after the ` +
          `peer acted (${signals} signals)`,
      );
    }
    console.log(
      `storm (async): ${cases.length} awaited calls, ${total} SIGUSR2 handled, ${failed} failed`,
    );
    process.exitCode = failed ? 1 : 0;
  } finally {
    storm.stop();
  }
}

await main();
