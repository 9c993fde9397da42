// Raw packet helpers for SOCK_RAW users, in TypeScript with no native code: the internet
// checksum (RFC 1071, RFC 1624), and encode/decode of IPv4 and IPv6 headers, ICMP and ICMPv6
// echo, UDP and TCP headers with their pseudo-header checksums.
//
// Encoders return a new Uint8Array holding header and payload. Decoders read a Uint8Array in
// place and return `{ header, payload }`, with `payload` a view into the same memory (no
// copy); a packet too short for what its own length fields claim, or otherwise inconsistent,
// throws a RangeError whose `code` names the fault (ERR_PACKET_TOO_SHORT, ERR_PACKET_BAD_LENGTH,
// ERR_PACKET_BAD_VERSION, ERR_PACKET_BAD_HEADER_LENGTH, ERR_PACKET_BAD_TYPE) before any byte
// past the buffer is read. Multi-byte fields are big-endian (network order) on the wire and
// plain numbers here.
import { isIPv4, isIPv6 } from 'node:net';

import { invalidArgType, invalidArgValue, validateInt } from './errors.js';
import { native } from './native.js';

const c = native.constants as Record<
  | 'IPVERSION'
  | 'IP_MAXPACKET'
  | 'IP_RF'
  | 'IP_DF'
  | 'IP_MF'
  | 'IP_OFFMASK'
  | 'IPPROTO_ICMP'
  | 'IPPROTO_ICMPV6'
  | 'IPPROTO_TCP'
  | 'IPPROTO_UDP'
  | 'ICMP_ECHO'
  | 'ICMP_ECHOREPLY'
  | 'ICMP6_ECHO_REQUEST'
  | 'ICMP6_ECHO_REPLY',
  number
>;

// Wire-format sizes (RFC 791, RFC 8200, RFC 792/4443, RFC 768, RFC 9293).
const IPV4_MIN_HEADER = 20;
const IPV4_MAX_OPTIONS = 40;
const IPV6_VERSION = 6; // No libc header names it, unlike IPVERSION.
const IPV6_HEADER = 40;
const ICMP_ECHO_HEADER = 8;
const UDP_HEADER = 8;
const TCP_MIN_HEADER = 20;
const TCP_MAX_OPTIONS = 40;
const UINT8_MAX = 0xff;
const UINT16_MAX = 0xffff;
const UINT32_MAX = 0xffffffff;

const EMPTY = new Uint8Array(0);

/** A malformed packet: a RangeError with a `code` such as 'ERR_PACKET_TOO_SHORT'. */
function packetError(code: string, message: string): RangeError & { code: string } {
  return Object.assign(new RangeError(message), { code });
}

function validateBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array))
    throw invalidArgType(name, 'an instance of Uint8Array', value);
}

function need(buf: Uint8Array, length: number, what: string): void {
  if (buf.length < length) {
    throw packetError(
      'ERR_PACKET_TOO_SHORT',
      `${what} needs ${length} bytes but the buffer holds ${buf.length}`,
    );
  }
}

// Copies `bytes`, measured at `length` bytes when the encoder made room for them, into `out`
// from `at`. The header's getters run in between and may have resized or detached the view's
// buffer: then the packet's length fields no longer describe it, and rather than cut it or pad
// it with zeros, the call fails.
function copyInto(
  out: Uint8Array,
  bytes: Uint8Array,
  at: number,
  length: number,
  name: string,
): void {
  if (bytes.length !== length) {
    throw invalidArgValue(name, bytes, 'was resized or detached while the header was read');
  }
  if (length > 0) out.set(bytes, at);
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Checksums

/**
 * The ones'-complement sum of `data` read as big-endian 16-bit words, added to `sum` and folded
 * to 16 bits: the running value of the internet checksum before its final complement. Pass the
 * result as `sum` to continue over the next chunk; every chunk but the last must have an even
 * length (an odd last byte is padded with a zero, as RFC 1071 says).
 * RFC 1071 — {@link https://www.rfc-editor.org/rfc/rfc1071}
 */
export function onesComplementSum(data: Uint8Array, sum = 0): number {
  validateBytes(data, 'data');
  validateInt(sum, 'sum', 0, UINT16_MAX);
  let s = sum;
  const end = data.length & ~1;
  for (let i = 0; i < end; i += 2) s += (data[i]! << 8) | data[i + 1]!;
  if (end < data.length) s += data[end]! << 8;
  // Below 2^53 for any buffer JavaScript can hold, so plain arithmetic folds it exactly.
  while (s > UINT16_MAX) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/**
 * The internet checksum of `data`: the complement of its ones'-complement sum, continuing from
 * `sum` (a pseudo-header's {@link onesComplementSum}, say). Computed over a packet whose
 * checksum field is filled in, it is 0 when the checksum is right.
 * RFC 1071 — {@link https://www.rfc-editor.org/rfc/rfc1071}
 */
export function internetChecksum(data: Uint8Array, sum = 0): number {
  return ~onesComplementSum(data, sum) & UINT16_MAX;
}

/**
 * Updates `checksum` for one 16-bit word of the packet changing from `oldWord` to `newWord`
 * (a decremented TTL, a rewritten port) without summing the packet again: HC' = ~(~HC + ~m + m').
 * RFC 1624 — {@link https://www.rfc-editor.org/rfc/rfc1624}
 */
export function updateChecksum(checksum: number, oldWord: number, newWord: number): number {
  validateInt(checksum, 'checksum', 0, UINT16_MAX);
  validateInt(oldWord, 'oldWord', 0, UINT16_MAX);
  validateInt(newWord, 'newWord', 0, UINT16_MAX);
  let s = (~checksum & UINT16_MAX) + (~oldWord & UINT16_MAX) + newWord;
  while (s > UINT16_MAX) s = (s & UINT16_MAX) + (s >>> 16);
  return ~s & UINT16_MAX;
}

/** The addresses of the IP header a UDP, TCP or ICMPv6 checksum covers: both IPv4 or both IPv6. */
export interface PseudoHeader {
  source: string;
  destination: string;
}

/**
 * The ones'-complement sum of the pseudo-header UDP, TCP and ICMPv6 checksums cover: the
 * source and destination addresses, the protocol and the upper-layer length (RFC 768 and
 * RFC 9293 for IPv4, RFC 8200 section 8.1 for IPv6). Pass it as the `sum` of
 * {@link internetChecksum} over the segment.
 */
export function pseudoHeaderSum(addresses: PseudoHeader, protocol: number, length: number): number {
  if (typeof addresses !== 'object' || addresses === null) {
    throw invalidArgType('addresses', 'an object with source and destination', addresses);
  }
  validateInt(protocol, 'protocol', 0, UINT8_MAX);
  validateInt(length, 'length', 0, UINT32_MAX);
  const { source, destination } = addresses;
  const v6 = typeof source === 'string' && isIPv6(source);
  const src = v6 ? ipv6Bytes(source, 'addresses.source') : ipv4Bytes(source, 'addresses.source');
  const dst = v6
    ? ipv6Bytes(destination, 'addresses.destination')
    : ipv4Bytes(destination, 'addresses.destination');
  const tail = new Uint8Array(v6 ? 8 : 4);
  const t = view(tail);
  if (v6) {
    t.setUint32(0, length); // upper-layer packet length
    t.setUint8(7, protocol); // three zero bytes, then next header
  } else {
    if (length > UINT16_MAX) throw outOfRangeLength(length);
    t.setUint8(1, protocol); // a zero byte, then protocol
    t.setUint16(2, length);
  }
  return onesComplementSum(tail, onesComplementSum(dst, onesComplementSum(src)));
}

function outOfRangeLength(length: number): RangeError {
  return packetError(
    'ERR_PACKET_TOO_LONG',
    `A length of ${length} bytes does not fit the 16-bit length field`,
  );
}

/**
 * The checksum of a UDP, TCP or ICMPv6 `segment` with its pseudo-header: 0 when the segment's
 * checksum field is right. To compute one, call it with the checksum field zeroed.
 */
export function transportChecksum(
  segment: Uint8Array,
  protocol: number,
  addresses: PseudoHeader,
): number {
  validateBytes(segment, 'segment');
  return internetChecksum(segment, pseudoHeaderSum(addresses, protocol, segment.length));
}

// ---------------------------------------------------------------------------------------------
// Addresses

function ipv4Bytes(address: unknown, name: string): Uint8Array {
  if (typeof address !== 'string') throw invalidArgType(name, 'of type string', address);
  if (!isIPv4(address)) throw invalidArgValue(name, address, 'must be an IPv4 address');
  return Uint8Array.from(address.split('.'), Number);
}

function ipv6Bytes(address: unknown, name: string): Uint8Array {
  if (typeof address !== 'string') throw invalidArgType(name, 'of type string', address);
  // A zone (fe80::1%eth0) belongs to a socket address, not to a packet header.
  if (!isIPv6(address) || address.includes('%')) {
    throw invalidArgValue(name, address, 'must be an IPv6 address without a zone');
  }
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // An embedded IPv4 address (::ffff:192.0.2.1) fills the last two words.
    const v4 = ipv4Bytes(text.slice(lastColon + 1), name);
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    text = text.slice(0, text.endsWith('::', lastColon + 1) ? lastColon + 1 : lastColon);
  }
  const words = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((w) => parseInt(w, 16));
  const [head, rest] = text.split('::') as [string, string | undefined];
  const before = words(head);
  const after = rest === undefined ? [] : words(rest);
  const zeros = 8 - before.length - after.length - tail.length;
  const all = [...before, ...new Array<number>(zeros).fill(0), ...after, ...tail];
  const out = new Uint8Array(16);
  const v = view(out);
  all.forEach((w, i) => v.setUint16(2 * i, w));
  return out;
}

function formatIPv4(b: Uint8Array, offset: number): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

// RFC 5952 text, as inet_ntop writes it: lowercase, the longest run of two or more zero words
// (the first of equal runs) as '::', and IPv4-mapped and -compatible addresses in dotted form.
function formatIPv6(b: Uint8Array, offset: number): string {
  const v = new DataView(b.buffer, b.byteOffset + offset, 16);
  const w = Array.from({ length: 8 }, (_, i) => v.getUint16(2 * i));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (bestLen < 2) best = -1;
  const embedsIPv4 = best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === UINT16_MAX));
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      parts.push(i === 0 ? ':' : '');
      i += bestLen - 1;
      if (i === 7) parts.push('');
      continue;
    }
    if (i === 6 && embedsIPv4) {
      parts.push(formatIPv4(b, offset + 12));
      break;
    }
    parts.push(w[i]!.toString(16));
  }
  return parts.join(':');
}

// ---------------------------------------------------------------------------------------------
// IPv4

/** An IPv4 header as decoded. RFC 791 — {@link https://www.rfc-editor.org/rfc/rfc791} */
export interface IPv4Header {
  /** Header length in 32-bit words: 5 without options, up to 15. */
  ihl: number;
  /** The type-of-service byte: DSCP in the high six bits, ECN in the low two. */
  tos: number;
  /** Header and payload, in bytes. */
  totalLength: number;
  id: number;
  /** The flag bits of the fragment word: IP_DF, IP_MF (and IP_RF, reserved). */
  flags: number;
  /** The fragment's offset in 8-byte units. */
  fragmentOffset: number;
  ttl: number;
  /** IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, … */
  protocol: number;
  checksum: number;
  source: string;
  destination: string;
  /** The option bytes between the fixed header and the payload (a view, possibly empty). */
  options: Uint8Array;
}

/** What {@link encodeIPv4} takes; omitted fields get the defaults shown. */
export interface IPv4HeaderInit {
  protocol: number;
  source: string;
  destination: string;
  /** Default 0. */
  tos?: number;
  /** Default 0 (with IP_HDRINCL the kernel then picks one). */
  id?: number;
  /** IP_DF, IP_MF ORed; default 0. */
  flags?: number;
  /** In 8-byte units; default 0. */
  fragmentOffset?: number;
  /** Default 64. */
  ttl?: number;
  /** Option bytes, padded with zeros (end of options) to a multiple of 4; at most 40. */
  options?: Uint8Array;
  /** Default: header plus payload. Set it only to build a deliberately wrong packet. */
  totalLength?: number;
  /** Default: computed. Set it only to build a deliberately wrong packet. */
  checksum?: number;
}

/** A decoded packet: its header and a view of the payload after it. */
export interface Decoded<H> {
  header: H;
  payload: Uint8Array;
}

// A required header field, read once: a getter cannot pass the check with one value and reach
// the packet with another.
function field(value: unknown, name: string, max: number): number {
  validateInt(value, name, 0, max);
  return value;
}

function opt(value: number | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  validateInt(value, name, 0, max);
  return value;
}

function optionsOf(options: unknown, name: string, max: number): Uint8Array {
  if (options === undefined) return EMPTY;
  validateBytes(options, name);
  if (options.length > max) {
    throw invalidArgValue(name, options, `must be at most ${max} bytes long`);
  }
  return options;
}

function validateHeader(header: unknown): asserts header is object {
  if (typeof header !== 'object' || header === null) {
    throw invalidArgType('header', 'an object', header);
  }
}

/**
 * Builds an IPv4 packet: the header (with IHL, total length and checksum computed) followed by
 * `payload`. For a raw socket with IP_HDRINCL, see setHeaderIncluded.
 * RFC 791 — {@link https://www.rfc-editor.org/rfc/rfc791}
 */
export function encodeIPv4(header: IPv4HeaderInit, payload: Uint8Array = EMPTY): Uint8Array {
  validateHeader(header);
  validateBytes(payload, 'payload');
  const options = optionsOf(header.options, 'header.options', IPV4_MAX_OPTIONS);
  const optionsLength = options.length;
  const headerLength = IPV4_MIN_HEADER + Math.ceil(optionsLength / 4) * 4;
  const length = headerLength + payload.length;
  if (length > c.IP_MAXPACKET) throw outOfRangeLength(length);
  const flagBits = c.IP_RF | c.IP_DF | c.IP_MF;
  const flags = opt(header.flags, 'header.flags', 0, UINT16_MAX);
  if ((flags & ~flagBits) !== 0) {
    throw invalidArgValue('header.flags', flags, 'must be IP_DF, IP_MF or IP_RF ORed together');
  }
  const fragmentOffset = opt(header.fragmentOffset, 'header.fragmentOffset', 0, c.IP_OFFMASK);
  const protocol = field(header.protocol, 'header.protocol', UINT8_MAX);

  const out = new Uint8Array(length);
  const v = view(out);
  v.setUint8(0, (c.IPVERSION << 4) | (headerLength / 4));
  v.setUint8(1, opt(header.tos, 'header.tos', 0, UINT8_MAX));
  v.setUint16(2, opt(header.totalLength, 'header.totalLength', length, UINT16_MAX));
  v.setUint16(4, opt(header.id, 'header.id', 0, UINT16_MAX));
  v.setUint16(6, flags | fragmentOffset);
  v.setUint8(8, opt(header.ttl, 'header.ttl', 64, UINT8_MAX));
  v.setUint8(9, protocol);
  out.set(ipv4Bytes(header.source, 'header.source'), 12);
  out.set(ipv4Bytes(header.destination, 'header.destination'), 16);
  copyInto(out, options, IPV4_MIN_HEADER, optionsLength, 'header.options');
  const checksum = header.checksum ?? internetChecksum(out.subarray(0, headerLength));
  v.setUint16(10, opt(checksum, 'header.checksum', 0, UINT16_MAX));
  copyInto(out, payload, headerLength, out.length - headerLength, 'payload');
  return out;
}

/**
 * Reads an IPv4 packet (as a raw AF_INET socket receives it). Throws ERR_PACKET_TOO_SHORT for
 * fewer than 20 bytes or a header or total length past the buffer, ERR_PACKET_BAD_VERSION when
 * the version is not 4, ERR_PACKET_BAD_HEADER_LENGTH for an IHL below 5, and
 * ERR_PACKET_BAD_LENGTH for a total length shorter than the header. Bytes after the total length
 * (link-layer padding) are not part of the payload. The checksum is reported, not checked:
 * `internetChecksum(packet.subarray(0, header.ihl * 4))` is 0 when it is right.
 * RFC 791 — {@link https://www.rfc-editor.org/rfc/rfc791}
 */
export function decodeIPv4(packet: Uint8Array): Decoded<IPv4Header> {
  validateBytes(packet, 'packet');
  need(packet, IPV4_MIN_HEADER, 'An IPv4 header');
  const v = view(packet);
  const version = v.getUint8(0) >> 4;
  if (version !== c.IPVERSION) {
    throw packetError('ERR_PACKET_BAD_VERSION', `IP version ${version} where 4 was expected`);
  }
  const ihl = v.getUint8(0) & 0x0f;
  if (ihl * 4 < IPV4_MIN_HEADER) {
    throw packetError('ERR_PACKET_BAD_HEADER_LENGTH', `IPv4 IHL ${ihl} is below the minimum of 5`);
  }
  need(packet, ihl * 4, `An IPv4 header with IHL ${ihl}`);
  const totalLength = v.getUint16(2);
  if (totalLength < ihl * 4) {
    throw packetError(
      'ERR_PACKET_BAD_LENGTH',
      `IPv4 total length ${totalLength} is shorter than its ${ihl * 4}-byte header`,
    );
  }
  need(packet, totalLength, `An IPv4 packet of total length ${totalLength}`);
  const fragment = v.getUint16(6);
  return {
    header: {
      ihl,
      tos: v.getUint8(1),
      totalLength,
      id: v.getUint16(4),
      flags: fragment & ~c.IP_OFFMASK,
      fragmentOffset: fragment & c.IP_OFFMASK,
      ttl: v.getUint8(8),
      protocol: v.getUint8(9),
      checksum: v.getUint16(10),
      source: formatIPv4(packet, 12),
      destination: formatIPv4(packet, 16),
      options: packet.subarray(IPV4_MIN_HEADER, ihl * 4),
    },
    payload: packet.subarray(ihl * 4, totalLength),
  };
}

// ---------------------------------------------------------------------------------------------
// IPv6

/** The fixed IPv6 header. RFC 8200 — {@link https://www.rfc-editor.org/rfc/rfc8200} */
export interface IPv6Header {
  trafficClass: number;
  /** 20 bits. */
  flowLabel: number;
  /** Bytes after the fixed header, extension headers included. */
  payloadLength: number;
  /** The first extension header or the upper-layer protocol (IPPROTO_*). */
  nextHeader: number;
  hopLimit: number;
  source: string;
  destination: string;
}

/** What {@link encodeIPv6} takes; omitted fields get the defaults shown. */
export interface IPv6HeaderInit {
  nextHeader: number;
  source: string;
  destination: string;
  /** Default 0. */
  trafficClass?: number;
  /** Default 0. */
  flowLabel?: number;
  /** Default 64. */
  hopLimit?: number;
  /** Default: the payload's length. Set it only to build a deliberately wrong packet. */
  payloadLength?: number;
}

const FLOW_LABEL_MAX = 0xfffff;

/**
 * Builds an IPv6 packet: the fixed header followed by `payload` (extension headers, if any,
 * belong at the payload's start). RFC 8200 — {@link https://www.rfc-editor.org/rfc/rfc8200}
 */
export function encodeIPv6(header: IPv6HeaderInit, payload: Uint8Array = EMPTY): Uint8Array {
  validateHeader(header);
  validateBytes(payload, 'payload');
  // Measured once, before any header getter runs: copyInto refuses a payload changed since.
  const length = payload.length;
  // Jumbograms (RFC 2675) need a hop-by-hop option; this encoder does not write one.
  if (length > UINT16_MAX) throw outOfRangeLength(length);
  const nextHeader = field(header.nextHeader, 'header.nextHeader', UINT8_MAX);
  const trafficClass = opt(header.trafficClass, 'header.trafficClass', 0, UINT8_MAX);
  const flowLabel = opt(header.flowLabel, 'header.flowLabel', 0, FLOW_LABEL_MAX);
  const out = new Uint8Array(IPV6_HEADER + length);
  const v = view(out);
  v.setUint32(0, ((IPV6_VERSION << 28) | (trafficClass << 20) | flowLabel) >>> 0);
  v.setUint16(4, opt(header.payloadLength, 'header.payloadLength', length, UINT16_MAX));
  v.setUint8(6, nextHeader);
  v.setUint8(7, opt(header.hopLimit, 'header.hopLimit', 64, UINT8_MAX));
  out.set(ipv6Bytes(header.source, 'header.source'), 8);
  out.set(ipv6Bytes(header.destination, 'header.destination'), 24);
  copyInto(out, payload, IPV6_HEADER, out.length - IPV6_HEADER, 'payload');
  return out;
}

/**
 * Reads an IPv6 packet's fixed header. Throws ERR_PACKET_TOO_SHORT for fewer than 40 bytes or
 * a payload length past the buffer, ERR_PACKET_BAD_VERSION when the version is not 6. The
 * payload starts with any extension headers; they are not walked. (A raw AF_INET6 socket
 * receives no IPv6 header; this is for AF_PACKET and IPV6_HDRINCL users.)
 * RFC 8200 — {@link https://www.rfc-editor.org/rfc/rfc8200}
 */
export function decodeIPv6(packet: Uint8Array): Decoded<IPv6Header> {
  validateBytes(packet, 'packet');
  need(packet, IPV6_HEADER, 'An IPv6 header');
  const v = view(packet);
  const first = v.getUint32(0);
  const version = first >>> 28;
  if (version !== IPV6_VERSION) {
    throw packetError('ERR_PACKET_BAD_VERSION', `IP version ${version} where 6 was expected`);
  }
  const payloadLength = v.getUint16(4);
  need(packet, IPV6_HEADER + payloadLength, `An IPv6 packet of payload length ${payloadLength}`);
  return {
    header: {
      trafficClass: (first >>> 20) & UINT8_MAX,
      flowLabel: first & FLOW_LABEL_MAX,
      payloadLength,
      nextHeader: v.getUint8(6),
      hopLimit: v.getUint8(7),
      source: formatIPv6(packet, 8),
      destination: formatIPv6(packet, 24),
    },
    payload: packet.subarray(IPV6_HEADER, IPV6_HEADER + payloadLength),
  };
}

// ---------------------------------------------------------------------------------------------
// ICMP and ICMPv6 echo

/** An ICMP or ICMPv6 echo request or reply header. */
export interface IcmpEchoHeader {
  /** ICMP_ECHO / ICMP_ECHOREPLY, or ICMP6_ECHO_REQUEST / ICMP6_ECHO_REPLY. */
  type: number;
  code: number;
  checksum: number;
  identifier: number;
  sequence: number;
}

/** What the echo encoders take; omitted fields get the defaults shown. */
export interface IcmpEchoInit {
  identifier: number;
  sequence: number;
  /** Default: the echo request type of the protocol. */
  type?: number;
  /** Default 0. */
  code?: number;
  /** Default: computed. Set it only to build a deliberately wrong message. */
  checksum?: number;
}

function encodeEcho(
  header: IcmpEchoInit,
  payload: Uint8Array,
  defaultType: number,
  checksum: (message: Uint8Array) => number,
): Uint8Array {
  validateHeader(header);
  validateBytes(payload, 'payload');
  const out = new Uint8Array(ICMP_ECHO_HEADER + payload.length);
  const v = view(out);
  v.setUint8(0, opt(header.type, 'header.type', defaultType, UINT8_MAX));
  v.setUint8(1, opt(header.code, 'header.code', 0, UINT8_MAX));
  v.setUint16(4, field(header.identifier, 'header.identifier', UINT16_MAX));
  v.setUint16(6, field(header.sequence, 'header.sequence', UINT16_MAX));
  copyInto(out, payload, ICMP_ECHO_HEADER, out.length - ICMP_ECHO_HEADER, 'payload');
  v.setUint16(2, opt(header.checksum ?? checksum(out), 'header.checksum', 0, UINT16_MAX));
  return out;
}

function decodeEcho(message: Uint8Array, types: number[], what: string): Decoded<IcmpEchoHeader> {
  validateBytes(message, 'message');
  need(message, ICMP_ECHO_HEADER, `An ${what} echo header`);
  const v = view(message);
  const type = v.getUint8(0);
  if (!types.includes(type)) {
    throw packetError(
      'ERR_PACKET_BAD_TYPE',
      `${what} type ${type} is not an echo request or reply`,
    );
  }
  return {
    header: {
      type,
      code: v.getUint8(1),
      checksum: v.getUint16(2),
      identifier: v.getUint16(4),
      sequence: v.getUint16(6),
    },
    payload: message.subarray(ICMP_ECHO_HEADER),
  };
}

/**
 * Builds an ICMP echo request (type ICMP_ECHO, the default) or reply (ICMP_ECHOREPLY) with its
 * checksum, ready to send on an AF_INET SOCK_RAW IPPROTO_ICMP socket.
 * RFC 792 — {@link https://www.rfc-editor.org/rfc/rfc792}
 */
export function encodeIcmpEcho(header: IcmpEchoInit, payload: Uint8Array = EMPTY): Uint8Array {
  return encodeEcho(header, payload, c.ICMP_ECHO, (m) => internetChecksum(m));
}

/**
 * Reads an ICMP echo request or reply (the payload of {@link decodeIPv4}). Throws
 * ERR_PACKET_TOO_SHORT below 8 bytes and ERR_PACKET_BAD_TYPE for any other ICMP type.
 * `internetChecksum(message)` is 0 when its checksum is right.
 * RFC 792 — {@link https://www.rfc-editor.org/rfc/rfc792}
 */
export function decodeIcmpEcho(message: Uint8Array): Decoded<IcmpEchoHeader> {
  return decodeEcho(message, [c.ICMP_ECHO, c.ICMP_ECHOREPLY], 'ICMP');
}

/**
 * Builds an ICMPv6 echo request (type ICMP6_ECHO_REQUEST, the default) or reply
 * (ICMP6_ECHO_REPLY). Its checksum covers the IPv6 pseudo-header, so it is computed when
 * `addresses` are given and left 0 otherwise: a Linux AF_INET6 SOCK_RAW IPPROTO_ICMPV6 socket
 * fills it in on send anyway. RFC 4443 — {@link https://www.rfc-editor.org/rfc/rfc4443}
 */
export function encodeIcmp6Echo(
  header: IcmpEchoInit,
  payload: Uint8Array = EMPTY,
  addresses?: PseudoHeader,
): Uint8Array {
  return encodeEcho(header, payload, c.ICMP6_ECHO_REQUEST, (m) =>
    addresses === undefined ? 0 : transportChecksum(m, c.IPPROTO_ICMPV6, addresses),
  );
}

/**
 * Reads an ICMPv6 echo request or reply. Throws ERR_PACKET_TOO_SHORT below 8 bytes and
 * ERR_PACKET_BAD_TYPE for any other ICMPv6 type. `transportChecksum(message, IPPROTO_ICMPV6,
 * { source, destination })` is 0 when its checksum is right.
 * RFC 4443 — {@link https://www.rfc-editor.org/rfc/rfc4443}
 */
export function decodeIcmp6Echo(message: Uint8Array): Decoded<IcmpEchoHeader> {
  return decodeEcho(message, [c.ICMP6_ECHO_REQUEST, c.ICMP6_ECHO_REPLY], 'ICMPv6');
}

// ---------------------------------------------------------------------------------------------
// UDP

/** A UDP header. RFC 768 — {@link https://www.rfc-editor.org/rfc/rfc768} */
export interface UdpHeader {
  sourcePort: number;
  destinationPort: number;
  /** Header and payload, in bytes. */
  length: number;
  /** 0 over IPv4 means the sender computed none. */
  checksum: number;
}

/** What {@link encodeUdp} takes. */
export interface UdpHeaderInit {
  sourcePort: number;
  destinationPort: number;
  /** Default: header plus payload. Set it only to build a deliberately wrong datagram. */
  length?: number;
  /** Default: computed. Set it only to build a deliberately wrong datagram. */
  checksum?: number;
}

/**
 * Builds a UDP datagram: header and payload, with the checksum over the pseudo-header of
 * `addresses` (IPv4 or IPv6). Without `addresses` the checksum is 0, which only IPv4 allows.
 * A computed checksum of 0 is sent as 0xffff (RFC 768).
 * RFC 768 — {@link https://www.rfc-editor.org/rfc/rfc768}
 */
export function encodeUdp(
  header: UdpHeaderInit,
  payload: Uint8Array = EMPTY,
  addresses?: PseudoHeader,
): Uint8Array {
  validateHeader(header);
  validateBytes(payload, 'payload');
  const length = UDP_HEADER + payload.length;
  if (length > UINT16_MAX) throw outOfRangeLength(length);
  const sourcePort = field(header.sourcePort, 'header.sourcePort', UINT16_MAX);
  const destinationPort = field(header.destinationPort, 'header.destinationPort', UINT16_MAX);
  const out = new Uint8Array(length);
  const v = view(out);
  v.setUint16(0, sourcePort);
  v.setUint16(2, destinationPort);
  v.setUint16(4, opt(header.length, 'header.length', length, UINT16_MAX));
  copyInto(out, payload, UDP_HEADER, out.length - UDP_HEADER, 'payload');
  let checksum = header.checksum;
  if (checksum === undefined && addresses !== undefined) {
    checksum = transportChecksum(out, c.IPPROTO_UDP, addresses) || UINT16_MAX;
  }
  v.setUint16(6, opt(checksum, 'header.checksum', 0, UINT16_MAX));
  return out;
}

/**
 * Reads a UDP datagram. Throws ERR_PACKET_TOO_SHORT below 8 bytes or for a length field past
 * the buffer, ERR_PACKET_BAD_LENGTH for a length field below 8. Bytes after the length field's
 * end are not part of the payload. `transportChecksum(datagram.subarray(0, header.length),
 * IPPROTO_UDP, addresses)` is 0 when the checksum is right (or a 0 checksum over IPv4 means none).
 * RFC 768 — {@link https://www.rfc-editor.org/rfc/rfc768}
 */
export function decodeUdp(datagram: Uint8Array): Decoded<UdpHeader> {
  validateBytes(datagram, 'datagram');
  need(datagram, UDP_HEADER, 'A UDP header');
  const v = view(datagram);
  const length = v.getUint16(4);
  if (length < UDP_HEADER) {
    throw packetError('ERR_PACKET_BAD_LENGTH', `UDP length ${length} is shorter than its header`);
  }
  need(datagram, length, `A UDP datagram of length ${length}`);
  return {
    header: {
      sourcePort: v.getUint16(0),
      destinationPort: v.getUint16(2),
      length,
      checksum: v.getUint16(6),
    },
    payload: datagram.subarray(UDP_HEADER, length),
  };
}

// ---------------------------------------------------------------------------------------------
// TCP

/** A TCP header. RFC 9293 — {@link https://www.rfc-editor.org/rfc/rfc9293} */
export interface TcpHeader {
  sourcePort: number;
  destinationPort: number;
  sequence: number;
  acknowledgment: number;
  /** Header length in 32-bit words: 5 without options, up to 15. */
  dataOffset: number;
  /** The control bits: TH_FIN, TH_SYN, TH_RST, TH_PUSH, TH_ACK, TH_URG, and ECE (0x40), CWR (0x80). */
  flags: number;
  /** The three reserved bits between the data offset and AE (0 in a well-formed segment). */
  reserved: number;
  window: number;
  checksum: number;
  urgentPointer: number;
  /** The option bytes after the fixed header (a view, possibly empty). */
  options: Uint8Array;
}

/** What {@link encodeTcp} takes; omitted fields get the defaults shown. */
export interface TcpHeaderInit {
  sourcePort: number;
  destinationPort: number;
  /** Default 0. */
  sequence?: number;
  /** Default 0. */
  acknowledgment?: number;
  /** TH_* bits ORed; default 0. */
  flags?: number;
  /** The three reserved bits, 0-7; default 0. Set them only to build an unusual segment. */
  reserved?: number;
  /** Default 65535. */
  window?: number;
  /** Default 0. */
  urgentPointer?: number;
  /** Option bytes, padded with zeros (end of options) to a multiple of 4; at most 40. */
  options?: Uint8Array;
  /** Default: computed. Set it only to build a deliberately wrong segment. */
  checksum?: number;
}

/**
 * Builds a TCP segment: header (data offset from the options) and payload, with the checksum
 * over the pseudo-header of `addresses` (IPv4 or IPv6).
 * RFC 9293 — {@link https://www.rfc-editor.org/rfc/rfc9293}
 */
export function encodeTcp(
  header: TcpHeaderInit,
  payload: Uint8Array,
  addresses: PseudoHeader,
): Uint8Array {
  validateHeader(header);
  validateBytes(payload, 'payload');
  const length = payload.length; // before any header getter runs
  const options = optionsOf(header.options, 'header.options', TCP_MAX_OPTIONS);
  const optionsLength = options.length;
  const headerLength = TCP_MIN_HEADER + Math.ceil(optionsLength / 4) * 4;
  const sourcePort = field(header.sourcePort, 'header.sourcePort', UINT16_MAX);
  const destinationPort = field(header.destinationPort, 'header.destinationPort', UINT16_MAX);
  const out = new Uint8Array(headerLength + length);
  const v = view(out);
  v.setUint16(0, sourcePort);
  v.setUint16(2, destinationPort);
  v.setUint32(4, opt(header.sequence, 'header.sequence', 0, UINT32_MAX));
  v.setUint32(8, opt(header.acknowledgment, 'header.acknowledgment', 0, UINT32_MAX));
  // Data offset in the high nibble, three reserved bits, then the control bits (the low bit of
  // byte 12 is AE/NS).
  const flags = opt(header.flags, 'header.flags', 0, 0x1ff);
  const reserved = opt(header.reserved, 'header.reserved', 0, 7);
  v.setUint16(12, ((headerLength / 4) << 12) | (reserved << 9) | flags);
  v.setUint16(14, opt(header.window, 'header.window', UINT16_MAX, UINT16_MAX));
  v.setUint16(18, opt(header.urgentPointer, 'header.urgentPointer', 0, UINT16_MAX));
  copyInto(out, options, TCP_MIN_HEADER, optionsLength, 'header.options');
  copyInto(out, payload, headerLength, out.length - headerLength, 'payload');
  const checksum = header.checksum ?? transportChecksum(out, c.IPPROTO_TCP, addresses);
  v.setUint16(16, opt(checksum, 'header.checksum', 0, UINT16_MAX));
  return out;
}

/**
 * Reads a TCP segment. Throws ERR_PACKET_TOO_SHORT below 20 bytes or for a data offset past
 * the buffer, ERR_PACKET_BAD_HEADER_LENGTH for a data offset below 5. TCP has no length field:
 * the payload is everything after the header, so pass exactly the segment (the IPv4 or IPv6
 * payload). `transportChecksum(segment, IPPROTO_TCP, addresses)` is 0 when the checksum is right.
 * RFC 9293 — {@link https://www.rfc-editor.org/rfc/rfc9293}
 */
export function decodeTcp(segment: Uint8Array): Decoded<TcpHeader> {
  validateBytes(segment, 'segment');
  need(segment, TCP_MIN_HEADER, 'A TCP header');
  const v = view(segment);
  const word = v.getUint16(12);
  const dataOffset = word >>> 12;
  if (dataOffset * 4 < TCP_MIN_HEADER) {
    throw packetError(
      'ERR_PACKET_BAD_HEADER_LENGTH',
      `TCP data offset ${dataOffset} is below the minimum of 5`,
    );
  }
  need(segment, dataOffset * 4, `A TCP header with data offset ${dataOffset}`);
  return {
    header: {
      sourcePort: v.getUint16(0),
      destinationPort: v.getUint16(2),
      sequence: v.getUint32(4),
      acknowledgment: v.getUint32(8),
      dataOffset,
      flags: word & 0x1ff,
      reserved: (word >>> 9) & 7,
      window: v.getUint16(14),
      checksum: v.getUint16(16),
      urgentPointer: v.getUint16(18),
      options: segment.subarray(TCP_MIN_HEADER, dataOffset * 4),
    },
    payload: segment.subarray(dataOffset * 4),
  };
}
