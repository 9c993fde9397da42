// The socket inspector: what the kernel knows about one fd (inspect), and the whole fd table of
// a process matched against the kernel's socket tables (listFds), a small ss/lsof for one
// process. Everything here only reads: no call changes the fd or the socket.
import { type Stats, fstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';

import { type Address, formatAddress } from '../../sys/address.js';
import { SocketError, invalidArgType, validateFd, validateInt } from '../../internal/errors.js';
import { native } from '../../sys/native.js';
import { type TcpInfo, getTcpInfo } from '../../sys/options.js';
import { socketTypeName } from '../../internal/names.js';
import { type ProcNetSocket, readSocketTables } from './procnet.js';
import * as sys from '../../sys/syscalls.js';

const c = native.constants;

/** What kind of thing an fd refers to, as fstat(2) and /proc/<pid>/fd tell it. */
export type FdKind =
  | 'socket'
  | 'file'
  | 'directory'
  | 'pipe'
  | 'fifo'
  | 'tty'
  | 'character device'
  | 'block device'
  | 'anon inode'
  | 'unknown';

/** What {@link inspect} reports for a socket. */
export interface SocketInspection {
  fd: number;
  kind: 'socket';
  /** What /proc/<pid>/fd/N links to: 'socket:[12345]'. */
  target: string;
  /** The socket's inode: the key of its line in /proc/net/*. */
  inode: number;
  /** SO_DOMAIN as a name: 'inet', 'inet6', 'unix', 'netlink', 'packet', or 'AF_<n>'. */
  family: string;
  /** SO_TYPE as a name: 'SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'SOCK_SEQPACKET'. */
  type: string;
  /** SO_PROTOCOL as a name: 'tcp', 'udp', 'icmp', …, or '' for the family's default (unix). */
  protocol: string;
  /** The numbers behind the three names above. */
  numbers: { domain: number; type: number; protocol: number };
  /** getsockname(2); null when the kernel will not say. */
  localAddress: Address | null;
  /** getpeername(2); null when not connected. */
  remoteAddress: Address | null;
  /** O_NONBLOCK: calls that would wait throw EAGAIN instead. */
  nonblocking: boolean;
  /** FD_CLOEXEC: the fd is closed when the process runs another program. */
  cloexec: boolean;
  /** SO_RCVBUF: the receive buffer's limit in bytes (the kernel doubles what was set). */
  recvBufferSize: number;
  /** SO_SNDBUF: the send buffer's limit in bytes. */
  sendBufferSize: number;
  /**
   * SIOCINQ: bytes waiting to be read. TCP and unix streams: all of them; UDP: the payload of
   * the next datagram only. null where the socket does not answer (a listener).
   */
  recvQueue: number | null;
  /**
   * SIOCOUTQ: bytes in the send queue. TCP: sent or not, not yet acknowledged by the peer.
   * null where the socket does not answer.
   */
  sendQueue: number | null;
  /** SO_ACCEPTCONN: listen() was called. */
  listening: boolean;
  /** A TCP listener's accept queue, from TCP_INFO: connections waiting, and the backlog. */
  acceptQueue?: { waiting: number; backlog: number };
  /** Datagrams dropped because the receive buffer was full (UDP, raw; from /proc/net). */
  drops?: number;
  /** TCP only: what TCP_INFO says: the state, round-trip time, congestion window, counters. */
  tcp?: TcpInfo;
}

/** What {@link inspect} reports for an fd that is not a socket. */
export interface FileInspection {
  fd: number;
  kind: Exclude<FdKind, 'socket'>;
  /** What /proc/<pid>/fd/N links to: a path, 'pipe:[123]', 'anon_inode:[eventfd]', … */
  target: string;
  /** O_NONBLOCK. */
  nonblocking: boolean;
  /** FD_CLOEXEC. */
  cloexec: boolean;
  /** The file offset (a regular file), from /proc/<pid>/fdinfo. */
  position?: number;
  /** The file's size in bytes (a regular file). */
  size?: number;
  /** Bytes waiting to be read (a pipe or FIFO; FIONREAD). */
  recvQueue?: number;
}

/** Everything {@link inspect} can report. */
export type Inspection = SocketInspection | FileInspection;

/** Options of {@link inspect}. */
export interface InspectOptions {
  /**
   * Inspect fd `fd` of another process: it is borrowed with pidfd_getfd(2), which needs ptrace
   * access to that process (same user and a permissive Yama ptrace_scope, or root).
   */
  pid?: number;
}

const FAMILIES = ['AF_INET', 'AF_INET6', 'AF_UNIX', 'AF_NETLINK', 'AF_PACKET'];

/** The name of an AF_* number as addresses spell it: AF_INET → 'inet', AF_PACKET → 'packet'. */
export function familyName(domain: number): string {
  const name = FAMILIES.find((f) => c[f] === domain);
  return name === undefined ? `AF_${domain}` : name.slice(3).toLowerCase();
}

const PROTOCOLS = ['TCP', 'UDP', 'ICMP', 'ICMPV6', 'RAW', 'SCTP', 'UDPLITE', 'MPTCP'];

function protocolName(domain: number, protocol: number): string {
  if (domain !== c.AF_INET && domain !== c.AF_INET6) return protocol === 0 ? '' : `${protocol}`;
  const name = PROTOCOLS.find((p) => c[`IPPROTO_${p}`] === protocol);
  return name === undefined ? `${protocol}` : name.toLowerCase();
}

function procFd(pid: number | undefined, fd: number, leaf: 'fd' | 'fdinfo'): string {
  return `/proc/${pid ?? 'self'}/${leaf}/${fd}`;
}

function fdinfo(pid: number | undefined, fd: number): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    for (const line of readFileSync(procFd(pid, fd, 'fdinfo'), 'latin1').split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
    }
  } catch {
    // The fd closed between the two reads; the caller has what it needs from the first.
  }
  return out;
}

/** Classifies an fd from its /proc/<pid>/fd link target and the stat of what it points at. */
function kindOf(target: string, st: Stats | null): FdKind {
  if (target.startsWith('socket:')) return 'socket';
  if (target.startsWith('pipe:')) return 'pipe';
  if (target.startsWith('anon_inode:')) return 'anon inode';
  if (st === null) return 'unknown';
  if (st.isFIFO()) return 'fifo';
  if (st.isDirectory()) return 'directory';
  if (st.isCharacterDevice())
    return /^\/dev\/(pts\/|tty|console)/.test(target) ? 'tty' : 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isFile()) return 'file';
  return 'unknown';
}

function statOrNull(path: string): Stats | null {
  try {
    // stat() of a /proc/<pid>/fd link follows it to the open file itself.
    return statSync(path);
  } catch {
    return null;
  }
}

// Returns null for the errors that mean "this socket does not answer that", so one missing
// field does not hide the rest.
function maybe<T>(read: () => T): T | null {
  try {
    return read();
  } catch (e) {
    if (e instanceof SocketError) return null;
    throw e;
  }
}

function inspectOwn(fd: number, pid: number | undefined, borrowed: boolean): Inspection {
  // The fd number shown is the caller's; a borrowed fd reads its link from the other process.
  const shownFd = fd;
  // fcntl first: a closed fd throws EBADF from it, as a SocketError, before /proc is read.
  const nonblocking = sys.getNonblocking(fd);
  const cloexec = sys.getCloexec(fd);
  const target = readlinkSync(procFd(borrowed ? undefined : pid, fd, 'fd'));
  const kind = kindOf(target, fstatSync(fd));
  if (kind !== 'socket') {
    const info: FileInspection = { fd: shownFd, kind, target, nonblocking, cloexec };
    if (kind === 'file') {
      info.size = fstatSync(fd).size;
      const pos = fdinfo(borrowed ? undefined : pid, fd).pos;
      if (pos !== undefined) info.position = Number(pos);
    }
    if (kind === 'pipe' || kind === 'fifo') {
      const n = maybe(() => sys.ioctl(fd, c.FIONREAD!));
      if (n !== null) info.recvQueue = n;
    }
    return info;
  }
  const domain = sys.getsockopt(fd, c.SOL_SOCKET!, c.SO_DOMAIN!);
  const type = sys.getsockopt(fd, c.SOL_SOCKET!, c.SO_TYPE!);
  const protocol = sys.getsockopt(fd, c.SOL_SOCKET!, c.SO_PROTOCOL!);
  const listening = sys.getsockopt(fd, c.SOL_SOCKET!, c.SO_ACCEPTCONN!) !== 0;
  const inode = Number(/\[(\d+)\]/.exec(target)?.[1] ?? 0);
  const info: SocketInspection = {
    fd: shownFd,
    kind: 'socket',
    target,
    inode,
    family: familyName(domain),
    type: socketTypeName(type),
    protocol: protocolName(domain, protocol),
    numbers: { domain, type, protocol },
    localAddress: maybe(() => sys.getsockname(fd)),
    remoteAddress: maybe(() => sys.getpeername(fd)),
    nonblocking,
    cloexec,
    recvBufferSize: sys.getsockopt(fd, c.SOL_SOCKET!, c.SO_RCVBUF!),
    sendBufferSize: sys.getsockopt(fd, c.SOL_SOCKET!, c.SO_SNDBUF!),
    recvQueue: listening ? null : maybe(() => sys.ioctl(fd, c.SIOCINQ!)),
    sendQueue: listening ? null : maybe(() => sys.ioctl(fd, c.SIOCOUTQ!)),
    listening,
  };
  const isInet = domain === c.AF_INET || domain === c.AF_INET6;
  if (isInet) {
    const entry = readSocketTables(pid ?? 'self').get(inode);
    if (entry?.drops !== undefined) info.drops = entry.drops;
  }
  if (isInet && type === c.SOCK_STREAM && protocol === c.IPPROTO_TCP) {
    const tcp = getTcpInfo(fd);
    info.tcp = tcp;
    // For a listener, TCP_INFO reuses two fields: tcpi_unacked is the number of connections
    // waiting for accept() and tcpi_sacked the backlog passed to listen() (capped by somaxconn).
    if (listening) info.acceptQueue = { waiting: tcp.unacked, backlog: tcp.sacked };
  }
  return info;
}

/**
 * Reports what the kernel knows about `fd`: for a socket its family, type and protocol
 * (SO_DOMAIN, SO_TYPE, SO_PROTOCOL), local and peer addresses (getsockname, getpeername),
 * O_NONBLOCK and FD_CLOEXEC (fcntl), SO_RCVBUF and SO_SNDBUF, the bytes in its receive and send
 * queues (ioctl SIOCINQ, SIOCOUTQ), whether it listens (SO_ACCEPTCONN) and a TCP listener's
 * accept queue (/proc/net/tcp), and for TCP the state and main fields of TCP_INFO; for any
 * other fd, what it is (fstat, /proc/self/fd). Nothing about the fd is changed.
 * socket(7) — {@link https://man7.org/linux/man-pages/man7/socket.7.html}, proc(5)
 */
export function inspect(fd: number, options: InspectOptions = {}): Inspection {
  validateFd(fd);
  if (typeof options !== 'object' || options === null) {
    throw invalidArgType('options', 'an object', options);
  }
  const pid = options.pid === process.pid ? undefined : options.pid;
  if (pid === undefined) return inspectOwn(fd, undefined, false);
  validateInt(pid, 'options.pid', 1, 0x7fffffff);
  const pidfd = sys.pidfd_open(pid);
  let copy: number;
  try {
    copy = sys.pidfd_getfd(pidfd, fd);
  } finally {
    sys.close(pidfd);
  }
  try {
    const info = inspectOwn(copy, pid, true);
    // The copy is ours: report the other process's fd number, link and close-on-exec flag
    // (a per-fd flag, unlike O_NONBLOCK, which the copy shares).
    info.fd = fd;
    info.target = readlinkSync(procFd(pid, fd, 'fd'));
    const flags = parseInt(fdinfo(pid, fd).flags ?? '0', 8);
    info.cloexec = (flags & c.O_CLOEXEC!) !== 0;
    return info;
  } finally {
    sys.close(copy);
  }
}

function formatBytes(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : `${n} bytes`;
}

// The renderers take what inspect() and listFds() return. Rather than check every field again,
// a value of another shape, which fails while it is rendered, is reported as a TypeError with
// a code naming the argument; an error a caller's own getter throws goes through as it is.
function rendering<T>(value: unknown, name: string, expected: string, render: () => T): T {
  if (typeof value !== 'object' || value === null) throw invalidArgType(name, expected, value);
  try {
    return render();
  } catch (e) {
    const shapeError =
      e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError;
    if (shapeError && !('code' in e)) throw invalidArgType(name, expected, value);
    throw e;
  }
}

/** Renders an {@link inspect} result as aligned `name  value` lines, for people to read. */
export function formatInspection(info: Inspection): string {
  return rendering(info, 'info', 'what inspect() returns', () => renderInspection(info));
}

function renderInspection(info: Inspection): string {
  const rows: [string, string][] = [];
  const flags = `${info.nonblocking ? 'O_NONBLOCK' : 'blocking'}, ${info.cloexec ? 'FD_CLOEXEC' : 'inherited across exec'}`;
  if (info.kind !== 'socket') {
    rows.push(['fd', `${info.fd}: ${info.kind}`], ['target', info.target], ['flags', flags]);
    if (info.size !== undefined) rows.push(['size', formatBytes(info.size)]);
    if (info.position !== undefined) rows.push(['position', `${info.position}`]);
    if (info.recvQueue !== undefined) rows.push(['unread', formatBytes(info.recvQueue)]);
  } else {
    const proto = info.protocol === '' ? '' : ` ${info.protocol}`;
    rows.push(
      ['fd', `${info.fd}: socket ${info.family} ${info.type}${proto} (${info.target})`],
      ['local', formatAddress(info.localAddress)],
      ['peer', info.remoteAddress === null ? '(not connected)' : formatAddress(info.remoteAddress)],
      ['flags', flags],
      ['buffers', `SO_RCVBUF ${info.recvBufferSize}, SO_SNDBUF ${info.sendBufferSize}`],
    );
    if (info.listening) {
      const q = info.acceptQueue;
      rows.push([
        'listening',
        q === undefined ? 'yes' : `${q.waiting} waiting for accept(), backlog ${q.backlog}`,
      ]);
    } else {
      rows.push([
        'queues',
        `receive ${formatBytes(info.recvQueue)} (SIOCINQ), send ${formatBytes(info.sendQueue)} (SIOCOUTQ)`,
      ]);
    }
    if (info.drops !== undefined) rows.push(['drops', `${info.drops} datagrams`]);
    const t = info.tcp;
    if (t !== undefined) rows.push(['tcp state', t.stateName]);
    if (t !== undefined && !info.listening) {
      const ms = (us: number): string => (us / 1000).toFixed(3);
      rows.push(
        [
          'tcp_info',
          `rtt ${ms(t.rtt)} ms (±${ms(t.rttvar)}), rto ${t.rto / 1000} ms, cwnd ${t.sndCwnd}, mss ${t.sndMss}`,
        ],
        [
          '',
          `unacked ${t.unacked}, lost ${t.lost}, retransmitted ${t.totalRetrans} (now ${t.retransmits}), segments out ${t.segsOut ?? '?'} / in ${t.segsIn ?? '?'}`,
        ],
      );
    }
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/** One row of {@link listFds}: an open fd of a process and, for a socket, its table entry. */
export interface FdEntry {
  fd: number;
  kind: FdKind;
  /** What /proc/<pid>/fd/N links to. */
  target: string;
  /**
   * For a socket: its /proc/net table ('tcp', 'udp6', 'unix', …). A socket of this process
   * that no table lists (not bound yet) is named from SO_DOMAIN and SO_TYPE: 'inet/stream'.
   */
  protocol?: string;
  /** For a socket: the table's line for it (addresses, state, queues). */
  socket?: ProcNetSocket;
}

/**
 * The open fds of process `pid` (this one by default), each socket matched by inode with its
 * line in /proc/<pid>/net/{tcp,tcp6,udp,udp6,raw,raw6,unix,packet,netlink}: its protocol,
 * addresses, state and queues, as `ss` shows them. A socket no table lists (a TCP or UDP socket
 * not yet bound, say) has no `socket` field. Reading another user's process needs root.
 * proc(5) — {@link https://man7.org/linux/man-pages/man5/proc.5.html}, proc_net(5)
 */
export function listFds(pid: number = process.pid): FdEntry[] {
  validateInt(pid, 'pid', 1, 0x7fffffff);
  const dir = `/proc/${pid}/fd`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    // No such process (ENOENT), or not ours to look at (EACCES): a syscall error like any other.
    const err = e as NodeJS.ErrnoException;
    throw new SocketError(err.errno ?? -c.EIO!, err.syscall ?? 'scandir', { path: dir });
  }
  const tables = readSocketTables(pid);
  const out: FdEntry[] = [];
  for (const name of names) {
    let target: string;
    try {
      target = readlinkSync(`${dir}/${name}`);
    } catch {
      continue; // Closed since readdir, such as the fd readdir itself used.
    }
    const fd = Number(name);
    const entry: FdEntry = { fd, kind: kindOf(target, statOrNull(`${dir}/${name}`)), target };
    if (entry.kind === 'socket') {
      const s = tables.get(Number(/\[(\d+)\]/.exec(target)?.[1] ?? 0));
      if (s !== undefined) {
        entry.protocol = s.table;
        entry.socket = s;
      } else if (pid === process.pid) {
        // Our own fd: ask the socket what it is ('inet/stream'), though no table lists it.
        const kind = maybe(() => {
          const domain = sys.getsockopt(fd, c.SOL_SOCKET!, c.SO_DOMAIN!);
          const type = socketTypeName(sys.getsockopt(fd, c.SOL_SOCKET!, c.SO_TYPE!));
          return `${familyName(domain)}/${type.replace(/^SOCK_/, '').toLowerCase()}`;
        });
        if (kind !== null) entry.protocol = kind;
      }
    }
    out.push(entry);
  }
  return out.sort((a, b) => a.fd - b.fd);
}

/** Renders {@link listFds} as a table with the columns of `ss`: fd, kind, state, queues, addresses. */
export function formatFdTable(entries: readonly FdEntry[]): string {
  if (!Array.isArray(entries)) {
    throw invalidArgType('entries', 'an array, as listFds() returns', entries);
  }
  return rendering(entries, 'entries', 'what listFds() returns', () => renderFdTable(entries));
}

function renderFdTable(entries: readonly FdEntry[]): string {
  const head = ['FD', 'KIND', 'PROTO', 'STATE', 'RECV-Q', 'SEND-Q', 'LOCAL', 'PEER'];
  const rows = entries.map((e) => {
    const s = e.socket;
    if (s === undefined && e.kind === 'socket') {
      // In no /proc/net table: a TCP or UDP socket not bound yet, or a family none lists.
      return [`${e.fd}`, e.kind, e.protocol ?? '?', '', '', '', `(unbound) ${e.target}`, ''];
    }
    if (s === undefined) return [`${e.fd}`, e.kind, '', '', '', '', e.target, ''];
    const proto = s.type === undefined ? s.table : `${s.table}/${s.type.slice(5).toLowerCase()}`;
    return [
      `${e.fd}`,
      e.kind,
      proto,
      s.state,
      s.recvQueue === undefined ? '-' : `${s.recvQueue}`,
      s.sendQueue === undefined ? '-' : `${s.sendQueue}`,
      s.localAddress,
      s.remoteAddress,
    ];
  });
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
