// The typed option accessors of the classes: one getter and one setter per option, chaining.
import { describe, expect, it } from 'vitest';

import { DatagramSocket, RawSocket, StreamSocket } from '../../lib/index.js';
import * as s from '../../lib/index.js';
import { rawSocketsAllowed } from '../helpers/fds.js';

// socket(7): the kernel doubles the value set for SO_RCVBUF/SO_SNDBUF for its bookkeeping.
const LINUX_DOUBLES_BUFFER_SIZES = 2;

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
    using client = await StreamSocket.connect(listener.localAddress() as s.InetAddress);
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
