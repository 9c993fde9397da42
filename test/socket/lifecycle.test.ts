// The lifecycle of the typed classes: close and detach, `using`, abort, close during a wait,
// unref, worker threads terminated mid-wait, garbage collection, exceptions in callbacks.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { DatagramSocket, SeqPacketSocket, StreamSocket } from '../../lib/index.js';

const child = (name: string): string => join(__dirname, '..', 'children', name);
const isOpen = (fd: number): boolean => {
  try {
    s.getNonblocking(fd);
    return true;
  } catch {
    return false;
  }
};

describe('ownership', () => {
  it.each(['StreamSocket', 'DatagramSocket', 'SeqPacketSocket', 'RawSocket'] as const)(
    'new %s() from JavaScript throws ERR_ILLEGAL_CONSTRUCTOR and adopts nothing',
    (name) => {
      const Class = s[name] as unknown as new (...args: unknown[]) => unknown;
      for (const args of [[], [0], [Symbol('sockfd.construct'), 0]]) {
        expect(() => new Class(...args)).toThrow(
          expect.objectContaining({
            name: 'TypeError',
            code: 'ERR_ILLEGAL_CONSTRUCTOR',
            message: expect.stringContaining(`${name}.create()`) as unknown,
          }),
        );
      }
      expect(s.openSockets().filter((o) => o.fd === 0)).toEqual([]);
    },
  );

  it('close() closes the fd once; calling it again does nothing', () => {
    const sock = DatagramSocket.create('inet');
    const fd = sock.fd;
    expect(isOpen(fd)).toBe(true);
    sock.close();
    expect(sock.closed).toBe(true);
    expect(sock.fd).toBe(-1);
    expect(isOpen(fd)).toBe(false);
    expect(() => sock.close()).not.toThrow();
  });

  it('`using` closes the fd at the end of the block', () => {
    let fd: number;
    {
      using sock = StreamSocket.create('inet');
      fd = sock.fd;
      expect(isOpen(fd)).toBe(true);
    }
    expect(isOpen(fd)).toBe(false);
  });

  it('`await using` closes the fd too', async () => {
    let fd: number;
    {
      await using sock = SeqPacketSocket.create();
      fd = sock.fd;
    }
    expect(isOpen(fd)).toBe(false);
  });

  it('detach() hands the fd back open and unowned', () => {
    const sock = DatagramSocket.create('inet');
    const fd = sock.detach();
    expect(sock.closed).toBe(true);
    expect(isOpen(fd)).toBe(true);
    s.close(fd);
    expect(isOpen(fd)).toBe(false);
  });

  it('an fd has one owner: adopting an owned fd throws, adopting a detached one works', () => {
    const sock = DatagramSocket.create('inet');
    expect(() => DatagramSocket.from(sock.fd)).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKFD_FD_OWNED' }),
    );
    const again = DatagramSocket.from(sock.detach());
    expect(again.closed).toBe(false);
    again.close();
  });

  it('adopting checks the socket type and makes the fd nonblocking', () => {
    const fd = s.socket(s.constants.AF_INET, s.constants.SOCK_DGRAM);
    try {
      expect(() => StreamSocket.from(fd)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
    } finally {
      s.close(fd);
    }
    const fd2 = s.socket(s.constants.AF_INET, s.constants.SOCK_DGRAM);
    const sock = DatagramSocket.from(fd2);
    expect(s.getNonblocking(fd2)).toBe(true);
    sock.close();
  });

  it('close(fd) on an owned fd closes it through its owner, whose pending calls reject', async () => {
    const sock = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
    const pending = sock.recvFrom(Buffer.alloc(8));
    s.close(sock.fd);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
    expect(sock.closed).toBe(true);
  });
});

describe('waits', () => {
  it('an aborted recv rejects with the reason and leaves the socket usable', async () => {
    const [a, b] = SeqPacketSocket.pair();
    const ac = new AbortController();
    const pending = b.recv(Buffer.alloc(8), { signal: ac.signal });
    ac.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await a.send('after');
    const m = await b.recv(Buffer.alloc(8));
    expect(m?.bytes).toBe(5);
    a.close();
    b.close();
  });

  it('an already-aborted signal rejects at once', async () => {
    using sock = DatagramSocket.create('inet');
    await expect(
      sock.recvFrom(Buffer.alloc(1), { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('a timeout signal ends an accept that nothing answers', async () => {
    using l = StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
    await expect(l.accept({ signal: AbortSignal.timeout(30) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  it('closing during a wait rejects every pending call with ERR_SOCKET_CLOSED', async () => {
    const [a, b] = SeqPacketSocket.pair();
    const r1 = b.recv(Buffer.alloc(8));
    const r2 = b.recv(Buffer.alloc(8));
    b.close();
    await expect(r1).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
    await expect(r2).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
    await expect(b.send('x')).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
    a.close();
  });

  it('closing inside another socket’s wake-up, 10,000 times, delivers nothing after close', async () => {
    for (let i = 0; i < 10_000; i++) {
      const [a, b] = SeqPacketSocket.pair();
      const pending = b.recv(Buffer.alloc(4));
      await a.send('x');
      await pending;
      const after = b.recv(Buffer.alloc(4));
      b.close();
      await expect(after).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
      a.close();
    }
  }, 60_000);
});

describe('processes and threads', () => {
  it('a process whose only socket is unref’d exits on its own', () => {
    const r = spawnSync(process.execPath, [child('unref-exit.js')], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('waiting');
    expect(r.signal).toBeNull();
  });

  it('a process with a pending ref’d wait stays alive until the wait completes', () => {
    const r = spawnSync(process.execPath, [child('ref-wait.js')], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['waiting', 'received 5 bytes']);
  });

  it('a socket left idle after a wait was served lets the process exit', () => {
    const r = spawnSync(process.execPath, [child('idle-exit.js')], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['waiting', 'received 5 bytes']);
  });

  it('30 worker threads terminated mid-wait, and 30 that end with waits open, leave the process healthy', () => {
    const out = execFileSync(process.execPath, [child('worker-terminate.js'), '30'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out).toContain('terminated 30 workers');
    expect(out).toContain('30 workers ended on their own with waits open');
    expect(out).toContain('main thread still works');
  });

  it("a worker's class sockets close with it; its syscall-layer and detached fds stay open", () => {
    // 30 workers, six class sockets each (three with a pending read or accept), ten each
    // terminated, ended on their own and ended by process.exit() mid-wait.
    const out = execFileSync(process.execPath, [child('worker-fds.js'), '30'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(JSON.parse(out)).toMatchObject({ workers: 30, left: 0, kept: 60, keptOpen: 60 });
  });

  it('garbage collection of an unclosed socket object never closes its fd', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', child('gc-no-close.js')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out).toContain('fds still open after gc: 1000 of 1000');
  });

  it('a finished wait leaves nothing of its own alive while the socket stays open', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', child('gc-retention.js')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const kept = ['aborted receive buffer', 'its signal', 'its promise', 'received buffer'];
    // The last wait's promise too: nothing module-wide holds on to the latest one.
    for (const what of [...kept, 'its promise too']) expect(out).toContain(`${what}: collected`);
    expect(out).toContain('socket open: true');
  });

  it('an exception thrown in a readiness callback is reported as uncaught, not swallowed', () => {
    const r = spawnSync(process.execPath, [child('callback-throws.js')], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(r.stdout).toContain('uncaughtException: boom from callback');
    expect(r.status).toBe(0);
  });
});
