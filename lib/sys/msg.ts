// sendmsg/recvmsg with scatter/gather and control messages. The layout of struct msghdr is
// native/msg.cc's; this file checks what the caller wrote and shapes results and errors.
import {
  type Address,
  type AnySocketAddress,
  type NodeAddressInfo,
  addrArgs,
  errorTarget,
} from './address.js';
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
} from '../internal/errors.js';
import { type AddrArgs, native } from './native.js';
import { MAX_CONTROL, controlArgs, type SendControlMessage, type ControlMessage } from './cmsg.js';

const c = native.constants as Record<'IOV_MAX' | 'SOL_SOCKET' | 'SO_TYPE' | 'SOCK_STREAM', number>;

/** Scatter/gather buffers: one view, or a list of them filled or sent in order. */
export type Buffers = ArrayBufferView | readonly ArrayBufferView[];

/** Checks `buffers` and copies the list into a fresh array; returns it and its byte total. */
export function bufferArgs(
  buffers: unknown,
  name: string,
): { views: ArrayBufferView[]; bytes: number } {
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

export function optionsObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw invalidArgType(name, 'an object', value);
  return value as Record<string, unknown>;
}

/** What {@link sendmsg} sends. */
export interface SendMsgOptions {
  /** The payload, gathered from the views in order with no copy. */
  buffers: Buffers;
  /** The destination, for an unconnected datagram socket. */
  address?: AnySocketAddress | NodeAddressInfo;
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
 * event-loop layer can wait on EAGAIN. Bad arguments still throw. `addFlags` joins the caller's
 * flags: the classes add MSG_DONTWAIT, which spares the addon its checks for a blocking fd.
 * @internal
 */
export function trySendmsg(fd: number, message: SendMsgOptions, addFlags = 0): number {
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
  return native.sendmsg(fd, views, flags | addFlags, list, ...addr);
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
 * {@link recvmsg} that reports a failed syscall as a negative errno instead of throwing;
 * `addFlags` as for {@link trySendmsg}.
 * @internal
 */
export function tryRecvmsg(
  fd: number,
  options: RecvMsgOptions,
  addFlags = 0,
): RecvMsgResult | number {
  validateFd(fd);
  const o = optionsObject(options, 'options');
  const { views } = bufferArgs(o.buffers, 'options.buffers');
  const controlLength = o.controlLength ?? 0;
  validateInt(controlLength, 'options.controlLength', 0, MAX_CONTROL);
  const flags = o.flags ?? 0;
  validateInt32(flags, 'options.flags');
  return native.recvmsg(fd, views, controlLength, flags | addFlags) as RecvMsgResult | number;
}
