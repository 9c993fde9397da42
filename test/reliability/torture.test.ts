// Lifecycle torture, 10,000 rounds each: the ways a watcher and its fd can be closed, aborted or
// dropped in the wrong order must never crash, leak an fd, or call back after close.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { native } from '../../lib/sys/native.js';
import { DatagramSocket, SeqPacketSocket } from '../../lib/index.js';

const ROUNDS = 10_000;
const { AF_UNIX, SOCK_DGRAM, SOCK_NONBLOCK } = s.constants;
const { READABLE, WRITABLE } = native.watcherEvents;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe(`lifecycle torture (${ROUNDS} rounds each)`, () => {
  it('closing the fd while its watcher is active: no callback after close', async () => {
    let late = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const [a, b] = s.socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK);
      let closed = false;
      const w = new native.Watcher(() => {
        if (closed) late++;
      });
      expect(w.open(b)).toBe(0);
      expect(w.start(READABLE | WRITABLE)).toBe(0);
      s.send(a, Buffer.from('x'));
      s.close(b); // closes the watcher first, then the fd
      closed = true;
      s.close(a);
      if (i % 500 === 0) await tick();
    }
    await tick();
    expect(late).toBe(0);
  });

  it('closing inside the readiness callback, and closing twice', async () => {
    let calls = 0;
    for (let i = 0; i < ROUNDS; i += 1) {
      const [a, b] = s.socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK);
      await new Promise<void>((resolve) => {
        const w = new native.Watcher(() => {
          calls++;
          w.close();
          w.close();
          s.close(b);
          resolve();
        });
        w.open(b);
        w.start(READABLE);
        s.send(a, Buffer.from('x'));
      });
      s.close(a);
    }
    expect(calls).toBe(ROUNDS);
  });

  it('double close of a socket object, and close through the fd-integer API', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const sock = DatagramSocket.create('unix');
      const fd = sock.fd;
      if (i % 2 === 0) s.close(fd);
      else sock.close();
      sock.close();
      expect(sock.closed).toBe(true);
      expect(() => s.close(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    }
  });

  it('adopting one fd by two owners is refused, so it is closed exactly once', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const fd = s.socket(AF_UNIX, SOCK_DGRAM);
      const first = DatagramSocket.from(fd);
      expect(() => DatagramSocket.from(fd)).toThrow(
        expect.objectContaining({ code: 'ERR_SOCKFD_FD_OWNED' }),
      );
      first.close();
    }
  });

  it('aborting while waiting leaves the socket usable', async () => {
    const [a, b] = SeqPacketSocket.pair();
    const buf = Buffer.alloc(4);
    for (let i = 0; i < ROUNDS; i++) {
      const ac = new AbortController();
      const p = b.recv(buf, { signal: ac.signal });
      ac.abort();
      await expect(p).rejects.toMatchObject({ name: 'AbortError' });
      if (i % 1000 === 0) {
        await a.send('ok');
        expect((await b.recv(buf))?.bytes).toBe(2);
      }
    }
    a.close();
    b.close();
  });

  it('garbage collection of unreferenced watchers and sockets, with --expose-gc', () => {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', join(__dirname, '..', 'children', 'gc-torture.js'), String(ROUNDS)],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(out).toContain(`gc torture: ${ROUNDS} rounds, fds open afterwards: 0`);
  });
});
