// DatagramSocket, SeqPacketSocket and RawSocket: request/response, truncation reported, async
// iteration, and raw ICMP echo where permitted.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { DatagramSocket, RawSocket, SeqPacketSocket } from '../../lib/index.js';
import { rawSocketsAllowed } from '../helpers/fds.js';

const raw = rawSocketsAllowed();
if (!raw.ok) console.warn(`skipping RawSocket tests: ${raw.reason}`);

describe('DatagramSocket', () => {
  const cases: [string, () => s.SocketAddress][] = [
    ['UDP', () => ({ family: 'inet', address: '127.0.0.1', port: 0 })],
    ['UDP over IPv6', () => ({ family: 'inet6', address: '::1', port: 0 })],
    [
      'unix datagrams',
      () => ({ family: 'unix', abstract: `sockfd-dgram-${process.pid}-${Math.random()}` }),
    ],
  ];

  it('serves waiting receives in the order they were made, each from its own sender', async () => {
    using server = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
    using a = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
    using b = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
    const bufs = [Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8)];
    const pending = bufs.map((buf) => server.recvFrom(buf));
    const to = server.localAddress() as s.SocketAddress;
    await a.sendTo('one', to);
    await b.sendTo('two', to);
    await a.sendTo('three', to);
    const got = await Promise.all(pending);
    expect(got.map((m, i) => bufs[i]!.toString('utf8', 0, m.bytes))).toEqual([
      'one',
      'two',
      'three',
    ]);
    expect(got.map((m) => m.address)).toEqual([a, b, a].map((x) => x.localAddress()));
  });

  it.each(cases)('answers a request over %s', async (_name, addr) => {
    using server = DatagramSocket.bound(addr());
    using client = DatagramSocket.bound(addr());
    const serving = (async () => {
      for await (const msg of server) {
        await server.sendTo(
          Buffer.concat([Buffer.from('re: '), msg.data]),
          msg.address as s.SocketAddress,
        );
        return;
      }
    })();
    await client.sendTo('ping', server.localAddress());
    const buf = Buffer.alloc(64);
    const r = await client.recvFrom(buf);
    expect(buf.toString('utf8', 0, r.bytes)).toBe('re: ping');
    expect(r.address).toEqual(server.localAddress());
    expect(r.truncated).toBe(false);
    await serving;
  });

  it('reports truncation instead of passing it silently', async () => {
    using a = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
    using b = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
    await a.sendTo(Buffer.alloc(100, 7), b.localAddress());
    const small = Buffer.alloc(10);
    const r = await b.recvFrom(small);
    expect(r).toMatchObject({ bytes: 10, truncated: true });
  });

  it('send and recv on a connected socket', async () => {
    using a = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
    using b = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
    await a.connect(b.localAddress());
    await b.connect(a.localAddress());
    expect(await a.send('one')).toBe(3);
    expect((await b.recv(Buffer.alloc(8))).bytes).toBe(3);
    expect(a.remoteAddress()).toEqual(b.localAddress());
  });

  it('async iteration yields each message, then ends when the socket is closed', async () => {
    const server = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
    using client = DatagramSocket.create('inet');
    const got: string[] = [];
    const reading = (async () => {
      for await (const m of server) {
        got.push(m.data.toString());
        if (got.length === 3) server.close();
      }
    })();
    for (const m of ['a', 'bb', 'ccc']) await client.sendTo(m, server.localAddress());
    await reading;
    expect(got).toEqual(['a', 'bb', 'ccc']);
  });
});

describe('SeqPacketSocket', () => {
  it('listens, accepts and answers records, boundaries kept', async () => {
    const name = `sockfd-seq-${process.pid}-${Math.random()}`;
    using listener = SeqPacketSocket.listen({ family: 'unix', abstract: name });
    const serving = (async () => {
      for await (const conn of listener.connections()) {
        using c = conn;
        const buf = Buffer.alloc(64);
        for (let m = await c.recv(buf); m !== null; m = await c.recv(buf)) {
          await c.send(Buffer.from(buf.toString('utf8', 0, m.bytes).toUpperCase()));
        }
        return;
      }
    })();
    using client = await SeqPacketSocket.connect({ family: 'unix', abstract: name });
    await client.send('one');
    await client.send('two');
    const buf = Buffer.alloc(64);
    const replies: string[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await client.recv(buf);
      replies.push(buf.toString('utf8', 0, m!.bytes));
    }
    expect(replies).toEqual(['ONE', 'TWO']);
    client.close();
    await serving;
  });

  it('reports a truncated record and end of connection', async () => {
    const [a, b] = SeqPacketSocket.pair();
    await a.send(Buffer.alloc(50));
    a.close();
    expect(await b.recv(Buffer.alloc(5))).toMatchObject({ bytes: 5, truncated: true });
    expect(await b.recv(Buffer.alloc(5))).toBeNull();
    b.close();
  });

  it('ends for-await over its records at the end of the connection, empty records kept', async () => {
    const [a, b] = SeqPacketSocket.pair();
    await a.send('one');
    await a.send(Buffer.alloc(0));
    await a.send('three');
    a.close();
    const got: string[] = [];
    for await (const m of b) got.push(m.data.toString());
    expect(got).toEqual(['one', '', 'three']);
    b.close();
  });

  it('reads an empty record as a message of 0 bytes, and the end as null', async () => {
    const [a, b] = SeqPacketSocket.pair();
    const buf = Buffer.alloc(8);
    // Waiting for an empty record, and finding one already queued.
    const pending = b.recv(buf);
    await a.send(Buffer.alloc(0));
    expect(await pending).toEqual({ bytes: 0, address: null, truncated: false });
    await a.send(Buffer.alloc(0));
    await a.send('x');
    expect(await b.recv(buf)).toEqual({ bytes: 0, address: null, truncated: false });
    expect(await b.recv(buf)).toMatchObject({ bytes: 1, truncated: false });
    // The peer shuts down writing: the end, and it stays the end.
    s.shutdown(a.fd, s.constants.SHUT_WR);
    expect(await b.recv(buf)).toBeNull();
    expect(await b.recv(buf)).toBeNull();
    // The other direction still carries records, empty ones included.
    await b.send(Buffer.alloc(0));
    expect(await a.recv(buf)).toEqual({ bytes: 0, address: null, truncated: false });
    a.close();
    b.close();
  });
});

describe('receives after request/response traffic', () => {
  // A receive that found nothing queued makes the next one wait for readiness before trying
  // (lib/socket/message.ts); messages already queued must still all arrive, in order.
  it('a burst queued after lockstep rounds arrives whole and in order', async () => {
    const [client, server] = SeqPacketSocket.pair();
    using _c = client;
    using _s = server;
    const buf = Buffer.alloc(16);
    const echo = (async () => {
      const b = Buffer.alloc(16);
      for (let i = 0; i < 20; i++) {
        const m = await server.recv(b);
        await server.send(b.subarray(0, m!.bytes));
      }
      for (let i = 0; i < 100; i++) await server.send(`burst ${i}`);
    })();
    for (let i = 0; i < 20; i++) {
      await client.send(`ping ${i}`);
      const m = await client.recv(buf);
      expect(buf.toString('utf8', 0, m!.bytes)).toBe(`ping ${i}`);
    }
    await echo;
    const got: string[] = [];
    for (let i = 0; i < 100; i++) {
      const m = await client.recv(buf);
      got.push(buf.toString('utf8', 0, m!.bytes));
    }
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `burst ${i}`));
  });

  it('a receive that waits first still honours its abort signal and then the next message', async () => {
    using a = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
    using b = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
    const to = a.localAddress() as s.SocketAddress;
    const buf = Buffer.alloc(16);
    // Nothing queued: this receive finds the queue empty, so the next ones wait first.
    const first = a.recvFrom(buf);
    await b.sendTo('one', to);
    expect((await first).bytes).toBe(3);
    const ac = new AbortController();
    const aborted = a.recvFrom(buf, { signal: ac.signal });
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    await b.sendTo('two', to);
    await b.sendTo('three', to);
    const r2 = await a.recvFrom(buf);
    expect(buf.toString('utf8', 0, r2.bytes)).toBe('two');
    const r3 = await a.recvFrom(buf);
    expect(buf.toString('utf8', 0, r3.bytes)).toBe('three');
  });
});

describe.skipIf(!raw.ok)('RawSocket', () => {
  it('receives the kernel’s ICMP echo reply from 127.0.0.1, IPv4 header included', async () => {
    using sock = RawSocket.create('inet', s.constants.IPPROTO_ICMP);
    const id = (process.pid + 1) & 0xffff;
    const req = Buffer.alloc(12);
    req[0] = s.constants.ICMP_ECHO;
    req.writeUInt16BE(id, 4);
    req.writeUInt16BE(7, 6);
    req.write('sock', 8);
    let sum = 0;
    for (let i = 0; i < req.length; i += 2) sum += req.readUInt16BE(i);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    req.writeUInt16BE(~sum & 0xffff, 2);
    await sock.sendTo(req, { family: 'inet', address: '127.0.0.1', port: 0 });
    const buf = Buffer.alloc(1500);
    for (;;) {
      const m = await sock.recvFrom(buf, { signal: AbortSignal.timeout(5000) });
      const ihl = (buf[0]! & 0x0f) * 4;
      if (buf[ihl] !== s.constants.ICMP_ECHOREPLY || buf.readUInt16BE(ihl + 4) !== id) continue;
      expect(buf[0]! >> 4).toBe(4);
      expect(m.bytes).toBe(ihl + req.length);
      expect(buf.toString('utf8', ihl + 8, ihl + 12)).toBe('sock');
      break;
    }
  });

  it('header-included sockets have IP_HDRINCL set', () => {
    using sock = RawSocket.create('inet', s.constants.IPPROTO_RAW, { headerIncluded: true });
    expect(sock.getOption(s.constants.IPPROTO_IP, s.constants.IP_HDRINCL)).toBe(1);
  });
});

describe('RawSocket without CAP_NET_RAW', () => {
  it('fails with EPERM and a hint saying how to get the capability', () => {
    const script = join(__dirname, '..', 'children', 'raw-eperm.js');
    // As root, drop CAP_NET_RAW from the bounding set, so the child (still uid 0, still able
    // to read this checkout) starts without it; otherwise run as we are.
    const isRoot = process.getuid?.() === 0;
    const r = isRoot
      ? spawnSync('setpriv', ['--bounding-set=-net_raw', process.execPath, script], {
          encoding: 'utf8',
        })
      : spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    if (!isRoot && raw.ok) {
      console.warn('EPERM hint not checked: this unprivileged process has CAP_NET_RAW');
      return;
    }
    const out = JSON.parse(r.stdout) as Record<string, string>;
    expect(out).toMatchObject({ code: 'EPERM', syscall: 'socket' });
    expect(out.hint).toContain('CAP_NET_RAW');
    expect(out.message).toContain('unshare -rn');
  });
});

describe('ICMP ping sockets', () => {
  it('DatagramSocket with IPPROTO_ICMP gets an echo reply, without an IP header', () => {
    const script = join(__dirname, '..', 'children', 'ping-socket.js');
    // A private network namespace, where the ping group range can be opened to our group.
    const r = spawnSync(
      'unshare',
      [
        '-rn',
        'sh',
        '-c',
        `ip link set lo up && echo "0 0" > /proc/sys/net/ipv4/ping_group_range && exec "${process.execPath}" "${script}"`,
      ],
      { encoding: 'utf8', timeout: 15_000 },
    );
    if (r.status !== 0 && /unshare|Operation not permitted/.test(r.stderr)) {
      console.warn(
        `skipping ping socket test: unshare -rn is not available here (${r.stderr.trim()})`,
      );
      return;
    }
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      bytes: 12,
      type: s.constants.ICMP_ECHOREPLY,
      seq: 3,
      payload: 'ping',
      from: { family: 'inet', address: '127.0.0.1' },
    });
  });
});

describe('SeqPacketSocket over SCTP', () => {
  let sctp: string | null = null;
  try {
    SeqPacketSocket.create('inet', s.constants.IPPROTO_SCTP).close();
  } catch (e) {
    sctp = (e as Error).message;
    console.warn(`skipping SCTP seqpacket test: this kernel has no SCTP (${sctp})`);
  }

  it.skipIf(sctp !== null)('exchanges records over SCTP on loopback', async () => {
    using listener = SeqPacketSocket.create('inet', s.constants.IPPROTO_SCTP);
    listener.bind({ family: 'inet', address: '127.0.0.1', port: 0 }).listen();
    const accepted = listener.accept();
    using client = SeqPacketSocket.create('inet', s.constants.IPPROTO_SCTP);
    await client.connect(listener.localAddress());
    using server = await accepted;
    await client.send('over sctp');
    const buf = Buffer.alloc(32);
    const m = await server.recv(buf);
    expect(buf.toString('utf8', 0, m!.bytes)).toBe('over sctp');
  });
});
