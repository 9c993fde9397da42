// Raw packet helpers: checksums against known answers, encode/decode round trips, every way a
// decoder refuses a malformed packet, and packets built here that the kernel accepts (and
// answers) on loopback. The kernel tests need CAP_NET_RAW (CI runs as root); without it they
// say why they skip.
import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { rawSocketsAllowed, sock } from '../helpers/fds.js';

const c = s.constants;
const { AF_INET, AF_INET6, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, POLLIN, MSG_DONTWAIT } = c;
const { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_UDP, IPPROTO_TCP, IPPROTO_RAW } = c;

const raw = rawSocketsAllowed();
if (!raw.ok) console.warn(`skipping packet tests against the kernel: ${raw.reason}`);

// Loopback hands the kernel's own UDP and TCP packets to raw sockets with only the
// pseudo-header folded into their checksum field (CHECKSUM_PARTIAL: lo "offloads" the rest),
// so those checksums are not checked here; ICMP and IP header checksums are computed in full.
const V4: s.PseudoHeader = { source: '127.0.0.1', destination: '127.0.0.1' };
const V6: s.PseudoHeader = { source: '::1', destination: '::1' };

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s/g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function expectPacketError(call: () => unknown, code: string): void {
  expect(call).toThrow(expect.objectContaining({ name: 'RangeError', code }));
}

describe('internet checksum', () => {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is 220d.
  const RFC1071 = bytes('0001 f203 f4f5 f6f7');

  it('matches the RFC 1071 example', () => {
    expect(s.onesComplementSum(RFC1071)).toBe(0xddf2);
    expect(s.internetChecksum(RFC1071)).toBe(0x220d);
  });

  it('continues across chunks: even-length chunks chained give the whole sum', () => {
    const partial = s.onesComplementSum(RFC1071.subarray(0, 4));
    expect(s.onesComplementSum(RFC1071.subarray(4), partial)).toBe(0xddf2);
    expect(
      s.internetChecksum(RFC1071.subarray(6), s.onesComplementSum(RFC1071.subarray(0, 6))),
    ).toBe(0x220d);
  });

  it('pads an odd last byte with zero', () => {
    expect(s.onesComplementSum(bytes('01'))).toBe(0x0100);
    expect(s.onesComplementSum(bytes('0001 f2'))).toBe(0xf201);
    expect(s.internetChecksum(new Uint8Array(0))).toBe(0xffff);
  });

  it('verifies to 0 over data that carries its own checksum', () => {
    const withSum = bytes('0001 f203 f4f5 f6f7 220d');
    expect(s.internetChecksum(withSum)).toBe(0);
  });

  // A known IPv4 header (192.168.0.1 -> 192.168.0.199, UDP, DF, TTL 64): checksum b861.
  const KNOWN_IPV4 = bytes('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');

  it.each([
    ['TTL decrement', 8, 0x3f11],
    ['new id', 4, 0x1234],
    ['new source word', 12, 0x0a00],
    ['all ones', 2, 0xffff],
  ])('updates incrementally (RFC 1624) for a %s', (_what, offset, newWord) => {
    const header = KNOWN_IPV4.slice();
    const dv = new DataView(header.buffer);
    const old = dv.getUint16(offset);
    dv.setUint16(offset, newWord);
    dv.setUint16(10, 0);
    const full = s.internetChecksum(header);
    expect(s.updateChecksum(0xb861, old, newWord)).toBe(full);
  });

  it('rejects a running sum outside 16 bits and a non-Uint8Array', () => {
    expect(() => s.onesComplementSum(RFC1071, 0x10000)).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => s.internetChecksum([0, 1] as unknown as Uint8Array)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });

  it('builds the known IPv4 header byte for byte', () => {
    const packet = s.encodeIPv4(
      {
        protocol: IPPROTO_UDP,
        source: '192.168.0.1',
        destination: '192.168.0.199',
        flags: c.IP_DF,
        ttl: 64,
      },
      new Uint8Array(0x73 - 20),
    );
    expect(hex(packet.subarray(0, 20))).toBe(hex(KNOWN_IPV4));
  });
});

describe('IPv4', () => {
  const header: s.IPv4HeaderInit = {
    protocol: IPPROTO_UDP,
    source: '10.1.2.3',
    destination: '192.0.2.200',
    tos: 0xb8,
    id: 0xbeef,
    flags: c.IP_MF,
    fragmentOffset: 185,
    ttl: 17,
    options: bytes('940400'), // Router Alert, padded to 4 bytes
  };
  const payload = bytes('deadbeef 0102');

  it('round-trips with options (padded), flags, fragment offset and a valid checksum', () => {
    const packet = s.encodeIPv4(header, payload);
    expect(packet.length).toBe(24 + payload.length);
    const { header: h, payload: p } = s.decodeIPv4(packet);
    expect(h).toMatchObject({
      ihl: 6,
      tos: 0xb8,
      totalLength: 30,
      id: 0xbeef,
      flags: c.IP_MF,
      fragmentOffset: 185,
      ttl: 17,
      protocol: IPPROTO_UDP,
      source: '10.1.2.3',
      destination: '192.0.2.200',
    });
    expect(hex(h.options)).toBe('94040000');
    expect(hex(p)).toBe(hex(payload));
    expect(s.internetChecksum(packet.subarray(0, h.ihl * 4))).toBe(0);
  });

  it('ends the payload at the total length, leaving link-layer padding out', () => {
    const packet = s.encodeIPv4({ protocol: IPPROTO_ICMP, ...V4 }, bytes('0102'));
    const padded = new Uint8Array(packet.length + 10);
    padded.set(packet);
    expect(hex(s.decodeIPv4(padded).payload)).toBe('0102');
  });

  // Each starts from a valid 28-byte packet and breaks one thing.
  const valid = () => s.encodeIPv4({ protocol: IPPROTO_UDP, ...V4 }, new Uint8Array(8));
  const broken: [string, (p: Uint8Array) => Uint8Array, string][] = [
    ['fewer than 20 bytes', (p) => p.subarray(0, 19), 'ERR_PACKET_TOO_SHORT'],
    ['version 6', (p) => ((p[0] = 0x65), p), 'ERR_PACKET_BAD_VERSION'],
    ['IHL 4', (p) => ((p[0] = 0x44), p), 'ERR_PACKET_BAD_HEADER_LENGTH'],
    ['IHL 15 past the buffer', (p) => ((p[0] = 0x4f), p), 'ERR_PACKET_TOO_SHORT'],
    ['total length below the header', (p) => ((p[2] = 0), (p[3] = 19), p), 'ERR_PACKET_BAD_LENGTH'],
    ['total length past the buffer', (p) => ((p[3] = 29), p), 'ERR_PACKET_TOO_SHORT'],
  ];
  it.each(broken)('rejects %s', (_what, breakIt, code) => {
    expectPacketError(() => s.decodeIPv4(breakIt(valid())), code);
  });

  it.each([
    ['options over 40 bytes', { options: new Uint8Array(41) }, 'ERR_INVALID_ARG_VALUE'],
    ['flags outside IP_DF|IP_MF|IP_RF', { flags: 1 }, 'ERR_INVALID_ARG_VALUE'],
    ['TTL 256', { ttl: 256 }, 'ERR_OUT_OF_RANGE'],
    ['a fragment offset over 13 bits', { fragmentOffset: c.IP_OFFMASK + 1 }, 'ERR_OUT_OF_RANGE'],
    ['an unparsable source', { source: '10.0.0' }, 'ERR_INVALID_ARG_VALUE'],
    ['an IPv6 destination', { destination: '::1' }, 'ERR_INVALID_ARG_VALUE'],
  ])('refuses to encode %s', (_what, change, code) => {
    expect(() => s.encodeIPv4({ protocol: IPPROTO_UDP, ...V4, ...change })).toThrow(
      expect.objectContaining({ code }),
    );
  });

  it('refuses a payload that overflows the total length field', () => {
    expectPacketError(
      () => s.encodeIPv4({ protocol: IPPROTO_UDP, ...V4 }, new Uint8Array(c.IP_MAXPACKET - 19)),
      'ERR_PACKET_TOO_LONG',
    );
  });
});

describe('IPv6', () => {
  it('round-trips the fixed header', () => {
    const payload = bytes('0a0b0c');
    const packet = s.encodeIPv6(
      {
        nextHeader: IPPROTO_UDP,
        source: '2001:db8::1',
        destination: 'fe80::abcd:1',
        trafficClass: 0xa5,
        flowLabel: 0xfedcb,
        hopLimit: 3,
      },
      payload,
    );
    expect(hex(packet.subarray(0, 8))).toBe('6a5fedcb00031103');
    const { header, payload: p } = s.decodeIPv6(packet);
    expect(header).toEqual({
      trafficClass: 0xa5,
      flowLabel: 0xfedcb,
      payloadLength: 3,
      nextHeader: IPPROTO_UDP,
      hopLimit: 3,
      source: '2001:db8::1',
      destination: 'fe80::abcd:1',
    });
    expect(hex(p)).toBe('0a0b0c');
  });

  // Address text in, the canonical (RFC 5952, inet_ntop) text out.
  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::ffff:c000:201', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
  ])('writes %s as %s', (input, canonical) => {
    const packet = s.encodeIPv6({ nextHeader: IPPROTO_UDP, source: input, destination: input });
    expect(s.decodeIPv6(packet).header.source).toBe(canonical);
  });

  const valid = () => s.encodeIPv6({ nextHeader: IPPROTO_UDP, ...V6 }, new Uint8Array(8));
  const broken: [string, (p: Uint8Array) => Uint8Array, string][] = [
    ['fewer than 40 bytes', (p) => p.subarray(0, 39), 'ERR_PACKET_TOO_SHORT'],
    ['version 4', (p) => ((p[0] = 0x40), p), 'ERR_PACKET_BAD_VERSION'],
    ['payload length past the buffer', (p) => ((p[5] = 9), p), 'ERR_PACKET_TOO_SHORT'],
  ];
  it.each(broken)('rejects %s', (_what, breakIt, code) => {
    expectPacketError(() => s.decodeIPv6(breakIt(valid())), code);
  });

  it('refuses a zone, a flow label over 20 bits and an IPv4 address', () => {
    for (const [change, code] of [
      [{ source: 'fe80::1%lo' }, 'ERR_INVALID_ARG_VALUE'],
      [{ flowLabel: 0x100000 }, 'ERR_OUT_OF_RANGE'],
      [{ destination: '127.0.0.1' }, 'ERR_INVALID_ARG_VALUE'],
    ] as const) {
      expect(() => s.encodeIPv6({ nextHeader: IPPROTO_UDP, ...V6, ...change })).toThrow(
        expect.objectContaining({ code }),
      );
    }
  });
});

describe('ICMP and ICMPv6 echo', () => {
  it('builds an ICMP echo request whose checksum verifies, and reads it back', () => {
    const m = s.encodeIcmpEcho({ identifier: 0x1234, sequence: 7 }, bytes('6869'));
    expect(hex(m)).toBe(`0800${hex(m.subarray(2, 4))}12340007` + '6869');
    expect(s.internetChecksum(m)).toBe(0);
    const { header, payload } = s.decodeIcmpEcho(m);
    expect(header).toEqual({
      type: c.ICMP_ECHO,
      code: 0,
      checksum: (m[2]! << 8) | m[3]!,
      identifier: 0x1234,
      sequence: 7,
    });
    expect(hex(payload)).toBe('6869');
    const reply = s.encodeIcmpEcho({ type: c.ICMP_ECHOREPLY, identifier: 1, sequence: 2 });
    expect(s.decodeIcmpEcho(reply).header.type).toBe(c.ICMP_ECHOREPLY);
  });

  it('checksums ICMPv6 over the IPv6 pseudo-header, or leaves it 0 for the kernel', () => {
    const m = s.encodeIcmp6Echo({ identifier: 9, sequence: 1 }, bytes('00ff'), V6);
    expect(m[0]).toBe(c.ICMP6_ECHO_REQUEST);
    expect(s.transportChecksum(m, IPPROTO_ICMPV6, V6)).toBe(0);
    // The same message checked against other addresses fails.
    expect(s.transportChecksum(m, IPPROTO_ICMPV6, { ...V6, source: '::2' })).not.toBe(0);
    const unsummed = s.encodeIcmp6Echo({ identifier: 9, sequence: 1 }, bytes('00ff'));
    expect(s.decodeIcmp6Echo(unsummed).header.checksum).toBe(0);
  });

  it.each([
    ['ICMP, 7 bytes', () => s.decodeIcmpEcho(new Uint8Array(7)), 'ERR_PACKET_TOO_SHORT'],
    [
      'ICMP destination unreachable',
      () => s.decodeIcmpEcho(Uint8Array.of(c.ICMP_DEST_UNREACH, 3, 0, 0, 0, 0, 0, 0)),
      'ERR_PACKET_BAD_TYPE',
    ],
    [
      'ICMPv6 echo given to the ICMP decoder',
      () => s.decodeIcmpEcho(s.encodeIcmp6Echo({ identifier: 1, sequence: 1 })),
      'ERR_PACKET_BAD_TYPE',
    ],
    ['ICMPv6, 7 bytes', () => s.decodeIcmp6Echo(new Uint8Array(7)), 'ERR_PACKET_TOO_SHORT'],
    [
      'ICMP echo given to the ICMPv6 decoder',
      () => s.decodeIcmp6Echo(s.encodeIcmpEcho({ identifier: 1, sequence: 1 })),
      'ERR_PACKET_BAD_TYPE',
    ],
  ])('rejects %s', (_what, call, code) => {
    expectPacketError(call, code);
  });

  it('refuses an identifier over 16 bits and a missing header', () => {
    expect(() => s.encodeIcmpEcho({ identifier: 0x10000, sequence: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => s.encodeIcmpEcho(null as unknown as s.IcmpEchoInit)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
});

describe('UDP', () => {
  it.each([
    ['IPv4', V4],
    ['IPv6', V6],
  ])('round-trips over %s with a pseudo-header checksum that verifies', (_family, addresses) => {
    const d = s.encodeUdp({ sourcePort: 5353, destinationPort: 53 }, bytes('cafe01'), addresses);
    const { header, payload } = s.decodeUdp(d);
    expect(header).toMatchObject({ sourcePort: 5353, destinationPort: 53, length: 11 });
    expect(header.checksum).not.toBe(0);
    expect(hex(payload)).toBe('cafe01');
    expect(s.transportChecksum(d, IPPROTO_UDP, addresses)).toBe(0);
  });

  it('leaves the checksum 0 (none, IPv4 only) without addresses', () => {
    const d = s.encodeUdp({ sourcePort: 1, destinationPort: 2 }, bytes('00'));
    expect(s.decodeUdp(d).header.checksum).toBe(0);
  });

  it('sends a computed checksum of 0 as 0xffff (RFC 768)', () => {
    // Two payload bytes set to the checksum of the datagram with them zero make the sum 0xffff,
    // so the checksum computes to 0.
    const zeroed = s.encodeUdp({ sourcePort: 1000, destinationPort: 2000 }, new Uint8Array(2), V4);
    const sum = s.decodeUdp(zeroed).header.checksum;
    const d = s.encodeUdp(
      { sourcePort: 1000, destinationPort: 2000 },
      Uint8Array.of(sum >> 8, sum & 0xff),
      V4,
    );
    expect(s.decodeUdp(d).header.checksum).toBe(0xffff);
    expect(s.transportChecksum(d, IPPROTO_UDP, V4)).toBe(0);
  });

  it('ends the payload at the length field', () => {
    const d = s.encodeUdp({ sourcePort: 1, destinationPort: 2 }, bytes('0102'));
    const longer = new Uint8Array(d.length + 4);
    longer.set(d);
    expect(hex(s.decodeUdp(longer).payload)).toBe('0102');
  });

  const valid = () => s.encodeUdp({ sourcePort: 1, destinationPort: 2 }, new Uint8Array(4), V4);
  const broken: [string, (p: Uint8Array) => Uint8Array, string][] = [
    ['fewer than 8 bytes', (p) => p.subarray(0, 7), 'ERR_PACKET_TOO_SHORT'],
    ['a length below 8', (p) => ((p[5] = 7), p), 'ERR_PACKET_BAD_LENGTH'],
    ['a length past the buffer', (p) => ((p[5] = 13), p), 'ERR_PACKET_TOO_SHORT'],
  ];
  it.each(broken)('rejects %s', (_what, breakIt, code) => {
    expectPacketError(() => s.decodeUdp(breakIt(valid())), code);
  });

  it('refuses mixed address families and a port over 16 bits', () => {
    expect(() =>
      s.encodeUdp({ sourcePort: 1, destinationPort: 2 }, new Uint8Array(0), {
        source: '::1',
        destination: '127.0.0.1',
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => s.encodeUdp({ sourcePort: 65536, destinationPort: 2 })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
  });
});

describe('TCP', () => {
  it.each([
    ['IPv4', V4],
    ['IPv6', V6],
  ])('round-trips a SYN with options over %s; the checksum verifies', (_family, addresses) => {
    const mss = bytes('0204 05b4 0103 03'); // MSS 1460, NOP, window scale 3; padded to 8
    const segment = s.encodeTcp(
      {
        sourcePort: 40000,
        destinationPort: 443,
        sequence: 0xfffffffe,
        acknowledgment: 0,
        flags: c.TH_SYN,
        window: 64240,
        options: mss,
      },
      bytes('ab'),
      addresses,
    );
    const { header, payload } = s.decodeTcp(segment);
    expect(header).toMatchObject({
      sourcePort: 40000,
      destinationPort: 443,
      sequence: 0xfffffffe,
      acknowledgment: 0,
      dataOffset: 7,
      flags: c.TH_SYN,
      window: 64240,
      urgentPointer: 0,
    });
    expect(hex(header.options)).toBe('020405b401030300');
    expect(hex(payload)).toBe('ab');
    expect(s.transportChecksum(segment, IPPROTO_TCP, addresses)).toBe(0);
    expect(header.reserved).toBe(0);
    // The reserved bits, set to build an unusual segment, sit between the data offset and AE.
    const odd = s.encodeTcp(
      { sourcePort: 1, destinationPort: 2, reserved: 5, flags: 0x101 },
      bytes(''),
      addresses,
    );
    expect(hex(odd.subarray(12, 14))).toBe('5b01');
    expect(s.decodeTcp(odd).header).toMatchObject({ reserved: 5, flags: 0x101 });
    expect(() =>
      s.encodeTcp({ sourcePort: 1, destinationPort: 2, reserved: 8 }, bytes(''), addresses),
    ).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  const valid = () => s.encodeTcp({ sourcePort: 1, destinationPort: 2 }, new Uint8Array(0), V4);
  const broken: [string, (p: Uint8Array) => Uint8Array, string][] = [
    ['fewer than 20 bytes', (p) => p.subarray(0, 19), 'ERR_PACKET_TOO_SHORT'],
    ['a data offset of 4', (p) => ((p[12] = 0x40), p), 'ERR_PACKET_BAD_HEADER_LENGTH'],
    ['a data offset past the buffer', (p) => ((p[12] = 0x60), p), 'ERR_PACKET_TOO_SHORT'],
  ];
  it.each(broken)('rejects %s', (_what, breakIt, code) => {
    expectPacketError(() => s.decodeTcp(breakIt(valid())), code);
  });

  it('refuses options over 40 bytes', () => {
    expect(() =>
      s.encodeTcp(
        { sourcePort: 1, destinationPort: 2, options: new Uint8Array(41) },
        new Uint8Array(0),
        V4,
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('detached, resized and changing views and headers', () => {
  // Found by the fuzzer: TypedArray.prototype.set threw an uncoded TypeError for a payload or
  // options view whose buffer was detached. Such a view reads as empty, as everywhere else.
  const detached = () => {
    const b = new Uint8Array(new ArrayBuffer(8), 2, 4);
    structuredClone(b.buffer, { transfer: [b.buffer] });
    return b;
  };

  it('encode a detached payload or options as empty', () => {
    const ip = { protocol: IPPROTO_UDP, source: '127.0.0.1', destination: '127.0.0.1' };
    expect(s.encodeIPv4(ip, detached()).length).toBe(20);
    expect(s.encodeIPv4({ ...ip, options: detached() }).length).toBe(20);
    expect(s.encodeIPv6({ nextHeader: 17, ...V6 }, detached()).length).toBe(40);
    expect(s.encodeIcmpEcho({ identifier: 1, sequence: 2 }, detached()).length).toBe(8);
    expect(s.encodeIcmp6Echo({ identifier: 1, sequence: 2 }, detached(), V6).length).toBe(8);
    expect(s.encodeUdp({ sourcePort: 1, destinationPort: 2 }, detached(), V4).length).toBe(8);
    const tcp = { sourcePort: 1, destinationPort: 2 };
    expect(s.encodeTcp(tcp, detached(), V4).length).toBe(20);
    expect(s.encodeTcp({ ...tcp, options: detached() }, new Uint8Array(0), V4).length).toBe(20);
  });

  // A header getter that grew the payload's resizable buffer made the copy overrun the room the
  // encoder had made (an uncoded RangeError). A view resized or detached while the header is
  // read no longer matches the lengths already written: the call fails, never cutting the view
  // or padding it with zeros.
  it('refuse a payload or options view that a header getter resized or detached', () => {
    const thrownBy = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const resizable = (n: number) => {
      // Resizable ArrayBuffers (ES2024) are newer than the TypeScript lib this suite targets.
      const ab = new ArrayBuffer(n, { maxByteLength: 64 }) as ArrayBuffer & {
        resize(length: number): void;
      };
      return { view: new Uint8Array(ab).fill(7), resize: (m: number) => ab.resize(m) };
    };
    const code = 'ERR_INVALID_ARG_VALUE';
    for (const after of [64, 2, 0]) {
      const p = resizable(4);
      const udp = {
        sourcePort: 1,
        get destinationPort() {
          p.resize(after);
          return 2;
        },
      };
      expect(thrownBy(() => s.encodeUdp(udp, p.view, V4))).toMatchObject({ code });
      expect(p.view.length).toBe(after); // and it was the resize that failed the call:
      expect(thrownBy(() => s.encodeUdp(udp, p.view, V4))).toBeUndefined();
      const o = resizable(4);
      const ip = {
        protocol: IPPROTO_UDP,
        source: '127.0.0.1',
        get destination() {
          o.resize(after);
          return '127.0.0.1';
        },
        options: o.view,
      };
      const e = thrownBy(() => s.encodeIPv4(ip, new Uint8Array([1, 2])));
      expect(e).toMatchObject({ code });
      expect((e as Error).message).toMatch(/^The argument 'header\.options' was resized/);
    }
    // IPv6 and TCP measure the payload before their first header getter too.
    for (const after of [70_000, 2]) {
      const big = new ArrayBuffer(10, { maxByteLength: 70_000 }) as ArrayBuffer & {
        resize(length: number): void;
      };
      const ip6 = {
        ...V6,
        get nextHeader() {
          big.resize(after);
          return 17;
        },
      };
      expect(thrownBy(() => s.encodeIPv6(ip6, new Uint8Array(big)))).toMatchObject({ code });
      big.resize(10);
      const tcp = {
        get sourcePort() {
          big.resize(after);
          return 1;
        },
        destinationPort: 2,
      };
      expect(thrownBy(() => s.encodeTcp(tcp, new Uint8Array(big), V4))).toMatchObject({ code });
    }
    const d = new Uint8Array(8);
    const echo = {
      get identifier() {
        structuredClone(d.buffer, { transfer: [d.buffer] });
        return 1;
      },
      sequence: 2,
    };
    expect(() => s.encodeIcmpEcho(echo, d)).toThrow(expect.objectContaining({ code }));
    // Unchanged views encode as before.
    const same = resizable(4);
    expect(hex(s.encodeUdp({ sourcePort: 1, destinationPort: 2 }, same.view))).toBe(
      '00010002000c000007070707',
    );
  });

  // Found by the fuzzer: the encoders read the required fields twice, to check and to write, so
  // a getter that answered a valid value and then junk reached setUint16 with the junk (an
  // uncoded TypeError). Each field is read once.
  it('read each header field once', () => {
    const once = <T extends object>(h: T, key: string, value: number): T => {
      let reads = 0;
      return Object.defineProperty(h, key, {
        enumerable: true,
        get: () => (reads++ === 0 ? value : Symbol('second read')),
      });
    };
    const ip = { source: '127.0.0.1', destination: '127.0.0.1' };
    expect(
      s.decodeIPv4(s.encodeIPv4(once({ ...ip, protocol: 0 }, 'protocol', 17))).header.protocol,
    ).toBe(17);
    const ip6 = once({ ...V6, nextHeader: 0 }, 'nextHeader', 58);
    expect(s.decodeIPv6(s.encodeIPv6(ip6)).header.nextHeader).toBe(58);
    const echo = once({ identifier: 1, sequence: 0 }, 'sequence', 9);
    expect(s.decodeIcmpEcho(s.encodeIcmpEcho(echo)).header.sequence).toBe(9);
    const echo6 = once({ identifier: 0, sequence: 2 }, 'identifier', 7);
    expect(s.decodeIcmp6Echo(s.encodeIcmp6Echo(echo6)).header.identifier).toBe(7);
    const udp = once({ sourcePort: 0, destinationPort: 2 }, 'sourcePort', 53);
    expect(s.decodeUdp(s.encodeUdp(udp, new Uint8Array(0), V4)).header.sourcePort).toBe(53);
    const tcp = once({ sourcePort: 1, destinationPort: 0 }, 'destinationPort', 80);
    expect(s.decodeTcp(s.encodeTcp(tcp, new Uint8Array(0), V4)).header.destinationPort).toBe(80);
  });

  it('decode a detached packet as too short', () => {
    expectPacketError(() => s.decodeIPv4(detached()), 'ERR_PACKET_TOO_SHORT');
    expectPacketError(() => s.decodeUdp(detached()), 'ERR_PACKET_TOO_SHORT');
  });
});

// Reads from `fd` until `match` accepts a packet or `ms` pass; returns the packet or null.
function receive(fd: number, ms: number, match: (p: Uint8Array) => boolean): Uint8Array | null {
  const buf = Buffer.alloc(65536);
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return null;
    const [p] = s.poll([{ fd, events: POLLIN }], left);
    if (!(p!.revents & POLLIN)) return null;
    const n = s.recv(fd, buf, MSG_DONTWAIT);
    const packet = Uint8Array.from(buf.subarray(0, n));
    if (match(packet)) return packet;
  }
}

const NO_ANSWER_MS = 300;

describe.skipIf(!raw.ok)('against the kernel (CAP_NET_RAW)', () => {
  const to4: s.InetAddress = { family: 'inet', address: '127.0.0.1', port: 0 };
  const to6: s.Inet6Address = { family: 'inet6', address: '::1', port: 0 };
  const id = process.pid & 0xffff;

  function isEchoReply4(p: Uint8Array, sequence: number): boolean {
    const { header, payload } = s.decodeIPv4(p);
    if (header.protocol !== IPPROTO_ICMP || payload[0] !== c.ICMP_ECHOREPLY) return false;
    const echo = s.decodeIcmpEcho(payload).header;
    return echo.identifier === id && echo.sequence === sequence;
  }

  it('an ICMP echo built here gets a reply from 127.0.0.1 that decodes and verifies', () => {
    const fd = sock(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    const data = new TextEncoder().encode('sockfd packet helpers');
    s.sendto(fd, s.encodeIcmpEcho({ identifier: id, sequence: 1 }, data), 0, to4);
    const reply = receive(fd, 5000, (p) => isEchoReply4(p, 1));
    expect(reply).not.toBeNull();
    const { header, payload } = s.decodeIPv4(reply!);
    expect(header).toMatchObject({ source: '127.0.0.1', destination: '127.0.0.1' });
    expect(s.internetChecksum(reply!.subarray(0, header.ihl * 4))).toBe(0);
    expect(s.internetChecksum(payload)).toBe(0);
    expect(s.decodeIcmpEcho(payload).payload).toEqual(data);
    // The kernel's header re-encodes to the same bytes.
    const again = s.encodeIPv4({ ...header, checksum: undefined }, payload);
    expect(hex(again)).toBe(hex(reply!));
  });

  it('a whole IPv4 packet built here goes out with IP_HDRINCL and is answered', () => {
    const fd = sock(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    s.setHeaderIncluded(fd, true);
    const icmp = s.encodeIcmpEcho({ identifier: id, sequence: 2 }, Uint8Array.of(1, 2, 3));
    const packet = s.encodeIPv4({ protocol: IPPROTO_ICMP, ttl: 9, id: 4242, ...V4 }, icmp);
    s.sendto(fd, packet, 0, to4);
    expect(receive(fd, 5000, (p) => isEchoReply4(p, 2))).not.toBeNull();
  });

  it('an ICMPv6 echo to ::1: the kernel computes the same checksum, and its reply verifies', () => {
    const fd = sock(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
    const request = s.encodeIcmp6Echo({ identifier: id, sequence: 3 }, Uint8Array.of(9, 8, 7), V6);
    s.sendto(fd, request, 0, to6);
    // A raw ICMPv6 socket sees the looped-back request (with the checksum the kernel put
    // there) and the reply; neither carries an IPv6 header.
    const seen = (type: number) => (p: Uint8Array) => {
      if (p[0] !== type) return false;
      const h = s.decodeIcmp6Echo(p).header;
      return h.identifier === id && h.sequence === 3;
    };
    const looped = receive(fd, 5000, seen(c.ICMP6_ECHO_REQUEST));
    expect(hex(looped!)).toBe(hex(request));
    const reply = receive(fd, 5000, seen(c.ICMP6_ECHO_REPLY));
    expect(reply).not.toBeNull();
    expect(s.transportChecksum(reply!, IPPROTO_ICMPV6, V6)).toBe(0);
    expect(s.decodeIcmp6Echo(reply!).payload).toEqual(Uint8Array.of(9, 8, 7));
  });

  it('a UDP datagram built here reaches a UDP socket; one with a bad checksum is dropped', () => {
    const rx = sock(AF_INET, SOCK_DGRAM);
    s.bind(rx, { family: 'inet', address: '127.0.0.1', port: 0 });
    const { port } = s.getsockname(rx) as s.InetAddress;
    const tx = sock(AF_INET, SOCK_RAW, IPPROTO_RAW); // IPPROTO_RAW implies IP_HDRINCL
    const send = (text: string, checksum?: number) => {
      const udp = s.encodeUdp(
        { sourcePort: 40001, destinationPort: port, checksum },
        new TextEncoder().encode(text),
        V4,
      );
      s.sendto(tx, s.encodeIPv4({ protocol: IPPROTO_UDP, ...V4 }, udp), 0, to4);
    };
    send('bad', 0x1234);
    send('good');
    expect(receive(rx, 5000, () => true)).toEqual(new TextEncoder().encode('good'));
    expect(receive(rx, NO_ANSWER_MS, () => true)).toBeNull();
  });

  it('a UDP datagram built here over IPv6 reaches a UDP socket on ::1', () => {
    const rx = sock(AF_INET6, SOCK_DGRAM);
    s.bind(rx, { family: 'inet6', address: '::1', port: 0 });
    const { port } = s.getsockname(rx) as s.Inet6Address;
    // An AF_INET6 raw socket sends the transport header as given (no IPv6 header).
    const tx = sock(AF_INET6, SOCK_RAW, IPPROTO_UDP);
    const udp = s.encodeUdp({ sourcePort: 40002, destinationPort: port }, Uint8Array.of(6), V6);
    s.sendto(tx, udp, 0, to6);
    expect(receive(rx, 5000, () => true)).toEqual(Uint8Array.of(6));
  });

  it('a whole IPv6 packet built here goes out with IPV6_HDRINCL and reaches a UDP socket', () => {
    const rx = sock(AF_INET6, SOCK_DGRAM);
    s.bind(rx, { family: 'inet6', address: '::1', port: 0 });
    s.setRecvHopLimitV6(rx, true);
    s.setRecvTimeout(rx, 5000);
    const { port } = s.getsockname(rx) as s.Inet6Address;
    const tx = sock(AF_INET6, SOCK_RAW, IPPROTO_UDP);
    expect(s.getHeaderIncluded(tx)).toBe(false);
    s.setHeaderIncluded(tx, true);
    expect(s.getHeaderIncluded(tx)).toBe(true);
    const udp = s.encodeUdp({ sourcePort: 40004, destinationPort: port }, Uint8Array.of(7), V6);
    // A hop limit the kernel would never pick shows that the header sent was this one.
    s.sendto(tx, s.encodeIPv6({ nextHeader: IPPROTO_UDP, hopLimit: 7, ...V6 }, udp), 0, to6);
    const got = s.recvmsg(rx, { buffers: [Buffer.alloc(8)], controlLength: 64 });
    expect(got.bytes).toBe(1);
    expect(got.control).toContainEqual({ type: 'hoplimit', value: 7 });
  });

  it('a TCP SYN built here is answered with SYN-ACK by a listener; a bad checksum is not', () => {
    const listener = sock(AF_INET, SOCK_STREAM);
    s.bind(listener, { family: 'inet', address: '127.0.0.1', port: 0 });
    s.listen(listener, 4);
    const { port } = s.getsockname(listener) as s.InetAddress;
    const fd = sock(AF_INET, SOCK_RAW, IPPROTO_TCP);
    const synAck = (sourcePort: number) => (p: Uint8Array) => {
      const { header, payload } = s.decodeIPv4(p);
      if (header.protocol !== IPPROTO_TCP) return false;
      const tcp = s.decodeTcp(payload).header;
      return tcp.sourcePort === port && tcp.destinationPort === sourcePort;
    };
    const syn = (sourcePort: number, checksum?: number) =>
      s.encodeTcp(
        { sourcePort, destinationPort: port, sequence: 1000, flags: c.TH_SYN, checksum },
        new Uint8Array(0),
        V4,
      );

    s.sendto(fd, syn(40003, 0x1234), 0, to4);
    expect(receive(fd, NO_ANSWER_MS, synAck(40003))).toBeNull();

    s.sendto(fd, syn(40004), 0, to4);
    const answer = receive(fd, 5000, synAck(40004));
    expect(answer).not.toBeNull();
    const tcp = s.decodeTcp(s.decodeIPv4(answer!).payload).header;
    expect(tcp.flags & (c.TH_SYN | c.TH_ACK)).toBe(c.TH_SYN | c.TH_ACK);
    expect(tcp.acknowledgment).toBe(1001);
  });
});
