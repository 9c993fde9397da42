// The test helpers against the kernel on loopback: pairs that talk, a read to the end, a reset
// the peer sees, and waits that fail by their deadline with what they waited for.
import { describe, expect, it } from 'vitest';

import { StreamSocket, openSockets } from '../../../lib/index.js';
import {
  WaitTimeoutError,
  readToEnd,
  reset,
  seqpacketPair,
  tcpPair,
  udpPair,
  waitFor,
  withTimeout,
} from '../../../lib/tools/lab/testing.js';
import { expectArgError } from '../../helpers/arg-errors.js';

const noneOpen = (): void => expect(openSockets()).toEqual([]);

describe('pairs', () => {
  it('tcpPair connects a client to the accepted end, and closes the listener', async () => {
    {
      using pair = await tcpPair();
      await pair.client.write('ping');
      pair.client.shutdown('write');
      expect((await readToEnd(pair.server)).toString()).toBe('ping');
      expect(pair.server.remoteAddress()).toEqual(pair.client.localAddress());
      expect(openSockets()).toHaveLength(2);
    }
    noneOpen();
  });

  it('tcpPair on ::1 when IPv6 loopback is there', async (ctx) => {
    let pair;
    try {
      pair = await tcpPair({ address: '::1' });
    } catch (e) {
      console.warn(`skipping the IPv6 pair: ::1 is not usable here (${(e as Error).message})`);
      ctx.skip();
      return;
    }
    using p = pair;
    expect(p.client.localAddress()).toMatchObject({ family: 'inet6', address: '::1' });
  });

  it('udpPair sockets are connected to each other both ways', async () => {
    {
      using pair = await udpPair();
      await pair.client.send('a');
      await pair.server.send('b');
      const buf = Buffer.alloc(8);
      const wait = waitFor('a datagram');
      const got = await pair.server.recv(buf, wait);
      expect(buf.toString('utf8', 0, got.bytes)).toBe('a');
      expect(got.address).toEqual(pair.client.localAddress());
      const back = await pair.client.recv(buf, wait);
      expect(buf.toString('utf8', 0, back.bytes)).toBe('b');
    }
    noneOpen();
  });

  it('seqpacketPair keeps message boundaries', async () => {
    {
      using pair = seqpacketPair();
      await pair.client.send('one');
      await pair.client.send('two');
      const buf = Buffer.alloc(16);
      const first = await pair.server.recv(buf, waitFor('a message'));
      expect(buf.toString('utf8', 0, first!.bytes)).toBe('one');
    }
    noneOpen();
  });

  it('makes the sockets inside the host given', async () => {
    let runs = 0;
    const host = {
      run<T>(fn: () => T): T {
        runs++;
        return fn();
      },
    };
    const tcp = await tcpPair({ host });
    tcp.close();
    const udp = await udpPair({ host });
    udp.close();
    seqpacketPair({ host }).close();
    expect(runs).toBe(3);
    noneOpen();
  });
});

describe('readToEnd and reset', () => {
  it('readToEnd gathers several writes and stops at end of file', async () => {
    using pair = await tcpPair();
    const big = Buffer.alloc(300_000, 7);
    const writing = pair.client.write(big).then(() => pair.client.shutdown('write'));
    const got = await readToEnd(pair.server);
    await writing;
    expect(got.equals(big)).toBe(true);
  });

  it('readToEnd refuses more than its limit', async () => {
    using pair = await tcpPair();
    await pair.client.write('0123456789');
    pair.client.shutdown('write');
    await expect(readToEnd(pair.server, { limit: 4 })).rejects.toThrow(RangeError);
  });

  it('reset sends RST: the peer reads ECONNRESET', async () => {
    const pair = await tcpPair();
    await pair.server.write('unread'); // Data left unread makes no difference to an RST.
    reset(pair.client);
    expect(pair.client.closed).toBe(true);
    await expect(pair.server.read(Buffer.alloc(8), waitFor('the reset'))).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
    pair.close();
    noneOpen();
  });
});

describe('deadlines', () => {
  it('waitFor aborts a forgotten wait with an error naming it', async () => {
    using pair = await udpPair();
    const err = await pair.server
      .recv(Buffer.alloc(8), waitFor('a datagram nobody sent', 50))
      .catch((e: unknown) => e as WaitTimeoutError);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err.message).toBe('timed out after 50 ms waiting for a datagram nobody sent');
    expect(err.code).toBe('ETIMEDOUT');
  });

  it('withTimeout passes a result through and names what timed out', async () => {
    await expect(withTimeout(Promise.resolve(3), 'three')).resolves.toBe(3);
    await expect(withTimeout(new Promise(() => {}), 'the never promise', 20)).rejects.toThrow(
      'timed out after 20 ms waiting for the never promise',
    );
  });

  it("readToEnd stops at the caller's signal", async () => {
    using pair = await tcpPair();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new WaitTimeoutError('test', 30)), 30);
    await expect(readToEnd(pair.server, { signal: controller.signal })).rejects.toThrow(
      WaitTimeoutError,
    );
  });
});

describe('argument errors name the argument', () => {
  it.each([
    ['waitFor what', () => waitFor(3 as never), 'TypeError', 'ERR_INVALID_ARG_TYPE', /"what"/],
    ['waitFor ms', () => waitFor('x', 0), 'RangeError', 'ERR_OUT_OF_RANGE', /"ms"/],
    [
      'withTimeout promise',
      () => withTimeout(3 as never, 'x'),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"promise"/,
    ],
    [
      'seqpacketPair host',
      () => seqpacketPair({ host: {} as never }),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"options.host"/,
    ],
    [
      'reset socket',
      () => reset({} as StreamSocket),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"socket"/,
    ],
  ] as const)('%s', (_, call, type, code, names) => expectArgError(call, type, code, names));

  it('async helpers reject with the argument named', async () => {
    await expect(tcpPair({ address: 'localhost' })).rejects.toThrow(/options.address/);
    await expect(udpPair({ timeoutMs: -1 })).rejects.toThrow(RangeError);
    await expect(readToEnd({} as StreamSocket)).rejects.toThrow(/"stream"/);
  });
});
