// pcapng, the capture file format Wireshark and tcpdump read: a writer of the blocks a capture
// needs and a small reader for checking them. https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html
import { invalidArgType, outOfRange } from '../../internal/errors.js';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;
/** if_tsresol 9: timestamps count nanoseconds (10^-9 s). */
const NANOSECONDS = 9;

/** LINKTYPE_ETHERNET: frames start with an Ethernet header (Linux lo too). */
export const LINKTYPE_ETHERNET = 1;
/** LINKTYPE_RAW: frames are bare IPv4 or IPv6 packets (tun, ARPHRD_NONE). */
export const LINKTYPE_RAW = 101;
/** LINKTYPE_LINUX_SLL: frames start with a 16-byte Linux cooked header. */
export const LINKTYPE_LINUX_SLL = 113;

/** Which way a packet went, as epb_flags bits 0-1 say. */
export type Direction = 'inbound' | 'outbound' | 'unknown';

/** One interface of a capture: an Interface Description Block. */
export interface PcapngInterface {
  name: string;
  linkType: number;
  snapLength: number;
}

/** One packet: an Enhanced Packet Block. */
export interface PcapngPacket {
  /** The index of its interface among the file's interfaces. */
  interfaceId: number;
  /** Nanoseconds since the Unix epoch. */
  timestampNs: bigint;
  data: Uint8Array;
  /** The packet's length on the wire; more than data.length when the capture cut it. */
  originalLength: number;
  direction: Direction;
  /** epb_flags bits 2-4: 1 unicast, 2 multicast, 3 broadcast, 4 promiscuous, 0 unknown. */
  receptionType: number;
}

const pad4 = (n: number): number => (n + 3) & ~3;

function option(code: number, value: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + pad4(value.length));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  b.set(value, 4);
  return b;
}

// A block: type, total length, body, options, opt_endofopt, total length again.
function block(type: number, body: Buffer, options: Buffer[]): Buffer {
  const opts = options.length === 0 ? [] : [...options, Buffer.alloc(4, OPT_ENDOFOPT)];
  const length = 12 + body.length + opts.reduce((n, o) => n + o.length, 0);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(length, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(length, 0);
  return Buffer.concat([head, body, ...opts, tail]);
}

/** The Section Header Block that starts a file: little-endian, version 1.0, length unknown. */
export function sectionHeader(application = 'sockfd'): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  body.writeUInt16LE(1, 4);
  body.writeUInt16LE(0, 6);
  body.writeBigInt64LE(-1n, 8);
  return block(SHB, body, [option(SHB_USERAPPL, Buffer.from(application))]);
}

/** An Interface Description Block with if_name and if_tsresol = 9 (nanoseconds). */
export function interfaceDescription(iface: PcapngInterface): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16LE(iface.linkType, 0);
  body.writeUInt32LE(iface.snapLength, 4);
  return block(IDB, body, [
    option(IF_NAME, Buffer.from(iface.name)),
    option(IF_TSRESOL, Uint8Array.of(NANOSECONDS)),
  ]);
}

const DIRECTION_BITS: Record<Direction, number> = { unknown: 0, inbound: 1, outbound: 2 };

/** An Enhanced Packet Block with a nanosecond timestamp and epb_flags. */
export function enhancedPacket(packet: PcapngPacket): Buffer {
  const { data } = packet;
  const body = Buffer.alloc(20 + pad4(data.length));
  body.writeUInt32LE(packet.interfaceId, 0);
  body.writeUInt32LE(Number(packet.timestampNs >> 32n), 4);
  body.writeUInt32LE(Number(packet.timestampNs & 0xffffffffn), 8);
  body.writeUInt32LE(data.length, 12);
  body.writeUInt32LE(packet.originalLength, 16);
  body.set(data, 20);
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(DIRECTION_BITS[packet.direction] | ((packet.receptionType & 7) << 2), 0);
  return block(EPB, body, [option(EPB_FLAGS, flags)]);
}

/** What {@link readPcapng} found in a file. */
export interface PcapngFile {
  interfaces: PcapngInterface[];
  packets: PcapngPacket[];
}

function decodeOptions(
  bytes: Buffer,
  offset: number,
  end: number,
  little: boolean,
): Map<number, Buffer> {
  const options = new Map<number, Buffer>();
  while (offset + 4 <= end) {
    const code = little ? bytes.readUInt16LE(offset) : bytes.readUInt16BE(offset);
    const length = little ? bytes.readUInt16LE(offset + 2) : bytes.readUInt16BE(offset + 2);
    if (code === OPT_ENDOFOPT) break;
    options.set(code, bytes.subarray(offset + 4, offset + 4 + length));
    offset += 4 + pad4(length);
  }
  return options;
}

const DIRECTIONS: Direction[] = ['unknown', 'inbound', 'outbound', 'unknown'];

/**
 * Reads a pcapng file's interfaces and Enhanced Packet Blocks (other blocks are skipped), in
 * either byte order. Timestamps are converted to nanoseconds from each interface's if_tsresol
 * (microseconds when it has none). Throws a RangeError naming the offset of a malformed block.
 */
export function readPcapng(bytes: Uint8Array): PcapngFile {
  if (!(bytes instanceof Uint8Array)) throw invalidArgType('bytes', 'a Uint8Array', bytes);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const interfaces: PcapngInterface[] = [];
  const resolutions: bigint[] = [];
  const packets: PcapngPacket[] = [];
  let little = true;
  let offset = 0;
  while (offset < b.length) {
    if (offset + 12 > b.length) throw outOfRange('bytes', `a whole block at ${offset}`, b.length);
    const type = b.readUInt32LE(offset);
    if (type === SHB) little = b.readUInt32LE(offset + 8) === BYTE_ORDER_MAGIC;
    const u32 = (at: number): number => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
    const u16 = (at: number): number => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
    const length = u32(offset + 4);
    if (length < 12 || length % 4 !== 0 || offset + length > b.length) {
      throw outOfRange('bytes', `a block length that fits at ${offset}`, length);
    }
    const blockType = little ? type : b.readUInt32BE(offset);
    const end = offset + length - 4;
    if (blockType === IDB) {
      const options = decodeOptions(b, offset + 16, end, little);
      const tsresol = options.get(IF_TSRESOL)?.[0] ?? 6;
      // The top bit set means a power of two; else a power of ten.
      resolutions.push(tsresol & 0x80 ? -BigInt(tsresol & 0x7f) : BigInt(tsresol));
      interfaces.push({
        linkType: u16(offset + 8),
        snapLength: u32(offset + 12),
        name: options.get(IF_NAME)?.toString('utf8') ?? '',
      });
    } else if (blockType === EPB) {
      const interfaceId = u32(offset + 8);
      const units = (BigInt(u32(offset + 12)) << 32n) | BigInt(u32(offset + 16));
      const captured = u32(offset + 20);
      const data = b.subarray(offset + 28, offset + 28 + captured);
      const options = decodeOptions(b, offset + 28 + pad4(captured), end, little);
      const flagBytes = options.get(EPB_FLAGS);
      const flags = flagBytes
        ? little
          ? flagBytes.readUInt32LE(0)
          : flagBytes.readUInt32BE(0)
        : 0;
      const resolution = resolutions[interfaceId];
      if (resolution === undefined) {
        throw outOfRange(
          'bytes',
          `an interface id below ${interfaces.length} at ${offset}`,
          interfaceId,
        );
      }
      packets.push({
        interfaceId,
        timestampNs: toNanoseconds(units, resolution),
        data: Uint8Array.from(data),
        originalLength: u32(offset + 24),
        direction: DIRECTIONS[flags & 3]!,
        receptionType: (flags >> 2) & 7,
      });
    }
    offset += length;
  }
  return { interfaces, packets };
}

function toNanoseconds(units: bigint, resolution: bigint): bigint {
  if (resolution >= 0n) {
    return resolution <= 9n ? units * 10n ** (9n - resolution) : units / 10n ** (resolution - 9n);
  }
  return (units * 1_000_000_000n) >> -resolution;
}
