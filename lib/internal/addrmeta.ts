// Addresses in the compact forms the native calls exchange: what recvfrom and accept decode (the
// host value they return and the numbers they write to a scratch buffer), and the slot where
// sendto keeps the last address it encoded. Internal: not re-exported from the package root.
import type { Address } from '../sys/address.js';
import { type AddrArgs, type NativeHost, native } from '../sys/native.js';

/**
 * Where those calls write (native/sockaddr_napi.cc AddressToMeta): doubles [0] the call's own result
 * (bytes, or the new fd), [1] the kind, [2] the port, [3] flowinfo, [4] the scope id,
 * [5] sa_family, [6] a packet address's pkttype (a packet address puts its protocol in [2], ifindex
 * in [3] and hatype in [4]; a netlink one its pid in [3] and groups in [4]); then the text of the last host string they returned with this buffer, which
 * lets them answer `undefined` for "the same host again" instead of a new string. One per thread
 * (each worker loads its own copy of this module); read it right after the call, before any
 * other native call can reuse it. The native side takes the ArrayBuffer.
 */
export const addressMetaBuffer = new ArrayBuffer(native.addressMetaBytes);
export const addressMeta = new Float64Array(addressMetaBuffer, 0, native.addressMetaLength);
// [0] the kind of the cached host text (-1: none), [1] its generation.
const hostWords = new Int32Array(addressMetaBuffer, native.addressMetaHostOffset, 2);
hostWords[0] = -1;

// The last host string a call returned with addressMetaBuffer, and the generation it had.
let lastHost: NativeHost = null;
let lastGeneration = -1;

/**
 * The host a native call returned, with `undefined` ("the same host as last time") replaced by
 * that string. A string this module did not keep (its generation differs) is made again.
 */
function hostOf(r: NativeHost | undefined): NativeHost {
  if (r === undefined) {
    if (lastGeneration === hostWords[1]) return lastHost;
    r = native.addressHost(addressMetaBuffer);
  }
  if (typeof r === 'string') {
    lastHost = r;
    lastGeneration = hostWords[1]!;
  }
  return r;
}

const K = native.addressKinds;

/**
 * The address a native call decoded into {@link addressMeta} and returned the host of (`r`, not
 * a number), as a new object. Call it right after the native call.
 */
export function addressFromMeta(
  r: NativeHost | undefined,
  meta: Float64Array = addressMeta,
): Address | null {
  const host = hostOf(r);
  switch (meta[1]) {
    case K.INET:
      return { family: 'inet', address: host as string, port: meta[2]! };
    case K.INET6:
      return {
        family: 'inet6',
        address: host as string,
        port: meta[2]!,
        flowinfo: meta[3]!,
        scopeId: meta[4]!,
      };
    case K.UNIX_PATH:
      // A Buffer host is a path that is not valid UTF-8 (native/sockaddr_napi.h).
      return typeof host === 'string'
        ? { family: 'unix', path: host }
        : { family: 'unix', path: (host as Buffer).toString(), pathBytes: host as Buffer };
    case K.UNIX_ABSTRACT:
      return { family: 'unix', abstract: host as Buffer };
    case K.UNIX_UNNAMED:
      return { family: 'unix' };
    case K.PACKET:
      return {
        family: 'packet',
        ifindex: meta[3]!,
        protocol: meta[2]!,
        hatype: meta[4]!,
        pkttype: meta[6]!,
        hwaddr: host as Buffer,
      };
    case K.NETLINK:
      return { family: 'netlink', pid: meta[3]!, groups: meta[4]! };
    case K.OTHER:
      return { family: 'other', saFamily: meta[5]!, data: host as Buffer };
    default:
      return null;
  }
}

/**
 * Like {@link addressFromMeta}, but writes an IP address into `into` when it is one of the same
 * family, so a receive loop that passes its previous result allocates nothing.
 */
export function addressIntoMeta(
  into: Address | null,
  r: NativeHost | undefined,
  meta: Float64Array = addressMeta,
): Address | null {
  const host = hostOf(r);
  const kind = meta[1];
  if (into !== null && typeof into === 'object') {
    if (kind === K.INET && into.family === 'inet') {
      into.address = host as string;
      into.port = meta[2]!;
      return into;
    }
    if (kind === K.INET6 && into.family === 'inet6') {
      into.address = host as string;
      into.port = meta[2]!;
      into.flowinfo = meta[3]!;
      into.scopeId = meta[4]!;
      return into;
    }
  }
  return addressFromMeta(host, meta);
}

// The sockaddr the last sendto through sendtoArgs encoded (native/io.cc SentAddress), with the
// address group it came from: sending to that address again passes only a marker.
const sentAddressBuffer = new ArrayBuffer(native.sentAddressBytes);
// [0] the sockaddr's length, [1] the generation: how many addresses were encoded into it.
const sentWords = new Int32Array(sentAddressBuffer, native.sentAddressWordsOffset, 2);
let sentArgs: AddrArgs | null = null;
let sentGeneration = -1;

/**
 * sendto(2) through the native call, to the address `args` (from addrArgs, whose cache hands
 * back the same array for the same address): the second and later sends to one address skip
 * reading and parsing it. Returns bytes or -errno like native.sendto.
 */
export function sendtoArgs(
  fd: number,
  buffer: ArrayBufferView,
  flags: number,
  args: AddrArgs,
): number {
  if (args === sentArgs && sentWords[1] === sentGeneration) {
    return native.sendtoSlot(fd, buffer, flags, sentAddressBuffer);
  }
  // Listed, not spread: a spread call takes V8's slow path into C++.
  const r = native.sendto(
    fd,
    buffer,
    flags,
    args[0],
    args[1],
    args[2],
    args[3],
    args[4],
    sentAddressBuffer,
  );
  // Only reached when the address was encoded (it throws otherwise), into the slot.
  sentArgs = args;
  sentGeneration = sentWords[1]!;
  return r;
}
