// Packet captures to pcapng through an AF_PACKET socket, made with sockfd's own syscall layer
// and classes. packet(7): https://man7.org/linux/man-pages/man7/packet.7.html
import { closeSync, openSync, unlinkSync, writeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import type { PacketAddressReceived } from '../../sys/address.js';
import type { RecvMsgResult } from '../../sys/msg.js';
import { attachFilter, type BpfInstruction } from '../../sys/bpf.js';
import { native } from '../../sys/native.js';
import * as sys from '../../sys/syscalls.js';
import { tryRecvmsg } from '../../sys/msg.js';
import { RawSocket } from '../../socket/raw.js';
import {
  SocketError,
  invalidArgType,
  invalidArgValue,
  validateInt,
} from '../../internal/errors.js';
import {
  type Direction,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_RAW,
  enhancedPacket,
  interfaceDescription,
  sectionHeader,
} from './pcapng.js';

const c = native.constants as Record<
  | 'ARPHRD_ETHER'
  | 'ARPHRD_LOOPBACK'
  | 'ARPHRD_NONE'
  | 'AF_PACKET'
  | 'SOCK_RAW'
  | 'SOCK_NONBLOCK'
  | 'ETH_P_ALL'
  | 'SOL_SOCKET'
  | 'SO_TIMESTAMPNS'
  | 'SO_RCVBUF'
  | 'SO_RCVBUFFORCE'
  | 'SO_ATTACH_FILTER'
  | 'MSG_TRUNC'
  | 'MSG_DONTWAIT'
  | 'EAGAIN'
  | 'PACKET_HOST'
  | 'PACKET_BROADCAST'
  | 'PACKET_MULTICAST'
  | 'PACKET_OTHERHOST'
  | 'PACKET_OUTGOING',
  number
>;

/**
 * Something that runs a function synchronously inside its network namespace: a lab host. A
 * capture of a host makes its packet socket inside `run`, so it sees that namespace's links.
 */
export interface CaptureHost {
  run<T>(fn: () => T): T;
  /** Names the capture's file. */
  readonly name?: string;
}

/** Options of {@link capture}. */
export interface CaptureOptions {
  /**
   * The interface to capture on, by name or index: for a host target (default: every interface
   * of its namespace). A name or index target is itself the interface; 'any' is every one.
   */
  interface?: string | number;
  /** A classic BPF program the kernel runs on each packet (SO_ATTACH_FILTER). */
  filter?: readonly BpfInstruction[];
  /** Write the pcapng file here (kept). */
  path?: string;
  /** Write the pcapng file into this directory, named after the target and the time. */
  dir?: string;
  /** Bytes kept of each packet (default 262144, as tcpdump); longer ones are cut. */
  snapLength?: number;
}

/** What {@link Capture.stop} returns. */
export interface CaptureResult {
  /** The pcapng file written, or null for an in-memory capture. */
  path: string | null;
  /** The whole pcapng file. */
  bytes: Buffer;
  /** Enhanced Packet Blocks written. */
  packets: number;
}

const DEFAULT_SNAP_LENGTH = 262_144;
// SO_TIMESTAMPNS's control message (a struct timespec) with room to spare.
const CONTROL_LENGTH = 64;
// Other traffic on a shared link must not crowd out what the test sends; 8 MiB as root.
const RECEIVE_BUFFER = 8 << 20;

// sll_hatype to a pcapng link type: what the frames a SOCK_RAW packet socket returns start with.
// A TUN device (a userspace link's end) is ARPHRD_NONE: its packets start with the IP header.
const LINK_TYPES = new Map([
  [c.ARPHRD_ETHER, LINKTYPE_ETHERNET],
  [c.ARPHRD_LOOPBACK, LINKTYPE_ETHERNET],
  [c.ARPHRD_NONE, LINKTYPE_RAW],
]);

// What capture() passes the constructor; user code has no way to.
const CREATE = Symbol('capture');

interface Interface {
  id: number;
  linkType: number;
}

/** socket(2)'s protocol for AF_PACKET is in network byte order, unlike sockaddr_ll's field. */
function htons(v: number): number {
  return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

function isHost(target: unknown): target is CaptureHost {
  return (
    typeof target === 'object' &&
    target !== null &&
    typeof (target as { run?: unknown }).run === 'function'
  );
}

// epb_flags from sll_pkttype: the direction, then the reception type (1 unicast, 2 multicast,
// 3 broadcast, 4 promiscuous).
function flagsOf(pkttype: number): { direction: Direction; receptionType: number } {
  switch (pkttype) {
    case c.PACKET_OUTGOING:
      return { direction: 'outbound', receptionType: 0 };
    case c.PACKET_HOST:
      return { direction: 'inbound', receptionType: 1 };
    case c.PACKET_MULTICAST:
      return { direction: 'inbound', receptionType: 2 };
    case c.PACKET_BROADCAST:
      return { direction: 'inbound', receptionType: 3 };
    case c.PACKET_OTHERHOST:
      return { direction: 'inbound', receptionType: 4 };
    default:
      return { direction: 'unknown', receptionType: 0 };
  }
}

// The 16-byte Linux cooked header (LINKTYPE_LINUX_SLL) for links without a known framing.
function cookedHeader(a: PacketAddressReceived): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(a.pkttype, 0);
  h.writeUInt16BE(a.hatype, 2);
  h.writeUInt16BE(a.hwaddr.length, 4);
  a.hwaddr.copy(h, 6, 0, 8);
  h.writeUInt16BE(a.protocol, 14);
  return h;
}

function validateFilter(filter: unknown): readonly BpfInstruction[] | undefined {
  if (filter === undefined) return undefined;
  if (!Array.isArray(filter)) throw invalidArgType('options.filter', 'an array', filter);
  if (filter.length === 0 || filter.length > 4096) {
    throw invalidArgValue('options.filter', filter, 'must hold 1 to 4096 instructions');
  }
  filter.forEach((ins: unknown, i) => {
    if (typeof ins !== 'object' || ins === null) {
      throw invalidArgType(`options.filter[${i}]`, 'an object', ins);
    }
    const { code, jt, jf, k } = ins as Record<string, unknown>;
    validateInt(code, `options.filter[${i}].code`, 0, 0xffff);
    validateInt(jt, `options.filter[${i}].jt`, 0, 0xff);
    validateInt(jf, `options.filter[${i}].jf`, 0, 0xff);
    validateInt(k, `options.filter[${i}].k`, 0, 0xffffffff);
  });
  return filter as readonly BpfInstruction[];
}

/**
 * A running capture: an AF_PACKET socket whose packets become pcapng blocks. `stop()` (or
 * `await using`) reads what is still queued, closes the socket and the file.
 */
export class Capture implements AsyncDisposable {
  readonly #socket: RawSocket;
  readonly #host: CaptureHost | undefined;
  readonly #snapLength: number;
  readonly #interfaces = new Map<number, Interface>();
  readonly #chunks: Buffer[] = [];
  readonly #abort = new AbortController();
  readonly #path: string | null;
  #file = -1;
  #packets = 0;
  #loop: Promise<void>;
  #error: Error | undefined;
  #result: Promise<CaptureResult> | undefined;

  /** Not for users: {@link capture} makes captures. @internal */
  constructor(
    key: typeof CREATE,
    socket: RawSocket,
    host: CaptureHost | undefined,
    snapLength: number,
    path: string | null,
    bound: PacketAddressReceived | null,
  ) {
    if (key !== CREATE) throw new TypeError('Illegal constructor: use capture()');
    this.#socket = socket;
    this.#host = host;
    this.#snapLength = snapLength;
    this.#path = path;
    if (path !== null) this.#file = openSync(path, 'w');
    try {
      this.#write(sectionHeader());
      // A bound socket's interface is known now, so even an empty capture names it.
      if (bound) this.#interface(bound.ifindex, bound.hatype);
    } catch (e) {
      if (this.#file >= 0) closeSync(this.#file);
      throw e;
    }
    // A capture watches; it does not keep the process alive by itself.
    socket.unref();
    this.#loop = this.#receive();
  }

  /** The file being written, or null for an in-memory capture. */
  get path(): string | null {
    return this.#path;
  }

  /** Packets written so far. */
  get packets(): number {
    return this.#packets;
  }

  /**
   * Reads the packets still queued, closes the socket and the file, and returns what was
   * written. Calling it again returns the same result. Rejects with a receive error, if one
   * stopped the capture early (the socket and file are closed all the same).
   */
  stop(): Promise<CaptureResult> {
    this.#result ??= this.#finish();
    return this.#result;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop().then(() => undefined);
  }

  async #finish(): Promise<CaptureResult> {
    this.#abort.abort();
    await this.#loop;
    try {
      if (this.#error === undefined) this.#drain();
    } finally {
      this.#socket.close();
      if (this.#file >= 0) closeSync(this.#file);
      this.#file = -1;
    }
    if (this.#error !== undefined) throw this.#error;
    return { path: this.#path, bytes: Buffer.concat(this.#chunks), packets: this.#packets };
  }

  async #receive(): Promise<void> {
    const buffer = Buffer.alloc(this.#snapLength);
    const receive = { buffers: [buffer], controlLength: CONTROL_LENGTH, flags: c.MSG_TRUNC };
    const options = { signal: this.#abort.signal };
    for (;;) {
      try {
        this.#record(await this.#socket.recvMsg(receive, options), buffer);
      } catch (e) {
        // A failed receive or write (ENETDOWN, a full disk) ends the capture; stop() reports it.
        if (!this.#abort.signal.aborted)
          this.#error = e instanceof Error ? e : new Error(String(e));
        return;
      }
    }
  }

  // What arrived before stop() and the loop has not read yet.
  #drain(): void {
    const buffer = Buffer.alloc(this.#snapLength);
    const receive = { buffers: [buffer], controlLength: CONTROL_LENGTH, flags: c.MSG_TRUNC };
    for (;;) {
      const r = tryRecvmsg(this.#socket.fd, receive, c.MSG_DONTWAIT);
      if (r === -c.EAGAIN) return;
      if (typeof r === 'number') throw new SocketError(r, 'recvmsg');
      this.#record(r, buffer);
    }
  }

  #record(r: RecvMsgResult, buffer: Buffer): void {
    const address = r.address as PacketAddressReceived;
    const iface = this.#interface(address.ifindex, address.hatype);
    let timestampNs: bigint | undefined;
    for (const m of r.control) {
      if (m.type === 'timestampns') timestampNs = BigInt(m.sec) * 1_000_000_000n + BigInt(m.nsec);
    }
    // SO_TIMESTAMPNS stamps every packet; the clock is the fallback should one lack it.
    timestampNs ??= BigInt(Date.now()) * 1_000_000n;
    let data: Uint8Array = buffer.subarray(0, Math.min(r.bytes, buffer.length));
    let originalLength = r.bytes;
    if (iface.linkType === LINKTYPE_LINUX_SLL) {
      data = Buffer.concat([cookedHeader(address), data]).subarray(0, this.#snapLength);
      originalLength += 16;
    }
    this.#write(
      enhancedPacket({
        interfaceId: iface.id,
        timestampNs,
        data,
        originalLength,
        ...flagsOf(address.pkttype),
      }),
    );
    this.#packets++;
  }

  #interface(ifindex: number, hatype: number): Interface {
    let iface = this.#interfaces.get(ifindex);
    if (iface) return iface;
    const linkType = LINK_TYPES.get(hatype) ?? LINKTYPE_LINUX_SLL;
    let name: string;
    try {
      name = inNamespace(this.#host, () => sys.if_indextoname(ifindex));
    } catch {
      // The link is gone already (a veth whose peer was deleted): its index still names it.
      name = `if${ifindex}`;
    }
    iface = { id: this.#interfaces.size, linkType };
    this.#interfaces.set(ifindex, iface);
    this.#write(interfaceDescription({ name, linkType, snapLength: this.#snapLength }));
    return iface;
  }

  #write(block: Buffer): void {
    this.#chunks.push(block);
    if (this.#file >= 0) writeSync(this.#file, block);
  }
}

function inNamespace<T>(host: CaptureHost | undefined, fn: () => T): T {
  return host ? host.run(fn) : fn();
}

function ifindexOf(iface: string | number, name: string): number {
  if (typeof iface === 'number') {
    validateInt(iface, name, 0, 0x7fffffff);
    return iface;
  }
  if (typeof iface !== 'string') throw invalidArgType(name, 'a string or a number', iface);
  return iface === 'any' ? 0 : sys.if_nametoindex(iface);
}

/**
 * Starts capturing the packets of `target` into pcapng: an interface by name or index ('any'
 * for every interface), or a host whose namespace the packet socket is made in. Needs
 * CAP_NET_RAW. The capture has one Interface Description Block per interface it saw (if_name,
 * if_tsresol 9), and an Enhanced Packet Block per packet with its SO_TIMESTAMPNS time in
 * nanoseconds and its direction in epb_flags (outbound for PACKET_OUTGOING).
 * socket(2) with AF_PACKET, SOCK_RAW, ETH_P_ALL; packet(7) —
 * {@link https://man7.org/linux/man-pages/man7/packet.7.html}; pcapng —
 * {@link https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html}
 */
export function capture(
  target: string | number | CaptureHost,
  options: CaptureOptions = {},
): Capture {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgType('options', 'of type object', options);
  }
  const { interface: iface, path, dir } = options;
  const snapLength = options.snapLength ?? DEFAULT_SNAP_LENGTH;
  validateInt(snapLength, 'options.snapLength', 64, 0x7fffffff);
  const filter = validateFilter(options.filter);
  if (path !== undefined && typeof path !== 'string') {
    throw invalidArgType('options.path', 'of type string', path);
  }
  if (dir !== undefined && typeof dir !== 'string') {
    throw invalidArgType('options.dir', 'of type string', dir);
  }
  if (path !== undefined && dir !== undefined) {
    throw invalidArgValue('options.dir', dir, 'cannot be given with options.path');
  }
  let host: CaptureHost | undefined;
  let which: string | number;
  if (isHost(target)) {
    host = target;
    which = iface ?? 'any';
    if (typeof which !== 'string' && typeof which !== 'number') {
      throw invalidArgType('options.interface', 'a string or a number', which);
    }
  } else {
    if (typeof target !== 'string' && typeof target !== 'number') {
      throw invalidArgType('target', 'an interface name or index, or a host with run()', target);
    }
    if (iface !== undefined) {
      throw invalidArgValue(
        'options.interface',
        iface,
        'is for a host target; the target is the interface',
      );
    }
    which = target;
  }
  const label = `${host?.name ?? 'capture'}-${which}`.replace(/[^\w.-]/g, '_');
  let file: string | null = path ?? null;
  if (dir !== undefined) {
    mkdirSync(dir, { recursive: true });
    file = join(dir, `${label}-${new Date().toISOString().replace(/[:.]/g, '-')}.pcapng`);
  }

  const { socket, bound } = inNamespace(host, () => {
    const ifindex = ifindexOf(which, host ? 'options.interface' : 'target');
    const s = RawSocket.from(
      sys.socket(c.AF_PACKET, c.SOCK_RAW | c.SOCK_NONBLOCK, htons(c.ETH_P_ALL)),
    );
    try {
      if (filter) attachFilter(s.fd, filter);
      s.setOption(c.SOL_SOCKET, c.SO_TIMESTAMPNS, 1);
      try {
        s.setOption(c.SOL_SOCKET, c.SO_RCVBUFFORCE, RECEIVE_BUFFER);
      } catch {
        // Without CAP_NET_ADMIN: as much as net.core.rmem_max allows.
        s.setOption(c.SOL_SOCKET, c.SO_RCVBUF, RECEIVE_BUFFER);
      }
      sys.bind(s.fd, { family: 'packet', protocol: c.ETH_P_ALL, ifindex });
      return {
        socket: s,
        bound: ifindex === 0 ? null : (sys.getsockname(s.fd) as PacketAddressReceived),
      };
    } catch (e) {
      s.close();
      throw e;
    }
  });
  try {
    return new Capture(CREATE, socket, host, snapLength, file, bound);
  } catch (e) {
    socket.close();
    throw e;
  }
}

/** Options of {@link withCapture}: a capture's, and when to keep its file. */
export interface WithCaptureOptions extends CaptureOptions {
  /** 'on-failure' (the default) deletes the file when `fn` succeeds; 'always' keeps it. */
  keep?: 'on-failure' | 'always';
}

/**
 * Runs `fn` while capturing `target`, and keeps the pcapng file as an artifact when `fn` fails:
 * the error then names the file (`error.capture` and its message). Give `options.dir` (or
 * `path`) for a file; without either the capture stays in memory and is returned.
 */
export async function withCapture<T>(
  target: string | number | CaptureHost,
  options: WithCaptureOptions,
  fn: (capture: Capture) => Promise<T> | T,
): Promise<{ value: T; capture: CaptureResult }> {
  if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn);
  const keep = options.keep ?? 'on-failure';
  if (keep !== 'on-failure' && keep !== 'always') {
    throw invalidArgValue('options.keep', keep, "must be 'on-failure' or 'always'");
  }
  const cap = capture(target, options);
  let value: T;
  try {
    value = await fn(cap);
  } catch (e) {
    const result = await cap.stop().catch(() => null);
    const kept = result?.path ?? cap.path;
    if (kept !== null && e instanceof Error) {
      Object.assign(e, { capture: kept });
      e.message += ` (capture kept at ${kept})`;
    }
    throw e;
  }
  const result = await cap.stop();
  if (keep === 'on-failure' && result.path !== null) unlinkSync(result.path);
  return { value, capture: result };
}
