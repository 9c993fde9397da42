// `npm start`: a short tour of what sockfd does. One socket of each of the four types, their
// fd numbers, a message across a stream pair, a datagram pair and a seqpacket pair, and a raw
// ICMP echo where the process may open a raw socket.
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

function fourTypes(): void {
  out('1. socket() hands back a small integer: the file descriptor');
  const made: [string, number][] = [];
  const kinds: [string, number, number, number][] = [
    ['SOCK_STREAM    (TCP)', c.AF_INET, c.SOCK_STREAM, 0],
    ['SOCK_DGRAM     (UDP)', c.AF_INET, c.SOCK_DGRAM, 0],
    ['SOCK_SEQPACKET (unix)', c.AF_UNIX, c.SOCK_SEQPACKET, 0],
    ['SOCK_RAW       (ICMP)', c.AF_INET, c.SOCK_RAW, c.IPPROTO_ICMP],
  ];
  for (const [name, domain, type, protocol] of kinds) {
    try {
      const fd = s.socket(domain, type, protocol);
      made.push([name, fd]);
      out(`   socket(${name.padEnd(22)}) -> fd ${fd}`);
    } catch (e) {
      out(
        `   socket(${name.padEnd(22)}) -> ${(e as Error).message} (raw sockets need CAP_NET_RAW)`,
      );
    }
  }
  for (const [, fd] of made) s.close(fd);
  out('   closed them again: the next socket() reuses the lowest free number.');
  out();
}

function pairDemo(title: string, type: number, note: string): void {
  out(title);
  const [a, b] = s.socketpair(c.AF_UNIX, type);
  try {
    for (const part of ['one', 'two', 'three']) s.send(a, Buffer.from(part));
    out(
      `   socketpair() -> fds ${a} and ${b}; send(${a}, 'one'), send(${a}, 'two'), send(${a}, 'three')`,
    );
    const buf = Buffer.alloc(64);
    const reads: string[] = [];
    while (s.poll([{ fd: b, events: c.POLLIN }], 0)[0]!.revents & c.POLLIN) {
      const n = s.recv(b, buf);
      reads.push(JSON.stringify(buf.toString('utf8', 0, n)));
    }
    out(`   recv(${b}) calls returned: ${reads.join(', ')}`);
    out(`   ${note}`);
  } finally {
    s.close(a);
    s.close(b);
  }
  out();
}

function rawDemo(): void {
  out('5. SOCK_RAW: an ICMP echo request built by hand, answered by the kernel on 127.0.0.1');
  let fd: number;
  try {
    fd = s.socket(c.AF_INET, c.SOCK_RAW, c.IPPROTO_ICMP);
  } catch (e) {
    out(`   skipped: ${(e as Error).message}. Raw sockets need CAP_NET_RAW (run as root, or`);
    out('   inside `unshare -rn`, which gives it on a private loopback).');
    return;
  }
  try {
    const req = Buffer.alloc(8 + 5);
    req[0] = c.ICMP_ECHO ?? 8;
    req.writeUInt16BE(process.pid & 0xffff, 4);
    req.writeUInt16BE(1, 6);
    req.write('hello', 8);
    req.writeUInt16BE(checksum(req), 2);
    s.sendto(fd, req, 0, { family: 'inet', address: '127.0.0.1', port: 0 });
    const buf = Buffer.alloc(1500);
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline) {
      if (!(s.poll([{ fd, events: c.POLLIN }], 200)[0]!.revents & c.POLLIN)) continue;
      const { bytes, address } = s.recvfrom(fd, buf);
      const ihl = (buf[0]! & 0x0f) * 4;
      const icmp = buf.subarray(ihl, bytes);
      if (icmp[0] !== 0 || icmp.readUInt16BE(4) !== (process.pid & 0xffff)) continue;
      out(
        `   reply from ${s.formatAddress(address)}: ${bytes} bytes, of which ${ihl} are the IPv4 header`,
      );
      out(
        `   (version ${buf[0]! >> 4}, ttl ${buf[8]}, protocol ${buf[9]} = ICMP), then ICMP type 0 (echo reply)`,
      );
      return;
    }
    out('   no reply within 2 s');
  } finally {
    s.close(fd);
  }
}

function main(): void {
  out('sockfd tour: BSD sockets from TypeScript, with fds as plain integers\n');
  fourTypes();
  pairDemo(
    '2. SOCK_STREAM: a byte stream, no message boundaries',
    c.SOCK_STREAM,
    'three sends, read back as one blob.',
  );
  pairDemo(
    '3. SOCK_DGRAM: datagrams keep their boundaries',
    c.SOCK_DGRAM,
    'three sends, three datagrams.',
  );
  pairDemo(
    '4. SOCK_SEQPACKET: a connection whose records keep their boundaries',
    c.SOCK_SEQPACKET,
    'three sends, three records, in order, on a connection.',
  );
  rawDemo();
}

main();
