// The batch calls sendmmsg/recvmmsg and MessageBatch, their reusable state. The layout of struct
// mmsghdr is native/mmsg.cc's.
import { type Address, type AnySocketAddress, type NodeAddressInfo, addrArgs } from './address.js';
import {
  check,
  invalidArgType,
  outOfRange,
  validateFd,
  validateInt,
  validateInt32,
  viewByteLength,
} from '../internal/errors.js';
import { native } from './native.js';
import { bufferArgs, optionsObject, type Buffers } from './msg.js';

const c = native.constants as Record<'IOV_MAX' | 'SOL_SOCKET' | 'SO_TYPE' | 'SOCK_STREAM', number>;
const INT32_MAX = 0x7fffffff;

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
  setAddress(i: number, address: AnySocketAddress | NodeAddressInfo | null): void {
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
  address?: AnySocketAddress | NodeAddressInfo;
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
