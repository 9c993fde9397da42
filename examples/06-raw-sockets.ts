// 6. Raw sockets see the IP header. A SOCK_RAW socket for ICMP receives every ICMP packet that
// arrives, with its IPv4 header, and sends what we build byte by byte (with sockfd's packet
// helpers: encodeIcmpEcho, decodeIPv4, decodeIcmpEcho, internetChecksum). An ICMP "ping" socket
// (SOCK_DGRAM, IPPROTO_ICMP) is the unprivileged cousin: the kernel fills in the id and the
// checksum and strips the IP header. Runs in a private network namespace, where we may open
// raw sockets and allow ping sockets without touching the machine's own network.
import { readFileSync, writeFileSync } from 'node:fs';

import {
  AF_INET,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  IPPROTO_ICMP,
  IP_DF,
  POLLIN,
  SOCK_DGRAM,
  SOCK_RAW,
  close,
  decodeIPv4,
  decodeIcmpEcho,
  encodeIcmpEcho,
  internetChecksum,
  poll,
  recvfrom,
  sendto,
  socket,
} from 'sockfd';

import { linkUp } from './support/netdev.js';
import { inPrivateNetns, runInPrivateNetns, say, skip } from './support/run.js';

const localhost = { family: 'inet', address: '127.0.0.1', port: 0 } as const;

/** Receives into `buf`, waiting at most 2 s (poll) so a lost reply cannot hang the example. */
function receive(fd: number, buf: Buffer): number {
  const [r] = poll([{ fd, events: POLLIN }], 2000);
  if (!r || r.revents === 0) throw new Error('no answer within 2 s');
  return recvfrom(fd, buf).bytes;
}

const TYPES: Record<number, string> = {
  [ICMP_ECHO]: 'echo request',
  [ICMP_ECHOREPLY]: 'echo reply',
};

function raw(): void {
  let fd: number;
  try {
    fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  } catch (e) {
    skip(`raw sockets need CAP_NET_RAW: ${(e as Error).message}`);
  }
  const id = process.pid & 0xffff;
  const request = Buffer.from(
    encodeIcmpEcho({ type: ICMP_ECHO, identifier: id, sequence: 1 }, Buffer.from('hello')),
  );
  say(`raw socket fd ${fd}: an ICMP echo request built by hand, ${request.length} bytes:`);
  say(`  ${request.toString('hex').replace(/(..)/g, '$1 ').trim()}`);
  say(
    `  type 8, code 0, checksum 0x${request.readUInt16BE(2).toString(16)}, id ${id}, seq 1, "hello"`,
  );
  sendto(fd, request, 0, localhost);
  const buf = Buffer.alloc(1500);
  // The raw socket gets every ICMP packet arriving: on loopback, our own request first.
  for (let i = 1; ; i++) {
    const n = receive(fd, buf);
    const { header: ip, payload } = decodeIPv4(buf.subarray(0, n));
    const { header: icmp, payload: data } = decodeIcmpEcho(payload);
    if (icmp.identifier !== id) continue;
    const headerLength = ip.ihl * 4;
    say('');
    say(`packet ${i}: recvfrom -> ${n} bytes; the first ${headerLength} are the IPv4 header:`);
    const headerOk = internetChecksum(buf.subarray(0, headerLength)) === 0;
    const rows: [string, string][] = [
      ['version', `${buf[0]! >> 4}`],
      ['header length', `${headerLength} bytes (IHL ${ip.ihl} × 4)`],
      ['tos', `${ip.tos}`],
      ['total length', `${ip.totalLength} bytes`],
      ['id', `${ip.id}`],
      ['flags', `0x${ip.flags.toString(16)}${ip.flags & IP_DF ? " (don't fragment)" : ''}`],
      ['ttl', `${ip.ttl}`],
      ['protocol', `${ip.protocol}${ip.protocol === IPPROTO_ICMP ? ' (ICMP)' : ''}`],
      [
        'checksum',
        `0x${ip.checksum.toString(16).padStart(4, '0')} (${headerOk ? 'correct' : 'wrong'})`,
      ],
      ['source', ip.source],
      ['destination', ip.destination],
    ];
    for (const [k, v] of rows) say(`  ${k.padEnd(14)}${v}`);
    say(
      `then ICMP: type ${icmp.type} (${TYPES[icmp.type] ?? '?'}), seq ${icmp.sequence}, payload "${Buffer.from(data).toString()}"`,
    );
    if (icmp.type === ICMP_ECHOREPLY) break;
    say(
      '  (our own request, as it arrived on the loopback interface: raw sockets see all of ICMP)',
    );
  }
  close(fd);
}

function ping(): void {
  say('');
  let fd: number;
  try {
    fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  } catch (e) {
    const range = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim();
    say(
      `ping socket: ${(e as Error).message}: our group is outside net.ipv4.ping_group_range (${range})`,
    );
    return;
  }
  // The kernel replaces the id with the socket's own "port" and computes the checksum.
  const request = encodeIcmpEcho({ identifier: 0, sequence: 2 }, Buffer.from('ping'));
  sendto(fd, request, 0, localhost);
  const buf = Buffer.alloc(1500);
  const n = receive(fd, buf);
  const { header: icmp, payload } = decodeIcmpEcho(buf.subarray(0, n));
  say(
    `ping socket fd ${fd} (SOCK_DGRAM, IPPROTO_ICMP: no CAP_NET_RAW, only a group in ping_group_range): recv -> ${n} bytes`,
  );
  say(
    `  no IP header this time: ICMP type ${icmp.type} (${TYPES[icmp.type]}), id ${icmp.identifier} (the kernel's), seq ${icmp.sequence}, "${Buffer.from(payload).toString()}"`,
  );
  close(fd);
}

if (!inPrivateNetns()) {
  const why = runInPrivateNetns(__filename);
  say(`(no private network namespace: ${why}; using this one)`);
} else {
  // A new network namespace starts with its loopback interface down, and ping sockets off.
  linkUp('lo');
  writeFileSync('/proc/sys/net/ipv4/ping_group_range', '0 0');
}
raw();
ping();
