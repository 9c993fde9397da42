// The kernel's socket tables as /proc/<pid>/net/{tcp,tcp6,udp,udp6,raw,raw6,unix,packet,netlink}
// print them: one line per socket of the process's network namespace, keyed by inode. The
// inode is what /proc/<pid>/fd/N links to ("socket:[12345]"), so the two together say which
// fd is which socket. proc_net(5)
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

import { invalidArgValue, validateInt } from '../../internal/errors.js';
import { socketTypeName, tcpStateName } from '../../internal/names.js';
import { native } from '../../sys/native.js';

const c = native.constants;

/** The /proc/net tables {@link readSocketTables} reads, named after their files. */
export type ProcNetTable =
  'tcp' | 'tcp6' | 'udp' | 'udp6' | 'raw' | 'raw6' | 'unix' | 'packet' | 'netlink';

/** One socket as a /proc/net table describes it. */
export interface ProcNetSocket {
  /** The table it was found in: 'tcp', 'udp6', 'unix', … */
  table: ProcNetTable;
  inode: number;
  /** The local address as `ss` prints it: 127.0.0.1:8080, [::1]:53, /run/x.sock, @name. */
  localAddress: string;
  /** The peer's address; '*' when there is none (listening, unconnected, or not shown). */
  remoteAddress: string;
  /**
   * TCP: the connection state (LISTEN, ESTABLISHED, TIME_WAIT, …). UDP and raw: ESTABLISHED
   * when connected, else UNCONN. unix: LISTEN, CONNECTED, UNCONNECTED. packet, netlink: UNCONN.
   */
  state: string;
  /**
   * The receive queue. TCP: bytes not yet read; for a listener, connections waiting for
   * accept(). UDP and raw: memory the queued datagrams take, headers and bookkeeping included.
   * Not shown for unix, packet and netlink sockets.
   */
  recvQueue?: number;
  /**
   * The send queue. TCP: bytes sent but not yet acknowledged (0 for a listener: `ss` shows
   * the backlog there, from sock_diag, which this table does not print). UDP and raw: memory
   * taken by datagrams being sent.
   */
  sendQueue?: number;
  /** UDP, raw and netlink: datagrams the kernel dropped because the receive buffer was full. */
  drops?: number;
  /** unix: SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET. */
  type?: string;
  /** packet: the ethertype; netlink: the netlink protocol (NETLINK_ROUTE is 0). */
  protocol?: number;
}

// /proc/net prints each 32-bit word of an address with %08X of the value as it sits in memory,
// so on a little-endian machine the bytes of each word come out reversed.
const LITTLE = endianness() === 'LE';

function addressBytes(hex: string): Buffer {
  const b = Buffer.from(hex, 'hex');
  if (LITTLE) for (let i = 0; i + 4 <= b.length; i += 4) b.subarray(i, i + 4).reverse();
  return b;
}

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i).toString(16));
  // An IPv4-mapped address reads better the way ss prints it.
  if (b.subarray(0, 10).every((x) => x === 0) && b.readUInt16BE(10) === 0xffff) {
    return `::ffff:${[...b.subarray(12)].join('.')}`;
  }
  // Compress the longest run of zero words, as RFC 5952 says.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

function endpoint(field: string, v6: boolean): string {
  const [hex = '', port = '0'] = field.split(':');
  const ip = ipText(addressBytes(hex));
  const p = parseInt(port, 16);
  const host = v6 ? `[${ip}]` : ip;
  return `${host}:${p === 0 ? '*' : p}`;
}

function lines(path: string): string[][] {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    // The table is missing when its protocol is not built into this kernel (raw6, packet…).
    return [];
  }
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s+/));
}

// tcp, tcp6, udp, udp6, raw, raw6 share one layout:
// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
function inetRows(pid: number | 'self', table: ProcNetTable): ProcNetSocket[] {
  const v6 = table.endsWith('6');
  const tcp = table.startsWith('tcp');
  return lines(`/proc/${pid}/net/${table}`).map((f) => {
    const st = parseInt(f[3] ?? '0', 16);
    const [tx = '0', rx = '0'] = (f[4] ?? '').split(':');
    const entry: ProcNetSocket = {
      table,
      inode: Number(f[9]),
      localAddress: endpoint(f[1] ?? '', v6),
      remoteAddress: endpoint(f[2] ?? '', v6),
      // UDP and raw sockets reuse the TCP numbers: ESTABLISHED when connected, CLOSE when not.
      state: tcp ? tcpStateName(st) : st === c.TCP_ESTABLISHED ? 'ESTABLISHED' : 'UNCONN',
      recvQueue: parseInt(rx, 16),
      sendQueue: parseInt(tx, 16),
    };
    if (/^(0\.0\.0\.0|\[::\]):\*$/.test(entry.remoteAddress)) entry.remoteAddress = '*';
    if (!tcp) entry.drops = Number(f[f.length - 1]);
    return entry;
  });
}

// Num RefCount Protocol Flags Type St Inode Path
function unixTable(pid: number | 'self', out: Map<number, ProcNetSocket>) {
  const SO_ACCEPTCON = 0x10000; // __SO_ACCEPTCON in the Flags column: a listening socket.
  const STATES = ['FREE', 'UNCONNECTED', 'CONNECTING', 'CONNECTED', 'DISCONNECTING'];
  for (const f of lines(`/proc/${pid}/net/unix`)) {
    const inode = Number(f[6]);
    const flags = parseInt(f[3] ?? '0', 16);
    const st = parseInt(f[5] ?? '0', 16);
    // The path column is empty for unnamed sockets; abstract names start with '@'.
    const path = f.slice(7).join(' ');
    out.set(inode, {
      table: 'unix',
      inode,
      localAddress: path === '' ? '(unnamed)' : path,
      remoteAddress: '*',
      state: flags & SO_ACCEPTCON ? 'LISTEN' : (STATES[st] ?? `UNKNOWN(${st})`),
      type: socketTypeName(parseInt(f[4] ?? '0', 16)),
    });
  }
}

// sk RefCnt Type Proto Iface R Rmem User Inode
function packetTable(pid: number | 'self', out: Map<number, ProcNetSocket>) {
  for (const f of lines(`/proc/${pid}/net/packet`)) {
    const inode = Number(f[8]);
    const ifindex = Number(f[4]);
    out.set(inode, {
      table: 'packet',
      inode,
      localAddress: ifindex === 0 ? '*' : `ifindex ${ifindex}`,
      remoteAddress: '*',
      state: 'UNCONN',
      type: socketTypeName(Number(f[2])),
      protocol: parseInt(f[3] ?? '0', 16),
      recvQueue: Number(f[6]),
    });
  }
}

// sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
function netlinkTable(pid: number | 'self', out: Map<number, ProcNetSocket>) {
  for (const f of lines(`/proc/${pid}/net/netlink`)) {
    const inode = Number(f[9]);
    out.set(inode, {
      table: 'netlink',
      inode,
      localAddress: `portid ${f[2]}`,
      remoteAddress: '*',
      state: 'UNCONN',
      protocol: Number(f[1]),
      recvQueue: Number(f[4]),
      sendQueue: Number(f[5]),
      drops: Number(f[8]),
    });
  }
}

const TABLES: readonly unknown[] = [
  'tcp',
  'tcp6',
  'udp',
  'udp6',
  'raw',
  'raw6',
  'unix',
  'packet',
  'netlink',
] satisfies ProcNetTable[];

function validatePid(pid: unknown): asserts pid is number | 'self' {
  if (pid !== 'self') validateInt(pid, 'pid', 1, 0x7fffffff);
}

/**
 * Reads one socket table of `pid`'s network namespace, every line of it: for TCP this includes
 * connections in TIME_WAIT, which no socket (and so no fd) stands behind any more: their inode
 * is 0. proc_net(5) — {@link https://man7.org/linux/man-pages/man5/proc_net.5.html}
 */
export function readSocketTable(
  table: ProcNetTable,
  pid: number | 'self' = 'self',
): ProcNetSocket[] {
  if (!TABLES.includes(table)) {
    throw invalidArgValue('table', table, `must be one of ${TABLES.join(', ')}`);
  }
  validatePid(pid);
  const out = new Map<number, ProcNetSocket>();
  switch (table) {
    case 'unix':
      unixTable(pid, out);
      return [...out.values()];
    case 'packet':
      packetTable(pid, out);
      return [...out.values()];
    case 'netlink':
      netlinkTable(pid, out);
      return [...out.values()];
    default:
      return inetRows(pid, table);
  }
}

/**
 * Reads every socket table of `pid`'s network namespace and returns the sockets by inode
 * (entries with no socket behind them, such as TIME_WAIT, are left out).
 * proc_net(5) — {@link https://man7.org/linux/man-pages/man5/proc_net.5.html}
 */
export function readSocketTables(pid: number | 'self' = 'self'): Map<number, ProcNetSocket> {
  validatePid(pid);
  const out = new Map<number, ProcNetSocket>();
  for (const t of ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6'] as const) {
    // A TIME_WAIT or SYN_RECV entry has no socket of its own: inode 0, no fd can point at it.
    for (const e of inetRows(pid, t)) if (e.inode > 0) out.set(e.inode, e);
  }
  unixTable(pid, out);
  packetTable(pid, out);
  netlinkTable(pid, out);
  return out;
}
