// 3. The kernel's buffers. Behind every socket the kernel keeps a receive queue and a send
// queue. send() only copies bytes into the send queue; recv() only takes bytes out of the
// receive queue. The inspector shows both filling up.
import {
  AF_INET,
  POLLIN,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_RCVBUF,
  SO_RXQ_OVFL,
  SO_SNDBUF,
  type InetAddress,
  type RxqOverflowMessage,
  type SocketInspection,
  accept,
  bind,
  cmsgSpace,
  close,
  connect,
  getsockname,
  getsockopt,
  inspect,
  listen,
  poll,
  recv,
  recvmsg,
  send,
  sendto,
  setsockopt,
  socket,
} from 'sockfd';

import { say } from './support/run.js';

const loopback: InetAddress = { family: 'inet', address: '127.0.0.1', port: 0 };

function queues(fd: number): { inq: number; outq: number } {
  const i = inspect(fd) as SocketInspection;
  return { inq: i.recvQueue ?? 0, outq: i.sendQueue ?? 0 };
}

function isEagain(e: unknown): boolean {
  return (e as { code?: string }).code === 'EAGAIN';
}

// --- A stream sender that nobody reads -------------------------------------------------------
// Small buffers keep the numbers small (setting them also turns off the kernel's autotuning).
const listener = socket(AF_INET, SOCK_STREAM);
setsockopt(listener, SOL_SOCKET, SO_RCVBUF, 16384); // inherited by the accepted socket
bind(listener, loopback);
listen(listener, 1);
const sender = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
setsockopt(sender, SOL_SOCKET, SO_SNDBUF, 16384);
try {
  connect(sender, getsockname(listener) as InetAddress);
} catch (e) {
  if ((e as { code?: string }).code !== 'EINPROGRESS') throw e;
}
const receiver = accept(listener).fd;
say(`a TCP connection on loopback: sender fd ${sender} (nonblocking), receiver fd ${receiver}`);
say(
  `both buffers set to 16384; the kernel doubles that for its bookkeeping: SO_SNDBUF ${getsockopt(sender, SOL_SOCKET, SO_SNDBUF)}, SO_RCVBUF ${getsockopt(receiver, SOL_SOCKET, SO_RCVBUF)}`,
);
say('the sender sends 4 KiB at a time; the receiver never calls recv:');
const chunk = Buffer.alloc(4096, 'x');
let total = 0;
for (;;) {
  try {
    total += send(sender, chunk);
  } catch (e) {
    if (!isEagain(e)) throw e;
    break;
  }
  const r = queues(receiver);
  const s = queues(sender);
  say(
    `  sent ${String(total).padStart(6)} bytes: receiver's queue (SIOCINQ) ${String(r.inq).padStart(6)}, sender's queue (SIOCOUTQ) ${String(s.outq).padStart(6)}`,
  );
}
say(`send -> EAGAIN after ${total} bytes: both queues are full, a blocking send would wait here.`);
say('first the receiver’s queue filled, as far as the window it advertises allowed;');
say('then the sender’s queue grew with bytes the peer could not take yet.');
const buf = Buffer.alloc(65536);
let read = 0;
while (read < total) read += recv(receiver, buf);
say(
  `the receiver reads ${read} bytes; now SIOCINQ is ${queues(receiver).inq} and SIOCOUTQ ${queues(sender).outq}: the kernel moved the rest along`,
);
for (const fd of [sender, receiver, listener]) close(fd);

// --- A datagram receiver with a tiny buffer --------------------------------------------------
say('');
const rx = socket(AF_INET, SOCK_DGRAM);
setsockopt(rx, SOL_SOCKET, SO_RCVBUF, 4096);
setsockopt(rx, SOL_SOCKET, SO_RXQ_OVFL, 1); // count drops, reported with each datagram
bind(rx, loopback);
const to = getsockname(rx) as InetAddress;
const tx = socket(AF_INET, SOCK_DGRAM);
const sent = 50;
for (let i = 0; i < sent; i++) sendto(tx, Buffer.alloc(1000, i), 0, to);
poll([{ fd: rx, events: POLLIN }], 100); // loopback delivers at once; this only guards a busy CPU
const before = inspect(rx) as SocketInspection;
say(
  `UDP: ${sent} datagrams of 1000 bytes sent to a socket with SO_RCVBUF ${before.recvBufferSize} that is not reading`,
);
say(
  `  the next datagram waiting is ${before.recvQueue} bytes (SIOCINQ); the kernel dropped ${before.drops} (/proc/net/udp)`,
);
let got = 0;
while (poll([{ fd: rx, events: POLLIN }], 100)[0]!.revents & POLLIN) {
  recv(rx, buf);
  got++;
}
say(`  reading now gets ${got}: the rest never reached the socket, and UDP does not send again.`);
say(
  '  (each queued datagram costs more than its 1000 bytes: the kernel counts its bookkeeping too)',
);
sendto(tx, Buffer.from('after the drops'), 0, to);
const m = recvmsg(rx, { buffers: buf, controlLength: cmsgSpace(4) });
const ovfl = m.control.find((x): x is RxqOverflowMessage => x.type === 'rxqOverflow');
say(`  the next datagram comes with SO_RXQ_OVFL = ${ovfl?.dropped}: the kernel's count of drops`);
close(rx);
close(tx);
