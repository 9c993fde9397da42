// What the packet encoders and decoders share: wire sizes, the checks that fail a call before a
// byte past the buffer is read, address bytes and their text.
import { isIPv4, isIPv6 } from 'node:net';

import { invalidArgType, invalidArgValue, validateInt } from '../../internal/errors.js';
import { native } from '../../sys/native.js';

export const c = native.constants as Record<
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
export const IPV4_MIN_HEADER = 20;
export const IPV4_MAX_OPTIONS = 40;
export const IPV6_VERSION = 6; // No libc header names it, unlike IPVERSION.
export const IPV6_HEADER = 40;
export const ICMP_ECHO_HEADER = 8;
export const UDP_HEADER = 8;
export const TCP_MIN_HEADER = 20;
export const TCP_MAX_OPTIONS = 40;
export const UINT8_MAX = 0xff;
export const UINT16_MAX = 0xffff;
export const UINT32_MAX = 0xffffffff;

export const EMPTY = new Uint8Array(0);

/** A malformed packet: a RangeError with a `code` such as 'ERR_PACKET_TOO_SHORT'. */
export function packetError(code: string, message: string): RangeError & { code: string } {
  return Object.assign(new RangeError(message), { code });
}

export function validateBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array))
    throw invalidArgType(name, 'an instance of Uint8Array', value);
}

export function need(buf: Uint8Array, length: number, what: string): void {
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
export function copyInto(
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

export function outOfRangeLength(length: number): RangeError {
  return packetError(
    'ERR_PACKET_TOO_LONG',
    `A length of ${length} bytes does not fit the 16-bit length field`,
  );
}

export function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

// Addresses

export function ipv4Bytes(address: unknown, name: string): Uint8Array {
  if (typeof address !== 'string') throw invalidArgType(name, 'of type string', address);
  if (!isIPv4(address)) throw invalidArgValue(name, address, 'must be an IPv4 address');
  return Uint8Array.from(address.split('.'), Number);
}

export function ipv6Bytes(address: unknown, name: string): Uint8Array {
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

export function formatIPv4(b: Uint8Array, offset: number): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

// RFC 5952 text, as inet_ntop writes it: lowercase, the longest run of two or more zero words
// (the first of equal runs) as '::', and IPv4-mapped and -compatible addresses in dotted form.
export function formatIPv6(b: Uint8Array, offset: number): string {
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

export interface Decoded<H> {
  header: H;
  payload: Uint8Array;
}

// A required header field, read once: a getter cannot pass the check with one value and reach
// the packet with another.
export function field(value: unknown, name: string, max: number): number {
  validateInt(value, name, 0, max);
  return value;
}

export function opt(
  value: number | undefined,
  name: string,
  fallback: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  validateInt(value, name, 0, max);
  return value;
}

export function optionsOf(options: unknown, name: string, max: number): Uint8Array {
  if (options === undefined) return EMPTY;
  validateBytes(options, name);
  if (options.length > max) {
    throw invalidArgValue(name, options, `must be at most ${max} bytes long`);
  }
  return options;
}

export function validateHeader(header: unknown): asserts header is object {
  if (typeof header !== 'object' || header === null) {
    throw invalidArgType('header', 'an object', header);
  }
}
