// Socket address types and their validation. The layouts of struct sockaddr_* live in
// native/sockaddr.cc; this file only checks what the caller wrote and flattens it.
import { isIPv4, isIPv6 } from 'node:net';

import {
  type ErrorTarget,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  validateInt,
} from '../internal/errors.js';
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

/**
 * A unix socket bound to a filesystem path: struct sockaddr_un. unix(7)
 * A path is bytes to the kernel: give it as a string (its UTF-8 bytes) or as the bytes
 * themselves, any but NUL. An address the kernel returns always has `path` as a string, and
 * also `pathBytes`, the exact bytes, when they are not valid UTF-8 (the string then has U+FFFD
 * in their place). When `pathBytes` is given it is the name and `path` is not read, so a
 * returned address passed back to bind or connect names the same file.
 */
export interface UnixPathAddress {
  family: 'unix';
  path: string | Uint8Array;
  /** The path's exact bytes; set on a returned address only when they are not valid UTF-8. */
  pathBytes?: Uint8Array;
  abstract?: undefined;
}

/** A unix pathname address as the kernel returned it (getsockname, recvfrom, accept). unix(7) */
export interface UnixPathAddressReceived {
  family: 'unix';
  path: string;
  /** The path's exact bytes, present only when they are not valid UTF-8. */
  pathBytes?: Buffer;
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

/**
 * A link-layer address: struct sockaddr_ll, for AF_PACKET sockets. packet(7)
 * To bind, give `protocol` and `ifindex` (0 for every interface); to send on a SOCK_DGRAM
 * packet socket, also the destination `hwaddr`. Every field but `family` defaults to 0 (empty).
 */
export interface PacketAddress {
  family: 'packet';
  /** sll_protocol: the EtherType in host byte order (ETH_P_ALL, ETH_P_IP, …). */
  protocol?: number;
  /** sll_ifindex: the interface ({@link if_nametoindex}); 0 matches any. */
  ifindex?: number;
  /** sll_hatype: the ARPHRD_* hardware type (the kernel fills it in on receive). */
  hatype?: number;
  /** sll_pkttype: PACKET_HOST, PACKET_BROADCAST, PACKET_OUTGOING, … (filled in on receive). */
  pkttype?: number;
  /** sll_addr/sll_halen: the hardware address, as bytes or as 'aa:bb:cc:dd:ee:ff'. */
  hwaddr?: Uint8Array | string;
}

/** A link-layer address as the kernel returned it (getsockname, recvfrom). packet(7) */
export interface PacketAddressReceived {
  family: 'packet';
  protocol: number;
  ifindex: number;
  hatype: number;
  pkttype: number;
  /** As long as sll_halen says (6 for Ethernet and for lo's all-zero address). */
  hwaddr: Buffer;
}

/**
 * A netlink address: struct sockaddr_nl. netlink(7)
 * `pid` 0 asks the kernel to assign a port id on bind (and names the kernel as a destination);
 * `groups` is the bit mask of multicast groups to join on bind.
 */
export interface NetlinkAddress {
  family: 'netlink';
  pid?: number;
  groups?: number;
}

/**
 * An IP address as Node writes it: `server.address()`, `socket.address()` (net.AddressInfo).
 * Taken wherever an IP address is, as the inet or inet6 address it names; `family` is 'IPv4'
 * or 'IPv6' (4 or 6 before Node 18.4), typed `string` as @types/node types it.
 */
export interface NodeAddressInfo {
  address: string;
  family: string | number;
  port: number;
}

/** An IP or unix address: what the typed socket classes take, and bind, connect and sendto. */
export type SocketAddress = InetAddress | Inet6Address | UnixAddress;

/**
 * Any address the syscall layer can pass to bind, connect, sendto, sendmsg and sendmmsg:
 * {@link SocketAddress} plus the link-layer and netlink families.
 */
export type AnySocketAddress = SocketAddress | PacketAddress | NetlinkAddress;

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
  | UnixPathAddressReceived
  | UnixUnnamedAddress
  | { family: 'unix'; abstract: Buffer; path?: undefined }
  | PacketAddressReceived
  | Required<NetlinkAddress>
  | OtherAddress;

const { AF_INET, AF_INET6, AF_UNIX, AF_PACKET, AF_NETLINK } = native.constants as Record<
  'AF_INET' | 'AF_INET6' | 'AF_UNIX' | 'AF_PACKET' | 'AF_NETLINK',
  number
>;

// sizeof(sockaddr_un.sun_path) on Linux; the encoder in C++ checks against the real size too.
const SUN_PATH_MAX = 108;
// sizeof(sockaddr_ll.sll_addr); the encoder in C++ checks against the real size too.
const SLL_ADDR_MAX = 8;
const UINT32_MAX = 0xffffffff;
const INT32_MAX = 0x7fffffff;

/** Parses a hardware address given as bytes or as colon-separated hex ('00:11:22:aa:bb:cc'). */
function hwaddrBytes(value: unknown, name: string): Uint8Array {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === 'string') {
    if (value !== '' && !/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2})*$/.test(value)) {
      throw invalidArgValue(name, value, "must be hex bytes separated by ':'");
    }
    bytes = Buffer.from(value === '' ? [] : value.split(':').map((h) => parseInt(h, 16)));
  } else throw invalidArgType(name, 'a Uint8Array or a string', value);
  if (bytes.byteLength > SLL_ADDR_MAX) {
    throw outOfRange(
      name,
      `at most ${SLL_ADDR_MAX} bytes long (sll_addr)`,
      `${bytes.byteLength} bytes`,
    );
  }
  return bytes;
}

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
 * @internal
 */
export function addrArgs(address: unknown, name = 'address'): AddrArgs {
  if (typeof address !== 'object' || address === null) {
    throw invalidArgType(name, 'an address object', address);
  }
  // Each field is read once: a getter cannot pass the checks with one value and reach the
  // syscall with another.
  const a = address as Record<string, unknown>;
  const family = a.family;
  // sockfd's own names tested first: they are what a packet loop passes.
  const ip = family === 'inet' || family === 'inet6' ? family : ipFamily(family);
  if (ip !== undefined) {
    const { address: host, port, flowinfo, scopeId } = a;
    if (
      lastArgs !== null &&
      host === lastHost &&
      port === lastPort &&
      family === lastFamily &&
      flowinfo === lastFlowinfo &&
      scopeId === lastScopeId
    ) {
      return lastArgs;
    }
    const args = flattenIp(ip, host, port, flowinfo, scopeId, name);
    if (!(host as string).includes('%')) {
      lastFamily = family;
      lastHost = host;
      lastPort = port;
      lastFlowinfo = flowinfo;
      lastScopeId = scopeId;
      lastArgs = args;
    }
    return args;
  }
  return flatten(a, family, address, name);
}

function flattenIp(
  family: 'inet' | 'inet6',
  host: unknown,
  port: unknown,
  flowinfo: unknown,
  scopeId: unknown,
  name: string,
): AddrArgs {
  if (family === 'inet') {
    if (typeof host !== 'string') throw invalidArgType(`${name}.address`, 'of type string', host);
    if (!isIPv4(host)) throw invalidArgValue(`${name}.address`, host, 'is not an IPv4 address');
    validatePort(port, name);
    return [AF_INET, host, port, 0, 0];
  }
  if (typeof host !== 'string') throw invalidArgType(`${name}.address`, 'of type string', host);
  let text = host;
  let scope = 0;
  const pct = text.indexOf('%');
  if (pct >= 0) {
    scope = scopeFromText(text.slice(pct + 1), `${name}.address`);
    text = text.slice(0, pct);
  }
  if (!isIPv6(text)) throw invalidArgValue(`${name}.address`, host, 'is not an IPv6 address');
  validatePort(port, name);
  const flow = flowinfo ?? 0;
  validateInt(flow, `${name}.flowinfo`, 0, UINT32_MAX);
  if (scopeId !== undefined) {
    validateInt(scopeId, `${name}.scopeId`, 0, UINT32_MAX);
    scope = scopeId;
  }
  // The native side reads C ints; `| 0` keeps the same 32 bits.
  return [AF_INET6, text, port, flow | 0, scope | 0];
}

// The native group's port slot for a unix address whose host view is a pathname's bytes, not
// an abstract name (native/sockaddr_napi.h kUnixPathBytes).
const UNIX_PATH_BYTES = 1;

function unixPathBytes(path: unknown, name: string): AddrArgs {
  if (!(path instanceof Uint8Array)) throw invalidArgType(name, 'a string or a Uint8Array', path);
  if (path.byteLength === 0) throw invalidArgValue(name, path, 'must not be empty');
  if (path.includes(0)) throw invalidArgValue(name, path, 'must not contain NUL bytes');
  if (path.byteLength >= SUN_PATH_MAX) {
    throw outOfRange(
      name,
      `at most ${SUN_PATH_MAX - 1} bytes long (sun_path)`,
      `${path.byteLength} bytes`,
    );
  }
  return [AF_UNIX, path, UNIX_PATH_BYTES, 0, 0];
}

function flatten(
  a: Record<string, unknown>,
  family: unknown,
  address: unknown,
  name: string,
): AddrArgs {
  switch (family) {
    case 'unix': {
      const { path, pathBytes, abstract } = a;
      if ((path !== undefined || pathBytes !== undefined) && abstract !== undefined) {
        throw invalidArgValue(name, address, 'must have either path or abstract, not both');
      }
      if (pathBytes !== undefined) return unixPathBytes(pathBytes, `${name}.pathBytes`);
      if (path !== undefined) {
        if (typeof path !== 'string') return unixPathBytes(path, `${name}.path`);
        if (path.length === 0) throw invalidArgValue(`${name}.path`, path, 'must not be empty');
        if (path.includes('\0')) {
          throw invalidArgValue(`${name}.path`, path, 'must not contain NUL bytes');
        }
        const bytes = Buffer.byteLength(path);
        if (bytes >= SUN_PATH_MAX) {
          throw outOfRange(
            `${name}.path`,
            `at most ${SUN_PATH_MAX - 1} bytes long (sun_path)`,
            `${bytes} bytes`,
          );
        }
        return [AF_UNIX, path, 0, 0, 0];
      }
      if (abstract !== undefined) {
        let bytes: Uint8Array;
        if (typeof abstract === 'string') bytes = Buffer.from(abstract);
        else if (abstract instanceof Uint8Array) bytes = abstract;
        else throw invalidArgType(`${name}.abstract`, 'a Uint8Array or a string', abstract);
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
    case 'packet': {
      const { protocol = 0, ifindex = 0, hatype = 0, pkttype = 0, hwaddr } = a;
      validateInt(protocol, `${name}.protocol`, 0, 0xffff);
      validateInt(ifindex, `${name}.ifindex`, 0, INT32_MAX);
      validateInt(hatype, `${name}.hatype`, 0, 0xffff);
      validateInt(pkttype, `${name}.pkttype`, 0, 0xff);
      const hw = hwaddr === undefined ? null : hwaddrBytes(hwaddr, `${name}.hwaddr`);
      // The native group's slots: (family, hwaddr, protocol, ifindex, hatype << 8 | pkttype).
      return [AF_PACKET, hw, protocol, ifindex, (hatype << 8) | pkttype];
    }
    case 'netlink': {
      const { pid = 0, groups = 0 } = a;
      validateInt(pid, `${name}.pid`, 0, UINT32_MAX);
      validateInt(groups, `${name}.groups`, 0, UINT32_MAX);
      // The native group's slots: (family, null, 0, pid, groups), as C ints.
      return [AF_NETLINK, null, 0, pid | 0, groups | 0];
    }
    default:
      throw invalidArgValue(
        `${name}.family`,
        family,
        "must be 'inet', 'inet6', 'unix', 'packet' or 'netlink' (or Node's 'IPv4', 'IPv6'), as in { family: 'inet', address: '127.0.0.1', port: 8080 }",
      );
  }
}

/**
 * 'inet' or 'inet6' for an IP family in sockfd's words or Node's ('IPv4'/'IPv6', 4/6 before
 * Node 18.4), undefined for any other.
 * @internal
 */
export function ipFamily(family: unknown): 'inet' | 'inet6' | undefined {
  if (family === 'inet' || family === 'IPv4' || family === 4) return 'inet';
  if (family === 'inet6' || family === 'IPv6' || family === 6) return 'inet6';
  return undefined;
}

/**
 * What an error message says about an address the call was aimed at. It reads the caller's
 * object again, after the call, so it checks each field's type and never throws: a getter that
 * now answers differently, or throws, leaves that field out of the message instead of turning
 * the call's SocketError into a TypeError.
 * @internal
 */
export function errorTarget(address: unknown): ErrorTarget {
  if (typeof address !== 'object' || address === null) return {};
  const a = address as Record<string, unknown>;
  try {
    const family = a.family;
    // A link-layer or netlink address has no host or path for the message to name.
    if (family === 'unix') {
      const { path, pathBytes, abstract } = a;
      if (pathBytes instanceof Uint8Array) return { path: Buffer.from(pathBytes).toString() };
      if (typeof path === 'string') return { path };
      if (path instanceof Uint8Array) return { path: Buffer.from(path).toString() };
      if (typeof abstract === 'string') return { path: `@${abstract}` };
      // A copy, not a view: a getter may have detached the name's buffer since the checks.
      if (abstract instanceof Uint8Array) return { path: `@${Buffer.from(abstract).toString()}` };
      return {};
    }
    if (ipFamily(family) !== undefined) {
      const { address: host, port } = a;
      const target: ErrorTarget = {};
      if (typeof host === 'string') target.address = host;
      if (typeof port === 'number') target.port = port;
      return target;
    }
  } catch {
    // A getter threw: the message goes without the address.
  }
  return {};
}

function hex(bytes: Uint8Array | string | undefined): string {
  if (bytes === undefined) return '';
  if (typeof bytes === 'string') return bytes.toLowerCase();
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * Formats an address the way `ss` prints it: 127.0.0.1:80, [::1]:80, /tmp/s, @name; a link-layer
 * address as `packet:<ifindex>:0x<protocol>[ hwaddr]`, a netlink one as `netlink:<pid>`. Reads
 * each field once and checks its type, so any value gives a string or a TypeError with a code.
 */
export function formatAddress(address: Address | AnySocketAddress | null): string {
  if (address === null) return '*';
  if (typeof address !== 'object') {
    throw invalidArgType('address', 'an address object or null', address);
  }
  const a = address as Record<string, unknown>;
  const family = a.family;
  const int = (value: unknown, field: string, max: number): number => {
    if (value === undefined) return 0;
    validateInt(value, `address.${field}`, 0, max);
    return value;
  };
  switch (family) {
    case 'inet':
    case 'inet6': {
      const { address: host, port } = a;
      if (typeof host !== 'string') throw invalidArgType('address.address', 'of type string', host);
      if (typeof port !== 'number') throw invalidArgType('address.port', 'of type number', port);
      return family === 'inet' ? `${host}:${port}` : `[${host}]:${port}`;
    }
    case 'unix': {
      const { path, abstract } = a;
      if (path !== undefined) {
        if (typeof path === 'string') return path;
        // Bytes print as UTF-8, U+FFFD where they are not.
        if (path instanceof Uint8Array) return Buffer.from(path).toString();
        throw invalidArgType('address.path', 'a string or a Uint8Array', path);
      }
      if (abstract === undefined) return '(unnamed)';
      let bytes: Buffer;
      if (typeof abstract === 'string') bytes = Buffer.from(abstract);
      // A detached view reads as empty, as the native layer sees it; copying it would throw.
      else if (abstract instanceof Uint8Array)
        bytes = abstract.byteLength === 0 ? Buffer.alloc(0) : Buffer.from(abstract);
      else throw invalidArgType('address.abstract', 'a Uint8Array or a string', abstract);
      return `@${bytes.toString('latin1').replace(/\0/g, '@')}`;
    }
    case 'packet': {
      const proto = int(a.protocol, 'protocol', 0xffff).toString(16).padStart(4, '0');
      const ifindex = int(a.ifindex, 'ifindex', INT32_MAX);
      const hwaddr = a.hwaddr;
      if (hwaddr !== undefined && typeof hwaddr !== 'string' && !(hwaddr instanceof Uint8Array)) {
        throw invalidArgType('address.hwaddr', 'a Uint8Array or a string', hwaddr);
      }
      const hw = hex(hwaddr);
      return `packet:${ifindex}:0x${proto}${hw ? ` ${hw}` : ''}`;
    }
    case 'netlink':
      return `netlink:${int(a.pid, 'pid', UINT32_MAX)}`;
    case 'other':
      return `family ${int(a.saFamily, 'saFamily', 0xffff)}`;
    default:
      throw invalidArgValue(
        'address.family',
        family,
        "must be 'inet', 'inet6', 'unix', 'packet', 'netlink' or 'other'",
      );
  }
}

// Type guards for what the kernel returns, whose type is every family's (Address): the
// syscall layer cannot know an fd's family, so the caller's check narrows it.

/** Whether `address` is an IPv4 address (struct sockaddr_in). ip(7) */
export function isInetAddress(
  address: Address | AnySocketAddress | NodeAddressInfo | null | undefined,
): address is InetAddress {
  return address?.family === 'inet';
}

/** Whether `address` is an IPv6 address (struct sockaddr_in6). ipv6(7) */
export function isInet6Address(
  address: Address | AnySocketAddress | NodeAddressInfo | null | undefined,
): address is Inet6Address {
  return address?.family === 'inet6';
}

/** Whether `address` is a unix address: a path, an abstract name or unnamed. unix(7) */
export function isUnixAddress(
  address: Address | AnySocketAddress | NodeAddressInfo | null | undefined,
): address is UnixAddress {
  return address?.family === 'unix';
}
