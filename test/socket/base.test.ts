// sendMsg/recvMsg on the typed classes: they wait for readiness like every other call.
import { closeSync, openSync, readSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { DatagramSocket, SeqPacketSocket, StreamSocket } from '../../lib/index.js';

describe('sendMsg / recvMsg on the classes', () => {
  it('passes an open file between two stream sockets; recvMsg waits for it', async () => {
    const [fa, fb] = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_STREAM);
    using a = StreamSocket.from(fa);
    using b = StreamSocket.from(fb);
    const receiving = b.recvMsg({ buffers: Buffer.alloc(8), controlLength: s.cmsgSpace(4) });
    const file = openSync('/proc/self/status', 'r');
    try {
      await new Promise((r) => setTimeout(r, 10)); // the receiver is waiting by now
      expect(
        await a.sendMsg({ buffers: Buffer.from('f'), control: [{ type: 'rights', fds: [file] }] }),
      ).toBe(1);
    } finally {
      closeSync(file);
    }
    const got = await receiving;
    expect(got.bytes).toBe(1);
    const rights = got.control.find((m) => m.type === 'rights');
    expect(rights).toBeDefined();
    const [fd] = (rights as { fds: number[] }).fds;
    try {
      const buf = Buffer.alloc(64);
      expect(buf.toString('utf8', 0, readSync(fd!, buf, 0, 64, 0))).toMatch(/^Name:/);
      expect(s.getCloexec(fd!)).toBe(true);
    } finally {
      closeSync(fd!);
    }
  });

  it('gathers several buffers into one seqpacket record and reports truncation', async () => {
    const [a, b] = SeqPacketSocket.pair();
    await a.sendMsg({ buffers: [Buffer.from('ab'), Buffer.from('cd'), Buffer.from('ef')] });
    const head = Buffer.alloc(2);
    const rest = Buffer.alloc(2);
    const r = await b.recvMsg({ buffers: [head, rest] });
    expect(r.bytes).toBe(4);
    expect(r.flags & s.constants.MSG_TRUNC).toBeTruthy();
    expect(Buffer.concat([head, rest]).toString()).toBe('abcd');
    a.close();
    b.close();
  });

  it('receives IP_PKTINFO for a UDP datagram', async () => {
    using server = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
    server.setOption(s.constants.IPPROTO_IP, s.constants.IP_PKTINFO, true);
    using client = DatagramSocket.create('inet');
    const receiving = server.recvMsg({ buffers: Buffer.alloc(16), controlLength: 256 });
    await client.sendTo('x', server.localAddress());
    const r = await receiving;
    expect(r.control).toContainEqual(
      expect.objectContaining({ type: 'pktinfo', ifindex: s.if_nametoindex('lo') }),
    );
  });

  it('an aborted recvMsg leaves the socket usable', async () => {
    const [a, b] = SeqPacketSocket.pair();
    const ac = new AbortController();
    const p = b.recvMsg({ buffers: Buffer.alloc(4) }, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await a.send('ok');
    expect((await b.recvMsg({ buffers: Buffer.alloc(4) })).bytes).toBe(2);
    a.close();
    b.close();
  });
});
