// The one place that loads the addon, with the TypeScript shape of what it exports.
// Native calls trust what this layer validated and report failure as a negative errno; they
// never throw for a failed syscall. A call whose value may be any int32 reports failure below
// the int32 range instead (`checkInt`).
import { join } from 'node:path';

import bindings from 'bindings';

import { missingAddonError } from '../internal/missing-addon.js';
import { trackSignalListeners } from '../internal/signals.js';

/** An address as the native layer returns it. */
export type NativeAddress =
  | { family: 'inet'; address: string; port: number }
  | { family: 'inet6'; address: string; port: number; flowinfo: number; scopeId: number }
  | { family: 'unix'; path?: string; abstract?: Buffer }
  | {
      family: 'packet';
      protocol: number;
      ifindex: number;
      hatype: number;
      pkttype: number;
      hwaddr: Buffer;
    }
  | { family: 'netlink'; pid: number; groups: number }
  | { family: 'other'; saFamily: number; data: Buffer };

/**
 * The host part of an address a native call decoded (native/sockaddr_napi.cc AddressToMeta): the IP text
 * or unix path, the abstract name or unknown family's bytes, or null; the rest of the address
 * is in the call's `meta` ArrayBuffer. lib/internal/addrmeta.ts builds the address object from the two.
 * The calls return undefined instead of a string equal to the last one they returned with the
 * same `meta`.
 */
export type NativeHost = string | Buffer | null;

/**
 * The address group every address-taking native call expects: family, host, port, flowinfo,
 * scopeId. AF_PACKET and AF_NETLINK reuse the slots (see native/sockaddr_napi.h).
 */
export type AddrArgs = [number, string | ArrayBufferView | null, number, number, number];

/** A libuv poll handle on one fd, on the calling thread's event loop. native/poll.cc */
export interface NativeWatcher {
  /** uv_poll_init: 0 or -errno (EEXIST when another watcher has the fd). */
  open(fd: number): number;
  /** uv_poll_start with READABLE/WRITABLE/DISCONNECT bits: 0 or -errno. */
  start(events: number): number;
  stop(): void;
  ref(): void;
  unref(): void;
  /** Idempotent; never closes the fd. */
  close(): void;
}

export interface Native {
  constants: Record<string, number>;
  errnoNames: Record<string, string>;

  socket(domain: number, type: number, protocol: number): number;
  socketpair(domain: number, type: number, protocol: number): [number, number] | number;
  bind(fd: number, ...addr: AddrArgs): number;
  listen(fd: number, backlog: number): number;
  /**
   * The new fd goes to meta[0]; see {@link NativeHost}. `ioFlags` MSG_DONTWAIT: the listener is
   * nonblocking, so the call never waits in poll(2) for signals (native/socket.cc).
   */
  accept(
    fd: number,
    flags: number,
    meta: ArrayBuffer,
    ioFlags?: number,
  ): NativeHost | undefined | number;
  connect(fd: number, ...addr: AddrArgs): number;
  connectTimed(
    fd: number,
    family: AddrArgs[0],
    host: AddrArgs[1],
    port: AddrArgs[2],
    flowinfo: AddrArgs[3],
    scopeId: AddrArgs[4],
    timeoutMs: number,
  ): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  getsockname(fd: number): NativeAddress | null | number;
  getpeername(fd: number): NativeAddress | null | number;

  send(fd: number, buffer: ArrayBufferView, flags: number): number;
  /**
   * With `slot` (sentAddressBytes long) the encoded address is also kept there, for
   * sendtoSlot. lib/internal/addrmeta.ts
   */
  sendto(
    fd: number,
    buffer: ArrayBufferView,
    flags: number,
    ...addr: [...AddrArgs, slot?: ArrayBuffer]
  ): number;
  sentAddressBytes: number;
  sentAddressWordsOffset: number;
  /** sendto to the address `slot` holds (a RangeError when it holds none). */
  sendtoSlot(fd: number, buffer: ArrayBufferView, flags: number, slot: ArrayBuffer): number;
  recv(fd: number, buffer: ArrayBufferView, flags: number): number;
  /** The byte count goes to meta[0]; see {@link NativeHost}. */
  recvfrom(
    fd: number,
    buffer: ArrayBufferView,
    flags: number,
    meta: ArrayBuffer,
  ): NativeHost | undefined | number;

  sendmsg(
    fd: number,
    buffers: ArrayBufferView[],
    flags: number,
    control: Record<string, unknown>[] | null,
    ...addr: AddrArgs | [null]
  ): number;
  recvmsg(
    fd: number,
    buffers: ArrayBufferView[],
    controlLength: number,
    flags: number,
  ): { bytes: number; address: NativeAddress | null; control: unknown[]; flags: number } | number;
  sendmmsg(
    fd: number,
    views: readonly ArrayBufferView[],
    iovCounts: Int32Array,
    names: Uint8Array | null,
    state: Int32Array,
    flags: number,
    controls?: readonly (readonly unknown[] | null)[],
  ): number;
  /** With `controlLengths`: the received messages' control lists (native/mmsg.cc), or -errno. */
  recvmmsg(
    fd: number,
    views: readonly ArrayBufferView[],
    iovCounts: Int32Array,
    names: Uint8Array | null,
    state: Int32Array,
    flags: number,
    timeoutMs: number,
    controlLengths?: Int32Array,
  ): number | unknown[][];
  /** sendmmsg with the views given as one ArrayBuffer and [byteOffset, byteLength] per view. */
  sendmmsgSlab(
    fd: number,
    slab: ArrayBuffer,
    layout: Float64Array,
    iovCounts: Int32Array,
    names: Uint8Array | null,
    state: Int32Array,
    flags: number,
    controls?: readonly (readonly unknown[] | null)[],
  ): number;
  /** recvmmsg with the views given as one ArrayBuffer and [byteOffset, byteLength] per view. */
  recvmmsgSlab(
    fd: number,
    slab: ArrayBuffer,
    layout: Float64Array,
    iovCounts: Int32Array,
    names: Uint8Array | null,
    state: Int32Array,
    flags: number,
    timeoutMs: number,
    controlLengths?: Int32Array,
  ): number | unknown[][];
  encodeAddress(names: Uint8Array, offset: number, ...addr: AddrArgs): number;
  decodeAddress(names: Uint8Array, offset: number, length: number): NativeAddress | null;
  cmsgSpace(length: number): number;
  cmsgLen(length: number): number;
  /** The control-message decoder on arbitrary bytes, for tests; fds in it are just numbers. */
  decodeControl(bytes: ArrayBufferView): unknown[];
  sizeofSockaddrStorage: number;

  /** The value, or -errno - 2^32 (see checkInt). */
  getsockoptInt(fd: number, level: number, name: number): number;
  setsockoptInt(fd: number, level: number, name: number, value: number): number;
  getsockoptBytes(fd: number, level: number, name: number, length: number): Buffer | number;
  setsockoptBytes(fd: number, level: number, name: number, value: ArrayBufferView): number;

  getsockoptTimeval(fd: number, level: number, name: number): number;
  setsockoptTimeval(fd: number, level: number, name: number, ms: number): number;
  getLinger(fd: number): number | null;
  setLinger(fd: number, on: 0 | 1, seconds: number): number;
  getPeerCred(fd: number): { pid: number; uid: number; gid: number } | number;
  setMembership4(fd: number, name: number, group: string, iface: string, ifindex: number): number;
  setMembership6(fd: number, name: number, group: string, ifindex: number): number;
  getMulticastIf4(fd: number): string | number;
  setMulticastIf4(fd: number, iface: string, ifindex: number): number;
  getsockoptName(fd: number, level: number, name: number): string | number;
  setsockoptName(fd: number, level: number, name: number, value: string): number;
  getTcpInfo(fd: number): Record<string, number> | number;
  setSourceMembership4(
    fd: number,
    name: number,
    group: string,
    iface: string,
    source: string,
  ): number;
  setGroupSourceReq(
    fd: number,
    level: number,
    name: number,
    v6: 0 | 1,
    group: string,
    source: string,
    ifindex: number,
  ): number;
  /** The address (an inet or inet6 one for the options that use it), or -errno. */
  getsockoptAddress(fd: number, level: number, name: number): unknown;
  getsockoptUint64(fd: number, level: number, name: number): bigint | number;

  fcntlGetfl(fd: number): number;
  fcntlSetfl(fd: number, flags: number): number;
  fcntlGetfd(fd: number): number;
  fcntlSetfd(fd: number, flags: number): number;
  dup(fd: number): number;
  poll(fds: Int32Array, timeout: number): number;
  ioctlInt(fd: number, request: number): number;
  ioctlBuffer(fd: number, request: number, buffer: ArrayBufferView): number;
  ioctlArgSize(request: number): number;
  pidfdOpen(pid: number): number;
  pidfdGetfd(pidfd: number, fd: number): number;
  /** Bytes sent or -errno; offset -1 reads from the file position. */
  sendfile(outFd: number, inFd: number, offset: number, count: number): number;
  unshare(flags: number): number;
  setns(fd: number, nstype: number): number;
  ifNameToIndex(name: string): number;
  /** native/epoll.cc: fd, 0 or the ready count; -errno. `events` is the u32 mask as an int32. */
  epoll_create1(flags: number): number;
  epoll_ctl(epfd: number, op: number, fd: number, events: number, data: number): number;
  /** native/bpf.cc: setsockopt of a checked classic BPF program; optname SO_ATTACH_FILTER or
   * SO_ATTACH_REUSEPORT_CBPF. 0 or -errno. */
  attachFilter(fd: number, optname: number, program: readonly unknown[]): number;
  /** Event i goes to out[2i] (its mask) and out[2i + 1] (its data). */
  epoll_wait(epfd: number, out: Float64Array, maxEvents: number, timeoutMs: number): number;
  ifIndexToName(index: number): string | number;

  /** The kinds of address AddressToMeta writes to meta[1]. */
  addressKinds: Record<
    | 'INET'
    | 'INET6'
    | 'UNIX_PATH'
    | 'UNIX_ABSTRACT'
    | 'UNIX_UNNAMED'
    | 'PACKET'
    | 'NETLINK'
    | 'OTHER'
    | 'NONE',
    number
  >;
  /** How many doubles the `meta` ArrayBuffer of the address-returning calls starts with. */
  addressMetaLength: number;
  /** The byte length `meta` must have. */
  addressMetaBytes: number;
  /** Where in `meta` the last host's kind and generation (int32s) are. */
  addressMetaHostOffset: number;
  /** The last host string returned with `meta`, made again from its text, or null. */
  addressHost(meta: ArrayBuffer): NativeHost;

  /**
   * Registers a layer's hook into readiness callbacks: poll.cc sets words[0] while it runs one,
   * then calls `after` if words[1] is not 0. lib/socket/poll.ts coalesces ref/unref with it.
   */
  watcherControl(words: ArrayBuffer, after: () => void): void;

  /**
   * Adds `fd` to the fds this environment's teardown closes (a worker ending or terminated):
   * those a socket object owns. native/owners.cc
   */
  ownFd(fd: number): void;
  /** Takes `fd` out of them, for a detach; close() through the addon does that itself. */
  disownFd(fd: number): void;

  /**
   * Starts a thread forwarding packets between two TUN fds, which it owns from then on; each
   * direction impaired by its 11 numbers of `params` (lib/tools/lab/userspace.ts). Returns the
   * link's id or -errno. native/link.cc
   */
  linkStart(fdA: number, fdB: number, params: Float64Array): number;
  /** New impairments for a running link: 0 or -ENOENT. */
  linkConfigure(id: number, params: Float64Array): number;
  /** Each direction's 11 counters into `out`: 0 or -ENOENT. */
  linkStats(id: number, out: Float64Array): number;
  /** Ends the link's thread and closes its fds: 0 or -ENOENT. */
  linkStop(id: number): number;

  /** How many signal listeners JavaScript on this thread has (lib/internal/signals.ts). */
  signalListeners(count: number): void;

  Watcher: new (callback: (status: number, events: number) => void) => NativeWatcher;
  watcherEvents: { READABLE: number; WRITABLE: number; DISCONNECT: number; PRIORITIZED: number };
}

// Copied into a plain object: the addon's exports object, its properties added one by one from
// C++, is in V8's dictionary mode, so every `native.send` would be a hash lookup; the copy has
// fast properties that optimized code loads directly.
export const native: Native = { ...load() };

function load(): Native {
  try {
    return bindings('sockfd') as Native;
  } catch (e) {
    // Only "not found" carries `tries`; an addon that is there but fails to load says why itself.
    if (e instanceof Error && 'tries' in e) throw missingAddonError(join(__dirname, '..', '..'), e);
    throw e;
  }
}

trackSignalListeners((count) => native.signalListeners(count));
