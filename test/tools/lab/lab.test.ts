// sockfd/lab: hosts in network namespaces of this process, veth links between them, a router
// between two subnets. Needs CAP_SYS_ADMIN over this process's network namespace: root, or a
// user namespace (`npx sockfd lab -- npx vitest run test/tools/lab`); skipped with the reason
// otherwise.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import * as s from '../../../lib/index.js';
import {
  Host,
  Lab,
  capture,
  labSupport,
  readPcapng,
  withTimeout,
} from '../../../lib/tools/lab/index.js';
import { Rtnetlink } from '../../../lib/tools/lab/rtnetlink.js';

const { AF_INET, SOCK_DGRAM } = s.constants;

const support = labSupport();
if (!support.ok) console.warn(`skipping sockfd/lab tests: ${support.reason}`);
const labIt = support.ok ? it : it.skip;

/** This thread's network namespace, as the kernel names it ('net:[4026531840]'). */
function currentNetns(): string {
  return readlinkSync('/proc/thread-self/ns/net');
}

/** The network namespace of each thread of this process. */
function threadNetns(): string[] {
  const list: string[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      list.push(readlinkSync(`/proc/self/task/${tid}/ns/net`));
    } catch {
      // A thread that ended while we looked.
    }
  }
  return list;
}

/** Every open fd of this process with what it points at. */
function openFds(): string[] {
  const list: string[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      list.push(`${name} -> ${readlinkSync(`/proc/self/fd/${name}`)}`);
    } catch {
      // The directory fd readdir used, already closed.
    }
  }
  return list.sort();
}

/** Whether interface `name` exists on `host`. if_nametoindex(3) */
function hasInterface(host: Host, name: string): boolean {
  try {
    host.ifindex(name);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `done()` holds, checking every 20 ms, for at most `ms`; says whether it did. */
async function eventually(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Interface `name`'s MTU on `host`: SIOCGIFMTU, whose struct ifreq holds an int after the name. */
function mtuOf(host: Host, name: string): number {
  const req = Buffer.alloc(s.ioctlArgSize(s.constants.SIOCGIFMTU)!);
  req.write(name, 0, 'latin1');
  const fd = host.socket(AF_INET, SOCK_DGRAM);
  try {
    s.ioctl(fd, s.constants.SIOCGIFMTU, req);
  } finally {
    s.close(fd);
  }
  return endianness() === 'LE' ? req.readInt32LE(16) : req.readInt32BE(16);
}

// Every wait is bounded, so a lost packet fails its test instead of hanging it.
const soon = () => ({ signal: AbortSignal.timeout(5000) });

const inet = (address: string, port = 0) => ({ family: 'inet', address, port }) as const;

describe('Lab hosts', () => {
  labIt(
    'a host is a network namespace of its own with loopback up, and run() comes back',
    async () => {
      await using lab = await Lab.create();
      const before = currentNetns();
      const a = await lab.host('a');
      const inside = a.run(currentNetns);
      expect(inside).not.toBe(before);
      expect(currentNetns()).toBe(before);
      // Loopback works inside: a datagram to 127.0.0.1 over a's lo.
      const rx = a.DatagramSocket.bound(inet('127.0.0.1'));
      const tx = a.DatagramSocket.create();
      const port = rx.localAddress().port;
      await tx.sendTo(Buffer.from('lo'), inet('127.0.0.1', port));
      expect((await rx.recvFrom(Buffer.alloc(8), soon())).bytes).toBe(2);
      // The port is a's alone: the same address in this namespace is another socket's to take.
      const here = s.socket(AF_INET, SOCK_DGRAM);
      try {
        s.bind(here, inet('127.0.0.1', port));
      } finally {
        s.close(here);
      }
    },
  );

  labIt('run() returns to the original namespace when its function throws', async () => {
    await using lab = await Lab.create();
    const a = await lab.host('a');
    const before = currentNetns();
    expect(() =>
      a.run(() => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(currentNetns()).toBe(before);
  });

  labIt('nested run() returns to the enclosing host, then home', async () => {
    await using lab = await Lab.create();
    const a = await lab.host('a');
    const b = await lab.host('b');
    const home = currentNetns();
    const [inA, inB, backInA] = a.run(() => [currentNetns(), b.run(currentNetns), currentNetns()]);
    expect(inA).not.toBe(inB);
    expect(backInA).toBe(inA);
    expect(currentNetns()).toBe(home);
  });

  labIt(
    "run() inside another lab's run() returns to that host; close() is refused inside",
    async () => {
      await using one = await Lab.create();
      await using two = await Lab.create();
      const a = await one.host('a');
      const b = await two.host('b');
      const home = currentNetns();
      const [inA, inB, backInA] = a.run(() => [
        currentNetns(),
        b.run(currentNetns),
        currentNetns(),
      ]);
      expect(inB).not.toBe(inA);
      expect(backInA).toBe(inA);
      let closing: Promise<void> | undefined;
      a.run(() => {
        closing = two.close();
      });
      await expect(closing).rejects.toThrow(/inside a host\.run/);
      expect(currentNetns()).toBe(home);
      expect(two.closed).toBe(false);
    },
  );

  labIt('run() refuses an async function and a promise-returning one', async () => {
    await using lab = await Lab.create();
    const a = await lab.host('a');
    const home = currentNetns();
    expect(() =>
      a.run(async () => {
        await Promise.resolve();
        return 1;
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => a.run(() => Promise.resolve(1))).toThrow(/must be synchronous/);
    expect(currentNetns()).toBe(home);
    expect(() => a.run(1 as never)).toThrow(TypeError);
  });

  labIt('rejects bad arguments naming them', async () => {
    await using lab = await Lab.create();
    const a = await lab.host('a');
    await expect(lab.host('a')).rejects.toThrow(/name.*already a host/);
    await expect(lab.host(1 as never)).rejects.toThrow(TypeError);
    await expect(lab.host('x', { addresses: ['10.0.0.1'] })).rejects.toThrow(
      /options\.addresses\[0\]/,
    );
    await expect(lab.link(a, a)).rejects.toThrow(/["']b["']/);
    await expect(lab.link(a, {} as Host)).rejects.toThrow(/["']b["']/);
    const b = await lab.host('b');
    await expect(lab.link(a, b, { mtu: 10 })).rejects.toThrow(RangeError);
    await expect(lab.link(a, b, { names: ['x'.repeat(16), 'y'] })).rejects.toThrow(
      /options\.names\[0\]/,
    );
    expect(() => a.route('10.0.0.0/33', { dev: 'lo' })).toThrow(/["']to["']/);
    expect(() => a.route('default', { via: 'fd00::1' })).toThrow(/options\.via/);
    expect(() => a.route('default6', { via: 'router' })).toThrow(/options\.via/);
    expect(() => a.route('default', {})).toThrow(/["']options["']/);
    expect(() => a.forwarding('yes' as never)).toThrow(/["']on["']/);
  });
});

describe('Labs in worker threads', () => {
  // The worker loads the built package (dist/): a worker cannot load TypeScript sources.
  const labModule = join(__dirname, '..', '..', '..', 'dist', 'tools', 'lab', 'index.js');
  const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const { readlinkSync } = require('node:fs');
const { Lab } = require(${JSON.stringify(labModule)});
const netns = () => readlinkSync('/proc/thread-self/ns/net');
(async () => {
  const home = netns();
  const lab = await Lab.create();
  const a = await lab.host('a', { addresses: ['10.0.0.1/24'] });
  const b = await lab.host('b', { addresses: ['10.0.0.2/24'] });
  await lab.link(a, b, { names: ['worker-a', 'worker-b'] });
  const rx = b.DatagramSocket.bound({ family: 'inet', address: '10.0.0.2', port: 9000 });
  const tx = a.DatagramSocket.create();
  await tx.sendTo(Buffer.from('across'), { family: 'inet', address: '10.0.0.2', port: 9000 });
  const got = await rx.recvFrom(Buffer.alloc(16), { signal: AbortSignal.timeout(5000) });
  // Inside a's namespace until the test thread opens the gate.
  a.run(() => {
    parentPort.postMessage({ home, inside: netns() });
    Atomics.wait(workerData.gate, 0, 0, 10000);
  });
  const back = netns();
  await lab.close();
  parentPort.postMessage({ back, received: got.bytes, closed: lab.closed });
})().catch((e) => parentPort.postMessage({ error: String(e) }));
`;

  labIt(
    "a worker's lab moves only the worker's thread: this thread stays home while the worker is inside run()",
    async () => {
      const home = currentNetns();
      const gate = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(workerCode, { eval: true, workerData: { gate } });
      const messages: unknown[] = [];
      const waiters: ((m: unknown) => void)[] = [];
      worker.on('message', (m) => {
        const w = waiters.shift();
        if (w) w(m);
        else messages.push(m);
      });
      const next = (): Promise<unknown> =>
        withTimeout(
          messages.length > 0
            ? Promise.resolve(messages.shift())
            : new Promise((resolve) => waiters.push(resolve)),
          'a message from the worker',
          10_000,
        );
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      try {
        const first = (await next()) as { home: string; inside: string; error?: string };
        expect(first.error).toBeUndefined();
        expect(first.home).toBe(home);
        expect(first.inside).not.toBe(home);
        // While the worker's thread is in a's namespace, this one is where it was, and a socket
        // made here is in this namespace: the worker's interfaces are not in it.
        expect(currentNetns()).toBe(home);
        expect(threadNetns()).toContain(first.inside);
        expect(() => s.if_nametoindex('worker-a')).toThrow();
        Atomics.store(gate, 0, 1);
        Atomics.notify(gate, 0);
        expect(await next()).toEqual({ back: home, received: 6, closed: true });
      } finally {
        Atomics.store(gate, 0, 1);
        Atomics.notify(gate, 0);
        await worker.terminate();
      }
      expect(await exited).toBeDefined();
      expect(currentNetns()).toBe(home);
      expect(threadNetns().every((ns) => ns === home)).toBe(true);
    },
  );
});

describe('Lab links', () => {
  labIt('a veth link carries a UDP datagram and a TCP connection between two hosts', async () => {
    await using lab = await Lab.create();
    const a = await lab.host('a', { addresses: ['10.0.0.1/24'] });
    const b = await lab.host('b', { addresses: ['10.0.0.2/24'] });
    const link = await lab.link(a, b, { mtu: 1400, names: ['lab-test-a', 'lab-test-b'] });
    expect(link.a).toMatchObject({ name: 'lab-test-a', addresses: ['10.0.0.1/24'] });
    expect(link.b).toMatchObject({ name: 'lab-test-b', addresses: ['10.0.0.2/24'] });
    // Each end is in its host, none in this namespace.
    expect(a.ifindex('lab-test-a')).toBe(link.a.ifindex);
    expect(() => a.ifindex('lab-test-b')).toThrow();
    expect(() => s.if_nametoindex('lab-test-a')).toThrow();
    expect(() => s.if_nametoindex('lab-test-b')).toThrow();
    expect(mtuOf(b, 'lab-test-b')).toBe(1400);

    const rx = b.DatagramSocket.bound(inet('10.0.0.2', 9000));
    const tx = a.DatagramSocket.create();
    await tx.sendTo(Buffer.from('ping'), inet('10.0.0.2', 9000));
    const got = await rx.recvFrom(Buffer.alloc(16), soon());
    expect(got.address).toEqual(inet('10.0.0.1', (got.address as s.InetAddress).port));

    const server = b.StreamSocket.listen(inet('10.0.0.2', 8080));
    const client = await a.StreamSocket.connect(inet('10.0.0.2', 8080));
    const conn = await server.accept(soon());
    try {
      expect(conn.remoteAddress().address).toBe('10.0.0.1');
      await client.send('across');
      const buf = Buffer.alloc(6);
      const n = await conn.recv(buf, soon());
      expect(buf.subarray(0, n).toString()).toBe('across'.slice(0, n));
    } finally {
      conn.close();
    }
  });
});

describe('Lab link options', () => {
  labIt('an IPv6 link: addresses usable at once (no duplicate address detection)', async () => {
    await using lab = await Lab.create();
    const a = await lab.host('a');
    const b = await lab.host('b');
    await lab.link(a, b, { addresses: [['10.0.0.1/24', 'fd00::1/64'], 'fd00::2/64'] });
    const rx = b.DatagramSocket.bound({ family: 'inet6', address: 'fd00::2', port: 9000 });
    const tx = a.DatagramSocket.create('inet6');
    await tx.sendTo(Buffer.from('six'), { family: 'inet6', address: 'fd00::2', port: 9000 });
    const got = await rx.recvFrom(Buffer.alloc(8), soon());
    expect(got.address).toMatchObject({ family: 'inet6', address: 'fd00::1' });
  });

  labIt(
    'netem delays every packet where the kernel has it, and says clearly where not',
    async () => {
      await using lab = await Lab.create();
      const a = await lab.host('a', { addresses: ['10.0.0.1/24'] });
      const b = await lab.host('b', { addresses: ['10.0.0.2/24'] });
      let link;
      try {
        link = await lab.link(a, b, { impair: { delayMs: 50 } });
      } catch (e) {
        expect(e).toMatchObject({ code: 'ERR_LAB_NO_NETEM', cause: { code: 'ENOENT' } });
        console.warn(`netem delay not measured: ${(e as Error).message}`);
        // The failed link left nothing behind: the default name is free again.
        expect(() => a.ifindex('eth0')).toThrow();
        return;
      }
      expect(link.a.name).toBe('eth0');
      const rx = b.DatagramSocket.bound(inet('10.0.0.2', 9000));
      const tx = a.DatagramSocket.create();
      const start = performance.now();
      await tx.sendTo(Buffer.from('late'), inet('10.0.0.2', 9000));
      await rx.recvFrom(Buffer.alloc(8), soon());
      expect(performance.now() - start).toBeGreaterThanOrEqual(45);
    },
  );

  labIt('netem options are checked', async () => {
    await using lab = await Lab.create();
    const a = await lab.host('a');
    const b = await lab.host('b');
    await expect(lab.link(a, b, { impair: { loss: 2 } })).rejects.toThrow(RangeError);
    await expect(lab.link(a, b, { impair: { delayMs: '5' as never } })).rejects.toThrow(
      /options\.impair\.delayMs/,
    );
  });
});

describe('Lab routing', () => {
  labIt(
    'a router forwards between two subnets; an unreachable port and net come back as ICMP',
    async () => {
      await using lab = await Lab.create();
      const a = await lab.host('a');
      const r = await lab.router('r');
      const b = await lab.host('b');
      await lab.link(a, r, { addresses: ['10.0.1.2/24', '10.0.1.1/24'] });
      await lab.link(r, b, { addresses: ['10.0.2.1/24', '10.0.2.2/24'] });
      a.route('default', { via: '10.0.1.1' });
      b.route('default', { via: '10.0.2.1' });

      const rx = b.DatagramSocket.bound(inet('10.0.2.2', 7000));
      const tx = a.DatagramSocket.create();
      await tx.sendTo(Buffer.from('routed'), inet('10.0.2.2', 7000));
      const got = await rx.recvFrom(Buffer.alloc(16), soon());
      expect((got.address as s.InetAddress).address).toBe('10.0.1.2');

      const server = b.StreamSocket.listen(inet('10.0.2.2', 8000));
      const client = await a.StreamSocket.connect(inet('10.0.2.2', 8000));
      const conn = await server.accept(soon());
      conn.close();
      expect(client.localAddress().address).toBe('10.0.1.2');

      // ICMP port unreachable from b, through the router: a connected UDP socket reads ECONNREFUSED.
      const refused = a.DatagramSocket.create();
      await refused.connect(inet('10.0.2.2', 7001));
      await refused.send(Buffer.from('nobody'));
      await expect(refused.recv(Buffer.alloc(8), soon())).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });

      // ICMP net unreachable from the router, which has no route to 10.9.0.0/16. UDP takes only
      // the hard ICMP errors (a port's, a protocol's) without IP_RECVERR; a SYN takes this one.
      await expect(a.StreamSocket.connect(inet('10.9.0.1', 80), soon())).rejects.toMatchObject({
        code: 'ENETUNREACH',
      });
    },
  );
});

describe('Lab hosts with the lab tools', () => {
  labIt('a capture inside a host sees the datagram that crossed its end of a link', async () => {
    await using lab = await Lab.create();
    const a = await lab.host('a', { addresses: ['10.0.0.1/24'] });
    const b = await lab.host('b', { addresses: ['10.0.0.2/24'] });
    const link = await lab.link(a, b);
    const dir = mkdtempSync(join(tmpdir(), 'sockfd-lab-'));
    try {
      const cap = capture(b, { interface: link.b.name, dir });
      const rx = b.DatagramSocket.bound(inet('10.0.0.2', 9000));
      const tx = a.DatagramSocket.create();
      await tx.sendTo(Buffer.from('seen-on-b'), inet('10.0.0.2', 9000));
      await rx.recvFrom(Buffer.alloc(16), soon());
      const file = readPcapng((await cap.stop()).bytes);
      expect(file.interfaces.map((i) => i.name)).toEqual([link.b.name]);
      const payloads = file.packets.map((p) => Buffer.from(p.data).toString('latin1'));
      expect(payloads.some((p) => p.endsWith('seen-on-b'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Lab cleanup', () => {
  labIt('close() leaves no fd behind, and its namespaces and links are gone', async () => {
    const before = openFds();
    const lab = await Lab.create();
    const a = await lab.host('a', { addresses: ['10.0.0.1/24'] });
    const b = await lab.host('b', { addresses: ['10.0.0.2/24'] });
    await lab.link(a, b);
    b.StreamSocket.listen(inet('10.0.0.2', 80));
    a.DatagramSocket.bound(inet('10.0.0.1', 53));
    expect(openFds().length).toBeGreaterThan(before.length);
    await lab.close();
    expect(openFds()).toEqual(before);
    expect(a.netnsFd).toBe(-1);
    expect(() => a.run(() => 1)).toThrow(/closed/);
    await lab.close(); // a second close does nothing
  });

  labIt('await using closes the lab when the test body throws', async () => {
    const before = openFds();
    await expect(
      (async () => {
        await using lab = await Lab.create();
        const a = await lab.host('a');
        a.DatagramSocket.bound(inet('127.0.0.1'));
        throw new Error('a failing test');
      })(),
    ).rejects.toThrow('a failing test');
    expect(openFds()).toEqual(before);
  });

  labIt(
    "a worker's lab goes with the worker, however it ends, with or without Node's fd tracking",
    () => {
      // Ten workers, each with a lab of two hosts, a veth link and a socket in each host: terminated
      // mid-await, terminated inside a host.run(), ending on their own with the lab open, by
      // process.exit(), and closing the lab; each way with trackUnmanagedFds on and off.
      const out = execFileSync(
        process.execPath,
        [join(__dirname, '..', '..', 'children', 'lab-worker.js')],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(JSON.parse(out)).toMatchObject({
        workers: 10,
        fdsLeft: [],
        threadsInHosts: [],
        witnesses: 20,
        witnessesLeft: [],
      });
    },
  );

  labIt(
    'a socket made inside run() keeps its host past close(), which goes with that socket',
    async () => {
      // A dead namespace cannot be looked up, so a witness: a veth from a namespace w of another
      // lab into a. Deleting a namespace deletes its veth ends, and with them their peers in w.
      await using witnesses = await Lab.create();
      const w = await witnesses.host('w');
      const lab = await Lab.create();
      const a = await lab.host('a');
      const netnsOfA = readlinkSync(`/proc/self/fd/${a.netnsFd}`);
      const nl = new Rtnetlink();
      try {
        nl.addVeth(
          { name: 'witness-w', netns: w.netnsFd },
          { name: 'witness-a', netns: a.netnsFd },
        );
      } finally {
        nl.close();
      }
      const kept = a.run(() => s.socket(AF_INET, SOCK_DGRAM));
      try {
        await lab.close();
        // No fd of the process names a's namespace any more, yet it lives on in the socket: its
        // loopback carries a datagram, and the witness stays.
        expect(openFds().filter((fd) => fd.endsWith(netnsOfA))).toEqual([]);
        s.bind(kept, inet('127.0.0.1'));
        s.sendto(kept, Buffer.from('alive'), 0, s.getsockname(kept) as s.InetAddress);
        expect(s.recv(kept, Buffer.alloc(8))).toBe(5);
        expect(await eventually(() => !hasInterface(w, 'witness-w'), 200)).toBe(false);
      } finally {
        s.close(kept);
      }
      // The kernel dismantles a namespace in a workqueue after its last reference goes.
      expect(await eventually(() => !hasInterface(w, 'witness-w'), 10_000)).toBe(true);
    },
  );
});
