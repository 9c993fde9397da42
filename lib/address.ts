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
  | UnixPathAddress
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

function validatePort(port: unknown, name: string): asserts port is number {
  if (typeof port !== 'number') throw invalidArgType(name, 'of type number', port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw Object.assign(
      new RangeError(`${name} should be >= 0 and < 65536. Received ${String(port)}.`),
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

/**
 * Checks `address` and flattens it into the group the native calls take.
 * @internal
 */
export function addrArgs(address: unknown, name = 'address'): AddrArgs {
  if (typeof address !== 'object' || address === null) {
    throw invalidArgType(name, 'an address object', address);
  }
  const a = address as Record<string, unknown>;
  switch (a.family) {
    case 'inet': {
      if (typeof a.address !== 'string')
        throw invalidArgType(`${name}.address`, 'of type string', a.address);
      if (!isIPv4(a.address))
        throw invalidArgValue(`${name}.address`, a.address, 'is not an IPv4 address');
      validatePort(a.port, `${name}.port`);
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
      validatePort(a.port, `${name}.port`);
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
    case 'packet': {
      const { protocol = 0, ifindex = 0, hatype = 0, pkttype = 0 } = a;
      validateInt(protocol, `${name}.protocol`, 0, 0xffff);
      validateInt(ifindex, `${name}.ifindex`, 0, INT32_MAX);
      validateInt(hatype, `${name}.hatype`, 0, 0xffff);
      validateInt(pkttype, `${name}.pkttype`, 0, 0xff);
      const hw = a.hwaddr === undefined ? null : hwaddrBytes(a.hwaddr, `${name}.hwaddr`);
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
        a.family,
        "must be 'inet', 'inet6', 'unix', 'packet' or 'netlink'",
      );
  }
}

/**
 * What an error message says about an address the call was aimed at.
 * @internal
 */
export function errorTarget(address: AnySocketAddress): ErrorTarget {
  // A link-layer or netlink address has no host or path for the message to name.
  if (address.family === 'packet' || address.family === 'netlink') return {};
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

function hex(bytes: Uint8Array | string | undefined): string {
  if (bytes === undefined) return '';
  if (typeof bytes === 'string') return bytes.toLowerCase();
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * Formats an address the way `ss` prints it: 127.0.0.1:80, [::1]:80, /tmp/s, @name; a link-layer
 * address as `packet:<ifindex>:0x<protocol>[ hwaddr]`, a netlink one as `netlink:<pid>`.
 */
export function formatAddress(address: Address | AnySocketAddress | null): string {
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
    case 'packet': {
      const proto = (address.protocol ?? 0).toString(16).padStart(4, '0');
      const hw = hex(address.hwaddr);
      return `packet:${address.ifindex ?? 0}:0x${proto}${hw ? ` ${hw}` : ''}`;
    }
    case 'netlink':
      return `netlink:${address.pid ?? 0}`;
    default:
      return `family ${address.saFamily}`;
  }
}
