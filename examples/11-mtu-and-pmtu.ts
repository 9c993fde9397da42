// 11. The MTU, fragmentation and path MTU discovery. Every link has an MTU: the largest IP
// packet it carries. Here a and b sit on ordinary 1500-byte links, and between their routers
// r1 and r2 is a narrow link of 1280 bytes that neither a nor b can see:
//
//   a ---- r1 ==== r2 ---- b        ---- MTU 1500   ==== MTU 1280
//
// A 1400-byte datagram does not fit through. Without the "don't fragment" bit (DF) r1 cuts it
// into fragments, which b's kernel puts back together. With DF, r1 drops it and answers ICMP
// "fragmentation needed", naming the MTU that stopped it; a's kernel remembers that MTU for the
// destination (path MTU discovery), and TCP uses it to make its segments smaller.
import {
  ICMP_DEST_UNREACH,
  ICMP_FRAG_NEEDED,
  IPPROTO_IP,
  IPPROTO_UDP,
  IP_MF,
  IP_MTU,
  IP_MTU_DISCOVER,
  IP_PMTUDISC_DO,
  IP_PMTUDISC_DONT,
  IP_RECVERR,
  MSG_ERRQUEUE,
  type InetAddress,
  type RecvErrMessage,
  decodeIPv4,
} from 'sockfd';
import { type Capture, type Host, Lab, capture, labSupport, readPcapng } from 'sockfd/lab';

import { say, skip } from './support/run.js';

const B = { family: 'inet', address: '10.0.2.2', port: 9000 } as const;

/** The IPv4 UDP packets (and fragments of them) a capture saw, one line each. */
async function udpPackets(cap: Capture): Promise<string[]> {
  const { packets } = readPcapng((await cap.stop()).bytes);
  const lines: string[] = [];
  for (const p of packets) {
    // An Ethernet frame: two 6-byte addresses, the EtherType (0x0800 for IPv4), the packet.
    const frame = Buffer.from(p.data);
    if (frame.readUInt16BE(12) !== 0x0800) continue; // ARP, IPv6 neighbour discovery, …
    const { header: ip } = decodeIPv4(frame.subarray(14));
    if (ip.protocol !== IPPROTO_UDP) continue;
    const more = ip.flags & IP_MF ? ', more fragments (MF)' : '';
    lines.push(
      `${ip.totalLength} bytes, id ${ip.id}, fragment offset ${ip.fragmentOffset * 8}${more}`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const support = labSupport();
  if (!support.ok) skip(support.reason);

  await using lab = await Lab.create();
  const a = await lab.host('a');
  const r1 = await lab.router('r1');
  const r2 = await lab.router('r2');
  const b = await lab.host('b');
  await lab.link(a, r1, { addresses: ['10.0.1.2/24', '10.0.1.1/24'] });
  await lab.link(r1, r2, { addresses: ['10.0.12.1/24', '10.0.12.2/24'], mtu: 1280 });
  // b has a second address, for the TCP part below.
  await lab.link(r2, b, { addresses: ['10.0.2.1/24', ['10.0.2.2/24', '10.0.2.3/24']] });
  a.route('default', { via: '10.0.1.1' });
  r1.route('10.0.2.0/24', { via: '10.0.12.2' });
  r2.route('10.0.1.0/24', { via: '10.0.12.1' });
  b.route('default', { via: '10.0.2.1' });
  say('a ---- r1 ==== r2 ---- b: the r1-r2 link has MTU 1280, the others 1500');

  const server = b.DatagramSocket.bound(B);
  const got = Buffer.alloc(2000);
  const data = Buffer.alloc(1400, 'x');

  // 1. DF off (IP_PMTUDISC_DONT): routers may fragment. We watch a's and b's interfaces.
  say('');
  say('1. a sends a 1400-byte datagram to b with DF off (IP_MTU_DISCOVER = IP_PMTUDISC_DONT)');
  const onA = capture(a, { interface: 'eth0' });
  const onB = capture(b, { interface: 'eth0' });
  const dont = a.DatagramSocket.create('inet');
  dont.setOption(IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT);
  await dont.sendTo(data, B);
  const m = await server.recvFrom(got, { signal: AbortSignal.timeout(2000) });
  for (const [host, cap] of [
    [a, onA],
    [b, onB],
  ] as [Host, Capture][]) {
    const lines = await udpPackets(cap);
    say(`  captured on ${host.name}'s eth0: ${lines.length} packet(s)`);
    for (const line of lines) say(`    ${line}`);
  }
  say(`  b's socket received one datagram of ${m.bytes} bytes: b's kernel reassembled it`);
  say('  (1400 bytes of data + 8 of UDP header + 20 of IP header = 1428 bytes; r1 cut that');
  say('  into pieces of at most 1280, each with its own IP header, at offsets that are');
  say('  multiples of 8)');

  // 2. DF on (IP_PMTUDISC_DO): nobody may fragment; r1 must drop the packet and say why.
  say('');
  say('2. the same datagram with DF on (IP_MTU_DISCOVER = IP_PMTUDISC_DO), IP_RECVERR on');
  const df = a.DatagramSocket.create('inet');
  df.setOption(IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
  df.setOption(IPPROTO_IP, IP_RECVERR, 1);
  await df.connect(B); // Connected, so IP_MTU can say what the kernel knows of this path.
  say(`  IP_MTU of the connected socket before: ${df.getOption(IPPROTO_IP, IP_MTU)}`);
  await df.send(data);
  say('  send() -> 1400: a has no reason yet to think it will not fit');
  const r = await df.recvMsg(
    { buffers: [Buffer.alloc(64)], controlLength: 512, flags: MSG_ERRQUEUE },
    { signal: AbortSignal.timeout(2000) },
  );
  const e = r.control.find((c): c is RecvErrMessage => c.type === 'recverr');
  if (e === undefined) throw new Error('the error queue held no ICMP error');
  const frag = e.icmpType === ICMP_DEST_UNREACH && e.icmpCode === ICMP_FRAG_NEEDED;
  const from = (e.offender as InetAddress).address;
  say(
    `  the error queue: ${e.code} from ${from}, ICMP ${e.icmpType}/${e.icmpCode}${frag ? ' (fragmentation needed)' : ''}`,
  );
  say(`    ee_info ${e.info}: the MTU of the link that stopped it`);
  say(`  IP_MTU of the connected socket now: ${df.getOption(IPPROTO_IP, IP_MTU)}`);
  try {
    await df.send(data);
  } catch (err) {
    say(`  send() of 1400 bytes again -> ${(err as { code?: string }).code}, at once, on a`);
  }
  const fits = 1280 - 20 - 8; // The path MTU less the IP and UDP headers.
  await df.send(data.subarray(0, fits));
  const n = await server.recvFrom(got, { signal: AbortSignal.timeout(2000) });
  say(`  send() of ${fits} bytes: b received ${n.bytes}`);

  // 3. TCP sets DF on every segment and learns the path MTU as UDP did. b's second address has
  // no path MTU learned yet: a's kernel keeps what it learned per destination address.
  say('');
  say("3. TCP from a to b's other address, 10.0.2.3, whose path a knows nothing of yet");
  const listener = b.StreamSocket.listen({ family: 'inet', address: '10.0.2.3', port: 9001 });
  const accepted = listener.accept();
  const conn = await a.StreamSocket.connect({ family: 'inet', address: '10.0.2.3', port: 9001 });
  const peer = await accepted;
  const show = (when: string): void => {
    const info = conn.tcpInfo(); // TCP_INFO
    say(
      `  ${when}: TCP_INFO pmtu ${info.pmtu}, snd_mss ${info.sndMss}; TCP_MAXSEG ${conn.tcpMaxSegment()}; retransmitted ${info.totalRetrans}`,
    );
  };
  show('connected');
  const size = 256 * 1024;
  const sending = conn.write(Buffer.alloc(size, 'y')).then(() => conn.shutdown('write'));
  let received = 0;
  for (let k = await peer.read(got); k !== null; k = await peer.read(got)) received += k;
  await sending;
  show(`after ${received} bytes`);
  say('  (the first full-sized segments met r1, which answered "fragmentation needed"; TCP');
  say('  cut its segments to fit 1280 and sent again what r1 had dropped. snd_mss is the data');
  say('  in a segment: the MTU less 20 bytes of IP, 20 of TCP and 12 of the timestamps option)');
}

void main();
