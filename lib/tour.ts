// `npm start`: a short tour of sockfd with the typed classes. `npm start -- <topic>` runs one
// section: fds, stream, dgram, seqpacket, raw.
import * as s from './index.js';

const c = s.constants;
const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += (b[b.length - 1] ?? 0) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
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
  const req = Buffer.alloc(8 + 5);
  req[0] = c.ICMP_ECHO;
  req.writeUInt16BE(id, 4);
  req.writeUInt16BE(1, 6);
  req.write('hello', 8);
  req.writeUInt16BE(checksum(req), 2);
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

const topics: Record<string, [string, () => void | Promise<void>]> = {
  fds: ['socket() hands back a small integer: the file descriptor (sock.fd)', fds],
  stream: ['SOCK_STREAM: a byte stream, no message boundaries', stream],
  dgram: ['SOCK_DGRAM: datagrams keep their boundaries', dgram],
  seqpacket: ['SOCK_SEQPACKET: a connection whose records keep their boundaries', seqpacket],
  raw: ['SOCK_RAW: an ICMP echo request built by hand, answered by the kernel on 127.0.0.1', raw],
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
