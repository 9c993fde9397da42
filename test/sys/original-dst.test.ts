// SO_ORIGINAL_DST and IP6T_SO_ORIGINAL_DST: where a redirected connection was sent. Without a
// rule the kernel has nothing to report, and says so with a getsockopt error; with an nftables
// REDIRECT in a network namespace of the test's own, the real lookup.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { sock, tcpPair } from '../helpers/fds.js';
import { expectArgError } from '../helpers/arg-errors.js';

const { AF_INET6, SOCK_STREAM, SOCK_DGRAM, AF_INET } = s.constants;

// ENOENT: no connection-tracking entry rewrote this connection; ENOPROTOOPT: nf_conntrack is
// not loaded, so nobody registered the option.
const NOTHING_TO_REPORT = ['ENOENT', 'ENOPROTOOPT'];

function nothingToReport(fd: number): void {
  let err: unknown;
  try {
    s.getOriginalDst(fd);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(s.SocketError);
  const e = err as s.SocketError;
  expect(NOTHING_TO_REPORT).toContain(e.code);
  expect(e).toMatchObject({ syscall: 'getsockopt', errno: -s.constants[e.code as 'ENOENT'] });
}

describe('getOriginalDst', () => {
  it('a connection no rule rewrote has no original destination (IPv4)', () => {
    const { server } = tcpPair();
    nothingToReport(server);
  });

  it('a connection no rule rewrote has no original destination (IPv6)', () => {
    const listener = sock(AF_INET6, SOCK_STREAM);
    s.bind(listener, { family: 'inet6', address: '::1', port: 0 });
    s.listen(listener, 1);
    const client = sock(AF_INET6, SOCK_STREAM);
    s.connect(client, s.getsockname(listener) as s.Inet6Address);
    nothingToReport(sock(AF_INET6, SOCK_STREAM)); // unconnected, too
    nothingToReport(client);
  });

  it('refuses a bad fd before any syscall, and reports EBADF from getsockopt', () => {
    expectArgError(() => s.getOriginalDst(-1), 'RangeError', 'ERR_OUT_OF_RANGE', /fd/);
    expectArgError(() => s.getOriginalDst('3' as never), 'TypeError', 'ERR_INVALID_ARG_TYPE', /fd/);
    const fd = s.socket(AF_INET, SOCK_DGRAM);
    s.close(fd);
    expect(() => s.getOriginalDst(fd)).toThrow(
      expect.objectContaining({ code: 'EBADF', syscall: 'getsockopt' }),
    );
  });

  it('reports where a REDIRECTed connection was sent, in a namespace of its own', () => {
    const LISTEN = 5555;
    const TO = 7777;
    const script = join(__dirname, '..', 'children', 'original-dst.js');
    const nft = [
      'nft add table inet sockfd',
      'nft add chain inet sockfd out "{ type nat hook output priority -100; }"',
      `nft add rule inet sockfd out tcp dport ${TO} redirect to :${LISTEN}`,
    ].join(' && ');
    const r = spawnSync(
      'unshare',
      [
        '-rn',
        'sh',
        '-c',
        `ip link set lo up && ${nft} && exec "${process.execPath}" "${script}" ${LISTEN} ${TO}`,
      ],
      { encoding: 'utf8', timeout: 15_000 },
    );
    if (
      r.status !== 0 &&
      /unshare|nft|not found|Operation not permitted|No such file/.test(r.stderr)
    ) {
      console.warn(
        `skipping the REDIRECT lookup: unshare -rn with nft is not available here (${r.stderr.trim()})`,
      );
      return;
    }
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Record<string, { local: s.Address; original: s.Address }>;
    expect(out.inet).toEqual({
      local: { family: 'inet', address: '127.0.0.1', port: LISTEN },
      original: { family: 'inet', address: '127.0.0.1', port: TO },
    });
    expect(out.inet6).toMatchObject({
      local: { family: 'inet6', address: '::1', port: LISTEN },
      original: { family: 'inet6', address: '::1', port: TO, flowinfo: 0, scopeId: 0 },
    });
    expect(out.v4mapped).toEqual({
      local: {
        family: 'inet6',
        address: '::ffff:127.0.0.1',
        port: LISTEN,
        flowinfo: 0,
        scopeId: 0,
      },
      original: { family: 'inet', address: '127.0.0.1', port: TO },
    });
  });
});
