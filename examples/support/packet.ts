// TEMPORARY SHIM: raw-packet helpers (IPv4 and ICMP encode/decode, the internet checksum) are
// coming to sockfd as lib/packet.ts with the opts branch. Until then the examples use these.
// When they land, import from 'sockfd' instead and delete this file.

/** The internet checksum: the ones' complement of the ones' complement sum of 16-bit words. RFC 1071 */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The fields of an IPv4 header. RFC 791 */
export interface Ipv4Header {
  version: number;
  /** The header's length in bytes (IHL × 4). */
  headerLength: number;
  tos: number;
  totalLength: number;
  id: number;
  /** The 3 flag bits: 0x2 is Don't Fragment, 0x1 More Fragments. */
  flags: number;
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  source: string;
  destination: string;
}

export function decodeIpv4Header(b: Buffer): Ipv4Header {
  return {
    version: b[0]! >> 4,
    headerLength: (b[0]! & 0x0f) * 4,
    tos: b[1]!,
    totalLength: b.readUInt16BE(2),
    id: b.readUInt16BE(4),
    flags: b[6]! >> 5,
    fragmentOffset: b.readUInt16BE(6) & 0x1fff,
    ttl: b[8]!,
    protocol: b[9]!,
    checksum: b.readUInt16BE(10),
    source: [...b.subarray(12, 16)].join('.'),
    destination: [...b.subarray(16, 20)].join('.'),
  };
}

/** An ICMP echo request or reply. RFC 792 */
export interface IcmpEcho {
  type: number;
  code: number;
  checksum: number;
  id: number;
  seq: number;
  payload: Buffer;
}

/** Builds an ICMP echo message (type 8 is a request) with its checksum filled in. */
export function encodeIcmpEcho(m: {
  type: number;
  id: number;
  seq: number;
  payload: Buffer;
}): Buffer {
  const b = Buffer.alloc(8 + m.payload.length);
  b[0] = m.type;
  b.writeUInt16BE(m.id, 4);
  b.writeUInt16BE(m.seq, 6);
  m.payload.copy(b, 8);
  b.writeUInt16BE(internetChecksum(b), 2);
  return b;
}

export function decodeIcmpEcho(b: Buffer): IcmpEcho {
  return {
    type: b[0]!,
    code: b[1]!,
    checksum: b.readUInt16BE(2),
    id: b.readUInt16BE(4),
    seq: b.readUInt16BE(6),
    payload: b.subarray(8),
  };
}
