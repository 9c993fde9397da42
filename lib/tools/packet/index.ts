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
export {
  onesComplementSum,
  internetChecksum,
  updateChecksum,
  type PseudoHeader,
  pseudoHeaderSum,
  transportChecksum,
} from './checksum.js';
export {
  type IPv4Header,
  type IPv4HeaderInit,
  encodeIPv4,
  decodeIPv4,
  type IPv6Header,
  type IPv6HeaderInit,
  encodeIPv6,
  decodeIPv6,
} from './ip.js';
export {
  type IcmpEchoHeader,
  type IcmpEchoInit,
  encodeIcmpEcho,
  decodeIcmpEcho,
  encodeIcmp6Echo,
  decodeIcmp6Echo,
} from './icmp.js';
export {
  type UdpHeader,
  type UdpHeaderInit,
  encodeUdp,
  decodeUdp,
  type TcpHeader,
  type TcpHeaderInit,
  encodeTcp,
  decodeTcp,
} from './transport.js';
export type { Decoded } from './wire.js';
