// 9. The same event loop on epoll. poll() is handed the whole fd list on every call; epoll
// keeps the interest list in the kernel, changed with epoll_ctl() only when interest changes,
// and epoll_wait() returns only the entries that are ready. Here the echo server of example 8
// again, on a tiny loop with one call to register a handler: the listener level-triggered,
// the connections edge-triggered (read until EAGAIN), the clients' connects one-shot.
import {
  AF_INET,
  EPOLLET,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLRDHUP,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_ERROR,
  type InetAddress,
  accept,
  bind,
  close,
  connect,
  epoll_create1,
  epoll_ctl,
  epoll_wait,
  getsockname,
  getsockopt,
  listen,
  recv,
  send,
  socket,
} from 'sockfd';

import { say } from './support/run.js';

// The loop: an epoll fd, and a handler per registered fd. epoll_ctl's data is the fd itself.
const ep = epoll_create1();
const handlers = new Map<number, { name: string; ready: (events: number) => void }>();

function on(fd: number, name: string, events: number, ready: (events: number) => void): void {
  epoll_ctl(ep, handlers.has(fd) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, events);
  handlers.set(fd, { name, ready });
}

function done(fd: number): void {
  epoll_ctl(ep, EPOLL_CTL_DEL, fd);
  handlers.delete(fd);
  close(fd);
}

/** Calls `call` until the kernel says EAGAIN: an edge-triggered fd must be drained. */
function drain<T>(call: () => T, each: (value: T) => boolean | void): void {
  for (;;) {
    let value: T;
    try {
      value = call();
    } catch (e) {
      if ((e as { code?: string }).code === 'EAGAIN') return;
      throw e;
    }
    if (each(value) === false) return;
  }
}

function bits(events: number): string {
  const names = { EPOLLIN, EPOLLOUT, EPOLLRDHUP };
  return Object.entries(names)
    .filter(([, bit]) => events & bit)
    .map(([name]) => name)
    .join('|');
}

const buf = Buffer.alloc(256);

const listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
bind(listener, { family: 'inet', address: '127.0.0.1', port: 0 });
listen(listener, 8);
const address = getsockname(listener) as InetAddress;
let accepted = 0;
on(listener, 'listener', EPOLLIN, () => {
  drain(
    () => accept(listener, SOCK_NONBLOCK).fd,
    (fd) => {
      say(`    accept() -> fd ${fd}, registered EPOLLIN|EPOLLET|EPOLLRDHUP`);
      on(fd, `connection ${fd}`, EPOLLIN | EPOLLET | EPOLLRDHUP, () => {
        drain(
          () => recv(fd, buf),
          (n) => {
            if (n === 0) {
              say(`    recv() -> 0: the client closed; close(${fd})`);
              done(fd);
              return false;
            }
            say(`    recv() -> "${buf.toString('utf8', 0, n)}"; send it back`);
            send(fd, buf.subarray(0, n));
          },
        );
      });
      if (++accepted === 2) {
        say(`    two connections: close(${listener}), stop listening`);
        done(listener);
        return false;
      }
    },
  );
});

for (const name of ['client A', 'client B']) {
  const fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
  try {
    connect(fd, address);
  } catch (e) {
    if ((e as { code?: string }).code !== 'EINPROGRESS') throw e;
  }
  // One-shot: after it fires the entry stays in the list, disabled, until EPOLL_CTL_MOD.
  on(fd, name, EPOLLOUT | EPOLLONESHOT, () => {
    const err = getsockopt(fd, SOL_SOCKET, SO_ERROR);
    say(`    connected (SO_ERROR ${err}); send "hello from ${name}"`);
    send(fd, Buffer.from(`hello from ${name}`));
    on(fd, name, EPOLLIN, () => {
      const n = recv(fd, buf);
      say(`    the echo: "${buf.toString('utf8', 0, n)}"; close(${fd})`);
      done(fd);
    });
  });
}

say(`echo server on ${address.address}:${address.port}; epoll fd ${ep} watches ${handlers.size}`);
for (let round = 1; handlers.size > 0; round++) {
  const ready = epoll_wait(ep, 16, 1000);
  say(`round ${round}: epoll_wait() -> ${ready.length} ready of ${handlers.size} watched`);
  if (ready.length === 0) throw new Error('nothing became ready within a second');
  for (const { events, data: fd } of ready) {
    const h = handlers.get(fd);
    if (h === undefined) continue; // Closed by an earlier handler in this round.
    say(`  fd ${fd} (${h.name}) ${bits(events)}`);
    h.ready(events);
  }
}
close(ep);
say('the interest list is empty: the loop ends, and close() releases the epoll fd.');
