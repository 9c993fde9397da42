// 5. Datagrams can be lost and reordered; a stream cannot. Inside a private network namespace
// we build a bad link: a TUN interface whose packets a small relay (a worker thread reading the
// TUN fd) drops, delays and reorders before writing them back. UDP shows every loss and every
// swap to the application; TCP retransmits and reorders underneath, and the bytes come out
// whole and in order, with the cost visible in TCP_INFO.
//
// The link: lossy0 has address 192.0.2.1 and routes 192.0.2.0/24 (TEST-NET-1, a range reserved
// for examples, and this namespace has no way out anyway). A packet sent to 192.0.2.2 goes
// into the TUN device; the relay swaps its source and destination addresses (which leaves every
// checksum valid: they are sums) and writes it back, so it arrives at 192.0.2.1 from 192.0.2.2.
import { closeSync, readSync, writeSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

import { DatagramSocket, POLLIN, StreamSocket, poll, setNonblocking } from 'sockfd';

import { linkUp, setAddress } from './support/netdev.js';
import { inPrivateNetns, runInPrivateNetns, say, skip } from './support/run.js';
import { openTun } from './support/tun.js';

const LOCAL = '192.0.2.1';
const MIRROR = '192.0.2.2';

interface RelayConfig {
  tun: number;
  stop: SharedArrayBuffer;
  loss: number; // the share of packets dropped
  reorder: number; // the share held back long enough for later ones to overtake them
  delayMs: number; // every packet's delay; held-back ones wait 10× longer
}

/** A small seeded random number generator (mulberry32), so every run makes the same choices. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The relay, in a worker thread: a poll() loop over the TUN fd and a queue of delayed packets. */
function relay(cfg: RelayConfig): { forwarded: number; dropped: number; reordered: number } {
  const stop = new Int32Array(cfg.stop);
  const rand = random(7);
  const held: { due: number; packet: Buffer }[] = [];
  const stats = { forwarded: 0, dropped: 0, reordered: 0 };
  const buf = Buffer.alloc(65536);
  setNonblocking(cfg.tun, true);
  while (Atomics.load(stop, 0) === 0) {
    const now = performance.now();
    held.sort((a, b) => a.due - b.due);
    while (held.length > 0 && held[0]!.due <= now) {
      writeSync(cfg.tun, held.shift()!.packet);
      stats.forwarded++;
    }
    const wait = held.length > 0 ? Math.ceil(held[0]!.due - now) : 20;
    poll([{ fd: cfg.tun, events: POLLIN }], Math.max(0, Math.min(wait, 20)));
    for (;;) {
      let n: number;
      try {
        n = readSync(cfg.tun, buf);
      } catch (e) {
        if ((e as { code?: string }).code === 'EAGAIN') break;
        throw e;
      }
      if (buf[0]! >> 4 !== 4) continue; // Not IPv4: the kernel's own IPv6 chatter; ignore it.
      const packet = Buffer.from(buf.subarray(0, n));
      // Swap source and destination: bytes 12-15 and 16-19 of the IPv4 header.
      const source = Buffer.from(packet.subarray(12, 16));
      packet.copy(packet, 12, 16, 20);
      source.copy(packet, 16);
      const r = rand();
      if (r < cfg.loss) {
        stats.dropped++;
        continue;
      }
      const late = r < cfg.loss + cfg.reorder;
      if (late) stats.reordered++;
      held.push({ due: performance.now() + cfg.delayMs * (late ? 10 : 1), packet });
    }
  }
  return stats;
}

async function udp(): Promise<void> {
  using rx = DatagramSocket.bound({ family: 'inet', address: LOCAL, port: 7000 });
  using tx = DatagramSocket.create('inet');
  const count = 40;
  for (let i = 0; i < count; i++) {
    await tx.sendTo(String(i), { family: 'inet', address: MIRROR, port: 7000 });
  }
  const got: number[] = [];
  const buf = Buffer.alloc(64);
  for (;;) {
    try {
      const m = await rx.recvFrom(buf, { signal: AbortSignal.timeout(500) });
      got.push(Number(buf.toString('utf8', 0, m.bytes)));
    } catch {
      break; // Half a second with nothing: the rest is not coming.
    }
  }
  const lost = [...Array(count).keys()].filter((i) => !got.includes(i));
  const late = got.filter((v, i) => got.slice(0, i).some((earlier) => earlier > v));
  say(`UDP: sent ${count} numbered datagrams, ${got.length} arrived, in this order:`);
  say(`  ${got.join(' ')}`);
  say(
    `  lost: ${lost.join(' ') || 'none'}; overtaken by a later one: ${late.join(' ') || 'none'}.`,
  );
  say('  the application sees every loss and every swap; UDP repairs nothing.');
}

async function tcp(): Promise<void> {
  const size = 256 * 1024;
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7) & 0xff; // A pattern that shows misordering.
  using listener = StreamSocket.listen({ family: 'inet', address: LOCAL, port: 7001 });
  const started = performance.now();
  const accepted = listener.accept();
  using client = await StreamSocket.connect({ family: 'inet', address: MIRROR, port: 7001 });
  using server = await accepted;
  const writing = client.write(data).then(() => client.shutdown('write'));
  const received = Buffer.alloc(size + 1);
  let n = 0;
  for (let r = await server.read(received); r !== null; r = await server.read(received.subarray(n)))
    n += r;
  await writing;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const inOrder = n === size && received.subarray(0, n).equals(data);
  say('');
  say(
    `TCP: sent ${size} bytes, received ${n} bytes, ${inOrder ? 'all in order' : 'NOT in order'}, in ${seconds} s`,
  );
  const info = client.tcpInfo(); // TCP_INFO
  say(
    `  the sender's TCP_INFO: retransmitted ${info.totalRetrans} segments of ${info.segsOut} sent; rtt ${(info.rtt / 1000).toFixed(1)} ms, cwnd ${info.sndCwnd}`,
  );
  say(
    '  the losses and swaps happened underneath: TCP sent again, and put the bytes back in order.',
  );
}

async function main(): Promise<void> {
  if (!inPrivateNetns()) skip(runInPrivateNetns(__filename));
  let tun: number;
  try {
    tun = openTun('lossy0');
  } catch (e) {
    skip(`cannot create a TUN device: ${(e as Error).message}`);
  }
  setAddress('lossy0', LOCAL, '255.255.255.0');
  linkUp('lossy0');
  const cfg: RelayConfig = {
    tun,
    stop: new SharedArrayBuffer(4),
    loss: 0.1,
    reorder: 0.1,
    delayMs: 2,
  };
  say(`a TUN interface lossy0 (fd ${tun}) at ${LOCAL}; a relay thread drops ${cfg.loss * 100}% of`);
  say(
    `the packets, holds ${cfg.reorder * 100}% back ${cfg.delayMs * 10} ms so later ones overtake them, and delays the rest ${cfg.delayMs} ms.`,
  );
  say('');
  const worker = new Worker(__filename, { workerData: cfg });
  const stats = new Promise<ReturnType<typeof relay>>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  try {
    await udp();
    await tcp();
  } finally {
    Atomics.store(new Int32Array(cfg.stop), 0, 1);
    const s = await stats; // The relay has left its loop: nothing reads the TUN fd any more.
    closeSync(tun);
    say('');
    say(
      `the relay forwarded ${s.forwarded} packets, dropped ${s.dropped}, held back ${s.reordered}.`,
    );
  }
}

if (isMainThread) {
  void main();
} else {
  parentPort!.postMessage(relay(workerData as RelayConfig));
}
