// AF_PACKET (struct sockaddr_ll) and AF_NETLINK (struct sockaddr_nl) addresses: encode and
// decode without privileges, a netlink socket bound and answered by the kernel, and an AF_PACKET
// socket on lo that sees a frame sent over it (CAP_NET_RAW: root or a user namespace; skipped
// with the reason otherwise).
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { expectArgError } from '../helpers/arg-errors.js';
import { sock } from '../helpers/fds.js';

const c = s.constants;
const { AF_INET, AF_NETLINK, AF_PACKET, SOCK_DGRAM, SOCK_RAW, ETH_P_ALL, ETH_P_IP } = c;
const lo = s.if_nametoindex('lo');

/** socket(2)'s protocol for AF_PACKET is in network byte order, unlike sockaddr_ll's field. */
function htons(v: number): number {
  return ((v & 0xff) << 8) | (v >> 8);
}

function packetSocketsAllowed(): { ok: true } | { ok: false; reason: string } {
  try {
    s.close(s.socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `AF_PACKET needs CAP_NET_RAW: ${(e as Error).message}` };
  }
}
const packet = packetSocketsAllowed();
if (!packet.ok) console.warn(`skipping AF_PACKET socket tests: ${packet.reason}`);

/** Encodes `address` with the native encoder and decodes it back, with no syscall. */
function roundTrip(address: s.AnySocketAddress): s.Address | null {
  const batch = new s.MessageBatch([Buffer.alloc(0)]);
  batch.setAddress(0, address);
  return batch.address(0);
}

describe('sockaddr_ll and sockaddr_nl encode and decode', () => {
  it('a packet address round-trips every field; hwaddr as bytes or as hex text', () => {
    const full = {
      family: 'packet',
      protocol: ETH_P_IP,
      ifindex: lo,
      hatype: 1,
      pkttype: c.PACKET_BROADCAST,
    } as const;
    const hw = Buffer.from([0x02, 0, 0, 0xaa, 0xbb, 0x01]);
    expect(roundTrip({ ...full, hwaddr: hw })).toEqual({ ...full, hwaddr: hw });
    expect(roundTrip({ ...full, hwaddr: '02:00:00:aa:bb:01' })).toEqual({ ...full, hwaddr: hw });
    expect(roundTrip({ family: 'packet' })).toEqual({
      family: 'packet',
      protocol: 0,
      ifindex: 0,
      hatype: 0,
      pkttype: 0,
      hwaddr: Buffer.alloc(0),
    });
  });

  it('a netlink address round-trips pid and groups, all 32 bits', () => {
    expect(roundTrip({ family: 'netlink', pid: 0xfffffffe, groups: 0x80000001 })).toEqual({
      family: 'netlink',
      pid: 0xfffffffe,
      groups: 0x80000001,
    });
  });

  it('formatAddress names them', () => {
    expect(
      s.formatAddress({ family: 'packet', ifindex: 1, protocol: 0x800, hwaddr: 'AA:bb' }),
    ).toBe('packet:1:0x0800 aa:bb');
    expect(s.formatAddress({ family: 'netlink', pid: 42 })).toBe('netlink:42');
  });

  type Case = [string, unknown, string, string, RegExp];
  const bad: Case[] = [
    [
      'hwaddr longer than sll_addr',
      { family: 'packet', hwaddr: Buffer.alloc(9) },
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"address.hwaddr"/,
    ],
    [
      'hwaddr not hex',
      { family: 'packet', hwaddr: 'zz:00' },
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
      /address.hwaddr/,
    ],
    [
      'hwaddr a number',
      { family: 'packet', hwaddr: 5 },
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"address.hwaddr"/,
    ],
    [
      'protocol above 16 bits',
      { family: 'packet', protocol: 0x10000 },
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"address.protocol"/,
    ],
    [
      'pkttype above 8 bits',
      { family: 'packet', pkttype: 256 },
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"address.pkttype"/,
    ],
    [
      'negative netlink pid',
      { family: 'netlink', pid: -1 },
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"address.pid"/,
    ],
    [
      'groups a string',
      { family: 'netlink', groups: '1' },
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"address.groups"/,
    ],
  ];
  it.each(bad)('%s is refused before any syscall', (_name, address, type, code, names) => {
    const fd = sock(AF_INET, SOCK_DGRAM);
    expectArgError(() => s.bind(fd, address as s.AnySocketAddress), type, code, names);
  });
});

describe('AF_NETLINK', () => {
  it('bind with pid 0 gets a port id assigned; the kernel answers from pid 0', () => {
    const fd = sock(AF_NETLINK, SOCK_RAW, c.NETLINK_ROUTE);
    s.bind(fd, { family: 'netlink' });
    const me = s.getsockname(fd);
    expect(me).toMatchObject({ family: 'netlink', groups: 0 });
    expect((me as { pid: number }).pid).toBeGreaterThan(0);

    // struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid }: a NOOP asking for
    // an ack, which the kernel answers with an NLMSG_ERROR carrying error 0.
    const req = Buffer.alloc(16);
    req.writeUInt32LE(16, 0);
    req.writeUInt16LE(c.NLMSG_NOOP, 4);
    req.writeUInt16LE(c.NLM_F_REQUEST | c.NLM_F_ACK, 6);
    req.writeUInt32LE(7, 8);
    s.sendmsg(fd, { buffers: [req], address: { family: 'netlink', pid: 0 } });
    const buf = Buffer.alloc(256);
    const r = s.recvmsg(fd, { buffers: [buf] });
    expect(r.address).toEqual({ family: 'netlink', pid: 0, groups: 0 });
    expect(buf.readUInt16LE(4)).toBe(c.NLMSG_ERROR);
    expect(buf.readUInt32LE(8)).toBe(7);
    expect(buf.readInt32LE(16)).toBe(0);
  });
});

describe('rtnetlink', () => {
  it("an RTM_GETLINK dump lists the machine's interfaces, lo among them with its index", () => {
    const fd = sock(AF_NETLINK, SOCK_RAW, c.NETLINK_ROUTE);
    // nlmsghdr (16 bytes) + struct ifinfomsg (16 bytes, family AF_UNSPEC: every link), rtnetlink(7).
    const req = Buffer.alloc(32);
    req.writeUInt32LE(32, 0);
    req.writeUInt16LE(c.RTM_GETLINK, 4);
    req.writeUInt16LE(c.NLM_F_REQUEST | c.NLM_F_DUMP, 6);
    req.writeUInt32LE(42, 8);
    s.sendto(fd, req, 0, { family: 'netlink', pid: 0 });
    const links = new Map<number, string>();
    const buf = Buffer.alloc(65536);
    for (let done = false; !done;) {
      const n = s.recv(fd, buf);
      for (let off = 0; off + 16 <= n;) {
        const len = buf.readUInt32LE(off);
        const type = buf.readUInt16LE(off + 4);
        expect(len).toBeGreaterThanOrEqual(16);
        if (type === c.NLMSG_DONE) {
          done = true;
          break;
        }
        expect(type).toBe(c.RTM_NEWLINK);
        const index = buf.readInt32LE(off + 16 + 4); // ifinfomsg.ifi_index
        // rtattrs follow the ifinfomsg: { u16 len; u16 type; data }, 4-byte aligned.
        for (let a = off + 32; a + 4 <= off + len;) {
          const alen = buf.readUInt16LE(a);
          if (alen < 4) break;
          if (buf.readUInt16LE(a + 2) === c.IFLA_IFNAME) {
            links.set(index, buf.toString('utf8', a + 4, a + alen).replace(/\0+$/, ''));
          }
          a += (alen + 3) & ~3;
        }
        off += (len + 3) & ~3;
      }
    }
    expect(links.get(lo)).toBe('lo');
    // Every interface the kernel listed maps back to its index.
    for (const [index, name] of links) expect(s.if_nametoindex(name)).toBe(index);
  });
});

describe.skipIf(!packet.ok)('AF_PACKET', () => {
  it('binds to lo and getsockname decodes its sockaddr_ll', () => {
    const fd = sock(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    s.bind(fd, { family: 'packet', protocol: ETH_P_ALL, ifindex: lo });
    const hatype = Number(readFileSync('/sys/class/net/lo/type', 'utf8'));
    const lladdr = readFileSync('/sys/class/net/lo/address', 'utf8').trim();
    expect(s.getsockname(fd)).toEqual({
      family: 'packet',
      protocol: ETH_P_ALL,
      ifindex: lo,
      hatype,
      pkttype: 0,
      hwaddr: Buffer.from(lladdr.split(':').map((h) => parseInt(h, 16))),
    });
  });

  it('sees a UDP datagram sent over lo, with the frame address decoded', () => {
    const fd = sock(AF_PACKET, SOCK_RAW | c.SOCK_NONBLOCK, htons(ETH_P_ALL));
    s.bind(fd, { family: 'packet', protocol: ETH_P_ALL, ifindex: lo });
    const rx = sock(AF_INET, SOCK_DGRAM);
    s.bind(rx, { family: 'inet', address: '127.0.0.1', port: 0 });
    // Other test files share lo: a large queue, and the marker sent again every 100 ms, so
    // their traffic filling the packet socket's queue cannot make the marker's frame vanish.
    s.setsockopt(fd, c.SOL_SOCKET, c.SO_RCVBUFFORCE, 8 << 20);
    const marker = Buffer.from(`sockfd-packet-${process.pid}-${Date.now()}`);
    const tx = sock(AF_INET, SOCK_DGRAM);
    const frame = Buffer.alloc(2048);
    const deadline = Date.now() + 10_000;
    let seen: s.RecvMsgResult | undefined;
    let nextSend = 0;
    while (!seen && Date.now() < deadline) {
      if (Date.now() >= nextSend) {
        s.sendto(tx, marker, 0, s.getsockname(rx) as s.InetAddress);
        nextSend = Date.now() + 100;
      }
      s.poll([{ fd, events: c.POLLIN }], 100);
      try {
        const r = s.recvmsg(fd, { buffers: [frame] });
        if (frame.subarray(0, r.bytes).includes(marker)) seen = r;
      } catch (e) {
        expect(e).toMatchObject({ code: 'EAGAIN' });
      }
    }
    expect(seen, 'the frame carrying the marker').toBeDefined();
    expect(seen!.address).toMatchObject({ family: 'packet', ifindex: lo, protocol: ETH_P_IP });
    expect([c.PACKET_HOST, c.PACKET_OUTGOING]).toContain(
      (seen!.address as s.PacketAddressReceived).pkttype,
    );
  });
});
