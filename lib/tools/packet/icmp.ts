// ICMP (RFC 792) and ICMPv6 (RFC 4443) echo request and reply.
import { internetChecksum, type PseudoHeader, transportChecksum } from './checksum.js';
import {
  type Decoded,
  EMPTY,
  ICMP_ECHO_HEADER,
  UINT16_MAX,
  UINT8_MAX,
  c,
  copyInto,
  field,
  need,
  opt,
  packetError,
  validateBytes,
  validateHeader,
  view,
} from './wire.js';

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
