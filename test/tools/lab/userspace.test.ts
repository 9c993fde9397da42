// The lab's userspace links: two TUN devices and a thread of this process between them, which
// impairs packets the way tc-netem(8) describes. The rates are checked against their
// statistical bounds (five standard deviations, so a correct link fails about once in 3.5
// million runs; the seeds make each run the same anyway), and the link's own counters against
// what the receiving socket saw. Needs a lab (root, or `sockfd lab --`) and /dev/net/tun.
import {
  closeSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import {
  DatagramSocket,
  close,
  constants,
  socketpair,
  if_nametoindex,
  recv,
  sendto,
} from '../../../lib/index.js';
import { native } from '../../../lib/sys/native.js';
import { Rtnetlink } from '../../../lib/tools/lab/rtnetlink.js';
import {
  type Host,
  type Impairments,
  Lab,
  type UserspaceLink,
  capture,
  labSupport,
  readPcapng,
} from '../../../lib/tools/lab/index.js';

const support = labSupport('userspace');
if (!support.ok) console.warn(`skipping userspace link tests: ${support.reason}`);
const labIt = support.ok ? it : it.skip;

const inet = (address: string, port = 0) => ({ family: 'inet', address, port }) as const;
const soon = () => ({ signal: AbortSignal.timeout(5000) });
const A = '10.9.0.1';
const tmp = mkdtempSync(join(tmpdir(), 'sockfd-userspace-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const B = '10.9.0.2';

async function pair(
  lab: Lab,
  impair?: Impairments | [Impairments | undefined, Impairments | undefined],
  extra: { mtu?: number } = {},
): Promise<{ a: Host; b: Host; link: UserspaceLink }> {
  const a = await lab.host('a', { addresses: [`${A}/24`] });
  const b = await lab.host('b', { addresses: [`${B}/24`] });
  const link = await lab.link(a, b, { kind: 'userspace', impair, ...extra });
  return { a, b, link };
}

/**
 * Sends `count` numbered datagrams from a to b in bursts of `burst`, each burst received before
 * the next is sent so that no socket buffer drops one, and returns the numbers in arrival order.
 * A burst is over when the link has taken all of it and holds nothing more: the thread's write
 * into b's device hands each packet to b's stack before it returns.
 */
async function numbered(
  a: Host,
  b: Host,
  link: UserspaceLink,
  count: number,
  { burst = 50, size = 32 } = {},
): Promise<number[]> {
  const rx = b.DatagramSocket.bound(inet(B, 7000));
  const tx = a.DatagramSocket.create();
  const buf = Buffer.alloc(size);
  const into = Buffer.alloc(2048);
  const got: number[] = [];
  const start = link.stats().aToB.received;
  try {
    for (let i = 0; i < count; i += burst) {
      const end = Math.min(count, i + burst);
      for (let j = i; j < end; j++) {
        buf.writeUInt32BE(j, 0);
        sendto(tx.fd, buf, 0, inet(B, 7000));
      }
      await until(() => {
        const { received, queued } = link.stats().aToB;
        return received - start >= end && queued === 0;
      });
      for (;;) {
        const n = recvNow(rx.fd, into);
        if (n < 0) break;
        if (n >= 4) got.push(into.readUInt32BE(0));
      }
    }
  } finally {
    rx.close();
    tx.close();
  }
  return got;
}

/** Checks `ready` every millisecond (a sleep, not a spin) for at most five seconds. */
async function until(ready: () => boolean): Promise<void> {
  const deadline = performance.now() + 5000;
  while (!ready()) {
    if (performance.now() > deadline) throw new Error('the link did not drain within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** recv(2) with MSG_DONTWAIT: the byte count, or -1 when nothing is queued. */
function recvNow(fd: number, into: Buffer): number {
  try {
    return recv(fd, into, constants.MSG_DONTWAIT);
  } catch (e) {
    if ((e as { code?: string }).code === 'EAGAIN') return -1;
    throw e;
  }
}

/** Receives until nothing arrives for `quietMs`. */
async function drain(rx: DatagramSocket, got: number[], quietMs: number): Promise<void> {
  const buf = Buffer.alloc(2048);
  for (;;) {
    try {
      const m = await rx.recvFrom(buf, { signal: AbortSignal.timeout(quietMs) });
      if (m.bytes >= 4) got.push(buf.readUInt32BE(0));
    } catch (e) {
      if ((e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError') return;
      throw e;
    }
  }
}

/** Within five standard deviations of a binomial share: |observed - p| <= 5 sqrt(p(1-p)/n). */
function expectShare(observed: number, p: number, n: number, inflation = 1): void {
  const sd = Math.sqrt((p * (1 - p) * inflation) / n);
  expect(Math.abs(observed / n - p), `${observed} of ${n} against ${p}`).toBeLessThanOrEqual(
    5 * sd,
  );
}

function lostOf(count: number, got: number[]): number[] {
  const seen = new Set(got);
  return [...Array(count).keys()].filter((i) => !seen.has(i));
}

describe('userspace links', () => {
  labIt('carry UDP, TCP and IPv6 between two hosts, and count what crossed', async () => {
    await using lab = await Lab.create();
    const a = await lab.host('a', { addresses: [`${A}/24`, 'fd09::1/64'] });
    const b = await lab.host('b', { addresses: [`${B}/24`, 'fd09::2/64'] });
    const link = await lab.link(a, b, { kind: 'userspace', mtu: 1400 });
    expect(link).toMatchObject({ kind: 'userspace', a: { name: 'eth0' }, b: { name: 'eth0' } });

    const got = await numbered(a, b, link, 10);
    expect(got).toEqual([...Array(10).keys()]);

    using listener = b.StreamSocket.listen(inet(B, 7001));
    const accepted = listener.accept();
    using client = await a.StreamSocket.connect(inet(B, 7001));
    using server = await accepted;
    const data = Buffer.alloc(200_000, 7);
    await client.write(data);
    client.shutdown('write');
    const received: Buffer[] = [];
    const chunk = Buffer.alloc(65536);
    for (let n = await server.read(chunk); n !== null; n = await server.read(chunk)) {
      received.push(Buffer.from(chunk.subarray(0, n)));
    }
    expect(Buffer.concat(received).equals(data)).toBe(true);
    // The device's MTU bounds the segments: none crossed larger than 1400 bytes.
    expect(client.tcpInfo().pmtu).toBe(1400);

    const rx6 = b.DatagramSocket.bound({ family: 'inet6', address: 'fd09::2', port: 7002 });
    const tx6 = a.DatagramSocket.create('inet6');
    await tx6.sendTo(Buffer.from('six'), { family: 'inet6', address: 'fd09::2', port: 7002 });
    expect((await rx6.recvFrom(Buffer.alloc(8), soon())).address).toMatchObject({
      address: 'fd09::1',
    });

    // Whatever the link took it handed on, once nothing waits in it.
    await until(() => {
      const { received, forwarded, queued } = link.stats().aToB;
      return queued === 0 && forwarded === received;
    });
    const { aToB, bToA } = link.stats();
    expect(aToB.received).toBeGreaterThan(10 + 200_000 / 1400);
    expect(aToB.forwardedBytes).toBe(aToB.receivedBytes);
    expect(bToA.received).toBeGreaterThan(0); // the ACKs
    expect(aToB.lost + aToB.overLimit + aToB.writeErrors).toBe(0);
  });

  labIt('independent loss drops its share, the same packets for the same seed', async () => {
    const count = 4000;
    const run = async (seed: number) => {
      await using lab = await Lab.create();
      const { a, b, link } = await pair(lab, { loss: 0.1, seed });
      const got = await numbered(a, b, link, count);
      const stats = link.stats().aToB;
      expect(stats.received).toBe(count);
      expect(stats.lost).toBe(count - got.length);
      return lostOf(count, got);
    };
    const first = await run(42);
    expectShare(first.length, 0.1, count);
    expect(await run(42)).toEqual(first);
    const other = await run(43);
    expectShare(other.length, 0.1, count);
    expect(other).not.toEqual(first);
  });

  labIt('bursty loss keeps its long-run rate and loses runs of the mean burst', async () => {
    const count = 8000;
    await using lab = await Lab.create();
    const { a, b, link } = await pair(lab, { loss: { rate: 0.1, burst: 4 }, seed: 7 });
    const lost = lostOf(count, await numbered(a, b, link, count));
    // Runs of consecutive lost numbers: geometric with mean 4 (sd √12 per run).
    const runs: number[] = [];
    for (let i = 0; i < lost.length; i++) {
      if (i > 0 && lost[i] === lost[i - 1]! + 1) runs[runs.length - 1]!++;
      else runs.push(1);
    }
    const mean = runs.reduce((x, y) => x + y, 0) / runs.length;
    expect(Math.abs(mean - 4)).toBeLessThanOrEqual((5 * Math.sqrt(12)) / Math.sqrt(runs.length));
    // Correlated losses widen the spread of the rate: by (1+ρ)/(1−ρ), ρ = 1 − p − r.
    const r = 1 / 4;
    const p = (0.1 * r) / 0.9;
    const rho = 1 - p - r;
    expectShare(lost.length, 0.1, count, (1 + rho) / (1 - rho));
  });

  labIt('reorder sends its share ahead of the delayed packets', async () => {
    const count = 4000;
    await using lab = await Lab.create();
    // A delay long enough that a burst is all sent before its first packet leaves.
    const { a, b, link } = await pair(lab, { delayMs: 20, reorder: 0.1, seed: 3 });
    const got = await numbered(a, b, link, count, { burst: 50 });
    expect([...got].sort((x, y) => x - y)).toEqual([...Array(count).keys()]);
    // A packet that arrives before one sent earlier was sent ahead: scan from the end, keeping
    // the smallest number that arrived later.
    let overtaking = 0;
    let smallestLater = Infinity;
    for (let i = got.length - 1; i >= 0; i--) {
      if (smallestLater < got[i]!) overtaking++;
      smallestLater = Math.min(smallestLater, got[i]!);
    }
    const reordered = link.stats().aToB.reordered;
    expectShare(reordered, 0.1, count);
    // The first packet of each burst has no one to overtake; the rest that were sent ahead did.
    expect(overtaking).toBeLessThanOrEqual(reordered);
    expect(overtaking).toBeGreaterThanOrEqual(reordered - count / 50 - 5);
  });

  labIt(
    'duplicate and corrupt: their shares, and corrupt packets fail their checksum',
    async () => {
      const count = 4000;
      await using lab = await Lab.create();
      const { a, b, link } = await pair(lab, { duplicate: 0.05, corrupt: 0.05, seed: 11 });
      const errorsBefore = udpInErrors(b);
      const got = await numbered(a, b, link, count);
      const stats = link.stats().aToB;
      expectShare(stats.duplicated, 0.05, count);
      expectShare(stats.corrupted, 0.05, count * 1.05);
      // A damaged datagram never reaches the socket: UDP drops each one, most for their
      // checksum (InCsumErrors), a few for a length the flipped bit made too long.
      expect(udpInErrors(b) - errorsBefore).toBe(stats.corrupted);
      expect(got.length).toBe(count + stats.duplicated - stats.corrupted);
    },
  );

  labIt(
    'a duplicate meets the loss as netem has it: a loss takes one copy, the other its own chance',
    async () => {
      // Every packet duplicated, half of the copies lost: the first loss takes one of the two
      // (the packet still arrives once); without it, the second copy is lost in half the cases.
      // So 3/4 of the packets lose a copy, and each arrives once or twice.
      const count = 2000;
      await using lab = await Lab.create();
      const { a, b, link } = await pair(lab, { duplicate: 1, loss: 0.5, seed: 5 });
      const got = await numbered(a, b, link, count);
      const stats = link.stats().aToB;
      expect(stats.duplicated).toBe(count);
      expectShare(stats.lost, 0.75, count);
      expect(got.length).toBe(count + stats.duplicated - stats.lost);
      expect(new Set(got).size).toBe(count);
    },
  );

  labIt('delay with jitter, and a rate limit with its queue limit', async () => {
    await using lab = await Lab.create();
    const { a, b, link } = await pair(lab, { delayMs: 20, jitterMs: 5 });
    using rx = b.DatagramSocket.bound(inet(B, 7003));
    using tx = a.DatagramSocket.create();
    const rtts: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await tx.sendTo(Buffer.from('x'), inet(B, 7003));
      await rx.recvFrom(Buffer.alloc(4), soon());
      rtts.push(performance.now() - t);
    }
    // One way: 20 ± 5 ms, and never less; and not the same every time (the chance that ten
    // uniform delays fall within 1 ms of each other is below 10^-6).
    for (const t of rtts) expect(t).toBeGreaterThanOrEqual(15);
    expect(Math.max(...rtts) - Math.min(...rtts)).toBeGreaterThan(1);

    // 80 kbit/s: 10 datagrams of 500 bytes (528 on the wire) take 528 ms to leave.
    link.impair({ rate: 80_000 });
    using rx2 = b.DatagramSocket.bound(inet(B, 7004));
    const start = performance.now();
    for (let i = 0; i < 10; i++) sendto(tx.fd, Buffer.alloc(500), 0, inet(B, 7004));
    const got: number[] = [];
    await until(() => link.stats().aToB.queued === 0);
    await drain(rx2, got, 100);
    expect(got.length).toBe(10);
    expect(performance.now() - start).toBeGreaterThanOrEqual(((10 * 528 * 8) / 80_000) * 1000 - 5);

    // A link that holds packets a minute, with room for 10: the other 10 of 20 find it full.
    link.impair({ delayMs: 60_000, limit: 10 });
    const before = link.stats().aToB;
    for (let i = 0; i < 20; i++) sendto(tx.fd, Buffer.alloc(500), 0, inet(B, 7004));
    await until(() => link.stats().aToB.received - before.received === 20);
    const { overLimit, queued } = link.stats().aToB;
    expect(overLimit - before.overLimit).toBe(10);
    expect(queued).toBe(10);
  });

  labIt('impair() cuts a link and mends it while it runs', async () => {
    await using lab = await Lab.create();
    const { a, b, link } = await pair(lab);
    link.impair({ loss: 1 });
    expect(await numbered(a, b, link, 20)).toEqual([]);
    link.impair({});
    expect(await numbered(a, b, link, 20)).toEqual([...Array(20).keys()]);
    expect(() => link.impair({ loss: 2 })).toThrow(/impair\.loss/);
  });

  labIt('new impairments apply to every packet sent after impair() returns', async () => {
    // The send right after impair() wakes the thread at about the time impair()'s own wake-up
    // does; whichever it sees first, the packet meets the new impairments.
    await using lab = await Lab.create();
    const { a, link } = await pair(lab);
    using tx = a.DatagramSocket.create();
    for (let i = 0; i < 200; i++) {
      const before = link.stats().aToB;
      link.impair(i % 2 === 0 ? { loss: 1 } : {});
      sendto(tx.fd, Buffer.alloc(8), 0, inet(B, 7006));
      await until(() => link.stats().aToB.received > before.received);
      const after = link.stats().aToB;
      expect(after.lost - before.lost, `packet ${i}`).toBe(i % 2 === 0 ? 1 : 0);
    }
  });

  labIt('a capture on a link end records raw IP packets (LINKTYPE_RAW)', async () => {
    await using lab = await Lab.create();
    const { a, b } = await pair(lab);
    const cap = capture(b, { interface: 'eth0', path: join(tmp, 'tun.pcapng') });
    using rx = b.DatagramSocket.bound(inet(B, 7005));
    using tx = a.DatagramSocket.create();
    await tx.sendTo(Buffer.from('over tun'), inet(B, 7005));
    await rx.recvFrom(Buffer.alloc(16), soon());
    const { path } = await cap.stop();
    const file = readPcapng(readFileSync(path));
    expect(file.interfaces).toEqual([expect.objectContaining({ name: 'eth0', linkType: 101 })]);
    expect(file.packets).toHaveLength(1);
    const packet = file.packets[0]!.data;
    expect(packet[0]! >> 4).toBe(4); // the IPv4 header first, no link-layer header
    expect(Buffer.from(packet.subarray(28)).toString()).toBe('over tun');
  });

  labIt('a busy JavaScript thread does not delay the link', async () => {
    // The packets cross on the link's own thread, on time, while this thread is blocked; the
    // kernel's receive timestamps in captures at both ends show when.
    await using lab = await Lab.create();
    const { a, b } = await pair(lab, { delayMs: 20 });
    const sent = capture(a, { interface: 'eth0', path: join(tmp, 'busy-a.pcapng') });
    const arrived = capture(b, { interface: 'eth0', path: join(tmp, 'busy-b.pcapng') });
    using rx = b.DatagramSocket.bound(inet(B, 7007));
    using tx = a.DatagramSocket.create();
    for (let i = 0; i < 5; i++) sendto(tx.fd, Buffer.from([i]), 0, inet(B, 7007));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); // 300 ms, thread blocked
    for (let i = 0; i < 5; i++) await rx.recvFrom(Buffer.alloc(4), soon());
    const times = async (c: typeof sent) =>
      readPcapng(readFileSync((await c.stop()).path)).packets.map((p) => p.timestampNs);
    const out = await times(sent);
    const inn = await times(arrived);
    expect(out).toHaveLength(5);
    expect(inn).toHaveLength(5);
    for (let i = 0; i < 5; i++) {
      const ms = Number(inn[i]! - out[i]!) / 1e6;
      expect(ms, `packet ${i}`).toBeGreaterThanOrEqual(19.5);
      expect(ms, `packet ${i}`).toBeLessThan(150);
    }
  });

  labIt("the native link takes only this environment's own TUN fds", () => {
    // Any other fd (a socket object's, stdin, a file) has another owner, or reads 0 for ever.
    using sock = DatagramSocket.create();
    const [x, y] = socketpair(constants.AF_UNIX, constants.SOCK_DGRAM);
    try {
      const params = new Float64Array(22);
      expect(native.linkStart(sock.fd, x, params)).toBe(-constants.EBADF);
      expect(native.linkStart(x, y, params)).toBe(-constants.EBADF);
      expect(native.linkStart(0, x, params)).toBe(-constants.EBADF);
    } finally {
      close(x);
      close(y);
    }
  });

  labIt('checks its options, naming them', async () => {
    await using lab = await Lab.create();
    const a = await lab.host('a');
    const b = await lab.host('b');
    const bad: [object, RegExp][] = [
      [{ kind: 'tun' }, /options\.kind/],
      [{ kind: 'userspace', impair: { lose: 0.1 } }, /options\.impair\.lose/],
      [{ kind: 'userspace', impair: { reorder: 0.1 } }, /needs delayMs > 0/],
      [{ kind: 'userspace', impair: { delayMs: 1, jitterMs: 2 } }, /options\.impair\.jitterMs/],
      [{ kind: 'userspace', impair: { loss: { rate: 0.5 } } }, /options\.impair\.loss\.burst/],
      [{ kind: 'userspace', impair: [{}, { duplicate: -1 }] }, /options\.impair\[1\]\.duplicate/],
      [{ kind: 'userspace', impair: { seed: 1.5 } }, /options\.impair\.seed/],
      [{ kind: 'userspace', impair: { rate: 1e-6 } }, /options\.impair\.rate/],
      [{ kind: 'userspace', names: ['eth%d', 'x'] }, /options\.names\[0\]/],
    ];
    for (const [options, message] of bad) {
      await expect(lab.link(a, b, options as never)).rejects.toThrow(message);
    }
    // Nothing was made by the failures: the first link still gets eth0.
    const link = await lab.link(a, b, { kind: 'userspace' });
    expect(link.a.name).toBe('eth0');
  });
});

describe('userspace link cleanup', () => {
  labIt('close() stops the thread and closes the TUN fds, and the devices go', async () => {
    const threads = taskCount();
    const lab = await Lab.create();
    const { a } = await pair(lab, { delayMs: 1 });
    expect(taskCount()).toBe(threads + 1);
    expect(tunFds()).toBe(2);
    await lab.close();
    expect(tunFds()).toBe(0);
    expect(taskCount()).toBe(threads);
    expect(() => a.ifindex('eth0')).toThrow();
  });

  labIt('a link whose device is deleted under it sleeps instead of spinning', async () => {
    await using lab = await Lab.create();
    const { a } = await pair(lab);
    a.run(() => {
      const nl = new Rtnetlink();
      try {
        nl.deleteLink(if_nametoindex('eth0'));
      } finally {
        nl.close();
      }
    });
    const thread = linkThreads();
    expect(thread).toHaveLength(1);
    const before = cpuTicks(thread[0]!);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Spinning would take the whole 300 ms, 30 ticks of 10 ms; sleeping takes none.
    expect(cpuTicks(thread[0]!) - before).toBeLessThanOrEqual(3);
  });

  labIt("a worker's links end with it, closed or not", async () => {
    const threads = taskCount();
    const dist = join(__dirname, '..', '..', '..', 'dist', 'tools', 'lab', 'index.js');
    for (const close of [false, true]) {
      const w = new Worker(
        `const { parentPort } = require('node:worker_threads');
         const { Lab } = require(${JSON.stringify(dist)});
         (async () => {
           const lab = await Lab.create();
           const a = await lab.host('a', { addresses: ['10.9.0.1/24'] });
           const b = await lab.host('b', { addresses: ['10.9.0.2/24'] });
           await lab.link(a, b, { kind: 'userspace', impair: { delayMs: 1 } });
           if (${close}) await lab.close();
           parentPort.postMessage('ready');
           setInterval(() => {}, 1000); // alive until terminate() ends it
         })();`,
        { eval: true },
      );
      await new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      // The numbers the closed link's fds had are free: files opened now may take them, and the
      // worker's end must not close them a second time (as Node does for fs.openSync's fds).
      const files = Array.from({ length: 16 }, () => openSync('/dev/null', 'r'));
      try {
        await w.terminate();
        for (const fd of files) expect(() => fstatSync(fd), `fd ${fd}`).not.toThrow();
      } finally {
        for (const fd of files) closeSync(fd);
      }
      expect(tunFds()).toBe(0);
      expect(taskCount()).toBe(threads);
    }
  });
});

/** UDP's InErrors in `host`'s namespace (/proc/thread-self/net/snmp shows the thread's). */
function udpInErrors(host: Host): number {
  const text = host.run(() => readFileSync('/proc/thread-self/net/snmp', 'latin1'));
  const lines = text.split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  return Number(values[names.indexOf('InErrors')]);
}

/** The tids of this process's userspace link threads, which name themselves 'sockfd-link'. */
function linkThreads(): string[] {
  return readdirSync('/proc/self/task').filter((tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim() === 'sockfd-link';
    } catch {
      return false; // a thread that ended meanwhile
    }
  });
}

/** A thread's user and system CPU time, in clock ticks. proc(5) /proc/<pid>/task/<tid>/stat */
function cpuTicks(tid: string): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
  // The fields after the command name, which may hold spaces, in parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime and stime, fields 14 and 15
}

function taskCount(): number {
  return readdirSync('/proc/self/task').length;
}

function tunFds(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === '/dev/net/tun') n++;
    } catch {
      // readdir's own fd, closed since
    }
  }
  return n;
}
