// 4. The kernel demultiplexes by address and port: every arriving packet is matched against
// the sockets' local (and, once connected, remote) addresses and ports, and handed to one
// socket. Two sockets cannot both claim the same address and port, unless they ask to.
import {
  AF_INET,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_REUSEADDR,
  SO_REUSEPORT,
  type InetAddress,
  POLLIN,
  accept,
  bind,
  close,
  connect,
  getsockname,
  listen,
  poll,
  readSocketTable,
  recvfrom,
  sendto,
  setsockopt,
  socket,
} from 'sockfd';

import { say } from './support/run.js';

function tryBind(fd: number, address: InetAddress): string {
  try {
    bind(fd, address);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
}

function udpSocket(address?: InetAddress, reusePort = false): number {
  const fd = socket(AF_INET, SOCK_DGRAM);
  if (reusePort) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, 1);
  if (address !== undefined) bind(fd, address);
  return fd;
}

/** Reads what is waiting on `fd` until nothing more comes for 100 ms: the payloads, as text. */
function waiting(fd: number): string[] {
  const buf = Buffer.alloc(64);
  const got: string[] = [];
  while (poll([{ fd, events: POLLIN }], 100)[0]!.revents & POLLIN) {
    const { bytes } = recvfrom(fd, buf);
    got.push(buf.toString('utf8', 0, bytes));
  }
  return got;
}

// --- One address and port, one socket -------------------------------------------------------
const first = udpSocket({ family: 'inet', address: '127.0.0.1', port: 0 });
const taken = getsockname(first) as InetAddress;
const second = socket(AF_INET, SOCK_DGRAM);
say(`one UDP socket is bound to ${taken.address}:${taken.port}; binding a second one there:`);
say(`  ${tryBind(second, taken)}`);
// 127.0.0.2 is another local address (all of 127.0.0.0/8 is loopback): same port, no clash.
const other: InetAddress = { family: 'inet', address: '127.0.0.2', port: taken.port };
say(`the same port on ${other.address}: ${tryBind(second, other)}`);
const tx = udpSocket();
sendto(tx, Buffer.from('to .1'), 0, taken);
sendto(tx, Buffer.from('to .2'), 0, other);
say(
  `a datagram to each: the first socket gets ${JSON.stringify(waiting(first))}, the second ${JSON.stringify(waiting(second))}`,
);
say('  the destination address and port pick the socket.');
for (const fd of [first, second, tx]) close(fd);

// --- TIME_WAIT and SO_REUSEADDR --------------------------------------------------------------
say('');
// Servers set SO_REUSEADDR before bind (StreamSocket.listen does): the kernel lets a new
// socket take the port over a TIME_WAIT entry only when both the old and the new socket set it.
const listener = socket(AF_INET, SOCK_STREAM);
setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, 1);
bind(listener, { family: 'inet', address: '127.0.0.1', port: 0 });
listen(listener, 1);
const server = getsockname(listener) as InetAddress;
const client = socket(AF_INET, SOCK_STREAM);
connect(client, server);
const conn = accept(listener).fd;
// The side that closes first keeps the connection's addresses in TIME_WAIT for a minute, so
// late packets of this connection cannot be mistaken for a new one's.
close(conn);
close(client);
close(listener);
const tw = readSocketTable('tcp').filter(
  (e) => e.state === 'TIME_WAIT' && e.localAddress === `127.0.0.1:${server.port}`,
);
say(
  `a server with SO_REUSEADDR on port ${server.port} accepts a connection, closes it first, and exits.`,
);
for (const e of tw)
  say(
    `  /proc/net/tcp still lists ${e.localAddress} -> ${e.remoteAddress} ${e.state} (no socket: inode ${e.inode})`,
  );
const again = socket(AF_INET, SOCK_STREAM);
say(`restarting it on port ${server.port} without SO_REUSEADDR: ${tryBind(again, server)}`);
close(again);
const reuse = socket(AF_INET, SOCK_STREAM);
setsockopt(reuse, SOL_SOCKET, SO_REUSEADDR, 1);
say(`with SO_REUSEADDR: ${tryBind(reuse, server)}; listen() works and the server is back.`);
listen(reuse, 1);
close(reuse);

// --- SO_REUSEPORT: one port, several sockets, the kernel spreads the load ---------------------
say('');
const group: number[] = [udpSocket({ family: 'inet', address: '127.0.0.1', port: 0 }, true)];
const port = getsockname(group[0]!) as InetAddress;
for (let i = 1; i < 3; i++) group.push(udpSocket(port, true));
say(
  `three UDP sockets bound to ${port.address}:${port.port}, each with SO_REUSEPORT (fds ${group.join(', ')})`,
);
const senders = 30;
for (let i = 0; i < senders; i++) {
  const s = udpSocket(); // a new socket: a new source port
  sendto(s, Buffer.from(`sender ${i}`), 0, port);
  close(s);
}
const counts = group.map((fd) => waiting(fd).length);
say(
  `${senders} senders, one datagram each, arrive as ${counts.join(' + ')}: spread by a hash of the source address and port`,
);
const one = udpSocket();
for (let i = 0; i < 10; i++) sendto(one, Buffer.from(`again ${i}`), 0, port);
const same = group.map((fd) => waiting(fd).length);
say(
  `one sender, ten datagrams: ${same.join(' + ')}: the same source always hashes to the same socket`,
);
close(one);
for (const fd of group) close(fd);
