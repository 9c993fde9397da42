// The addresses the address-returning native calls (recvfrom, accept) decode: the host value
// they return, and the numbers they write to a per-thread scratch array. Internal: not
// re-exported from the package root.
import type { Address } from './address.js';
import { type NativeHost, native } from './native.js';

/**
 * Where those calls write: [0] the call's own result (bytes, or the new fd), [1] the kind,
 * [2] the port, [3] flowinfo, [4] the scope id, [5] sa_family. native/args.cc AddressToMeta.
 * One per thread (each worker loads its own copy of this module); read it right after the call,
 * before any other native call can reuse it. The native side takes the ArrayBuffer.
 */
export const addressMeta = new Float64Array(native.addressMetaLength);
export const addressMetaBuffer = addressMeta.buffer;

const K = native.addressKinds;

/** The address a native call decoded into {@link addressMeta} and `host`, as a new object. */
export function addressFromMeta(
  host: NativeHost,
  meta: Float64Array = addressMeta,
): Address | null {
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
      return { family: 'unix', path: host as string };
    case K.UNIX_ABSTRACT:
      return { family: 'unix', abstract: host as Buffer };
    case K.UNIX_UNNAMED:
      return { family: 'unix' };
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
  host: NativeHost,
  meta: Float64Array = addressMeta,
): Address | null {
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
