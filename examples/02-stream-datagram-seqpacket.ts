// 2. Stream, datagram, seqpacket: the same three sends, read back three ways. A stream socket
// keeps the bytes and their order but not where one send ended; datagram and seqpacket
// sockets keep each message whole.
import {
  AF_INET,
  AF_UNIX,
  MSG_TRUNC,
  POLLIN,
  SIOCINQ,
  SOCK_DGRAM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  type InetAddress,
  accept,
  bind,
  close,
  connect,
  getsockname,
  ioctl,
  listen,
  poll,
  recv,
  send,
  sendto,
  socket,
  socketpair,
} from 'sockfd';

import { say, sleep } from './support/run.js';

const parts = ['one', 'two', 'three'];
const loopback: InetAddress = { family: 'inet', address: '127.0.0.1', port: 0 };

/** Calls recv until nothing more arrives for 100 ms (poll says so), and shows each call. */
function drain(fd: number, size: number, flags = 0): string[] {
  const buf = Buffer.alloc(size);
  const got: string[] = [];
  while (poll([{ fd, events: POLLIN }], 100)[0]!.revents & POLLIN) {
    const n = recv(fd, buf, flags);
    const text = JSON.stringify(buf.toString('utf8', 0, Math.min(n, size)));
    got.push(n > size ? `${text} (of ${n}: the rest is gone)` : text);
  }
  return got;
}

async function main(): Promise<void> {
  // SOCK_STREAM: TCP over the loopback interface.
  const listener = socket(AF_INET, SOCK_STREAM);
  bind(listener, loopback);
  listen(listener, 1);
  const client = socket(AF_INET, SOCK_STREAM);
  connect(client, getsockname(listener) as InetAddress);
  const server = accept(listener).fd;
  for (const p of parts) send(client, Buffer.from(p));
  // Wait until all 11 bytes are in the receiver's queue (TCP may hold small sends back briefly).
  while (ioctl(server, SIOCINQ) < 11) await sleep(1);
  say(
    `SOCK_STREAM (TCP): send 'one', 'two', 'three'; the receive queue holds ${ioctl(server, SIOCINQ)} bytes`,
  );
  say(`  recv with a 64-byte buffer: ${drain(server, 64).join(', ')}`);
  for (const p of parts) send(client, Buffer.from(p));
  while (ioctl(server, SIOCINQ) < 11) await sleep(1);
  say(`  the same again, read 4 bytes at a time: ${drain(server, 4).join(', ')}`);
  say('  one blob of bytes, cut wherever the reader asks: the sends left no boundaries.');
  for (const fd of [client, server, listener]) close(fd);

  // SOCK_DGRAM: UDP over loopback.
  const rx = socket(AF_INET, SOCK_DGRAM);
  bind(rx, loopback);
  const tx = socket(AF_INET, SOCK_DGRAM);
  for (const p of parts) sendto(tx, Buffer.from(p), 0, getsockname(rx) as InetAddress);
  say('');
  say(`SOCK_DGRAM (UDP): sendto 'one', 'two', 'three'`);
  say(`  recv with a 64-byte buffer: ${drain(rx, 64).join(', ')}`);
  for (const p of parts) sendto(tx, Buffer.from(p), 0, getsockname(rx) as InetAddress);
  say(`  the same again, read 4 bytes at a time: ${drain(rx, 4, MSG_TRUNC).join(', ')}`);
  say('  one recv per datagram, always: a datagram longer than the buffer is cut, not split.');
  close(rx);
  close(tx);

  // SOCK_SEQPACKET: a connection (like a stream) whose records keep their boundaries.
  const [a, b] = socketpair(AF_UNIX, SOCK_SEQPACKET);
  for (const p of parts) send(a, Buffer.from(p));
  say('');
  say(`SOCK_SEQPACKET (unix): send 'one', 'two', 'three' on a connection`);
  say(`  recv with a 64-byte buffer: ${drain(b, 64).join(', ')}`);
  close(a);
  say(`  after the peer closes, recv returns ${recv(b, Buffer.alloc(64))}: end of connection`);
  say('  records in order on a connection, each one whole.');
  close(b);
}

void main();
