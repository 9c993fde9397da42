// The batch calls sendmmsg/recvmmsg and MessageBatch, their reusable state. The layout of struct
// mmsghdr is native/mmsg.cc's.
import { type Address, type AnySocketAddress, type NodeAddressInfo, addrArgs } from './address.js';
import {
  check,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  validateFd,
  validateInt,
  validateInt32,
  viewByteLength,
} from '../internal/errors.js';
import { native } from './native.js';
import { bufferArgs, optionsObject, type Buffers } from './msg.js';
import {
  type ControlMessage,
  MAX_CONTROL,
  type NativeControl,
  type SendControlMessage,
  controlArgs,
} from './cmsg.js';

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

// A batch's control data: what each message sends, what recvmmsg offers and received.
interface BatchControl {
  send: (NativeControl[] | null)[] | null;
  /** Whether each message's control passes fds. */
  rights: boolean[] | null;
  lengths: Int32Array | null;
  received: ControlMessage[][];
}
let controlOf: (b: MessageBatch) => BatchControl = () => ({
  send: null,
  rights: null,
  lengths: null,
  received: [],
});

/** Options of a {@link MessageBatch}. */
export interface MessageBatchOptions {
  /**
   * Bytes offered to each message for the control messages {@link recvmmsg} receives
   * (msg_controllen), at most 65536; size it with `cmsgSpace`. Default 0: none, and a batch
   * call costs what it did without control data. Read them with `batch.control(i)`.
   */
  controlLength?: number;
}

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

  /** The control buffer each message offers to recvmmsg (see {@link MessageBatchOptions}). */
  readonly controlLength: number;

  constructor(messages: readonly Buffers[], options: MessageBatchOptions = {}) {
    const o = optionsObject(options, 'options');
    const controlLength = o.controlLength ?? 0;
    validateInt(controlLength, 'options.controlLength', 0, MAX_CONTROL);
    if (!Array.isArray(messages)) {
      throw invalidArgType('messages', 'an array of buffers or of arrays of buffers', messages);
    }
    const list = messages as readonly unknown[];
    if (list.length > c.IOV_MAX) {
      throw outOfRange('messages.length', `at most IOV_MAX (${c.IOV_MAX})`, list.length);
    }
    this.length = list.length;
    this.controlLength = controlLength;
    if (controlLength > 0) this.#control.lengths = new Int32Array(list.length).fill(controlLength);
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
  #control: BatchControl = { send: null, rights: null, lengths: null, received: [] };

  static {
    slabOf = (b) => (b.#slab && b.#layout ? { slab: b.#slab, layout: b.#layout } : null);
    controlOf = (b) => b.#control;
  }

  /**
   * A batch of `count` messages of `size` bytes each, all in one ArrayBuffer: the layout the
   * batch calls handle fastest.
   */
  static alloc(count: number, size: number, options?: MessageBatchOptions): MessageBatch {
    validateInt(count, 'count', 0, c.IOV_MAX);
    validateInt(size, 'size', 0, 0x7fffffff);
    const slab = new ArrayBuffer(count * size);
    return new MessageBatch(
      Array.from({ length: count }, (_, i) => Buffer.from(slab, i * size, size)),
      options,
    );
  }

  /**
   * Sets the control messages message i sends with {@link sendmmsg} (as sendmsg's `control`:
   * `pktinfo`, `ttl`, `rights`, …); null sends it without.
   */
  setControl(i: number, control: readonly SendControlMessage[] | null): void {
    this.#index(i);
    setControlList(this, i, controlArgs(control, 'control'));
  }

  /**
   * The control messages message i received in the last {@link recvmmsg}, decoded as recvmsg
   * decodes them; [] when the batch offers none (see {@link MessageBatchOptions}). The caller
   * owns each fd in a `rights` message.
   */
  control(i: number): ControlMessage[] {
    return this.#control.received[this.#index(i)] ?? [];
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

function setControlList(
  b: MessageBatch,
  i: number,
  { list, rights }: { list: NativeControl[] | null; rights: boolean },
): void {
  const control = controlOf(b);
  control.send ??= new Array<NativeControl[] | null>(b.length).fill(null);
  control.rights ??= new Array<boolean>(b.length).fill(false);
  control.send[i] = list;
  control.rights[i] = rights;
}

/** One message of the array form of {@link sendmmsg}. */
export interface SendMmsgMessage {
  buffers: Buffers;
  address?: AnySocketAddress | NodeAddressInfo;
  /** Control messages sent with this message, as sendmsg's `control`. */
  control?: readonly SendControlMessage[];
}

/** One message of the array form of {@link recvmmsg}. */
export interface RecvMmsgMessage {
  buffers: Buffers;
  /** Bytes offered for this message's control messages, as recvmsg's; default 0. */
  controlLength?: number;
}

/** What the array form of {@link recvmmsg} returns for each message received. */
export interface RecvMmsgResult {
  bytes: number;
  address: Address | null;
  /** msg_flags: MSG_TRUNC when the datagram was longer than the buffers, MSG_CTRUNC, … */
  flags: number;
  /** The control messages, when any message of the call offered a `controlLength`. */
  control?: ControlMessage[];
}

function batchOf(messages: unknown, send: boolean): MessageBatch {
  if (!Array.isArray(messages)) {
    throw invalidArgType('messages', 'a MessageBatch or an array of messages', messages);
  }
  const list = (messages as unknown[]).map((m, i) => optionsObject(m, `messages[${i}]`));
  // Checked here too so that an error names the field: messages[2].buffers.
  list.forEach((m, i) => bufferArgs(m.buffers, `messages[${i}].buffers`));
  const batch = new MessageBatch(list.map((m) => m.buffers as Buffers));
  if (send) {
    list.forEach((m, i) => {
      if (m.address !== undefined) batch.setAddress(i, m.address as AnySocketAddress);
      if (m.control !== undefined) {
        setControlList(batch, i, controlArgs(m.control, `messages[${i}].control`));
      }
    });
  } else if (list.some((m) => m.controlLength !== undefined)) {
    const lengths = new Int32Array(list.length);
    list.forEach((m, i) => {
      const n = m.controlLength ?? 0;
      validateInt(n, `messages[${i}].controlLength`, 0, MAX_CONTROL);
      lengths[i] = n;
    });
    controlOf(batch).lengths = lengths;
  }
  return batch;
}

// SCM_RIGHTS on an empty SOCK_STREAM message would send nothing and lose the fds (see sendmsg).
function checkStreamRights(fd: number, b: MessageBatch, rights: boolean[]): void {
  let at = 0;
  for (let i = 0; i < b.length; i++) {
    const count = b.iovCounts[i]!;
    let bytes = 0;
    for (let k = at; k < at + count; k++) bytes += viewByteLength(b.views[k]!);
    at += count;
    if (
      rights[i] &&
      bytes === 0 &&
      native.getsockoptInt(fd, c.SOL_SOCKET, c.SO_TYPE) === c.SOCK_STREAM
    ) {
      throw invalidArgValue(
        `messages[${i}].buffers`,
        b.views.slice(at - count, at),
        'must hold at least one byte to pass fds on a SOCK_STREAM socket (an empty send carries nothing)',
      );
    }
  }
}

/**
 * Sends many datagrams in one syscall, each from its own buffers and to its own address, and
 * returns how many were sent. Fewer than asked means the one after the last sent failed (or
 * would block); only a failure of the first message throws. MSG_NOSIGNAL is always added.
 * With a {@link MessageBatch}, each message's byte count is in `batch.bytes(i)` afterwards.
 * Each message may carry control messages of its own, as sendmsg's `control` (`control` in the
 * array form, `batch.setControl(i, …)`): a `ttl` or `pktinfo` per datagram, fds, ….
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
  const { send, rights } = controlOf(b);
  if (rights?.includes(true)) checkStreamRights(fd, b, rights);
  const controls = send ?? undefined;
  return check(
    slab === null
      ? native.sendmmsg(fd, b.views, b.iovCounts, b.names, b.state, flags, controls)
      : native.sendmmsgSlab(
          fd,
          slab.slab,
          slab.layout,
          b.iovCounts,
          b.names,
          b.state,
          flags,
          controls,
        ),
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
 * Control messages are opt-in: give messages a `controlLength` (the array form, per message) or
 * the batch one ({@link MessageBatchOptions}), and each message's are decoded as recvmsg decodes
 * them, into `control` of its result or `batch.control(i)`; MSG_CMSG_CLOEXEC is added then, as
 * recvmsg adds it. A batch without a control length receives none and costs what it did.
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
  const control = controlOf(b);
  const lengths = control.lengths ?? undefined;
  const r =
    slab === null
      ? native.recvmmsg(fd, b.views, b.iovCounts, b.names, b.state, flags, timeout, lengths)
      : native.recvmmsgSlab(
          fd,
          slab.slab,
          slab.layout,
          b.iovCounts,
          b.names,
          b.state,
          flags,
          timeout,
          lengths,
        );
  let n: number;
  if (typeof r === 'number') {
    n = check(r, 'recvmmsg');
  } else {
    control.received = r as ControlMessage[][];
    n = r.length;
  }
  if (isBatch) return n;
  const out: RecvMmsgResult[] = [];
  for (let i = 0; i < n; i++) {
    const m: RecvMmsgResult = { bytes: b.bytes(i), address: b.address(i), flags: b.flags(i) };
    if (lengths !== undefined) m.control = b.control(i);
    out.push(m);
  }
  return out;
}
