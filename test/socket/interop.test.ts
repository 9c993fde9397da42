// Handing sockets between sockfd and Node's own net module.
import * as net from 'node:net';
import { once } from 'node:events';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { StreamSocket } from '../../lib/index.js';

describe('interop with node:net', () => {
  it('a connected StreamSocket, detached, becomes a net.Socket', async () => {
    using listener = StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
    const accepted = listener.accept();
    const client = await StreamSocket.connect(listener.localAddress());
    using server = await accepted;
    const sock = new net.Socket({ fd: client.detach(), readable: true, writable: true });
    sock.write('from net');
    const buf = Buffer.alloc(16);
    expect(buf.toString('utf8', 0, (await server.read(buf))!)).toBe('from net');
    await server.write('to net');
    const [data] = (await once(sock, 'data')) as [Buffer];
    expect(data.toString()).toBe('to net');
    sock.destroy();
    await once(sock, 'close');
  });

  it('a listening StreamSocket, detached, serves a net.Server', async () => {
    const listener = StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
    const address = listener.localAddress();
    const server = net.createServer((c) => c.end('hello from net.Server'));
    await new Promise<void>((resolve) => server.listen({ fd: listener.detach() }, resolve));
    using client = await StreamSocket.connect(address);
    const buf = Buffer.alloc(64);
    let text = '';
    for (let n = await client.read(buf); n !== null; n = await client.read(buf))
      text += buf.toString('utf8', 0, n);
    expect(text).toBe('hello from net.Server');
    client.close(); // server.close() waits for its connections to end
    await new Promise((resolve) => server.close(resolve));
  });

  it('adopts a duplicate of an fd that net owns, and net can let go of its own', async () => {
    const server = net.createServer((c) => c.end('adopted'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const netClient = net.connect(port, '127.0.0.1');
    await once(netClient, 'connect');
    const fd = (netClient as unknown as { _handle: { fd: number } })._handle.fd;
    using sock = StreamSocket.from(s.dup(fd));
    netClient.pause();
    netClient.destroy();
    const buf = Buffer.alloc(32);
    let text = '';
    for (let n = await sock.read(buf); n !== null; n = await sock.read(buf))
      text += buf.toString('utf8', 0, n);
    expect(text).toBe('adopted');
    sock.close(); // server.close() waits for its connections to end
    await new Promise((resolve) => server.close(resolve));
  });
});
