// How each kind of option value (table.ts's KINDS) travels: its checks here, its bytes in
// native/options.cc. The generated functions of ../options.generated.ts pass every call through
// get() or set() below, with the option resolved to this platform's numbers.
import { isIPv4, isIPv6 } from 'node:net';

import {
  SocketError,
  check,
  checkInt,
  errnoName,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  validateFd,
  validateInt,
} from '../../internal/errors.js';
import { tcpStateName } from '../../internal/names.js';
import { native } from '../native.js';
import { type Kind, type OptionConstant, listOptions } from './table.js';
import type { IpSocketAddress, MulticastInterfaceV4, PeerCred, TcpInfo } from './types.js';

const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
// The longest name the native layer copies; longer names are refused rather than cut.
const MAX_NAME_BYTES = 255;

/** An option as its codec sees it: this platform's numbers and the setter's checks. */
export interface Option {
  readonly level: number;
  readonly name: number;
  /** The setter's parameter name, for error messages. */
  readonly arg: string;
  readonly min: number;
  readonly max: number;
  /** For names: the most bytes the kernel keeps (IFNAMSIZ - 1 for an interface). */
  readonly maxBytes: number;
  /** The IPPROTO_IPV6 option an AF_INET6 socket takes in this one's place. */
  readonly v6?: Option;
}

const c = native.constants;
const { AF_INET6, IPPROTO_IP, IPPROTO_IPV6, SOL_SOCKET, SO_DOMAIN } = c as Record<
  'AF_INET6' | 'IPPROTO_IP' | 'IPPROTO_IPV6' | 'SOL_SOCKET' | 'SO_DOMAIN',
  number
>;
const constant = (name: string): number => {
  const v = c[name];
  if (v === undefined) throw new Error(`sockfd: no constant ${name} on this platform`);
  return v;
};

/** Every option of the table, by its C constant. */
export const option = Object.fromEntries(
  listOptions().map((o) => {
    const opt: Option = {
      level: constant(o.level),
      name: constant(o.opt),
      arg: o.arg ?? 'value',
      min: o.min ?? 0,
      max: o.max ?? 0,
      maxBytes: o.nameSize === undefined ? MAX_NAME_BYTES : constant(o.nameSize) - 1,
    };
    // A constant these headers lack leaves the option to its IPv4 form.
    const v6 = o.v6 === undefined ? undefined : c[o.v6];
    return [
      o.opt,
      v6 === undefined ? opt : { ...opt, v6: { ...opt, level: IPPROTO_IPV6, name: v6 } },
    ];
  }),
) as Record<OptionConstant, Option>;

// The option as `fd`'s family takes it: one with an IPv6 form reads the socket's domain first.
// When that fails (EBADF, ENOTSOCK) the call itself goes on to fail and name its own syscall.
function forFamily(fd: number, o: Option): Option {
  if (o.v6 === undefined) return o;
  return native.getsockoptInt(fd, SOL_SOCKET, SO_DOMAIN) === AF_INET6 ? o.v6 : o;
}

/** Reads an option: checks `fd`, then lets the codec read it. getsockopt(2) */
export function get<T>(fd: number, o: Option, codec: { get(fd: number, o: Option): T }): T {
  validateFd(fd);
  return codec.get(fd, forFamily(fd, o));
}

/** Sets an option: checks `fd`, then lets the codec check the value and set it. setsockopt(2) */
export function set<V extends unknown[]>(
  fd: number,
  o: Option,
  codec: { set(fd: number, o: Option, ...values: V): void },
  ...values: V
): void {
  validateFd(fd);
  codec.set(fd, forFamily(fd, o), ...values);
}

// The one place the C int options reach the addon.
function readInt(fd: number, o: Option): number {
  return checkInt(native.getsockoptInt(fd, o.level, o.name), 'getsockopt');
}

function writeInt(fd: number, o: Option, value: number): void {
  check(native.setsockoptInt(fd, o.level, o.name, value), 'setsockopt');
}

function validateName(value: unknown, o: Option): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(o.arg, 'of type string', value);
  if (value.includes('\0')) throw invalidArgValue(o.arg, value, 'must not contain NUL bytes');
  if (Buffer.byteLength(value) > o.maxBytes) {
    throw invalidArgValue(o.arg, value, `must be at most ${o.maxBytes} bytes long`);
  }
}

function validateIP(value: unknown, name: string, v6: boolean): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (!(v6 ? isIPv6 : isIPv4)(value)) {
    throw invalidArgValue(name, value, `must be an IPv${v6 ? 6 : 4} address`);
  }
}

// Splits an interface argument into the (address, ifindex) pair the native layer takes.
function ifaceArgs(iface: unknown, name: string): [string, number] {
  if (typeof iface === 'number') {
    validateInt(iface, name, 0, INT32_MAX);
    return ['0.0.0.0', iface];
  }
  if (typeof iface !== 'string') {
    throw invalidArgType(name, 'an IPv4 address string or an interface index', iface);
  }
  validateIP(iface, name, false);
  return [iface, 0];
}

// A struct the addon decodes, or the negative errno it failed with.
function decoded<T>(r: T | number): T {
  if (typeof r === 'number') throw new SocketError(r, 'getsockopt');
  return r;
}

/** One codec a kind: get reads the option of `fd`, set checks a value and sets it. */
export const codecs = {
  bool: {
    get: (fd: number, o: Option): boolean => readInt(fd, o) !== 0,
    set(fd: number, o: Option, on: boolean): void {
      if (typeof on !== 'boolean') throw invalidArgType(o.arg, 'of type boolean', on);
      writeInt(fd, o, on ? 1 : 0);
    },
  },
  int: {
    get: readInt,
    set(fd: number, o: Option, value: number): void {
      validateInt(value, o.arg, o.min, o.max);
      writeInt(fd, o, value);
    },
  },
  uint32: {
    get: (fd: number, o: Option): number => readInt(fd, o) >>> 0,
    set(fd: number, o: Option, value: number): void {
      validateInt(value, o.arg, 0, UINT32_MAX);
      // A value above INT32_MAX travels as the C int with the same bits.
      writeInt(fd, o, value | 0);
    },
  },
  timeval: {
    get: (fd: number, o: Option): number =>
      check(native.getsockoptTimeval(fd, o.level, o.name), 'getsockopt'),
    set(fd: number, o: Option, ms: number): void {
      if (typeof ms !== 'number') throw invalidArgType(o.arg, 'of type number', ms);
      if (!Number.isFinite(ms) || ms < 0) throw outOfRange(o.arg, 'a finite number >= 0', ms);
      check(native.setsockoptTimeval(fd, o.level, o.name, ms), 'setsockopt');
    },
  },
  name: {
    get: (fd: number, o: Option): string => decoded(native.getsockoptName(fd, o.level, o.name)),
    set(fd: number, o: Option, name: string): void {
      // The kernel silently cuts a longer name, which may then name another device.
      validateName(name, o);
      check(native.setsockoptName(fd, o.level, o.name, name), 'setsockopt');
    },
  },
  errno: {
    get(fd: number, o: Option): string | null {
      const e = readInt(fd, o);
      return e === 0 ? null : errnoName(e);
    },
  },
  linger: {
    get(fd: number): number | null {
      const r = native.getLinger(fd);
      return r === null ? null : check(r, 'getsockopt');
    },
    set(fd: number, o: Option, seconds: number | null): void {
      if (seconds !== null) validateInt(seconds, o.arg, 0, INT32_MAX);
      check(native.setLinger(fd, seconds === null ? 0 : 1, seconds ?? 0), 'setsockopt');
    },
  },
  peerCred: {
    get: (fd: number): PeerCred => decoded(native.getPeerCred(fd)),
  },
  tcpInfo: {
    get(fd: number): TcpInfo {
      const { state = -1, ...rest } = decoded(native.getTcpInfo(fd));
      return { state, stateName: tcpStateName(state), ...rest } as TcpInfo;
    },
  },
  multicastIfV4: {
    get: (fd: number): string => decoded(native.getMulticastIf4(fd)),
    set(fd: number, o: Option, iface: MulticastInterfaceV4): void {
      const [address, ifindex] = ifaceArgs(iface, o.arg);
      check(native.setMulticastIf4(fd, address, ifindex), 'setsockopt');
    },
  },
  membershipV4: {
    set(fd: number, o: Option, group: string, iface: MulticastInterfaceV4): void {
      validateIP(group, o.arg, false);
      const [address, ifindex] = ifaceArgs(iface, 'iface');
      check(native.setMembership4(fd, o.name, group, address, ifindex), 'setsockopt', {
        address: group,
      });
    },
  },
  membershipV6: {
    set(fd: number, o: Option, group: string, ifindex: number): void {
      validateIP(group, o.arg, true);
      validateInt(ifindex, 'ifindex', 0, INT32_MAX);
      check(native.setMembership6(fd, o.name, group, ifindex), 'setsockopt', { address: group });
    },
  },
  sourceMembershipV4: {
    set(fd: number, o: Option, group: string, source: string, iface: string): void {
      validateIP(group, o.arg, false);
      validateIP(source, 'source', false);
      validateIP(iface, 'iface', false);
      check(native.setSourceMembership4(fd, o.name, group, iface, source), 'setsockopt', {
        address: group,
      });
    },
  },
  groupSourceReq: {
    set(fd: number, o: Option, group: string, source: string, ifindex: number): void {
      if (typeof group !== 'string') throw invalidArgType(o.arg, 'of type string', group);
      const v6 = isIPv6(group);
      if (!v6 && !isIPv4(group)) {
        throw invalidArgValue(o.arg, group, 'must be an IPv4 or IPv6 address');
      }
      // The source is of the group's family: validateIP names the one it must be.
      validateIP(source, 'source', v6);
      validateInt(ifindex, 'ifindex', 0, INT32_MAX);
      // RFC 3678: the level is the group's protocol, whatever the option's table level.
      const level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
      check(
        native.setGroupSourceReq(fd, level, o.name, v6 ? 1 : 0, group, source, ifindex),
        'setsockopt',
        { address: group },
      );
    },
  },
  uint64: {
    get: (fd: number, o: Option): bigint => decoded(native.getsockoptUint64(fd, o.level, o.name)),
  },
  inetAddress: {
    get(fd: number, o: Option): IpSocketAddress {
      let opt = o;
      // A v4-mapped connection on an AF_INET6 socket is tracked as IPv4: ask the IPv4 option.
      if (o === option.SO_ORIGINAL_DST.v6) {
        const local = native.getsockname(fd);
        if (typeof local === 'object' && local !== null && 'address' in local) {
          if (String(local.address).startsWith('::ffff:')) opt = option.SO_ORIGINAL_DST;
        }
      }
      return decoded(native.getsockoptAddress(fd, opt.level, opt.name) as IpSocketAddress | number);
    },
  },
} satisfies Record<Kind, object>;
