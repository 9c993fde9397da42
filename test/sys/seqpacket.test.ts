// SOCK_SEQPACKET over AF_UNIX: connection-oriented, and message boundaries are kept.
import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { own, pair, sock } from '../helpers/fds.js';

const { AF_UNIX, SOCK_SEQPACKET, MSG_TRUNC } = s.constants;

describe('SOCK_SEQPACKET', () => {
  it('keeps record boundaries on a connection', () => {
    const [a, b] = pair(AF_UNIX, SOCK_SEQPACKET);
    for (const m of ['one', 'two', 'three']) s.send(a, Buffer.from(m));
    const buf = Buffer.alloc(64);
    expect([0, 1, 2].map(() => buf.toString('utf8', 0, s.recv(b, buf)))).toEqual([
      'one',
      'two',
      'three',
    ]);
  });

  it('listens, accepts and exchanges records over an abstract address', () => {
    const name = Buffer.from(`sockfd-seq-${process.pid}\0with-nul`);
    const listener = sock(AF_UNIX, SOCK_SEQPACKET);
    s.bind(listener, { family: 'unix', abstract: name });
    s.listen(listener);
    const client = sock(AF_UNIX, SOCK_SEQPACKET);
    s.connect(client, { family: 'unix', abstract: name });
    const server = own(s.accept(listener).fd);
    s.send(client, Buffer.from('request'));
    const buf = Buffer.alloc(64);
    expect(buf.toString('utf8', 0, s.recv(server, buf))).toBe('request');
    s.send(server, Buffer.from('response'));
    expect(buf.toString('utf8', 0, s.recv(client, buf))).toBe('response');
  });

  it('reports truncation with MSG_TRUNC', () => {
    const [a, b] = pair(AF_UNIX, SOCK_SEQPACKET);
    s.send(a, Buffer.alloc(100, 1));
    expect(s.recv(b, Buffer.alloc(10), MSG_TRUNC)).toBe(100);
  });
});
