// UDP (RFC 768) and TCP (RFC 9293) headers, with their pseudo-header checksums.
import { type PseudoHeader, transportChecksum } from './checksum.js';
import {
  type Decoded,
  EMPTY,
  TCP_MAX_OPTIONS,
  TCP_MIN_HEADER,
  UDP_HEADER,
  UINT16_MAX,
  UINT32_MAX,
  c,
  copyInto,
  outOfRangeLength,
  field,
  need,
  opt,
  optionsOf,
  packetError,
  validateBytes,
  validateHeader,
  view,
} from './wire.js';

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
