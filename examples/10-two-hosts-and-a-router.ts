// 10. A lab in one process: two hosts and a router. sockfd/lab makes each host a network
// namespace of this process, held open by an fd, and joins hosts with veth pairs: a virtual
// cable whose two ends are network interfaces in two namespaces. Host a is on 10.0.1.0/24, host
// b on 10.0.2.0/24, and the router r (a host with IP forwarding on) sits between them. A
// datagram crosses r; then we listen to what ICMP says when a packet cannot go on: its TTL ran
// out (traceroute's trick), nobody listens on its port, or the router has no route for it.
import {
  ICMP_DEST_UNREACH,
  ICMP_TIME_EXCEEDED,
  IPPROTO_IP,
  IP_RECVERR,
  IP_RECVTTL,
  MSG_ERRQUEUE,
  SO_EE_ORIGIN_ICMP,
  type DatagramSocket,
  type InetAddress,
  type RecvErrMessage,
  type TtlMessage,
} from 'sockfd';
import { Lab, labSupport } from 'sockfd/lab';

import { say, skip } from './support/run.js';

const ICMP_NAMES: Record<string, string> = {
  [`${ICMP_TIME_EXCEEDED}/0`]: 'time exceeded in transit',
  [`${ICMP_DEST_UNREACH}/0`]: 'net unreachable',
  [`${ICMP_DEST_UNREACH}/1`]: 'host unreachable',
  [`${ICMP_DEST_UNREACH}/3`]: 'port unreachable',
};

/**
 * Reads one entry of the socket's error queue (recvmsg with MSG_ERRQUEUE; IP_RECVERR must be
 * on) and describes it: who sent the ICMP message, its type and code, and the errno it means.
 */
async function icmpError(sock: DatagramSocket): Promise<string> {
  const r = await sock.recvMsg(
    { buffers: [Buffer.alloc(64)], controlLength: 512, flags: MSG_ERRQUEUE },
    { signal: AbortSignal.timeout(2000) }, // An answer lost for good must not hang the example.
  );
  const e = r.control.find((m): m is RecvErrMessage => m.type === 'recverr');
  if (e === undefined) return 'no error entry';
  if (e.origin !== SO_EE_ORIGIN_ICMP) return `${e.code}, not from ICMP (origin ${e.origin})`;
  const from = (e.offender as InetAddress | null)?.address ?? '?';
  const kind = `${e.icmpType}/${e.icmpCode}`;
  return `${e.code} from ${from}: ICMP ${kind}, ${ICMP_NAMES[kind] ?? 'unknown'}`;
}

async function main(): Promise<void> {
  const support = labSupport();
  if (!support.ok) skip(support.reason);

  // Everything the lab made (namespaces, links, the sockets its hosts made) goes at the end of
  // this block, even when something throws.
  await using lab = await Lab.create();
  const a = await lab.host('a');
  const r = await lab.router('r'); // A host with net.ipv4.ip_forward = 1.
  const b = await lab.host('b');
  await lab.link(a, r, { addresses: ['10.0.1.2/24', '10.0.1.1/24'] });
  await lab.link(r, b, { addresses: ['10.0.2.1/24', '10.0.2.2/24'] });
  // r is on both networks, so it knows both already. a and b each know only their own network
  // until told where the other one is: through r.
  a.route('10.0.2.0/24', { via: '10.0.1.1' });
  b.route('default', { via: '10.0.2.1' });

  say('three hosts, each a network namespace held by an fd of this process:');
  say(`  a: fd ${a.netnsFd}, r: fd ${r.netnsFd}, b: fd ${b.netnsFd}`);
  say('two veth links, each end an interface in its own host:');
  for (const { a: x, b: y } of lab.links) {
    say(
      `  ${x.host.name} ${x.name} ${x.addresses.join()}  <->  ${y.host.name} ${y.name} ${y.addresses.join()}`,
    );
  }
  say('routes: a sends 10.0.2.0/24 via 10.0.1.1 (r); b sends everything via 10.0.2.1 (r)');

  // A datagram across r, and its answer. The sockets are made inside their hosts' namespaces;
  // from then on they are ordinary fds of this process, used from anywhere.
  const server = b.DatagramSocket.bound({ family: 'inet', address: '10.0.2.2', port: 7000 });
  server.setOption(IPPROTO_IP, IP_RECVTTL, 1); // Report each datagram's TTL as it arrived.
  const client = a.DatagramSocket.bound({ family: 'inet', address: '0.0.0.0', port: 0 });
  await client.sendTo('hello', { family: 'inet', address: '10.0.2.2', port: 7000 });
  const buf = Buffer.alloc(64);
  const got = await server.recvMsg({ buffers: [buf], controlLength: 64 });
  const from = got.address as InetAddress;
  const ttl = got.control.find((m): m is TtlMessage => m.type === 'ttl');
  say('');
  say(`UDP across r: a (fd ${client.fd}) sent "hello" to 10.0.2.2:7000`);
  say(
    `  b (fd ${server.fd}) received "${buf.toString('utf8', 0, got.bytes)}" from ${from.address}, TTL ${ttl?.value}: a sent it with 64, r took one off`,
  );
  await server.sendTo('HELLO', from);
  const reply = await client.recvFrom(buf);
  say(
    `  a received "${buf.toString('utf8', 0, reply.bytes)}" from ${(reply.address as InetAddress).address}`,
  );

  // traceroute: the same probe with TTL 1, 2, …; each router on the way takes one off, and the
  // one that takes it to 0 drops the packet and says so with ICMP "time exceeded". IP_RECVERR
  // queues such answers on the socket that sent the probe, with the address of who sent them.
  const probe = a.DatagramSocket.bound({ family: 'inet', address: '0.0.0.0', port: 0 });
  probe.setOption(IPPROTO_IP, IP_RECVERR, 1);
  say('');
  say('traceroute to 10.0.2.2: a probe to port 33434+TTL per TTL (IP_TTL), each answer read');
  say('from the error queue (IP_RECVERR, recvmsg with MSG_ERRQUEUE):');
  for (let hop = 1; hop <= 2; hop++) {
    probe.setTtl(hop); // IP_TTL: the TTL of this socket's packets from now on.
    await probe.sendTo(`probe ${hop}`, { family: 'inet', address: '10.0.2.2', port: 33434 + hop });
    say(`  TTL ${hop}: ${await icmpError(probe)}`);
  }
  say('  (TTL 2 reached b, where no socket has that port: b itself answered)');
  probe.setTtl(64);

  // No route. First on a itself: the kernel has nowhere to send the packet, so sendto fails at
  // once and nothing leaves a.
  say('');
  say('no route to 10.0.3.3:');
  try {
    await probe.sendTo('lost?', { family: 'inet', address: '10.0.3.3', port: 9 });
  } catch (e) {
    say(`  on a, with no route for it: sendto -> ${(e as { code?: string }).code}, at once`);
  }
  // Now a sends everything it has no better route for to r, and r has no route either: the
  // packet leaves a, and r answers with ICMP "net unreachable".
  a.route('default', { via: '10.0.1.1' });
  await probe.sendTo('lost?', { family: 'inet', address: '10.0.3.3', port: 9 });
  say('  on a, with a default route via r: sendto succeeds, the packet goes to r, and then');
  say(`    the error queue: ${await icmpError(probe)}`);
}

void main();
