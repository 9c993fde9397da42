// The lab's userspace links: a TUN device in each host, and a thread of this process
// (native/link.cc) that reads each packet one device sends, impairs it, and writes it into the
// other. The kernel's own stack runs at both ends; only the wire between them is ours, so it
// needs no netem and behaves the same on every kernel.
// https://www.kernel.org/doc/html/latest/networking/tuntap.html
import { closeSync, openSync } from 'node:fs';

import { SocketError, check } from '../../internal/errors.js';
import { native } from '../../sys/native.js';
import { type ResolvedImpairments } from './impair.js';

const TUN = '/dev/net/tun';

/** Why /dev/net/tun did not open, in words that say what to do. */
function tunProblem(e: Error): string {
  const code = (e as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return (
      `cannot open ${TUN} (${code}): a userspace link needs it readable and writable by this ` +
      'user, mode 0666 as udev makes it on Debian, Ubuntu and GitHub runners'
    );
  }
  if (code === 'ENOENT') return `there is no ${TUN}: this kernel or container has no TUN driver`;
  return `cannot open ${TUN}: ${e.message}`;
}

/** Whether a userspace link's devices can be made: /dev/net/tun opens for this user. */
export function tunSupport(): { ok: true } | { ok: false; reason: string } {
  try {
    closeSync(openSync(TUN, 'r+'));
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: tunProblem(e as Error) };
  }
}

/** What one direction of a userspace link has done, counted by its thread since it started. */
export interface LinkStats {
  /** Packets the sending host put on the link, and their bytes. */
  received: number;
  receivedBytes: number;
  /** Packets handed to the receiving host (duplicates included), and their bytes. */
  forwarded: number;
  forwardedBytes: number;
  /** Packets (or duplicates) dropped by `loss`. */
  lost: number;
  /** Packets dropped because `limit` packets were already waiting. */
  overLimit: number;
  /** Packets sent twice, corrupted, and sent ahead of the delay (`reorder`). */
  duplicated: number;
  corrupted: number;
  reordered: number;
  /** Packets the receiving device refused (it was down, or a corrupted header). */
  writeErrors: number;
  /** Packets waiting in the link now. */
  queued: number;
}

const STAT_NAMES = [
  'received',
  'receivedBytes',
  'forwarded',
  'forwardedBytes',
  'lost',
  'overLimit',
  'duplicated',
  'corrupted',
  'reordered',
  'writeErrors',
  'queued',
] as const;

/** The 11 numbers native/link.cc reads for one direction (struct Impair's order). */
function pack(i: ResolvedImpairments, out: Float64Array, at: number): void {
  out.set(
    [
      i.delayMs * 1e6,
      i.jitterMs * 1e6,
      i.loss,
      i.burst?.p ?? 0,
      i.burst?.r ?? 0,
      i.duplicate,
      i.corrupt,
      i.reorder,
      i.rate,
      i.limit,
      i.seed ?? -1,
    ],
    at,
  );
}

function params(impair: [ResolvedImpairments, ResolvedImpairments]): Float64Array {
  const out = new Float64Array(22);
  pack(impair[0], out, 0);
  pack(impair[1], out, 11);
  return out;
}

/**
 * Opens /dev/net/tun and makes a TUN interface `name` (IFF_TUN | IFF_NO_PI: IP packets with no
 * extra header) in the network namespace of the calling thread. The interface lives as long as
 * the fd, which this environment owns until a {@link Forwarder} takes it. TUNSETIFF, tuntap docs
 */
export function openTun(name: string): number {
  const r = native.tunOpen(name);
  if (r >= 0) return r;
  if (r < -4096) {
    const open = new SocketError(r + 4096, 'open');
    throw Object.assign(new Error(`sockfd lab: ${tunProblem(open)}`, { cause: open }), {
      code: 'ERR_LAB_NO_TUN',
    });
  }
  throw new SocketError(r, 'ioctl');
}

/** The thread forwarding between two TUN fds, which it owns and closes when stopped. */
export class Forwarder {
  #id: number;

  /** Starts forwarding; on failure the fds are still the caller's. */
  constructor(fdA: number, fdB: number, impair: [ResolvedImpairments, ResolvedImpairments]) {
    this.#id = check(native.linkStart(fdA, fdB, params(impair)), 'linkStart');
  }

  get stopped(): boolean {
    return this.#id < 0;
  }

  /** The counters of a→b and of b→a. */
  stats(): { aToB: LinkStats; bToA: LinkStats } {
    if (this.#id < 0) throw new Error('the link is closed');
    const out = new Float64Array(22);
    check(native.linkStats(this.#id, out), 'linkStats');
    const read = (at: number): LinkStats =>
      Object.fromEntries(STAT_NAMES.map((k, i) => [k, out[at + i]!])) as unknown as LinkStats;
    return { aToB: read(0), bToA: read(11) };
  }

  /** Replaces the impairments; packets already waiting keep the times they were given. */
  configure(impair: [ResolvedImpairments, ResolvedImpairments]): void {
    if (this.#id < 0) throw new Error('the link is closed');
    check(native.linkConfigure(this.#id, params(impair)), 'linkConfigure');
  }

  /** Ends the thread and closes both TUN fds, which removes their interfaces. */
  stop(): void {
    if (this.#id < 0) return;
    const id = this.#id;
    this.#id = -1;
    check(native.linkStop(id), 'linkStop');
  }
}
