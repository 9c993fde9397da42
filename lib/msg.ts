// sendmsg/recvmsg with scatter/gather and typed control messages, and the batch calls
// sendmmsg/recvmmsg. The layouts of struct msghdr and struct cmsghdr live in native/msg.cc and
// native/cmsg.cc; this file checks what the caller wrote and shapes results and errors.
import { isIPv4, isIPv6 } from 'node:net';

import { type Address, type AnySocketAddress, addrArgs, errorTarget } from './address.js';
import {
  SocketError,
  check,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  validateFd,
  validateInt,
  validateInt32,
  validateView,
  viewByteLength,
} from './errors.js';
import { type AddrArgs, native } from './native.js';

const c = native.constants as Record<'IOV_MAX' | 'SOL_SOCKET' | 'SO_TYPE' | 'SOCK_STREAM', number>;

const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
/** The most bytes of control data one call takes or offers (checked in native/msg.cc too). */
const MAX_CONTROL = 65536;

// ---------------------------------------------------------------------------------------------
// Control messages. Each names the cmsg_level/cmsg_type it travels as; cmsg(3).

/**
 * SOL_SOCKET SCM_RIGHTS: open file descriptors passed over a unix socket. unix(7)
 * Received fds are new numbers in this process, close-on-exec ({@link recvmsg} always asks for
 * MSG_CMSG_CLOEXEC), and the caller owns them: close each one.
 */
export interface RightsMessage {
  type: 'rights';
  fds: number[];
}

/**
 * SOL_SOCKET SCM_CREDENTIALS: the sender's process id and user and group ids. unix(7)
 * Arrives on every message once the receiver sets SO_PASSCRED; a sender may send its own (or,
 * with CAP_SYS_ADMIN/CAP_SETUID/CAP_SETGID, others').
 */
export interface CredentialsMessage {
  type: 'credentials';
  pid: number;
  uid: number;
  gid: number;
}

/**
 * IPPROTO_IP IP_PKTINFO: struct in_pktinfo. ip(7)
 * Received (with IP_PKTINFO set): `ifindex` the interface the datagram came in on, `addr` the
 * destination address in its IP header, `specDst` the local address a reply would come from.
 * Sent: `specDst` picks the source address and `ifindex` the outgoing interface; `addr` is
 * ignored by the kernel.
 */
export interface PktinfoMessage {
  type: 'pktinfo';
  ifindex: number;
  specDst: string;
  addr: string;
}

/**
 * IPPROTO_IPV6 IPV6_PKTINFO: struct in6_pktinfo. ipv6(7)
 * Received (with IPV6_RECVPKTINFO set): the destination address and incoming interface.
 * Sent: the source address and outgoing interface.
 */
export interface Pktinfo6Message {
  type: 'pktinfo6';
  ifindex: number;
  addr: string;
}

/** IPPROTO_IP IP_TTL: the TTL a datagram arrived with (IP_RECVTTL), or to send with (1–255). */
export interface TtlMessage {
  type: 'ttl';
  value: number;
}

/**
 * IPPROTO_IPV6 IPV6_HOPLIMIT: the hop limit a datagram arrived with (IPV6_RECVHOPLIMIT), or to
 * send with (0–255, or -1 for the route's default).
 */
export interface HoplimitMessage {
  type: 'hoplimit';
  value: number;
}

/** IPPROTO_IP IP_TOS: the TOS byte a datagram arrived with (IP_RECVTOS), or to send with. */
export interface TosMessage {
  type: 'tos';
  value: number;
}

/**
 * IPPROTO_IPV6 IPV6_TCLASS: the traffic class a datagram arrived with (IPV6_RECVTCLASS), or to
 * send with (0–255, or -1 for the socket's).
 */
export interface TclassMessage {
  type: 'tclass';
  value: number;
}

/** SOL_SOCKET SCM_TIMESTAMP: when the kernel received the message (SO_TIMESTAMP). socket(7) */
export interface TimestampMessage {
  type: 'timestamp';
  sec: number;
  usec: number;
}

/** SOL_SOCKET SCM_TIMESTAMPNS: the same in nanoseconds (SO_TIMESTAMPNS). socket(7) */
export interface TimestampNsMessage {
  type: 'timestampns';
  sec: number;
  nsec: number;
}

/**
 * SOL_SOCKET SO_RXQ_OVFL: how many datagrams the socket had dropped, in all, when this one was
 * queued. The kernel attaches it only to datagrams queued after a drop. socket(7)
 */
export interface RxqOverflowMessage {
  type: 'rxqOverflow';
  dropped: number;
}

/**
 * IPPROTO_IP IP_RECVERR / IPPROTO_IPV6 IPV6_RECVERR: an entry of the error queue, read with
 * MSG_ERRQUEUE once IP_RECVERR or IPV6_RECVERR is set; struct sock_extended_err. ip(7)
 */
export interface RecvErrMessage {
  type: 'recverr';
  /** ee_errno: the error, positive as in the struct (ECONNREFUSED, EMSGSIZE, …). */
  errno: number;
  /** The errno's name ('ECONNREFUSED'). */
  code: string;
  /** ee_origin: SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, SO_EE_ORIGIN_LOCAL, … */
  origin: number;
  /** ee_type and ee_code: the ICMP type and code for ICMP origins. */
  icmpType: number;
  icmpCode: number;
  /** ee_info (the path MTU for EMSGSIZE) and ee_data. */
  info: number;
  data: number;
  /** SO_EE_OFFENDER: the address that reported the error, or null when none did. */
  offender: Address | null;
}

/**
 * SOL_SOCKET SCM_PIDFD: a pidfd for the sending process, installed in this process once the
 * receiver sets SO_PASSPIDFD (Linux 6.5). Close-on-exec; the caller owns it. unix(7)
 * Typed only where the build's headers define SCM_PIDFD; otherwise it arrives raw, and the fd in
 * its data is still the caller's to close.
 */
export interface PidfdMessage {
  type: 'pidfd';
  fd: number;
}

/**
 * Any control message as raw bytes: the escape hatch for the ones not typed above. `data` is
 * the payload after the header, laid out as the C struct for (`level`, `type`).
 */
export interface RawControlMessage {
  level: number;
  type: number;
  data: Buffer;
}

/** A control message as {@link recvmsg} reports it. */
export type ControlMessage =
  | RightsMessage
  | CredentialsMessage
  | PktinfoMessage
  | Pktinfo6Message
  | TtlMessage
  | HoplimitMessage
  | TosMessage
  | TclassMessage
  | TimestampMessage
  | TimestampNsMessage
  | RxqOverflowMessage
  | RecvErrMessage
  | PidfdMessage
  | RawControlMessage;

/** A control message {@link sendmsg} can send. The receive-only kinds are refused. */
export type SendControlMessage =
  | RightsMessage
  | CredentialsMessage
  | { type: 'pktinfo'; ifindex?: number; specDst?: string; addr?: string }
  | { type: 'pktinfo6'; ifindex?: number; addr?: string }
  | TtlMessage
  | HoplimitMessage
  | TosMessage
  | TclassMessage
  | { level: number; type: number; data: ArrayBufferView };

const RECEIVE_ONLY = new Set(['timestamp', 'timestampns', 'rxqOverflow', 'recverr', 'pidfd']);

// The range each single-int control message takes; the kernel refuses values outside it.
const INT_KINDS: Record<string, [number, number]> = {
  ttl: [1, 255],
  hoplimit: [-1, 255],
  tos: [0, 255],
  tclass: [-1, 255],
};

type NativeControl = Record<string, unknown>;

function validateIp(value: unknown, name: string, v6: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (!(v6 ? isIPv6(value) : isIPv4(value))) {
    throw invalidArgValue(name, value, `is not an ${v6 ? 'IPv6' : 'IPv4'} address`);
  }
  return value;
}

/**
 * Checks a list of control messages and copies it into fresh plain objects for the native
 * layer (so no getter of the caller's runs while it holds pointers into buffers). Returns
 * the copy and whether any message passes fds.
 */
function controlArgs(control: unknown): { list: NativeControl[] | null; rights: boolean } {
  if (control === undefined || control === null) return { list: null, rights: false };
  if (!Array.isArray(control)) {
    throw invalidArgType('control', 'an array of control messages', control);
  }
  let rights = false;
  const list = (control as unknown[]).map((m, i): NativeControl => {
    const name = `control[${i}]`;
    if (typeof m !== 'object' || m === null) throw invalidArgType(name, 'an object', m);
    const o = m as Record<string, unknown>;
    const type = o.type;
    if (typeof type === 'number') {
      validateInt32(type, `${name}.type`);
      validateInt32(o.level, `${name}.level`);
      validateView(o.data, `${name}.data`);
      return { level: o.level, type, data: o.data };
    }
    if (typeof type !== 'string') {
      throw invalidArgType(`${name}.type`, 'a control message type or a number', type);
    }
    if (RECEIVE_ONLY.has(type)) {
      throw invalidArgValue(`${name}.type`, type, 'names a control message that is only received');
    }
    const range = INT_KINDS[type];
    if (range) {
      validateInt(o.value, `${name}.value`, range[0], range[1]);
      return { type, value: o.value };
    }
    switch (type) {
      case 'rights': {
        if (!Array.isArray(o.fds)) throw invalidArgType(`${name}.fds`, 'an array of fds', o.fds);
        const fds = (o.fds as unknown[]).map((fd, k) => {
          validateFd(fd, `${name}.fds[${k}]`);
          return fd;
        });
        rights ||= fds.length > 0;
        return { type, fds };
      }
      case 'credentials':
        validateInt32(o.pid, `${name}.pid`);
        validateInt(o.uid, `${name}.uid`, 0, UINT32_MAX);
        validateInt(o.gid, `${name}.gid`, 0, UINT32_MAX);
        return { type, pid: o.pid, uid: o.uid, gid: o.gid };
      case 'pktinfo': {
        const ifindex = o.ifindex ?? 0;
        validateInt(ifindex, `${name}.ifindex`, 0, INT32_MAX);
        const specDst = validateIp(o.specDst, `${name}.specDst`, false);
        const addr = validateIp(o.addr, `${name}.addr`, false);
        return { type, ifindex, specDst, addr };
      }
      case 'pktinfo6': {
        const ifindex = o.ifindex ?? 0;
        validateInt(ifindex, `${name}.ifindex`, 0, UINT32_MAX);
        return { type, ifindex, addr: validateIp(o.addr, `${name}.addr`, true) };
      }
      default:
        throw invalidArgValue(`${name}.type`, type, 'is not a known control message type');
    }
  });
  return { list, rights };
}

// ---------------------------------------------------------------------------------------------
// sendmsg / recvmsg

/** Scatter/gather buffers: one view, or a list of them filled or sent in order. */
export type Buffers = ArrayBufferView | readonly ArrayBufferView[];

/** Checks `buffers` and copies the list into a fresh array; returns it and its byte total. */
function bufferArgs(buffers: unknown, name: string): { views: ArrayBufferView[]; bytes: number } {
  if (ArrayBuffer.isView(buffers)) return { views: [buffers], bytes: viewByteLength(buffers) };
  if (!Array.isArray(buffers)) {
    throw invalidArgType(name, 'a Buffer, TypedArray, or DataView, or an array of them', buffers);
  }
  const list = buffers as unknown[];
  if (list.length > c.IOV_MAX) {
    throw outOfRange(`${name}.length`, `at most IOV_MAX (${c.IOV_MAX})`, list.length);
  }
  let bytes = 0;
  const views = list.map((v, i) => {
    validateView(v, `${name}[${i}]`);
    bytes += viewByteLength(v);
    return v;
  });
  return { views, bytes };
}

function optionsObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw invalidArgType(name, 'an object', value);
  return value as Record<string, unknown>;
}

/** What {@link sendmsg} sends. */
export interface SendMsgOptions {
  /** The payload, gathered from the views in order with no copy. */
  buffers: Buffers;
  /** The destination, for an unconnected datagram socket. */
  address?: AnySocketAddress;
  /** Control messages to send with the payload. */
  control?: readonly SendControlMessage[];
  /** MSG_* flags (MSG_NOSIGNAL is always added). */
  flags?: number;
}

/**
 * Sends one message gathered from several buffers, with optional destination and control
 * messages, and returns the bytes the kernel took. MSG_NOSIGNAL is always added.
 *
 * Passing fds (a `rights` message) on a SOCK_STREAM socket needs at least one byte of payload:
 * a zero-byte stream sendmsg sends nothing, and the fds would be lost without a word, so it
 * throws ERR_INVALID_ARG_VALUE instead. Datagram and seqpacket sockets carry fds on an empty
 * message.
 * sendmsg(2) — {@link https://man7.org/linux/man-pages/man2/sendmsg.2.html}, cmsg(3)
 */
export function sendmsg(fd: number, message: SendMsgOptions): number {
  const address = (message as Partial<SendMsgOptions> | null)?.address;
  return check(
    trySendmsg(fd, message),
    'sendmsg',
    address === undefined ? undefined : errorTarget(address),
  );
}

/**
 * {@link sendmsg} that reports a failed syscall as a negative errno instead of throwing, so the
 * event-loop layer can wait on EAGAIN. Bad arguments still throw.
 * @internal
 */
export function trySendmsg(fd: number, message: SendMsgOptions): number {
  validateFd(fd);
  const m = optionsObject(message, 'message');
  const { views, bytes } = bufferArgs(m.buffers, 'message.buffers');
  const flags = m.flags ?? 0;
  validateInt32(flags, 'message.flags');
  const { list, rights } = controlArgs(m.control);
  const address = m.address as AnySocketAddress | undefined;
  const addr: AddrArgs | [null] =
    address === undefined ? [null] : addrArgs(address, 'message.address');
  if (
    rights &&
    bytes === 0 &&
    native.getsockoptInt(fd, c.SOL_SOCKET, c.SO_TYPE) === c.SOCK_STREAM
  ) {
    throw invalidArgValue(
      'message.buffers',
      m.buffers,
      'must hold at least one byte to pass fds on a SOCK_STREAM socket (an empty send carries nothing)',
    );
  }
  return native.sendmsg(fd, views, flags, list, ...addr);
}

/** What {@link recvmsg} receives into. */
export interface RecvMsgOptions {
  /** Filled in order, in place; the kernel never writes past a view. */
  buffers: Buffers;
  /**
   * Bytes to offer for control messages (msg_controllen), at most 65536. Default 0: no control
   * messages, and fds sent with the message are discarded by the kernel (MSG_CTRUNC). Size it
   * with {@link cmsgSpace}: e.g. `cmsgSpace(4 * n)` for n fds, plus one `cmsgSpace` per other
   * message expected; 256 covers all the metadata options at once.
   */
  controlLength?: number;
  /** MSG_* flags: MSG_PEEK, MSG_DONTWAIT, MSG_TRUNC, MSG_ERRQUEUE, … */
  flags?: number;
}

/** What {@link recvmsg} returns. */
export interface RecvMsgResult {
  /** Bytes received (the real datagram length when MSG_TRUNC was passed). */
  bytes: number;
  /** The sender, or null when the kernel reports none (connected and unnamed sockets). */
  address: Address | null;
  /** The control messages, typed where this library knows them. */
  control: ControlMessage[];
  /** msg_flags: MSG_TRUNC (the datagram was longer), MSG_CTRUNC (control was cut), MSG_EOR, … */
  flags: number;
}

/**
 * Receives one message, scattered into several buffers, with its sender and control messages.
 * MSG_CMSG_CLOEXEC is added whenever a control buffer is offered, so every fd that arrives is
 * close-on-exec (on the few families that refuse the flag and never pass fds, such as
 * AF_PACKET, the call is repeated without it); the caller owns each fd in a `rights` message. When the control buffer is too small the kernel sets
 * MSG_CTRUNC: the fds that fit still arrive (and are returned), the rest are closed by the
 * kernel, so none leak.
 * recvmsg(2) — {@link https://man7.org/linux/man-pages/man2/recvmsg.2.html}, cmsg(3)
 */
export function recvmsg(fd: number, options: RecvMsgOptions): RecvMsgResult {
  const r = tryRecvmsg(fd, options);
  if (typeof r === 'number') throw new SocketError(r, 'recvmsg');
  return r;
}

/**
 * {@link recvmsg} that reports a failed syscall as a negative errno instead of throwing.
 * @internal
 */
export function tryRecvmsg(fd: number, options: RecvMsgOptions): RecvMsgResult | number {
  validateFd(fd);
  const o = optionsObject(options, 'options');
  const { views } = bufferArgs(o.buffers, 'options.buffers');
  const controlLength = o.controlLength ?? 0;
  validateInt(controlLength, 'options.controlLength', 0, MAX_CONTROL);
  const flags = o.flags ?? 0;
  validateInt32(flags, 'options.flags');
  return native.recvmsg(fd, views, controlLength, flags) as RecvMsgResult | number;
}

/**
 * CMSG_SPACE(length): the bytes a control message with a `length`-byte payload takes in the
 * control buffer, padding included. Add these up for {@link RecvMsgOptions.controlLength}.
 * cmsg(3) — {@link https://man7.org/linux/man-pages/man3/cmsg.3.html}
 */
export function cmsgSpace(length: number): number {
  validateInt(length, 'length', 0, MAX_CONTROL);
  return native.cmsgSpace(length);
}

/**
 * CMSG_LEN(length): the cmsg_len of a control message with a `length`-byte payload (no trailing
 * padding). cmsg(3) — {@link https://man7.org/linux/man-pages/man3/cmsg.3.html}
 */
export function cmsgLen(length: number): number {
  validateInt(length, 'length', 0, MAX_CONTROL);
  return native.cmsgLen(length);
}

// ---------------------------------------------------------------------------------------------
// sendmmsg / recvmmsg

/**
 * Reusable state for {@link sendmmsg} and {@link recvmmsg}: each message's buffers, a slot for
 * its address, and a typed array of results, all allocated once. Calls with a batch allocate
 * nothing per message (the fast path for packet work); the array forms of the calls build a
 * batch each time.
 *
 * The buffers are fixed when the batch is made; the kernel reads or fills them in place on
 * every call. After {@link recvmmsg}, each address slot holds the sender, so {@link sendmmsg}
 * with the same batch sends to them (for replies, set payloads of the right length).
 */
// A batch's slab and layout when all its views lie in one ArrayBuffer (see MessageBatch).
let slabOf: (b: MessageBatch) => { slab: ArrayBuffer; layout: Float64Array } | null = () => null;

export class MessageBatch {
  /** How many messages. At most IOV_MAX (1024), which is what the kernel handles per call. */
  readonly length: number;
  /**
   * Per message i: `state[3i]` the bytes sent or received, `state[3i + 1]` msg_flags
   * (recvmmsg), `state[3i + 2]` the address length in the slot (0: none). Rewritten by each
   * call for the messages it handled; read it directly to avoid the accessor calls.
   */
  readonly state: Int32Array;
  /** All the messages' views, in order (what the native call walks). Frozen. */
  readonly views: readonly ArrayBufferView[];
  /** How many of `views` belong to each message. */
  readonly iovCounts: Int32Array;
  /** One struct sockaddr_storage slot per message, written by the kernel or by setAddress. */
  readonly names: Buffer;

  constructor(messages: readonly Buffers[]) {
    if (!Array.isArray(messages)) {
      throw invalidArgType('messages', 'an array of buffers or of arrays of buffers', messages);
    }
    const list = messages as readonly unknown[];
    if (list.length > c.IOV_MAX) {
      throw outOfRange('messages.length', `at most IOV_MAX (${c.IOV_MAX})`, list.length);
    }
    this.length = list.length;
    this.iovCounts = new Int32Array(list.length);
    const views: ArrayBufferView[] = [];
    list.forEach((b, i) => {
      const { views: v } = bufferArgs(b, `messages[${i}]`);
      this.iovCounts[i] = v.length;
      views.push(...v);
    });
    this.views = Object.freeze(views);
    this.state = new Int32Array(3 * list.length);
    this.names = Buffer.alloc(list.length * native.sizeofSockaddrStorage);
    // Views that all lie in one fixed-length ArrayBuffer (MessageBatch.alloc, or slices of one
    // Buffer) go to the kernel as that buffer and their offsets: two Node-API calls per batch
    // call instead of two per view, which is most of a batch call's own cost.
    const ab = views[0]?.buffer;
    if (
      ab instanceof ArrayBuffer &&
      !(ab as { resizable?: boolean }).resizable &&
      views.every((v) => v.buffer === ab)
    ) {
      this.#slab = ab;
      // A detached view reads as empty (a detached DataView's byteOffset throws).
      this.#layout = new Float64Array(
        views.flatMap((v) => {
          const length = viewByteLength(v);
          return length === 0 ? [0, 0] : [v.byteOffset, length];
        }),
      );
    }
  }

  #slab: ArrayBuffer | null = null;
  #layout: Float64Array | null = null;

  static {
    slabOf = (b) => (b.#slab && b.#layout ? { slab: b.#slab, layout: b.#layout } : null);
  }

  /**
   * A batch of `count` messages of `size` bytes each, all in one ArrayBuffer: the layout the
   * batch calls handle fastest.
   */
  static alloc(count: number, size: number): MessageBatch {
    validateInt(count, 'count', 0, c.IOV_MAX);
    validateInt(size, 'size', 0, 0x7fffffff);
    const slab = new ArrayBuffer(count * size);
    return new MessageBatch(
      Array.from({ length: count }, (_, i) => Buffer.from(slab, i * size, size)),
    );
  }

  #index(i: number): number {
    validateInt(i, 'index', 0, this.length - 1);
    return i;
  }

  /** Sets message i's destination for {@link sendmmsg}; null sends it without one. */
  setAddress(i: number, address: AnySocketAddress | null): void {
    this.#index(i);
    if (address === null) {
      this.state[3 * i + 2] = 0;
      return;
    }
    const args = addrArgs(address, 'address');
    this.state[3 * i + 2] = native.encodeAddress(
      this.names,
      i * native.sizeofSockaddrStorage,
      ...args,
    );
  }

  /** The bytes message i carried in the last call (msg_len). */
  bytes(i: number): number {
    return this.state[3 * this.#index(i)]!;
  }

  /** Message i's msg_flags from the last recvmmsg: MSG_TRUNC, … */
  flags(i: number): number {
    return this.state[3 * this.#index(i) + 1]!;
  }

  /** Message i's address: the sender after recvmmsg, or the destination set for sendmmsg. */
  address(i: number): Address | null {
    const len = this.state[3 * this.#index(i) + 2]!;
    if (len === 0) return null;
    return native.decodeAddress(this.names, i * native.sizeofSockaddrStorage, len) as Address;
  }
}

/** One message of the array form of {@link sendmmsg}. */
export interface SendMmsgMessage {
  buffers: Buffers;
  address?: AnySocketAddress;
}

/** One message of the array form of {@link recvmmsg}. */
export interface RecvMmsgMessage {
  buffers: Buffers;
}

/** What the array form of {@link recvmmsg} returns for each message received. */
export interface RecvMmsgResult {
  bytes: number;
  address: Address | null;
  /** msg_flags: MSG_TRUNC when the datagram was longer than the buffers. */
  flags: number;
}

function batchOf(messages: unknown, withAddress: boolean): MessageBatch {
  if (!Array.isArray(messages)) {
    throw invalidArgType('messages', 'a MessageBatch or an array of messages', messages);
  }
  const list = (messages as unknown[]).map((m, i) => optionsObject(m, `messages[${i}]`));
  // Checked here too so that an error names the field: messages[2].buffers.
  list.forEach((m, i) => bufferArgs(m.buffers, `messages[${i}].buffers`));
  const batch = new MessageBatch(list.map((m) => m.buffers as Buffers));
  if (withAddress) {
    list.forEach((m, i) => {
      if (m.address !== undefined) batch.setAddress(i, m.address as AnySocketAddress);
    });
  }
  return batch;
}

/**
 * Sends many datagrams in one syscall, each from its own buffers and to its own address, and
 * returns how many were sent. Fewer than asked means the one after the last sent failed (or
 * would block); only a failure of the first message throws. MSG_NOSIGNAL is always added.
 * With a {@link MessageBatch}, each message's byte count is in `batch.bytes(i)` afterwards.
 * sendmmsg(2) — {@link https://man7.org/linux/man-pages/man2/sendmmsg.2.html}
 */
export function sendmmsg(
  fd: number,
  messages: MessageBatch | readonly SendMmsgMessage[],
  flags = 0,
): number {
  validateFd(fd);
  validateInt32(flags, 'flags');
  const b = messages instanceof MessageBatch ? messages : batchOf(messages, true);
  const slab = slabOf(b);
  return check(
    slab === null
      ? native.sendmmsg(fd, b.views, b.iovCounts, b.names, b.state, flags)
      : native.sendmmsgSlab(fd, slab.slab, slab.layout, b.iovCounts, b.names, b.state, flags),
    'sendmmsg',
  );
}

/**
 * Receives up to one datagram per message in one syscall. With a {@link MessageBatch} it
 * returns the count and leaves each message's bytes, flags and sender in the batch; with an
 * array of `{ buffers }` it returns `{ bytes, address, flags }` for each message received.
 * With MSG_DONTWAIT (or on a nonblocking socket) it takes only what is already queued, and
 * throws EAGAIN when nothing is; MSG_WAITFORONE blocks for the first datagram only.
 * `timeoutMs` is checked only after each datagram arrives (recvmmsg(2), BUGS): it stops the
 * batch early but never ends a wait, so on a blocking socket a timeout above 0 still blocks
 * until another datagram comes. `0` returns what has arrived once the first is in; for a
 * bounded wait, poll first and pass MSG_DONTWAIT.
 * recvmmsg(2) — {@link https://man7.org/linux/man-pages/man2/recvmmsg.2.html}
 */
export function recvmmsg(
  fd: number,
  messages: MessageBatch,
  flags?: number,
  timeoutMs?: number,
): number;
export function recvmmsg(
  fd: number,
  messages: readonly RecvMmsgMessage[],
  flags?: number,
  timeoutMs?: number,
): RecvMmsgResult[];
export function recvmmsg(
  fd: number,
  messages: MessageBatch | readonly RecvMmsgMessage[],
  flags = 0,
  timeoutMs?: number,
): number | RecvMmsgResult[] {
  validateFd(fd);
  validateInt32(flags, 'flags');
  if (timeoutMs !== undefined) validateInt(timeoutMs, 'timeoutMs', 0, INT32_MAX);
  const isBatch = messages instanceof MessageBatch;
  const b = isBatch ? messages : batchOf(messages, false);
  const slab = slabOf(b);
  const timeout = timeoutMs ?? -1;
  const n = check(
    slab === null
      ? native.recvmmsg(fd, b.views, b.iovCounts, b.names, b.state, flags, timeout)
      : native.recvmmsgSlab(
          fd,
          slab.slab,
          slab.layout,
          b.iovCounts,
          b.names,
          b.state,
          flags,
          timeout,
        ),
    'recvmmsg',
  );
  if (isBatch) return n;
  const out: RecvMmsgResult[] = [];
  for (let i = 0; i < n; i++)
    out.push({ bytes: b.bytes(i), address: b.address(i), flags: b.flags(i) });
  return out;
}
