// The internet checksum (RFC 1071), its incremental update (RFC 1624) and the pseudo-header
// sums of UDP, TCP and ICMPv6.
import { isIPv6 } from 'node:net';

import { invalidArgType, validateInt } from '../../internal/errors.js';
import {
  UINT16_MAX,
  UINT32_MAX,
  UINT8_MAX,
  ipv4Bytes,
  ipv6Bytes,
  validateBytes,
  view,
  outOfRangeLength,
} from './wire.js';

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
