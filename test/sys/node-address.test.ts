// Addresses as Node writes them: net.Server#address(), dgram.Socket#address() and
// net.Socket#address() give { address, family: 'IPv4' | 'IPv6', port } (family 4 or 6 before
// Node 18.4). Every call that takes an IP address takes that shape as the inet or inet6
// address it names; other shapes are refused naming the argument, with sockfd's own form.
import { once } from 'node:events';
import { createSocket } from 'node:dgram';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { expectArgError } from '../helpers/arg-errors.js';
import { sock } from '../helpers/fds.js';

const { AF_INET, AF_INET6, SOCK_DGRAM, SOCK_STREAM } = s.constants;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((srv) => new Promise((r) => srv.close(r))));
});

/** A net.Server listening on `host`, and a promise of its first connection's peer port. */
async function server(host: string): Promise<{ address: AddressInfo; conn: Promise<number> }> {
  const srv = createServer();
  servers.push(srv);
  const conn = once(srv, 'connection').then(([c]) => {
    const port = (c as Socket).remotePort!;
    (c as Socket).destroy();
    return port;
  });
  srv.listen(0, host);
  await once(srv, 'listening');
  return { address: srv.address() as AddressInfo, conn };
}

const ipv6 = (() => {
  try {
    s.close(s.socket(AF_INET6, SOCK_DGRAM));
    return true;
  } catch {
    return false;
  }
})();
if (!ipv6) console.warn('skipping the IPv6 cases: this kernel has no IPv6');

describe("Node's address shape", () => {
  it("a net.Server's address() goes straight to connect(fd, …)", async () => {
    const { address, conn } = await server('127.0.0.1');
    expect(address.family).toBe('IPv4');
    const fd = sock(AF_INET, SOCK_STREAM);
    s.connect(fd, address);
    expect(s.getpeername(fd)).toEqual({
      family: 'inet',
      address: '127.0.0.1',
      port: address.port,
    });
    expect(await conn).toBe((s.getsockname(fd) as s.InetAddress).port);
  });

  it.skipIf(!ipv6)("an IPv6 net.Server's address() goes to StreamSocket.connect", async () => {
    const { address, conn } = await server('::1');
    expect(address.family).toBe('IPv6');
    using client = await s.StreamSocket.connect(address);
    // The socket was made in the family the address names.
    expect(client.remoteAddress()).toMatchObject({ family: 'inet6', port: address.port });
    expect(await conn).toBe(client.localAddress().port);
  });

  it("a dgram socket's address() is a destination for sendto, sendmsg, sendmmsg and sendTo", async () => {
    const rx = createSocket('udp4');
    const got: string[] = [];
    rx.on('message', (m) => got.push(m.toString()));
    rx.bind(0, '127.0.0.1');
    await once(rx, 'listening');
    try {
      const to = rx.address();
      const fd = sock(AF_INET, SOCK_DGRAM);
      s.sendto(fd, Buffer.from('sendto'), 0, to);
      s.sendmsg(fd, { buffers: [Buffer.from('sendmsg')], address: to });
      s.sendmmsg(fd, [{ buffers: [Buffer.from('sendmmsg')], address: to }]);
      const batch = s.MessageBatch.alloc(1, 5);
      Buffer.from('batch').copy(batch.views[0] as Buffer);
      batch.setAddress(0, to);
      s.sendmmsg(fd, batch);
      using u = s.DatagramSocket.create();
      await u.sendTo('sendTo', to);
      while (got.length < 5) await once(rx, 'message');
      expect(got.sort()).toEqual(['batch', 'sendTo', 'sendmmsg', 'sendmsg', 'sendto'].sort());
    } finally {
      rx.close();
    }
  });

  it.each([
    ['IPv4', '127.0.0.1', 'inet'],
    [4, '127.0.0.1', 'inet'],
    ...(ipv6
      ? ([
          ['IPv6', '::1', 'inet6'],
          [6, '::1', 'inet6'],
        ] as const)
      : []),
  ] as const)('family %s binds as %s', (family, address, want) => {
    const fd = sock(want === 'inet' ? AF_INET : AF_INET6, SOCK_DGRAM);
    s.bind(fd, { address, family, port: 0 });
    expect(s.getsockname(fd)).toMatchObject({ family: want, address });
    using d = s.DatagramSocket.bound({ address, family, port: 0 });
    expect(d.localAddress()).toMatchObject({ family: want, address });
  });

  it('a failed call names the address in its error, as for sockfd form', async () => {
    const { address } = await server('127.0.0.1');
    await new Promise((r) => servers.pop()!.close(r));
    const fd = sock(AF_INET, SOCK_STREAM);
    expect(() => s.connect(fd, address)).toThrow(
      expect.objectContaining({
        code: 'ECONNREFUSED',
        message: `connect ECONNREFUSED 127.0.0.1:${address.port}`,
      }),
    );
  });

  it.each([
    [
      'an unknown Node family',
      { address: '127.0.0.1', family: 'IPv5', port: 1 },
      /'address\.family' must be .*'IPv6'.*\{ family: 'inet', address/,
    ],
    ['no family', { address: '127.0.0.1', port: 1 }, /'address\.family' .*\{ family: 'inet'/],
    [
      'IPv6 text under IPv4',
      { address: '::1', family: 'IPv4', port: 1 },
      /'address\.address' is not an IPv4/,
    ],
  ])('refuses %s with a TypeError naming the argument', (_what, address, names) => {
    expectArgError(
      () => s.bind(0x7fffffff, address as s.NodeAddressInfo),
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
      names,
    );
  });

  it("a bad family's message names the argument and shows sockfd's form", () => {
    const bad = { address: '127.0.0.1', family: 'ipv4', port: 1 };
    expect(() => s.sendmsg(0x7fffffff, { buffers: [], address: bad })).toThrow(
      /'message\.address\.family' must be .*'IPv4'.*\{ family: 'inet', address: '127\.0\.0\.1', port: 8080 \}/,
    );
    return expect(s.StreamSocket.connect(bad)).rejects.toThrow(
      /'address\.family' must be 'inet', 'inet6' or 'unix' .*\{ family: 'inet'/,
    );
  });
});
