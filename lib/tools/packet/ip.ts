// IPv4 (RFC 791) and IPv6 (RFC 8200) headers.
import { invalidArgValue } from '../../internal/errors.js';
import { internetChecksum } from './checksum.js';
import {
  type Decoded,
  EMPTY,
  IPV4_MAX_OPTIONS,
  IPV4_MIN_HEADER,
  IPV6_HEADER,
  IPV6_VERSION,
  UINT16_MAX,
  UINT8_MAX,
  c,
  copyInto,
  outOfRangeLength,
  field,
  formatIPv4,
  formatIPv6,
  ipv4Bytes,
  ipv6Bytes,
  need,
  opt,
  optionsOf,
  packetError,
  validateBytes,
  validateHeader,
  view,
} from './wire.js';

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
