// Property tests of the packet helpers: for random valid headers and payloads, decoding what an
// encoder made gives back every field and the payload, and the checksums the encoders compute
// verify. A few hundred runs per kind, well under a second in all.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';

const c = s.constants;
const RUNS = { numRuns: 300 };

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const payload = fc.uint8Array({ maxLength: 64 });
const options = fc.uint8Array({ maxLength: 40 });

const ipv4 = fc.tuple(u8, u8, u8, u8).map((b) => b.join('.'));
// Every text form: full, compressed, and with a dotted IPv4 tail.
const words = (n: number) => fc.array(u16, { minLength: n, maxLength: n });
const hexWords = (w: number[]) => w.map((x) => x.toString(16)).join(':');
const ipv6 = fc.oneof(
  words(8).map(hexWords),
  fc
    .tuple(fc.array(u16, { maxLength: 3 }), fc.array(u16, { maxLength: 3 }))
    .map(([a, b]) => `${hexWords(a)}::${hexWords(b)}`),
  fc.tuple(words(6), ipv4).map(([w, v4]) => `${hexWords(w)}:${v4}`),
  fc
    .tuple(fc.array(u16, { maxLength: 2 }), fc.array(u16, { maxLength: 2 }), ipv4)
    .map(([a, b, v4]) => `${hexWords(a)}::${[...b.map((x) => x.toString(16)), v4].join(':')}`),
  fc.constantFrom('::', '::1', '::ffff:127.0.0.1', 'fe80::1'),
);
const v4Pair = fc.record({ source: ipv4, destination: ipv4 });
const v6Pair = fc.record({ source: ipv6, destination: ipv6 });
const addresses = fc.oneof(v4Pair, v6Pair);

// An address's 16 bytes as Node reads it (URL's host parser), to compare texts by value.
function v6Bytes(text: string): string {
  const host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [head, tail = ''] = host.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const all = host.includes('::')
    ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t]
    : h;
  return all.map((w) => w.padStart(4, '0')).join('');
}

/** The RFC 5952 text of an address, as Node's URL host parser writes it. */
function canonical(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

// The option bytes as the encoder pads them: zeros (end of options) to a multiple of 4.
const padded = (o: Uint8Array) => {
  const out = new Uint8Array(Math.ceil(o.length / 4) * 4);
  out.set(o);
  return out;
};

describe('packet helpers, property-based', () => {
  it('IPv4: decode(encode(h, p)) gives h and p, and the header checksum verifies', () => {
    fc.assert(
      fc.property(
        fc.record({
          protocol: u8,
          source: ipv4,
          destination: ipv4,
          tos: u8,
          id: u16,
          flags: fc.subarray([c.IP_RF, c.IP_DF, c.IP_MF]).map((a) => a.reduce((x, y) => x | y, 0)),
          fragmentOffset: fc.integer({ min: 0, max: c.IP_OFFMASK }),
          ttl: u8,
          options,
        }),
        payload,
        (h, p) => {
          const packet = s.encodeIPv4(h, p);
          const { header, payload: got } = s.decodeIPv4(packet);
          const { options: o, ...fields } = h;
          expect(header).toMatchObject(fields);
          expect(header.options).toEqual(padded(o));
          expect(header.ihl).toBe(5 + Math.ceil(o.length / 4));
          expect(header.totalLength).toBe(packet.length);
          expect(got).toEqual(p);
          expect(s.internetChecksum(packet.subarray(0, header.ihl * 4))).toBe(0);
        },
      ),
      RUNS,
    );
  });

  it('IPv6: decode(encode(h, p)) gives h (addresses in RFC 5952 text) and p', () => {
    fc.assert(
      fc.property(
        fc.record({
          nextHeader: u8,
          source: ipv6,
          destination: ipv6,
          trafficClass: u8,
          flowLabel: fc.integer({ min: 0, max: 0xfffff }),
          hopLimit: u8,
        }),
        payload,
        (h, p) => {
          const { header, payload: got } = s.decodeIPv6(s.encodeIPv6(h, p));
          const { source, destination, ...fields } = h;
          expect(header).toMatchObject({ ...fields, payloadLength: p.length });
          expect(v6Bytes(header.source)).toBe(v6Bytes(source));
          expect(v6Bytes(header.destination)).toBe(v6Bytes(destination));
          // Node writes IPv4-mapped addresses in hex words; the decoder, as inet_ntop, dotted.
          if (!header.source.includes('.')) expect(header.source).toBe(canonical(source));
          if (!header.destination.includes('.')) {
            expect(header.destination).toBe(canonical(destination));
          }
          expect(got).toEqual(p);
        },
      ),
      RUNS,
    );
  });

  it('ICMP and ICMPv6 echo: the fields come back and the checksums verify', () => {
    const echo = fc.record({ identifier: u16, sequence: u16, code: u8 });
    fc.assert(
      fc.property(echo, fc.boolean(), payload, v6Pair, (h, reply, p, pair) => {
        const type4 = reply ? c.ICMP_ECHOREPLY : c.ICMP_ECHO;
        const m4 = s.encodeIcmpEcho({ ...h, type: type4 }, p);
        expect(s.decodeIcmpEcho(m4).header).toMatchObject({ ...h, type: type4 });
        expect(s.decodeIcmpEcho(m4).payload).toEqual(p);
        expect(s.internetChecksum(m4)).toBe(0);

        const type6 = reply ? c.ICMP6_ECHO_REPLY : c.ICMP6_ECHO_REQUEST;
        const m6 = s.encodeIcmp6Echo({ ...h, type: type6 }, p, pair);
        expect(s.decodeIcmp6Echo(m6).header).toMatchObject({ ...h, type: type6 });
        expect(s.decodeIcmp6Echo(m6).payload).toEqual(p);
        expect(s.transportChecksum(m6, c.IPPROTO_ICMPV6, pair)).toBe(0);
      }),
      RUNS,
    );
  });

  it('UDP: the fields come back, and the checksum verifies (never sent as 0)', () => {
    fc.assert(
      fc.property(
        fc.record({ sourcePort: u16, destinationPort: u16 }),
        payload,
        addresses,
        (h, p, pair) => {
          const d = s.encodeUdp(h, p, pair);
          const { header, payload: got } = s.decodeUdp(d);
          expect(header).toMatchObject({ ...h, length: 8 + p.length });
          expect(header.checksum).not.toBe(0);
          expect(got).toEqual(p);
          expect(s.transportChecksum(d, c.IPPROTO_UDP, pair)).toBe(0);
        },
      ),
      RUNS,
    );
  });

  it('TCP: the fields, options and payload come back, and the checksum verifies', () => {
    fc.assert(
      fc.property(
        fc.record({
          sourcePort: u16,
          destinationPort: u16,
          sequence: u32,
          acknowledgment: u32,
          flags: fc.integer({ min: 0, max: 0x1ff }),
          reserved: fc.integer({ min: 0, max: 7 }),
          window: u16,
          urgentPointer: u16,
          options,
        }),
        payload,
        addresses,
        (h, p, pair) => {
          const segment = s.encodeTcp(h, p, pair);
          const { header, payload: got } = s.decodeTcp(segment);
          const { options: o, ...fields } = h;
          expect(header).toMatchObject(fields);
          expect(header.options).toEqual(padded(o));
          expect(header.dataOffset).toBe(5 + Math.ceil(o.length / 4));
          expect(got).toEqual(p);
          expect(s.transportChecksum(segment, c.IPPROTO_TCP, pair)).toBe(0);
        },
      ),
      RUNS,
    );
  });

  it('checksums: chunked sums equal the whole, and an update equals a full recompute', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }).map((b) => b.subarray(0, b.length & ~1)),
        fc.uint8Array({ minLength: 2, maxLength: 64 }).map((b) => b.subarray(0, b.length & ~1)),
        fc.nat(),
        u16,
        (a, b, at, word) => {
          const whole = new Uint8Array([...a, ...b]);
          expect(s.onesComplementSum(b, s.onesComplementSum(a))).toBe(s.onesComplementSum(whole));
          // Change one 16-bit word: RFC 1624's update matches summing again (0 and 0xffff
          // being the same number in ones' complement).
          const i = 2 * (at % (whole.length / 2));
          const old = (whole[i]! << 8) | whole[i + 1]!;
          const before = s.internetChecksum(whole);
          whole[i] = word >> 8;
          whole[i + 1] = word & 0xff;
          const updated = s.updateChecksum(before, old, word);
          const full = s.internetChecksum(whole);
          const same =
            updated === full || (Math.min(updated, full) === 0 && updated + full === 0xffff);
          expect(same, `${updated} vs ${full}`).toBe(true);
        },
      ),
      RUNS,
    );
  });
});
