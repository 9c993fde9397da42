// Source-specific multicast: IP_ADD_SOURCE_MEMBERSHIP (struct ip_mreq_source) and the
// protocol-independent MCAST_JOIN_SOURCE_GROUP (struct group_source_req, IPv4 and IPv6), in a
// network namespace of the test's own with multicast routed: a datagram from the allowed source
// arrives, one from another source does not, and none after leaving.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { sock } from '../helpers/fds.js';

const { AF_INET, AF_INET6, SOCK_DGRAM } = s.constants;

// IPv4 multicast loops over lo once it has the MULTICAST flag and a route; IPv6 multicast does
// not, so it goes over a veth pair: sent out of v0 from fd00::1 or fd00::3, received on v1.
const SETUP = [
  'ip link set lo up multicast on',
  'ip route add 232.0.0.0/8 dev lo',
  'ip link add v0 type veth peer name v1',
  'ip link set v0 up',
  'ip link set v1 up',
  'ip addr add fd00::1/64 dev v0 nodad',
  'ip addr add fd00::3/64 dev v0 nodad',
  'ip addr add fd00::2/64 dev v1 nodad',
].join(' && ');

describe('source-specific multicast', () => {
  it('lets in the allowed source only, for each way to join', () => {
    const script = join(__dirname, '..', 'children', 'ssm.js');
    const r = spawnSync(
      'unshare',
      ['-rn', 'sh', '-c', `${SETUP} && exec "${process.execPath}" "${script}"`],
      { encoding: 'utf8', timeout: 15_000 },
    );
    if (r.status !== 0 && /unshare|Operation not permitted|RTNETLINK/.test(r.stderr)) {
      console.warn(
        `skipping source-specific multicast: a namespace with routes and veth is not available here (${r.stderr.trim()})`,
      );
      return;
    }
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      anySource: { joined: ['127.0.0.1', '127.0.0.2'], left: [] },
      ipMreqSource: { joined: ['127.0.0.1'], left: [] },
      groupSourceReq4: { joined: ['127.0.0.1'], left: [] },
      groupSourceReq6: { joined: ['fd00::1'], left: [] },
    });
  });

  const refusals: [string, () => void, string][] = [
    // ip_mc_source finds no membership to remove the source from.
    [
      'leaving a source never joined (IPv4)',
      () => s.leaveSourceMulticastV4(sock(AF_INET, SOCK_DGRAM), '232.1.1.1', '127.0.0.1'),
      'EINVAL',
    ],
    [
      'leaving a source never joined (IPv6)',
      () => s.leaveSourceGroup(sock(AF_INET6, SOCK_DGRAM), 'ff3e::1', '::1', 0),
      'EINVAL',
    ],
    [
      'a group that is not multicast',
      () => s.joinSourceMulticastV4(sock(AF_INET, SOCK_DGRAM), '10.1.1.1', '127.0.0.1'),
      'EINVAL',
    ],
    [
      'an interface index that names no interface',
      () => s.joinSourceGroup(sock(AF_INET, SOCK_DGRAM), '232.1.1.1', '127.0.0.1', 0x7fffffff),
      'ENODEV',
    ],
    // The IPv6 level is the IPv6 stack's: an AF_INET socket has none.
    [
      'an IPv6 group on an AF_INET socket',
      () => s.joinSourceGroup(sock(AF_INET, SOCK_DGRAM), 'ff3e::1', '::1', 0),
      'ENOPROTOOPT',
    ],
  ];
  it.each(refusals)('%s fails in setsockopt', (_what, call, code) => {
    let err: unknown;
    try {
      call();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(s.SocketError);
    expect(err).toMatchObject({
      code,
      syscall: 'setsockopt',
      errno: -s.constants[code as 'EINVAL'],
    });
  });
});
