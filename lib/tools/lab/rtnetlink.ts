// Just enough rtnetlink to build a lab: veth pairs made straight into their namespaces, links
// brought up, addresses and routes added, and a queueing discipline tried. Every request asks for
// an acknowledgement and reads it at once: the kernel queues the answer to an rtnetlink request
// before sendmsg(2) returns, so the blocking recv(2) never waits.
// rtnetlink(7) — https://man7.org/linux/man-pages/man7/rtnetlink.7.html
// netlink(7) — https://man7.org/linux/man-pages/man7/netlink.7.html
import { isIPv4 } from 'node:net';
import { endianness } from 'node:os';

import { SocketError } from '../../internal/errors.js';
import { constants as c } from '../../sys/constants.generated.js';
import { close, recv, send, socket } from '../../sys/syscalls.js';
import { ipv4Bytes, ipv6Bytes } from '../packet/wire.js';
import { type ResolvedImpairments } from './impair.js';

// Netlink headers and attributes are in host byte order; addresses in network byte order.
const LE = endianness() === 'LE';
const NLMSG_HDRLEN = 16;
// Absent where the headers the addon was built with predate it (Linux 6.6).
const optional = c as Partial<Record<'TCA_NETEM_PRNG_SEED', number>>;

const align4 = (n: number): number => (n + 3) & ~3;

/** A netlink attribute: its type and payload, or nested attributes. */
export type Attr = { type: number; data: Buffer } | { type: number; nested: (Attr | Buffer)[] };

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  if (LE) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  if (LE) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

function u64(v: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  if (LE) b.writeBigUInt64LE(BigInt(v));
  else b.writeBigUInt64BE(BigInt(v));
  return b;
}

const i32 = (v: number): Buffer => u32(v >>> 0);
const cstring = (s: string): Buffer => Buffer.from(`${s}\0`, 'latin1');

/** Encodes attributes (struct rtattr: u16 length, u16 type, payload padded to 4 bytes). */
export function encodeAttrs(attrs: (Attr | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    if (Buffer.isBuffer(a)) {
      parts.push(a, Buffer.alloc(align4(a.length) - a.length));
      continue;
    }
    const data = 'data' in a ? a.data : encodeAttrs(a.nested);
    parts.push(u16(4 + data.length), u16(a.type), data);
    parts.push(Buffer.alloc(align4(data.length) - data.length));
  }
  return Buffer.concat(parts);
}

/** struct ifinfomsg: family, pad, type, index, flags, change. */
function ifinfomsg(index = 0, flags = 0, change = 0): Buffer {
  return Buffer.concat([
    Buffer.from([c.AF_UNSPEC, 0]),
    u16(0),
    i32(index),
    u32(flags),
    u32(change),
  ]);
}

/** An IPv4 or IPv6 address as its bytes, and its family; a bad one is an error naming `name`. */
export function addressBytes(address: string, name = 'address'): { family: number; bytes: Buffer } {
  if (isIPv4(address)) return { family: c.AF_INET, bytes: Buffer.from(ipv4Bytes(address, name)) };
  return { family: c.AF_INET6, bytes: Buffer.from(ipv6Bytes(address, name)) };
}

/** An rtnetlink socket in the calling thread's network namespace. */
export class Rtnetlink {
  #fd: number;
  #seq = 0;
  readonly #reply = Buffer.alloc(8192);

  /** socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) in the calling thread's namespace. */
  constructor() {
    this.#fd = socket(c.AF_NETLINK, c.SOCK_RAW | c.SOCK_CLOEXEC, c.NETLINK_ROUTE);
  }

  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    close(fd);
  }

  /** Sends one request with NLM_F_ACK and throws the kernel's error, named after `what`. */
  request(type: number, flags: number, body: Buffer, what: string): void {
    const seq = ++this.#seq;
    const header = Buffer.concat([
      u32(NLMSG_HDRLEN + body.length),
      u16(type),
      u16(c.NLM_F_REQUEST | c.NLM_F_ACK | flags),
      u32(seq),
      u32(0),
    ]);
    send(this.#fd, Buffer.concat([header, body]));
    for (;;) {
      const n = recv(this.#fd, this.#reply);
      for (let at = 0; at + NLMSG_HDRLEN <= n;) {
        const len = LE ? this.#reply.readUInt32LE(at) : this.#reply.readUInt32BE(at);
        const msgType = LE ? this.#reply.readUInt16LE(at + 4) : this.#reply.readUInt16BE(at + 4);
        const msgSeq = LE ? this.#reply.readUInt32LE(at + 8) : this.#reply.readUInt32BE(at + 8);
        if (msgType === c.NLMSG_ERROR && msgSeq === seq) {
          const err = LE ? this.#reply.readInt32LE(at + 16) : this.#reply.readInt32BE(at + 16);
          if (err !== 0) throw new SocketError(err, what);
          return;
        }
        if (len < NLMSG_HDRLEN) break;
        at += align4(len);
      }
    }
  }

  /**
   * Creates a veth pair, each end named and made directly in the namespace its fd names, so no
   * end ever appears in the caller's namespace. veth(4)
   */
  addVeth(
    a: { name: string; netns: number },
    b: { name: string; netns: number },
    mtu?: number,
  ): void {
    const mtuAttr = mtu === undefined ? [] : [{ type: c.IFLA_MTU, data: u32(mtu) }];
    const peer: (Attr | Buffer)[] = [
      ifinfomsg(),
      { type: c.IFLA_IFNAME, data: cstring(b.name) },
      { type: c.IFLA_NET_NS_FD, data: u32(b.netns) },
      ...mtuAttr,
    ];
    const body = Buffer.concat([
      ifinfomsg(),
      encodeAttrs([
        { type: c.IFLA_IFNAME, data: cstring(a.name) },
        { type: c.IFLA_NET_NS_FD, data: u32(a.netns) },
        ...mtuAttr,
        {
          type: c.IFLA_LINKINFO,
          nested: [
            { type: c.IFLA_INFO_KIND, data: cstring('veth') },
            { type: c.IFLA_INFO_DATA, nested: [{ type: c.VETH_INFO_PEER, nested: peer }] },
          ],
        },
      ]),
    ]);
    this.request(c.RTM_NEWLINK, c.NLM_F_CREATE | c.NLM_F_EXCL, body, 'RTM_NEWLINK');
  }

  /** Sets IFF_UP on the interface with index `ifindex`. */
  linkUp(ifindex: number): void {
    this.request(c.RTM_NEWLINK, 0, ifinfomsg(ifindex, c.IFF_UP, c.IFF_UP), 'RTM_NEWLINK');
  }

  /** Sets the MTU of the interface with index `ifindex` (IFLA_MTU). */
  setMtu(ifindex: number, mtu: number): void {
    const body = Buffer.concat([
      ifinfomsg(ifindex),
      encodeAttrs([{ type: c.IFLA_MTU, data: u32(mtu) }]),
    ]);
    this.request(c.RTM_NEWLINK, 0, body, 'RTM_NEWLINK');
  }

  /** Deletes the interface with index `ifindex` (a veth end takes its peer with it). */
  deleteLink(ifindex: number): void {
    this.request(c.RTM_DELLINK, 0, ifinfomsg(ifindex), 'RTM_DELLINK');
  }

  /** Adds `address`/`prefix` to the interface with index `ifindex`. */
  addAddress(ifindex: number, address: string, prefix: number): void {
    const { family, bytes } = addressBytes(address);
    // IPv6 addresses usable at once, without a duplicate probe.
    const flags = family === c.AF_INET6 ? c.IFA_F_NODAD : 0;
    const msg = Buffer.concat([
      Buffer.from([family, prefix, flags, c.RT_SCOPE_UNIVERSE]),
      u32(ifindex),
    ]);
    const body = Buffer.concat([
      msg,
      encodeAttrs([
        { type: c.IFA_LOCAL, data: bytes },
        { type: c.IFA_ADDRESS, data: bytes },
      ]),
    ]);
    this.request(c.RTM_NEWADDR, c.NLM_F_CREATE | c.NLM_F_EXCL, body, 'RTM_NEWADDR');
  }

  /** Adds a route to `dst`/`prefix` (prefix 0: the default route) via `gateway` or out of `ifindex`. */
  addRoute(route: { dst: string; prefix: number; gateway?: string; ifindex?: number }): void {
    const { family, bytes } = addressBytes(route.dst);
    const attrs: Attr[] = [];
    if (route.prefix > 0) attrs.push({ type: c.RTA_DST, data: bytes });
    if (route.gateway !== undefined) {
      const gw = addressBytes(route.gateway, 'gateway');
      attrs.push({ type: c.RTA_GATEWAY, data: gw.bytes });
    }
    if (route.ifindex !== undefined) attrs.push({ type: c.RTA_OIF, data: u32(route.ifindex) });
    const scope = route.gateway === undefined ? c.RT_SCOPE_LINK : c.RT_SCOPE_UNIVERSE;
    const msg = Buffer.concat([
      Buffer.from([
        family,
        route.prefix,
        0,
        0,
        c.RT_TABLE_MAIN,
        c.RTPROT_STATIC,
        scope,
        c.RTN_UNICAST,
      ]),
      u32(0),
    ]);
    this.request(
      c.RTM_NEWROUTE,
      c.NLM_F_CREATE | c.NLM_F_EXCL,
      Buffer.concat([msg, encodeAttrs(attrs)]),
      'RTM_NEWROUTE',
    );
  }

  /**
   * Gives `ifindex` a netem root discipline that impairs what it sends as `impair` says.
   * tc-netem(8)
   */
  addNetem(ifindex: number, impair: ResolvedImpairments): void {
    this.addRootQdisc(ifindex, 'netem', netemOptions(impair));
  }

  /**
   * Adds a root queueing discipline of `kind` with `options` (its struct, then any nested
   * attributes) to `ifindex`. The kernel answers ENOENT when it has no such discipline, built in
   * or as a module. tc(8)
   */
  addRootQdisc(ifindex: number, kind: string, options: (Attr | Buffer)[]): void {
    const msg = Buffer.concat([
      Buffer.from([c.AF_UNSPEC, 0]),
      u16(0),
      i32(ifindex),
      u32(0),
      u32(c.TC_H_ROOT),
      u32(0),
    ]);
    const body = Buffer.concat([
      msg,
      encodeAttrs([
        { type: c.TCA_KIND, data: cstring(kind) },
        { type: c.TCA_OPTIONS, nested: options },
      ]),
    ]);
    this.request(c.RTM_NEWQDISC, c.NLM_F_CREATE | c.NLM_F_EXCL, body, 'RTM_NEWQDISC');
  }
}

// A share as netem's u32 probability, 0 for none and UINT32_MAX for all, rounded as tc does.
const probability = (share: number): number => Math.round(share * 0xffffffff);

/**
 * netem's TCA_OPTIONS for `impair`, as `tc qdisc add ... netem` (iproute2's q_netem.c) builds
 * them: struct tc_netem_qopt, then an attribute for each impairment beyond it. The delay and jitter
 * go in nanoseconds in TCA_NETEM_LATENCY64 and TCA_NETEM_JITTER64 (Linux 4.15), which override
 * the struct's fields in the scheduler's ticks; those stay 0 as in iproute2 6.9 and later.
 * tc-netem(8), rtnetlink(7)
 */
export function netemOptions(impair: ResolvedImpairments): (Attr | Buffer)[] {
  const { delayMs, jitterMs, loss, burst, duplicate, corrupt, reorder, rate, limit, seed } = impair;
  // struct tc_netem_qopt (linux/pkt_sched.h): latency, limit, loss, gap, duplicate, jitter, u32
  // each. A gap of 1 with a reorder share lets each packet be the one sent at once, as tc sets.
  const qopt = Buffer.concat([
    u32(0),
    u32(limit),
    u32(burst === undefined ? probability(loss) : 0),
    u32(reorder > 0 ? 1 : 0),
    u32(probability(duplicate)),
    u32(0),
  ]);
  const options: (Attr | Buffer)[] = [qopt];
  const ns = (ms: number): Buffer => u64(BigInt(Math.round(ms * 1e6)));
  if (delayMs > 0) options.push({ type: c.TCA_NETEM_LATENCY64, data: ns(delayMs) });
  if (jitterMs > 0) options.push({ type: c.TCA_NETEM_JITTER64, data: ns(jitterMs) });
  if (reorder > 0) {
    // struct tc_netem_reorder: probability, correlation.
    options.push({
      type: c.TCA_NETEM_REORDER,
      data: Buffer.concat([u32(probability(reorder)), u32(0)]),
    });
  }
  if (corrupt > 0) {
    // struct tc_netem_corrupt: probability, correlation.
    options.push({
      type: c.TCA_NETEM_CORRUPT,
      data: Buffer.concat([u32(probability(corrupt)), u32(0)]),
    });
  }
  if (burst !== undefined) {
    // struct tc_netem_gemodel: p (good to bad), r (bad to good), h, k1. The kernel drops in the bad
    // state when a random u32 exceeds h, and in the good state when one is below k1: 0 and 0
    // are loss always in the bad state and never in the good one (sch_netem.c, loss_gilb_ell).
    const ge = Buffer.concat([
      u32(probability(burst.p)),
      u32(probability(burst.r)),
      u32(0),
      u32(0),
    ]);
    options.push({
      type: c.TCA_NETEM_LOSS | c.NLA_F_NESTED,
      nested: [{ type: c.NETEM_LOSS_GE, data: ge }],
    });
  }
  if (rate > 0) {
    // The kernel's rate is in bytes per second. At least 1: a rate of 0 means no limit at all.
    const bytes = Math.max(1, Math.floor(rate / 8));
    // struct tc_netem_rate: rate (u32), packet_overhead (s32), cell_size (u32), cell_overhead (s32).
    // A rate past u32 goes in TCA_NETEM_RATE64, with the u32 saturated, as tc does.
    if (bytes > 0xffffffff) options.push({ type: c.TCA_NETEM_RATE64, data: u64(bytes) });
    options.push({
      type: c.TCA_NETEM_RATE,
      data: Buffer.concat([u32(Math.min(bytes, 0xffffffff)), u32(0), u32(0), u32(0)]),
    });
  }
  if (seed !== undefined) {
    if (optional.TCA_NETEM_PRNG_SEED === undefined) {
      throw Object.assign(
        new Error(
          'sockfd lab: netem seed needs TCA_NETEM_PRNG_SEED, which the headers this addon was ' +
            'built with do not define (Linux 6.6 headers or later)',
        ),
        { code: 'ERR_LAB_NO_NETEM_SEED' },
      );
    }
    options.push({ type: optional.TCA_NETEM_PRNG_SEED, data: u64(seed) });
  }
  return options;
}
