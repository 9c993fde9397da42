// The typed option accessors of the classes: one getter and one setter per option of the
// table, on the class the option applies to, chaining; then a few in use.
import { describe, expect, it } from 'vitest';

import {
  DatagramSocket,
  RawSocket,
  SeqPacketSocket,
  SocketBase,
  StreamSocket,
} from '../../lib/index.js';
import * as s from '../../lib/index.js';
import { rawSocketsAllowed } from '../helpers/fds.js';
import {
  LINUX_DOUBLES_BUFFER_SIZES,
  OPTIONS,
  type OptionInfo,
  isRoot,
  roundTrips,
  validArgs,
} from '../helpers/options.js';

const CLASSES = { SocketBase, StreamSocket, DatagramSocket, RawSocket, SeqPacketSocket };

// An instance of the class each socket kind of the table's APPLIES names.
const INSTANCES: Record<string, () => SocketBase> = {
  tcp4: () => StreamSocket.create('inet'),
  udp4: () => DatagramSocket.create('inet'),
  tcp6: () => StreamSocket.create('inet6'),
  udp6: () => DatagramSocket.create('inet6'),
  unixStream: () => StreamSocket.create('unix'),
  raw4: () => RawSocket.create('inet', s.constants.IPPROTO_ICMP),
  raw6: () => RawSocket.create('inet6', s.constants.IPPROTO_ICMPV6),
};

type Method = (...args: unknown[]) => unknown;
const method = (sock: SocketBase, name: string): Method =>
  (sock as unknown as Record<string, Method>)[name]!.bind(sock);
const accessors = (o: OptionInfo) => [o.getMethod, o.setMethod].filter((m) => m !== undefined);

describe('the options table on the classes', () => {
  const placements = OPTIONS.flatMap((o) =>
    accessors(o).flatMap((m) =>
      Object.entries(CLASSES).map(([name, cls]) => {
        const has = cls === CLASSES[o.class] || cls.prototype instanceof CLASSES[o.class];
        return [m, has ? 'is' : 'is not', name] as const;
      }),
    ),
  );
  it.each(placements)('%s %s a method of %s', (m, is, cls) => {
    const proto = CLASSES[cls as keyof typeof CLASSES].prototype as object;
    expect(typeof (proto as Record<string, unknown>)[m]).toBe(
      is === 'is' ? 'function' : 'undefined',
    );
  });

  const settable = OPTIONS.filter((o) => o.getMethod && o.setMethod && roundTrips(o).length > 0);
  const allowed = (o: OptionInfo) =>
    (isRoot || !o.privileged) && (!o.applies.startsWith('raw') || rawSocketsAllowed().ok);
  it.each(settable.filter(allowed).map((o) => [o.setMethod!, o] as const))(
    '%s chains and round-trips',
    (_m, o) => {
      using sock = INSTANCES[o.sockets[0]]!();
      for (const { value, readsBack } of roundTrips(o)) {
        expect(method(sock, o.setMethod!)(value)).toBe(sock);
        readsBack(method(sock, o.getMethod!)());
      }
    },
  );

  it.each(OPTIONS.map((o) => [o.opt, o] as const))(
    'every accessor of %s throws ERR_SOCKET_CLOSED on a closed socket',
    (_opt, o) => {
      if (o.applies.startsWith('raw') && !rawSocketsAllowed().ok) return;
      const sock = INSTANCES[o.sockets[0]]!();
      sock.close();
      for (const m of accessors(o)) {
        const args = m === o.setMethod ? validArgs(o) : [];
        expect(() => method(sock, m)(...args)).toThrow(
          expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }),
        );
      }
    },
  );
});

describe('option accessors on the classes', () => {
  it('socket-level options round-trip and setters chain', () => {
    using sock = StreamSocket.create('inet');
    sock
      .setReuseAddress(true)
      .setKeepalive(true)
      .setRecvBufferSize(32768)
      .setLinger(3)
      .setRecvTimeout(1500);
    expect(sock.reuseAddress()).toBe(true);
    expect(sock.keepalive()).toBe(true);
    expect(sock.recvBufferSize()).toBe(32768 * LINUX_DOUBLES_BUFFER_SIZES);
    expect(sock.linger()).toBe(3);
    expect(sock.recvTimeout()).toBe(1500);
    expect(sock.type()).toBe(s.constants.SOCK_STREAM);
    expect(sock.domain()).toBe(s.constants.AF_INET);
    expect(sock.error()).toBeNull();
    expect(sock.acceptConn()).toBe(false);
  });

  it('TCP options live on StreamSocket, with TCP_INFO decoded', async () => {
    using listener = StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
    expect(listener.acceptConn()).toBe(true);
    const accepted = listener.accept();
    using client = await StreamSocket.connect(listener.localAddress());
    using _server = await accepted;
    client.setTcpNoDelay(true).setTcpKeepaliveTime(30);
    expect(client.tcpNoDelay()).toBe(true);
    expect(client.tcpKeepaliveTime()).toBe(30);
    expect(client.tcpInfo()).toMatchObject({ stateName: 'ESTABLISHED' });
  });

  it('multicast options live on DatagramSocket', () => {
    using sock = DatagramSocket.create('inet');
    sock.setMulticastTtlV4(4).setMulticastLoopV4(false);
    expect(sock.multicastTtlV4()).toBe(4);
    expect(sock.multicastLoopV4()).toBe(false);
    sock.setTtl(17);
    expect(sock.ttl()).toBe(17);
  });

  it.skipIf(!rawSocketsAllowed().ok)('IP_HDRINCL lives on RawSocket', () => {
    using sock = RawSocket.create('inet', s.constants.IPPROTO_RAW, { headerIncluded: true });
    expect(sock.headerIncluded()).toBe(true);
    expect(sock.setHeaderIncluded(false).headerIncluded()).toBe(false);
  });

  it('a closed socket throws ERR_SOCKET_CLOSED from every accessor', () => {
    const sock = DatagramSocket.create('inet');
    sock.close();
    expect(() => sock.reuseAddress()).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }),
    );
    expect(() => sock.setTtl(3)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });
});
