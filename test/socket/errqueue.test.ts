// The error queue through the classes: a queued error nobody has read yet must not make the
// socket's other waits spin, and recvMsg with MSG_ERRQUEUE waits for the queue itself.
import { afterEach, describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';

const c = s.constants;
const CONTROL = 512;

// epoll(7) reports EPOLLERR whatever the interest while the error queue holds an entry, and
// libuv stops a poll handle on POLLERR without POLLPRI, so a wait re-armed at once spins.
const SPIN_CPU_MS = 400; // what 500 ms of spinning cost before: nearly all of it
const IDLE_CPU_MS = 60;

const sockets: s.DatagramSocket[] = [];
afterEach(() => {
  for (const u of sockets.splice(0)) u.close();
});

function udp(): s.DatagramSocket<s.InetAddress> {
  const u = s.DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
  sockets.push(u);
  return u;
}

function closedPort(): s.SocketAddress {
  const u = s.DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
  const a = u.localAddress();
  u.close();
  return a;
}

/** A socket with IP_RECVERR whose error queue holds one ECONNREFUSED, its sk_err cleared. */
async function withQueuedError(): Promise<s.DatagramSocket> {
  const u = udp();
  u.setOption(c.IPPROTO_IP, c.IP_RECVERR, 1);
  await u.sendTo('anyone?', closedPort());
  expect(s.poll([{ fd: u.fd, events: 0 }], 1000)[0]!.revents & c.POLLERR).toBe(c.POLLERR);
  // The ICMP error is also the socket's pending error, which the next recv would return;
  // reading SO_ERROR clears that and leaves the queue entry.
  expect(u.getOption(c.SOL_SOCKET, c.SO_ERROR)).toBe(c.ECONNREFUSED);
  return u;
}

function recvErr(u: s.DatagramSocket): Promise<s.RecvMsgResult> {
  return u.recvMsg({ buffers: [Buffer.alloc(64)], controlLength: CONTROL, flags: c.MSG_ERRQUEUE });
}

function codeOf(r: s.RecvMsgResult): unknown {
  return r.control.find((m) => m.type === 'recverr')?.code;
}

describe('the error queue', () => {
  it('a pending recvFrom does not spin while an unread error is queued', async () => {
    const u = await withQueuedError();
    const pending = u.recvFrom(Buffer.alloc(64));
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 500));
    const used = process.cpuUsage(before);
    const ms = (used.user + used.system) / 1000;
    expect(ms, `CPU while waiting (spinning used ~${SPIN_CPU_MS} ms)`).toBeLessThan(IDLE_CPU_MS);
    // The error is still there to read, and reading it leaves the receive waiting.
    expect(codeOf(await recvErr(u))).toBe('ECONNREFUSED');
    const peer = udp();
    await peer.sendTo('hello', u.localAddress());
    const m = await pending;
    expect(m.bytes).toBe(5);
    expect(m.address).toEqual(peer.localAddress());
  });

  it('recvMsg with MSG_ERRQUEUE waits for the queue while a recvFrom waits for data', async () => {
    const u = udp();
    u.setOption(c.IPPROTO_IP, c.IP_RECVERR, 1);
    const data = u.recvFrom(Buffer.alloc(64));
    const error = recvErr(u);
    // Both wait; the error arrives first and goes to the error queue's reader. Reading the
    // queue's last ICMP entry also clears the pending error (sk_err), which recvfrom would
    // otherwise report, so the data reader goes on waiting.
    await u.sendTo('anyone?', closedPort());
    const r = await error;
    expect(codeOf(r)).toBe('ECONNREFUSED');
    expect(r.flags & c.MSG_ERRQUEUE).toBe(c.MSG_ERRQUEUE);
    await udp().sendTo('late', u.localAddress());
    expect((await data).bytes).toBe(4);
  });

  it('a receive started while the error waits unread still gets a datagram promptly', async () => {
    const u = await withQueuedError();
    // Long enough for the engine to be backing off, well before its longest delay.
    await new Promise((r) => setTimeout(r, 300));
    const pending = u.recvFrom(Buffer.alloc(64));
    await new Promise((r) => setTimeout(r, 300));
    const sent = performance.now();
    await udp().sendTo('hi', u.localAddress());
    expect((await pending).bytes).toBe(2);
    expect(performance.now() - sent).toBeLessThan(250);
    expect(codeOf(await recvErr(u))).toBe('ECONNREFUSED');
  });
});
