// 13. TCP across a bad link, watched from both ends. The userspace link between a and b loses
// 3% of the packets, delays every one 10 ms, and carries at most 2 Mbit/s, like a slow and
// noisy radio link. a sends b 256 KiB; captures on both ends of the link show which segments
// were lost and sent again, and each side's TCP_INFO says what its kernel counted.
import { type TcpInfo, decodeIPv4, decodeTcp, IPPROTO_TCP, TH_SYN } from 'sockfd';
import {
  type Capture,
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW,
  Lab,
  capture,
  labSupport,
  readPcapng,
} from 'sockfd/lab';

import { say, skip } from './support/run.js';

const SIZE = 256 * 1024;
const PORT = 9100;

/** One data segment of the transfer as a capture saw it; offsets count from the first byte. */
interface Segment {
  timeMs: number;
  start: number;
  end: number;
}

/** The data segments from a to b in a capture, in the order they crossed the interface. */
async function dataSegments(cap: Capture): Promise<Segment[]> {
  const { interfaces, packets } = readPcapng((await cap.stop()).bytes);
  let isn: number | undefined; // The sequence number of a's SYN; data starts one after it.
  let t0: bigint | undefined;
  const out: Segment[] = [];
  for (const p of packets) {
    // A veth link's frames start with an Ethernet header; a TUN device's packets are bare IP.
    const linkType = interfaces[p.interfaceId]!.linkType;
    let packet = Buffer.from(p.data);
    if (linkType === LINKTYPE_ETHERNET) {
      if (packet.readUInt16BE(12) !== 0x0800) continue;
      packet = packet.subarray(14);
    } else if (linkType !== LINKTYPE_RAW || packet[0]! >> 4 !== 4) continue;
    const { header: ip, payload } = decodeIPv4(packet);
    if (ip.protocol !== IPPROTO_TCP) continue;
    const { header: tcp, payload: data } = decodeTcp(payload);
    if (tcp.destinationPort !== PORT) continue; // Only a's side: b's are ACKs.
    if (tcp.flags & TH_SYN) isn = tcp.sequence;
    if (isn === undefined || data.length === 0) continue;
    t0 ??= p.timestampNs;
    const start = (tcp.sequence - isn - 1) >>> 0; // Sequence numbers wrap at 2^32.
    out.push({ timeMs: Number(p.timestampNs - t0) / 1e6, start, end: start + data.length });
  }
  return out;
}

/** The segments that carried bytes an earlier segment had carried already. */
function retransmissions(segments: Segment[]): Segment[] {
  let sent = 0; // The end of the furthest byte sent so far.
  const again: Segment[] = [];
  for (const s of segments) {
    if (s.start < sent) again.push(s);
    sent = Math.max(sent, s.end);
  }
  return again;
}

/**
 * How many segments arrived while bytes before them were still missing: the receiving kernel
 * holds those in its out-of-order queue until the gap is filled.
 */
function outOfOrder(segments: Segment[]): number {
  let next = 0; // Every byte before this one has arrived.
  const held: Segment[] = [];
  let n = 0;
  for (const s of segments) {
    if (s.start > next) {
      n++;
      held.push(s);
      continue;
    }
    next = Math.max(next, s.end);
    // The gap may be filled now: take in what was held, in order.
    held.sort((x, y) => x.start - y.start);
    while (held.length > 0 && held[0]!.start <= next) next = Math.max(next, held.shift()!.end);
  }
  return n;
}

async function main(): Promise<void> {
  const support = labSupport('userspace'); // Namespaces, and /dev/net/tun for the link.
  if (!support.ok) skip(support.reason);

  await using lab = await Lab.create();
  const a = await lab.host('a');
  const b = await lab.host('b');
  const impair = { loss: 0.03, delayMs: 10, rate: 2_000_000, seed: 1 };
  const link = await lab.link(a, b, {
    kind: 'userspace',
    addresses: ['10.0.6.1/24', '10.0.6.2/24'],
    impair,
  });
  say(
    'a --- b over a userspace link: 3% of packets lost, 10 ms of delay each way, 2 Mbit/s at most',
  );

  const onA = capture(a, { interface: link.a.name });
  const onB = capture(b, { interface: link.b.name });
  const listener = b.StreamSocket.listen({ family: 'inet', address: '10.0.6.2', port: PORT });
  const accepted = listener.accept();
  const client = await a.StreamSocket.connect({ family: 'inet', address: '10.0.6.2', port: PORT });
  const server = await accepted;

  const started = performance.now();
  const data = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i++) data[i] = (i * 7) & 0xff;
  const sending = client.write(data).then(() => client.shutdown('write'));
  const received = Buffer.alloc(SIZE + 1);
  let n = 0;
  for (let r = await server.read(received); r !== null; r = await server.read(received.subarray(n)))
    n += r;
  await sending;
  const seconds = (performance.now() - started) / 1000;
  const sender: TcpInfo = client.tcpInfo();
  const receiver: TcpInfo = server.tcpInfo();

  const sentByA = await dataSegments(onA);
  const seenByB = await dataSegments(onB);
  const again = retransmissions(sentByA);
  const whole = n === SIZE && received.subarray(0, n).equals(data);
  say('');
  say(`b read ${n} bytes, ${whole ? 'all in order' : 'NOT in order'}, in ${seconds.toFixed(1)} s:`);
  say(`  ${((n * 8) / seconds / 1e6).toFixed(2)} Mbit/s of the link's 2`);
  say('');
  say(`the capture on a's ${link.a.name}: ${sentByA.length} data segments went out;`);
  say(`  ${again.length} of them carried bytes sent before: retransmissions`);
  say(`the capture on b's ${link.b.name}: ${seenByB.length} data segments arrived;`);
  say(
    `  ${sentByA.length - seenByB.length} lost on the way (the link counted ${link.stats().aToB.lost});`,
  );
  say(`  ${outOfOrder(seenByB)} arrived while bytes before them were missing, and waited in b's`);
  say('  kernel until the retransmission filled the gap');
  const first = again[0];
  if (first !== undefined) {
    const original = sentByA.find((s) => s.start <= first.start && s.end > first.start)!;
    say(`the first retransmission: bytes ${first.start}-${first.end - 1},`);
    say(`  sent at ${original.timeMs.toFixed(1)} ms, sent again at ${first.timeMs.toFixed(1)} ms`);
  }
  // TCP_INFO: what each kernel counted. tcpi_total_retrans counts the segments sent again;
  // tcpi_data_segs_out and tcpi_rcv_ooopack came with Linux 4.6 and 5.4 ('?' before).
  say('');
  say(
    `a's TCP_INFO: ${sender.totalRetrans} retransmitted of ${sender.dataSegsOut ?? '?'} data segments`,
  );
  say(`  rtt ${(sender.rtt / 1000).toFixed(1)} ms, where the link's delay is 20 ms a round trip:`);
  say('  the rest is time spent queued in the link, waiting for its 2 Mbit/s');
  say(`b's TCP_INFO: ${receiver.rcvOoopack ?? '?'} segments received out of order (rcv_ooopack)`);
}

void main();
