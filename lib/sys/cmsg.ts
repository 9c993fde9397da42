// Control messages (ancillary data): the typed forms sendmsg takes and recvmsg returns, their
// checks, and CMSG_SPACE/CMSG_LEN. The byte layouts are native/cmsg.cc's. cmsg(3)
import { isIPv4, isIPv6 } from 'node:net';
import { type Address, type Inet6Address, type InetAddress } from './address.js';
import {
  invalidArgType,
  invalidArgValue,
  validateFd,
  validateInt,
  validateInt32,
  validateView,
} from '../internal/errors.js';
import { native } from './native.js';

const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

/** The most bytes of control data one call takes or offers (checked in native too). */
export const MAX_CONTROL = 65536;

/**
 * SOL_SOCKET SCM_RIGHTS: open file descriptors passed over a unix socket. unix(7)
 * Received fds are new numbers in this process, close-on-exec ({@link recvmsg} always asks for
 * MSG_CMSG_CLOEXEC), and the caller owns them: close each one.
 */
export interface RightsMessage {
  type: 'rights';
  fds: number[];
}

/**
 * SOL_SOCKET SCM_CREDENTIALS: the sender's process id and user and group ids. unix(7)
 * Arrives on every message once the receiver sets SO_PASSCRED; a sender may send its own (or,
 * with CAP_SYS_ADMIN/CAP_SETUID/CAP_SETGID, others').
 */
export interface CredentialsMessage {
  type: 'credentials';
  pid: number;
  uid: number;
  gid: number;
}

/**
 * IPPROTO_IP IP_PKTINFO: struct in_pktinfo. ip(7)
 * Received (with IP_PKTINFO set): `ifindex` the interface the datagram came in on, `addr` the
 * destination address in its IP header, `specDst` the local address a reply would come from.
 * Sent: `specDst` picks the source address and `ifindex` the outgoing interface; `addr` is
 * ignored by the kernel.
 */
export interface PktinfoMessage {
  type: 'pktinfo';
  ifindex: number;
  specDst: string;
  addr: string;
}

/**
 * IPPROTO_IPV6 IPV6_PKTINFO: struct in6_pktinfo. ipv6(7)
 * Received (with IPV6_RECVPKTINFO set): the destination address and incoming interface.
 * Sent: the source address and outgoing interface.
 */
export interface Pktinfo6Message {
  type: 'pktinfo6';
  ifindex: number;
  addr: string;
}

/** IPPROTO_IP IP_TTL: the TTL a datagram arrived with (IP_RECVTTL), or to send with (1–255). */
export interface TtlMessage {
  type: 'ttl';
  value: number;
}

/**
 * IPPROTO_IPV6 IPV6_HOPLIMIT: the hop limit a datagram arrived with (IPV6_RECVHOPLIMIT), or to
 * send with (0–255, or -1 for the route's default).
 */
export interface HoplimitMessage {
  type: 'hoplimit';
  value: number;
}

/** IPPROTO_IP IP_TOS: the TOS byte a datagram arrived with (IP_RECVTOS), or to send with. */
export interface TosMessage {
  type: 'tos';
  value: number;
}

/**
 * IPPROTO_IPV6 IPV6_TCLASS: the traffic class a datagram arrived with (IPV6_RECVTCLASS), or to
 * send with (0–255, or -1 for the socket's).
 */
export interface TclassMessage {
  type: 'tclass';
  value: number;
}

/** SOL_SOCKET SCM_TIMESTAMP: when the kernel received the message (SO_TIMESTAMP). socket(7) */
export interface TimestampMessage {
  type: 'timestamp';
  sec: number;
  usec: number;
}

/** SOL_SOCKET SCM_TIMESTAMPNS: the same in nanoseconds (SO_TIMESTAMPNS). socket(7) */
export interface TimestampNsMessage {
  type: 'timestampns';
  sec: number;
  nsec: number;
}

/**
 * SOL_SOCKET SO_RXQ_OVFL: how many datagrams the socket had dropped, in all, when this one was
 * queued. The kernel attaches it only to datagrams queued after a drop. socket(7)
 */
export interface RxqOverflowMessage {
  type: 'rxqOverflow';
  dropped: number;
}

/**
 * IPPROTO_IP IP_RECVERR / IPPROTO_IPV6 IPV6_RECVERR: an entry of the error queue, read with
 * MSG_ERRQUEUE once IP_RECVERR or IPV6_RECVERR is set; struct sock_extended_err. ip(7)
 */
export interface RecvErrMessage {
  type: 'recverr';
  /** ee_errno: the error, positive as in the struct (ECONNREFUSED, EMSGSIZE, …). */
  errno: number;
  /** The errno's name ('ECONNREFUSED'). */
  code: string;
  /** ee_origin: SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, SO_EE_ORIGIN_LOCAL, … */
  origin: number;
  /** ee_type and ee_code: the ICMP type and code for ICMP origins. */
  icmpType: number;
  icmpCode: number;
  /** ee_info (the path MTU for EMSGSIZE) and ee_data. */
  info: number;
  data: number;
  /** SO_EE_OFFENDER: the address that reported the error, or null when none did. */
  offender: Address | null;
}

/**
 * SOL_SOCKET SCM_PIDFD: a pidfd for the sending process, installed in this process once the
 * receiver sets SO_PASSPIDFD (Linux 6.5). Close-on-exec; the caller owns it. unix(7)
 * Typed only where the build's headers define SCM_PIDFD; otherwise it arrives raw, and the fd in
 * its data is still the caller's to close.
 */
export interface PidfdMessage {
  type: 'pidfd';
  fd: number;
}

/**
 * The address a datagram was sent to: its original destination, where a transparent proxy
 * (TPROXY) received it on another address. Received with IP_RECVORIGDSTADDR or
 * IPV6_RECVORIGDSTADDR on; IPPROTO_IP IP_ORIGDSTADDR / IPPROTO_IPV6 IPV6_ORIGDSTADDR.
 */
export interface OrigDstAddrMessage {
  type: 'origDstAddr';
  address: InetAddress | Inet6Address;
}

/**
 * Any control message as raw bytes: the escape hatch for the ones not typed above. `data` is
 * the payload after the header, laid out as the C struct for (`level`, `type`).
 */
export interface RawControlMessage {
  level: number;
  type: number;
  data: Buffer;
}

/** A control message as {@link recvmsg} reports it. */
export type ControlMessage =
  | RightsMessage
  | CredentialsMessage
  | PktinfoMessage
  | Pktinfo6Message
  | TtlMessage
  | HoplimitMessage
  | TosMessage
  | TclassMessage
  | TimestampMessage
  | TimestampNsMessage
  | RxqOverflowMessage
  | RecvErrMessage
  | PidfdMessage
  | OrigDstAddrMessage
  | RawControlMessage;

/** A control message {@link sendmsg} can send. The receive-only kinds are refused. */
export type SendControlMessage =
  | RightsMessage
  | CredentialsMessage
  | { type: 'pktinfo'; ifindex?: number; specDst?: string; addr?: string }
  | { type: 'pktinfo6'; ifindex?: number; addr?: string }
  | TtlMessage
  | HoplimitMessage
  | TosMessage
  | TclassMessage
  | { level: number; type: number; data: ArrayBufferView };

const RECEIVE_ONLY = new Set([
  'timestamp',
  'timestampns',
  'rxqOverflow',
  'recverr',
  'pidfd',
  'origDstAddr',
]);

// The range each single-int control message takes; the kernel refuses values outside it.
const INT_KINDS: Record<string, [number, number]> = {
  ttl: [1, 255],
  hoplimit: [-1, 255],
  tos: [0, 255],
  tclass: [-1, 255],
};

/** A control message checked by {@link controlArgs}, as the native layer reads it. */
export type NativeControl = Record<string, unknown>;

function validateIp(value: unknown, name: string, v6: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (!(v6 ? isIPv6(value) : isIPv4(value))) {
    throw invalidArgValue(name, value, `is not an ${v6 ? 'IPv6' : 'IPv4'} address`);
  }
  return value;
}

/**
 * Checks a list of control messages and copies it into fresh plain objects for the native
 * layer (so no getter of the caller's runs while it holds pointers into buffers). Returns
 * the copy and whether any message passes fds.
 */
export function controlArgs(
  control: unknown,
  argName = 'control',
): { list: NativeControl[] | null; rights: boolean } {
  if (control === undefined || control === null) return { list: null, rights: false };
  if (!Array.isArray(control)) {
    throw invalidArgType(argName, 'an array of control messages', control);
  }
  let rights = false;
  const list = (control as unknown[]).map((m, i): NativeControl => {
    const name = `${argName}[${i}]`;
    if (typeof m !== 'object' || m === null) throw invalidArgType(name, 'an object', m);
    const o = m as Record<string, unknown>;
    const type = o.type;
    if (typeof type === 'number') {
      validateInt32(type, `${name}.type`);
      validateInt32(o.level, `${name}.level`);
      validateView(o.data, `${name}.data`);
      return { level: o.level, type, data: o.data };
    }
    if (typeof type !== 'string') {
      throw invalidArgType(`${name}.type`, 'a control message type or a number', type);
    }
    if (RECEIVE_ONLY.has(type)) {
      throw invalidArgValue(`${name}.type`, type, 'names a control message that is only received');
    }
    const range = INT_KINDS[type];
    if (range) {
      validateInt(o.value, `${name}.value`, range[0], range[1]);
      return { type, value: o.value };
    }
    switch (type) {
      case 'rights': {
        if (!Array.isArray(o.fds)) throw invalidArgType(`${name}.fds`, 'an array of fds', o.fds);
        const fds = (o.fds as unknown[]).map((fd, k) => {
          validateFd(fd, `${name}.fds[${k}]`);
          return fd;
        });
        rights ||= fds.length > 0;
        return { type, fds };
      }
      case 'credentials':
        validateInt32(o.pid, `${name}.pid`);
        validateInt(o.uid, `${name}.uid`, 0, UINT32_MAX);
        validateInt(o.gid, `${name}.gid`, 0, UINT32_MAX);
        return { type, pid: o.pid, uid: o.uid, gid: o.gid };
      case 'pktinfo': {
        const ifindex = o.ifindex ?? 0;
        validateInt(ifindex, `${name}.ifindex`, 0, INT32_MAX);
        const specDst = validateIp(o.specDst, `${name}.specDst`, false);
        const addr = validateIp(o.addr, `${name}.addr`, false);
        return { type, ifindex, specDst, addr };
      }
      case 'pktinfo6': {
        const ifindex = o.ifindex ?? 0;
        validateInt(ifindex, `${name}.ifindex`, 0, UINT32_MAX);
        return { type, ifindex, addr: validateIp(o.addr, `${name}.addr`, true) };
      }
      default:
        throw invalidArgValue(`${name}.type`, type, 'is not a known control message type');
    }
  });
  return { list, rights };
}

/**
 * CMSG_SPACE(length): the bytes a control message with a `length`-byte payload takes in the
 * control buffer, padding included. Add these up for {@link RecvMsgOptions.controlLength}.
 * cmsg(3) — {@link https://man7.org/linux/man-pages/man3/cmsg.3.html}
 */
export function cmsgSpace(length: number): number {
  validateInt(length, 'length', 0, MAX_CONTROL);
  return native.cmsgSpace(length);
}

/**
 * CMSG_LEN(length): the cmsg_len of a control message with a `length`-byte payload (no trailing
 * padding). cmsg(3) — {@link https://man7.org/linux/man-pages/man3/cmsg.3.html}
 */
export function cmsgLen(length: number): number {
  validateInt(length, 'length', 0, MAX_CONTROL);
  return native.cmsgLen(length);
}
