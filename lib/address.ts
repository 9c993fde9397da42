// Socket address types and their validation. The layouts of struct sockaddr_* live in
// native/sockaddr.cc; this file only checks what the caller wrote and flattens it.
import { isIPv4, isIPv6 } from 'node:net';

import {
  type ErrorTarget,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  validateInt,
} from './errors.js';
import { type AddrArgs, native } from './native.js';

/** An IPv4 address and port: struct sockaddr_in. ip(7) */
export interface InetAddress {
  family: 'inet';
  address: string;
  port: number;
}

/**
 * An IPv6 address and port: struct sockaddr_in6. ipv6(7)
 * `scopeId` picks the interface for link-local addresses; `address` may also carry it as
 * `fe80::1%lo` (an interface name or number).
 */
export interface Inet6Address {
  family: 'inet6';
  address: string;
  port: number;
  flowinfo?: number;
  scopeId?: number;
}

/** A unix socket bound to a filesystem path: struct sockaddr_un. unix(7) */
export interface UnixPathAddress {
  family: 'unix';
  path: string;
  abstract?: undefined;
}

/**
 * A Linux abstract unix socket name: the bytes after sun_path's leading NUL, embedded NULs
 * kept; the name's length is exactly the address length. A string is taken as UTF-8. unix(7)
 */
export interface UnixAbstractAddress {
  family: 'unix';
  abstract: Uint8Array | string;
  path?: undefined;
}

/** An unnamed unix socket (a socketpair end, or an unbound one); binding it autobinds. unix(7) */
export interface UnixUnnamedAddress {
  family: 'unix';
  path?: undefined;
  abstract?: undefined;
}

export type UnixAddress = UnixPathAddress | UnixAbstractAddress | UnixUnnamedAddress;

/** An address the caller can pass to bind, connect or sendto. */
export type SocketAddress = InetAddress | Inet6Address | UnixAddress;

/** An address of a family this version does not decode, as the kernel returned it. */
export interface OtherAddress {
  family: 'other';
  /** sa_family, e.g. AF_PACKET */
  saFamily: number;
  /** The bytes after sa_family, as long as the kernel's address length says. */
  data: Buffer;
}

/** An address the kernel returned (getsockname, getpeername, accept, recvfrom). */
export type Address =
  | InetAddress
  | Required<Inet6Address>
  | UnixPathAddress
  | UnixUnnamedAddress
  | { family: 'unix'; abstract: Buffer; path?: undefined }
  | OtherAddress;

const { AF_INET, AF_INET6, AF_UNIX } = native.constants as Record<
  'AF_INET' | 'AF_INET6' | 'AF_UNIX',
  number
>;

// sizeof(sockaddr_un.sun_path) on Linux; the encoder in C++ checks against the real size too.
const SUN_PATH_MAX = 108;
const UINT32_MAX = 0xffffffff;

// `name` is the address argument's name; the field's is added only when there is an error to
// report, so a valid address costs no string building.
function validatePort(port: unknown, name: string): asserts port is number {
  if (typeof port !== 'number') throw invalidArgType(`${name}.port`, 'of type number', port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw Object.assign(
      new RangeError(`${name}.port should be >= 0 and < 65536. Received ${String(port)}.`),
      {
        code: 'ERR_SOCKET_BAD_PORT',
      },
    );
  }
}

function scopeFromText(text: string, name: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const r = native.ifNameToIndex(text);
  if (r < 0) throw invalidArgValue(name, text, 'names no network interface');
  return r;
}

// The last IP address flattened, by its fields' values, and the result: a loop that sends to
// the same peer (the usual case) skips the parsing. Addresses with an interface name in them
// are not kept, so a renamed interface is looked up again.
let lastFamily: unknown;
let lastHost: unknown;
let lastPort: unknown;
let lastFlowinfo: unknown;
let lastScopeId: unknown;
let lastArgs: AddrArgs | null = null;

/**
 * Checks `address` and flattens it into the group the native calls take. The result may be
 * shared with other calls: do not change it.
 */
export function addrArgs(address: unknown, name = 'address'): AddrArgs {
  if (typeof address !== 'object' || address === null) {
    throw invalidArgType(name, 'an address object', address);
  }
  const a = address as Record<string, unknown>;
  if (
    lastArgs !== null &&
    a.address === lastHost &&
    a.port === lastPort &&
    a.family === lastFamily &&
    a.flowinfo === lastFlowinfo &&
    a.scopeId === lastScopeId
  ) {
    return lastArgs;
  }
  const args = flatten(a, name);
  if (args[0] !== AF_UNIX && !(a.address as string).includes('%')) {
    lastFamily = a.family;
    lastHost = a.address;
    lastPort = a.port;
    lastFlowinfo = a.flowinfo;
    lastScopeId = a.scopeId;
    lastArgs = args;
  }
  return args;
}

function flatten(a: Record<string, unknown>, name: string): AddrArgs {
  const address = a;
  switch (a.family) {
    case 'inet': {
      if (typeof a.address !== 'string')
        throw invalidArgType(`${name}.address`, 'of type string', a.address);
      if (!isIPv4(a.address))
        throw invalidArgValue(`${name}.address`, a.address, 'is not an IPv4 address');
      validatePort(a.port, name);
      return [AF_INET, a.address, a.port, 0, 0];
    }
    case 'inet6': {
      if (typeof a.address !== 'string')
        throw invalidArgType(`${name}.address`, 'of type string', a.address);
      let text = a.address;
      let scope = 0;
      const pct = text.indexOf('%');
      if (pct >= 0) {
        scope = scopeFromText(text.slice(pct + 1), `${name}.address`);
        text = text.slice(0, pct);
      }
      if (!isIPv6(text))
        throw invalidArgValue(`${name}.address`, a.address, 'is not an IPv6 address');
      validatePort(a.port, name);
      const flowinfo = a.flowinfo ?? 0;
      validateInt(flowinfo, `${name}.flowinfo`, 0, UINT32_MAX);
      if (a.scopeId !== undefined) {
        validateInt(a.scopeId, `${name}.scopeId`, 0, UINT32_MAX);
        scope = a.scopeId;
      }
      // The native side reads C ints; `| 0` keeps the same 32 bits.
      return [AF_INET6, text, a.port, flowinfo | 0, scope | 0];
    }
    case 'unix': {
      if (a.path !== undefined && a.abstract !== undefined) {
        throw invalidArgValue(name, address, 'must have either path or abstract, not both');
      }
      if (a.path !== undefined) {
        if (typeof a.path !== 'string')
          throw invalidArgType(`${name}.path`, 'of type string', a.path);
        if (a.path.length === 0) throw invalidArgValue(`${name}.path`, a.path, 'must not be empty');
        if (a.path.includes('\0'))
          throw invalidArgValue(`${name}.path`, a.path, 'must not contain NUL bytes');
        const bytes = Buffer.byteLength(a.path);
        if (bytes >= SUN_PATH_MAX) {
          throw outOfRange(
            `${name}.path`,
            `at most ${SUN_PATH_MAX - 1} bytes long (sun_path)`,
            `${bytes} bytes`,
          );
        }
        return [AF_UNIX, a.path, 0, 0, 0];
      }
      if (a.abstract !== undefined) {
        let bytes: Uint8Array;
        if (typeof a.abstract === 'string') bytes = Buffer.from(a.abstract);
        else if (a.abstract instanceof Uint8Array) bytes = a.abstract;
        else throw invalidArgType(`${name}.abstract`, 'a Uint8Array or a string', a.abstract);
        if (bytes.byteLength >= SUN_PATH_MAX) {
          throw outOfRange(
            `${name}.abstract`,
            `at most ${SUN_PATH_MAX - 1} bytes long (sun_path)`,
            `${bytes.byteLength} bytes`,
          );
        }
        return [AF_UNIX, bytes, 0, 0, 0];
      }
      return [AF_UNIX, null, 0, 0, 0];
    }
    default:
      throw invalidArgValue(`${name}.family`, a.family, "must be 'inet', 'inet6' or 'unix'");
  }
}

/** What an error message says about an address the call was aimed at. */
export function errorTarget(address: SocketAddress): ErrorTarget {
  if (address.family === 'unix') {
    if (address.path !== undefined) return { path: address.path };
    if (address.abstract !== undefined) {
      const name =
        typeof address.abstract === 'string'
          ? address.abstract
          : Buffer.from(address.abstract).toString();
      return { path: `@${name}` };
    }
    return {};
  }
  return { address: address.address, port: address.port };
}

/** Formats an address the way `ss` prints it: 127.0.0.1:80, [::1]:80, /tmp/s, @name. */
export function formatAddress(address: Address | SocketAddress | null): string {
  if (address === null) return '*';
  switch (address.family) {
    case 'inet':
      return `${address.address}:${address.port}`;
    case 'inet6':
      return `[${address.address}]:${address.port}`;
    case 'unix':
      if (address.path !== undefined) return address.path;
      if (address.abstract !== undefined) {
        const bytes =
          typeof address.abstract === 'string'
            ? Buffer.from(address.abstract)
            : Buffer.from(address.abstract);
        return `@${bytes.toString('latin1').replace(/\0/g, '@')}`;
      }
      return '(unnamed)';
    default:
      return `family ${address.saFamily}`;
  }
}
