// 8. A tiny event loop. One thread serves many sockets by asking the kernel which of them are
// ready (poll), then doing only the calls that will not wait. Here: an echo server and two
// clients, all nonblocking, all in one loop. sockfd's async classes do the same on Node's own
// loop (libuv, with epoll), so JavaScript keeps running between events.
import {
  AF_INET,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_ERROR,
  type InetAddress,
  accept,
  bind,
  close,
  connect,
  getsockname,
  getsockopt,
  listen,
  poll,
  recv,
  send,
  socket,
} from 'sockfd';

import { say } from './support/run.js';

type Handler = { name: string; events: number; ready: (revents: number) => void };
const handlers = new Map<number, Handler>();

function watch(fd: number, name: string, events: number, ready: (revents: number) => void): void {
  handlers.set(fd, { name, events, ready });
}

function done(fd: number): void {
  handlers.delete(fd);
  close(fd);
}

function bits(revents: number): string {
  const names = { POLLIN, POLLOUT, POLLHUP, POLLERR };
  return Object.entries(names)
    .filter(([, bit]) => revents & bit)
    .map(([name]) => name)
    .join('|');
}

const buf = Buffer.alloc(256);

// The server: a listener whose readiness means "a connection is waiting for accept()".
const listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
bind(listener, { family: 'inet', address: '127.0.0.1', port: 0 });
listen(listener, 8);
const address = getsockname(listener) as InetAddress;
let accepted = 0;
watch(listener, 'listener', POLLIN, () => {
  const { fd } = accept(listener, SOCK_NONBLOCK);
  say(`    accept() -> fd ${fd}`);
  watch(fd, `connection ${fd}`, POLLIN, () => {
    const n = recv(fd, buf);
    if (n === 0) {
      say(`    recv() -> 0: the client closed; close(${fd})`);
      return done(fd);
    }
    say(`    recv() -> "${buf.toString('utf8', 0, n)}"; send it back`);
    send(fd, buf.subarray(0, n));
  });
  if (++accepted === 2) {
    say(`    two connections: close(${listener}), stop listening`);
    done(listener);
  }
});

// Two clients: connect() returns at once (EINPROGRESS); writability says it finished.
for (const name of ['client A', 'client B']) {
  const fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
  try {
    connect(fd, address);
  } catch (e) {
    if ((e as { code?: string }).code !== 'EINPROGRESS') throw e;
  }
  watch(fd, name, POLLOUT, () => {
    const err = getsockopt(fd, SOL_SOCKET, SO_ERROR);
    say(`    connected (SO_ERROR ${err}); send "hello from ${name}"`);
    send(fd, Buffer.from(`hello from ${name}`));
    watch(fd, name, POLLIN, () => {
      const n = recv(fd, buf);
      say(`    the echo: "${buf.toString('utf8', 0, n)}"; close(${fd})`);
      done(fd);
    });
  });
}

say(`echo server on ${address.address}:${address.port}; every fd is nonblocking.`);
for (let round = 1; handlers.size > 0; round++) {
  const asked = [...handlers].map(([fd, h]) => ({ fd, events: h.events }));
  const list = asked.map((p) => `${p.fd}:${bits(p.events)}`).join(' ');
  const ready = poll(asked, 1000).filter((r) => r.revents !== 0);
  say(`round ${round}: poll([${list}]) -> ${ready.length} ready`);
  if (ready.length === 0) throw new Error('nothing became ready within a second');
  for (const r of ready) {
    const h = handlers.get(r.fd);
    if (h === undefined) continue; // Closed by an earlier handler in this round.
    say(`  fd ${r.fd} (${h.name}) ${bits(r.revents)}`);
    h.ready(r.revents);
  }
}
say('every fd is closed: nothing left to wait for, so the loop ends, as Node’s does.');
