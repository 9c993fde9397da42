// `npm start`: a tour of what a socket is, one short section per idea, each running something
// real. `npm start -- <topic>` runs one section; the topics are listed at the bottom. Each idea
// has a longer program in examples/ and a chapter in docs/guide.md.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { basename, join } from 'node:path';

import * as s from '../index.js';

const c = s.constants;
const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

const indent = (text: string): string => text.replace(/^/gm, '      ');

function isEagain(e: unknown): boolean {
  return (e as { code?: string }).code === 'EAGAIN';
}

function fds(): void {
  const made: s.SocketBase[] = [];
  const kinds: [string, () => s.SocketBase][] = [
    ['StreamSocket     SOCK_STREAM    (TCP)', () => s.StreamSocket.create('inet')],
    ['DatagramSocket   SOCK_DGRAM     (UDP)', () => s.DatagramSocket.create('inet')],
    ['SeqPacketSocket  SOCK_SEQPACKET (unix)', () => s.SeqPacketSocket.create('unix')],
    ['RawSocket        SOCK_RAW       (ICMP)', () => s.RawSocket.create('inet', c.IPPROTO_ICMP)],
  ];
  for (const [name, make] of kinds) {
    try {
      const sock = make();
      made.push(sock);
      out(`   ${name} -> fd ${sock.fd}`);
    } catch (e) {
      out(`   ${name} -> ${(e as Error).message}`);
    }
  }
  for (const sock of made) sock.close();
  out('   closed them again: the next socket() reuses the lowest free number.');
}

async function readAll(b: s.StreamSocket): Promise<string[]> {
  const reads: string[] = [];
  const buf = Buffer.alloc(64);
  for (let n = await b.read(buf); n !== null; n = await b.read(buf))
    reads.push(JSON.stringify(buf.toString('utf8', 0, n)));
  return reads;
}

async function stream(): Promise<void> {
  const [fa, fb] = s.socketpair(c.AF_UNIX, c.SOCK_STREAM);
  using a = s.StreamSocket.from(fa);
  using b = s.StreamSocket.from(fb);
  for (const part of ['one', 'two', 'three']) await a.write(part);
  a.shutdown('write');
  out(`   fds ${a.fd} and ${b.fd}; write 'one', 'two', 'three', then shutdown('write')`);
  out(`   reads until end of stream returned: ${(await readAll(b)).join(', ')}`);
  out('   three writes, read back as one blob: the boundaries are gone.');
}

async function dgram(): Promise<void> {
  const name = `sockfd-tour-${process.pid}`;
  using server = s.DatagramSocket.bound({ family: 'unix', abstract: name });
  using client = s.DatagramSocket.create('unix');
  for (const part of ['one', 'two', 'three'])
    await client.sendTo(part, { family: 'unix', abstract: name });
  out(`   fd ${client.fd} sendTo '@${name}' (fd ${server.fd}): 'one', 'two', 'three'`);
  const buf = Buffer.alloc(64);
  const got: string[] = [];
  for (let i = 0; i < 3; i++) {
    const m = await server.recvFrom(buf);
    got.push(JSON.stringify(buf.toString('utf8', 0, m.bytes)));
  }
  out(`   three recvFrom calls returned: ${got.join(', ')}`);
  out('   three sends, three datagrams.');
}

async function seqpacket(): Promise<void> {
  const [a, b] = s.SeqPacketSocket.pair();
  try {
    for (const part of ['one', 'two', 'three']) await a.send(part);
    a.close();
    out(`   fds ${b.fd} and a peer; send 'one', 'two', 'three', then close the peer`);
    const buf = Buffer.alloc(64);
    const got: string[] = [];
    for (let m = await b.recv(buf); m !== null; m = await b.recv(buf))
      got.push(JSON.stringify(buf.toString('utf8', 0, m.bytes)));
    out(`   recv until end of connection returned: ${got.join(', ')}`);
    out('   three records, in order, on a connection, then end of connection.');
  } finally {
    a.close();
    b.close();
  }
}

async function raw(): Promise<void> {
  let sock: s.RawSocket;
  try {
    sock = s.RawSocket.create('inet', c.IPPROTO_ICMP);
  } catch (e) {
    out(`   skipped: ${(e as Error).message}`);
    return;
  }
  using _ = sock;
  const id = process.pid & 0xffff;
  const req = s.encodeIcmpEcho({ identifier: id, sequence: 1 }, Buffer.from('hello'));
  await sock.sendTo(req, { family: 'inet', address: '127.0.0.1', port: 0 });
  const buf = Buffer.alloc(1500);
  const signal = AbortSignal.timeout(2000);
  for (;;) {
    const m = await sock.recvFrom(buf, { signal });
    const ihl = (buf[0]! & 0x0f) * 4;
    if (buf[ihl] !== c.ICMP_ECHOREPLY || buf.readUInt16BE(ihl + 4) !== id) continue;
    out(
      `   reply from ${s.formatAddress(m.address)}: ${m.bytes} bytes, of which ${ihl} are the IPv4 header`,
    );
    out(
      `   (version ${buf[0]! >> 4}, ttl ${buf[8]}, protocol ${buf[9]} = ICMP), then ICMP type 0 (echo reply)`,
    );
    return;
  }
}

async function buffers(): Promise<void> {
  using listener = s.StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
  listener.setOption(c.SOL_SOCKET, c.SO_RCVBUF, 16384); // small, so it fills quickly
  const accepted = listener.accept();
  using client = await s.StreamSocket.connect(listener.localAddress());
  using server = await accepted;
  client.setOption(c.SOL_SOCKET, c.SO_SNDBUF, 16384);
  out(
    `   a TCP connection on loopback: fd ${client.fd} sends 8 KiB at a time, fd ${server.fd} never reads`,
  );
  const chunk = Buffer.alloc(8192);
  let sent = 0;
  for (;;) {
    try {
      sent += s.send(client.fd, chunk); // The fd is nonblocking: EAGAIN when it would wait.
    } catch (e) {
      if (isEagain(e)) break;
      throw e;
    }
    const inq = s.ioctl(server.fd, c.SIOCINQ);
    const outq = s.ioctl(client.fd, c.SIOCOUTQ);
    out(
      `   sent ${String(sent).padStart(6)}: receiver's queue ${String(inq).padStart(6)}, sender's queue ${String(outq).padStart(6)}`,
    );
  }
  out(`   then send() -> EAGAIN: both queues are full. The inspector on fd ${server.fd}:`);
  out(indent(s.formatInspection(s.inspect(server.fd))));
}

async function ports(): Promise<void> {
  using first = s.DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
  const taken = first.localAddress();
  using second = s.DatagramSocket.create('inet');
  try {
    second.bind(taken);
  } catch (e) {
    out(`   a second socket on ${s.formatAddress(taken)}: ${(e as Error).message}`);
  }
  // With SO_REUSEPORT set on each, several sockets share one port and the kernel spreads the
  // senders across them by a hash of the source address and port.
  const group: s.DatagramSocket[] = [];
  let port: s.InetAddress = { family: 'inet', address: '127.0.0.1', port: 0 };
  try {
    for (let i = 0; i < 3; i++) {
      const g = s.DatagramSocket.create('inet');
      group.push(g);
      g.setOption(c.SOL_SOCKET, c.SO_REUSEPORT, true).bind(port);
      port = g.localAddress();
    }
    for (let i = 0; i < 30; i++) {
      using tx = s.DatagramSocket.create('inet'); // a new socket: a new source port
      await tx.sendTo(`${i}`, port);
    }
    const counts = group.map((g) => {
      let n = 0;
      while (pending(g.fd)) {
        s.recv(g.fd, Buffer.alloc(16));
        n++;
      }
      return n;
    });
    out(
      `   three sockets with SO_REUSEPORT on ${s.formatAddress(port)}; 30 senders land ${counts.join(' + ')}`,
    );
  } finally {
    for (const g of group) g.close();
  }
}

/** Whether a datagram is waiting, or arrives within 100 ms (loopback delivers at once; the
 * wait only covers a busy CPU). */
function pending(fd: number): boolean {
  return (s.poll([{ fd, events: c.POLLIN }], 100)[0]!.revents & c.POLLIN) !== 0;
}

async function loss(): Promise<void> {
  using rx = s.DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
  rx.setOption(c.SOL_SOCKET, c.SO_RCVBUF, 4096);
  using tx = s.DatagramSocket.create('inet');
  for (let i = 0; i < 100; i++) await tx.sendTo(Buffer.alloc(1000), rx.localAddress());
  let got = 0;
  while (pending(rx.fd)) {
    s.recv(rx.fd, Buffer.alloc(1000));
    got++;
  }
  const info = s.inspect(rx.fd) as s.SocketInspection;
  out(
    `   UDP: 100 datagrams into a small receive buffer nobody reads yet: ${got} arrive, ${info.drops} dropped`,
  );
  const [fa, fb] = s.socketpair(c.AF_UNIX, c.SOCK_STREAM);
  using a = s.StreamSocket.from(fa);
  using b = s.StreamSocket.from(fb);
  a.setOption(c.SOL_SOCKET, c.SO_SNDBUF, 4096);
  const writing = (async () => {
    for (let i = 0; i < 100; i++) await a.write(Buffer.alloc(1000)); // waits while the queue is full
    a.shutdown('write');
  })();
  let bytes = 0;
  const buf = Buffer.alloc(1000);
  for (let n = await b.read(buf); n !== null; n = await b.read(buf)) bytes += n;
  await writing;
  out(
    `   a stream: 100 writes of 1000 bytes into a small buffer: ${bytes} bytes arrive; the writer waited instead`,
  );
  out('   (examples/05-lossy-link.ts puts a lossy, reordering link under UDP and TCP)');
}

function passing(): void {
  const [mine, theirs] = s.socketpair(c.AF_UNIX, c.SOCK_STREAM);
  const file = openSync(__filename, 'r');
  try {
    // The open file travels as a control message (SCM_RIGHTS) beside one byte of data.
    s.sendmsg(mine, { buffers: Buffer.from('x'), control: [{ type: 'rights', fds: [file] }] });
    out(
      `   our fd ${file} is open on ${basename(__filename)}; sendmsg it (SCM_RIGHTS) on fd ${mine}`,
    );
    const child = [
      `const s = require(${JSON.stringify(join(__dirname, '..', 'index.js'))});`,
      'const m = s.recvmsg(3, { buffers: Buffer.alloc(1), controlLength: s.cmsgSpace(4) });',
      "const [fd] = m.control.find((x) => x.type === 'rights').fds;",
      "const n = require('fs').readSync(fd, Buffer.alloc(1 << 20), 0, 1 << 20, 0);",
      'console.log(`   child ${process.pid}: recvmsg on its fd 3 -> an fd numbered ${fd}; read ${n} bytes through it`);',
    ].join('\n');
    // The socket's other end reaches the child the older way: inherited, as its fd 3.
    spawnSync(process.execPath, ['-e', child], { stdio: ['ignore', 'inherit', 'inherit', theirs] });
    out('   the kernel copied the open file into the child’s fd table, under its own number.');
  } finally {
    closeSync(file);
    s.close(mine);
    s.close(theirs);
  }
}

function loop(): void {
  const pairs = [0, 1, 2].map(() => s.socketpair(c.AF_UNIX, c.SOCK_DGRAM));
  try {
    s.send(pairs[0]![1], Buffer.from('a'));
    s.send(pairs[2]![1], Buffer.from('c'));
    const ready = s.poll(
      pairs.map(([fd]) => ({ fd, events: c.POLLIN })),
      1000,
    );
    const shown = ready.map((r) => `fd ${r.fd} ${r.revents & c.POLLIN ? 'POLLIN' : '-'}`);
    out(`   data sent to two of three sockets; poll() -> ${shown.join(', ')}`);
    out('   one call says which fds can be read without waiting: an event loop is that call in a');
    out('   loop. sockfd’s classes hand their fds to Node’s loop (libuv, epoll) instead.');
  } finally {
    for (const [a, b] of pairs) {
      s.close(a);
      s.close(b);
    }
  }
}

function table(): void {
  using listener = s.StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
  using udp = s.DatagramSocket.bound({ family: 'inet6', address: '::1', port: 0 });
  const [a, b] = s.SeqPacketSocket.pair();
  try {
    const mine = new Set([listener.fd, udp.fd, a.fd, b.fd]);
    out(`   listFds() matches /proc/${process.pid}/fd with the kernel's socket tables:`);
    out(indent(s.formatFdTable(s.listFds().filter((e) => mine.has(e.fd)))));
    out(`   any process: sockfd fds <pid>, sockfd inspect <pid> <fd> (node dist/tools/cli.js …)`);
  } finally {
    a.close();
    b.close();
  }
}

const topics: Record<string, [string, () => void | Promise<void>]> = {
  fds: ['socket() hands back a small integer: the file descriptor (sock.fd)', fds],
  stream: ['SOCK_STREAM: a byte stream, no message boundaries', stream],
  dgram: ['SOCK_DGRAM: datagrams keep their boundaries', dgram],
  seqpacket: ['SOCK_SEQPACKET: a connection whose records keep their boundaries', seqpacket],
  buffers: ['Behind every socket, a receive queue and a send queue in the kernel', buffers],
  ports: ['The kernel hands each packet to a socket by address and port', ports],
  loss: ['A full datagram queue drops; a stream makes the writer wait', loss],
  raw: ['SOCK_RAW: an ICMP echo request built by hand, answered by the kernel on 127.0.0.1', raw],
  passing: ['An fd can be handed to another process', passing],
  loop: ['poll(): which of many fds is ready, the heart of an event loop', loop],
  table: ['The fd table of this process, as the kernel describes it', table],
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((t) => !Object.hasOwn(topics, t));
  if (unknown.length > 0) {
    console.error(`unknown topic ${unknown.join(', ')}; topics: ${Object.keys(topics).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  out('sockfd tour: BSD sockets from TypeScript, with fds as plain integers\n');
  const run = wanted.length > 0 ? wanted : Object.keys(topics);
  for (const [i, name] of run.entries()) {
    const [title, section] = topics[name]!;
    out(`${i + 1}. ${title}  [npm start -- ${name}]`);
    await section();
    out();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
