// What the option tests of test/sys and test/socket share: the options table, values the kernel
// takes for each option (with its quirks named), and values each kind of setter must refuse.
import { readFileSync } from 'node:fs';

import { expect } from 'vitest';

import * as s from '../../lib/index.js';
import { type OptionInfo, listOptions } from '../../lib/sys/options/table.js';

export type { OptionInfo };
export const OPTIONS = listOptions();

const c = s.constants;

// socket(7): the kernel doubles the value set for SO_RCVBUF/SO_SNDBUF for its bookkeeping.
export const LINUX_DOUBLES_BUFFER_SIZES = 2;
// socket(7): SO_RCVTIMEO/SO_SNDTIMEO are kept in jiffies, so a timeout reads back rounded up
// to the clock tick, which is at most 10 ms (CONFIG_HZ is 100 to 1000).
export const MAX_CLOCK_TICK_MS = 10;

// The privileged options need CAP_NET_ADMIN (12) and CAP_NET_RAW (13), not uid 0 as such: CI
// also runs the suite as root with every capability dropped.
const capEff = BigInt(
  `0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`,
);
export const isRoot = (capEff & (1n << 12n)) !== 0n && (capEff & (1n << 13n)) !== 0n;

export const lo = s.if_nametoindex('lo');

// A value each int option takes and what it reads back: the ranges the setters check are the C
// types', and the kernel takes less (TCP_MAXSEG at least 88, TCP_KEEPCNT at most 127, …).
const INT_SAMPLES: Record<string, [set: number, read: number]> = {
  SO_BUSY_POLL: [50, 50], // needs CAP_NET_ADMIN to raise
  SO_INCOMING_CPU: [0, 0],
  SO_MARK: [0xdeadbeef, 0xdeadbeef], // read back unsigned
  SO_PRIORITY: [5, 5], // above 6 needs CAP_NET_ADMIN
  SO_RCVBUF: [65536, 65536 * LINUX_DOUBLES_BUFFER_SIZES],
  SO_RCVLOWAT: [100, 100],
  SO_SNDBUF: [65536, 65536 * LINUX_DOUBLES_BUFFER_SIZES],
  IP_MULTICAST_TTL: [7, 7],
  IP_TOS: [0x10, 0x10], // no ECN bits: a TCP socket keeps its own
  IP_TTL: [42, 42],
  IPV6_MULTICAST_HOPS: [5, 5],
  IPV6_MULTICAST_IF: [lo, lo], // an interface that exists
  IPV6_TCLASS: [0x20, 0x20], // no ECN bits, as for IP_TOS
  IPV6_UNICAST_HOPS: [9, 9],
  TCP_KEEPCNT: [4, 4],
  TCP_KEEPIDLE: [30, 30],
  TCP_KEEPINTVL: [5, 5],
  TCP_NOTSENT_LOWAT: [16384, 16384],
  TCP_MAXSEG: [1000, 1000], // before connect it reads back the value set; after, the MSS in use
  TCP_USER_TIMEOUT: [1500, 1500],
};

const NAME_SAMPLES: Record<string, string> = {
  SO_BINDTODEVICE: 'lo',
  TCP_CONGESTION: 'reno', // always built in
};

/** A value set, and the check of what reads back. */
export interface RoundTrip {
  value: unknown;
  readsBack: (got: unknown) => void;
}

const exactly = (value: unknown, read = value): RoundTrip => ({
  value,
  readsBack: (got) => expect(got).toBe(read),
});

/** Values that round-trip through a settable, readable option: none for a kind not listed. */
export function roundTrips(o: OptionInfo): RoundTrip[] {
  switch (o.kind) {
    case 'bool':
      return [exactly(true), exactly(false), exactly(true)];
    case 'int':
    case 'uint32': {
      const sample = INT_SAMPLES[o.opt];
      if (!sample) throw new Error(`${o.opt}: give it a sample value in test/helpers/options.ts`);
      return [exactly(...sample)];
    }
    case 'timeval':
      return [1000, 2500, 10, 1234.5, 0.001].map((ms) => ({
        value: ms,
        readsBack: (got) => {
          expect(got).toBeGreaterThanOrEqual(ms);
          expect(got).toBeLessThan(ms + MAX_CLOCK_TICK_MS);
        },
      }));
    case 'name':
      return [exactly(NAME_SAMPLES[o.opt])];
    case 'linger':
      return [5, 0, null, 120].map((v) => exactly(v));
    case 'multicastIfV4':
      return [exactly('127.0.0.1'), exactly('0.0.0.0')];
    default:
      return [];
  }
}

/** The setter's arguments after the fd for a call that passes every check of the value. */
export function validArgs(o: OptionInfo): unknown[] {
  if (o.kind === 'membershipV4') return ['239.1.1.1', '0.0.0.0'];
  if (o.kind === 'membershipV6') return ['ff02::1', 0];
  if (o.kind === 'sourceMembershipV4') return ['232.1.1.1', '127.0.0.1', '0.0.0.0'];
  if (o.kind === 'groupSourceReq') return ['232.1.1.1', '127.0.0.1', 0];
  return [roundTrips(o)[0]!.value];
}

const typeError = ['TypeError', 'ERR_INVALID_ARG_TYPE'] as const;
const rangeError = ['RangeError', 'ERR_OUT_OF_RANGE'] as const;
const valueError = ['TypeError', 'ERR_INVALID_ARG_VALUE'] as const;
export type ErrorKind = typeof typeError | typeof rangeError | typeof valueError;

/** Setter arguments (after the fd) each option's setter refuses before any syscall, and how. */
export function badArgs(o: OptionInfo): [what: string, args: unknown[], error: ErrorKind][] {
  const min = o.min ?? 0;
  const max = o.max ?? 0;
  switch (o.kind) {
    case 'bool':
      return [
        ['a number', [1], typeError],
        ['a string', ['true'], typeError],
      ];
    case 'int':
    case 'uint32':
      return [
        [`${min - 1}`, [o.kind === 'uint32' ? -1 : min - 1], rangeError],
        [`${max + 1}`, [o.kind === 'uint32' ? 2 ** 32 : max + 1], rangeError],
        ['a fraction', [min + 0.5], rangeError],
        ['a string', ['5'], typeError],
      ];
    case 'timeval':
      return [
        ...[-1, NaN, Infinity, -Infinity].map((ms): [string, unknown[], ErrorKind] => [
          `${ms} ms`,
          [ms],
          rangeError,
        ]),
        ['a string', ['5'], typeError],
      ];
    case 'name': {
      const maxBytes = o.nameSize === undefined ? 255 : c[o.nameSize as 'IFNAMSIZ'] - 1;
      return [
        ['a number', [1], typeError],
        ['a NUL byte', ['re\0no'], valueError],
        ['a name the kernel would cut short', ['x'.repeat(maxBytes + 1)], valueError],
      ];
    }
    case 'linger':
      return [
        ['-1 seconds', [-1], rangeError],
        ['1.5 seconds', [1.5], rangeError],
        ['2^31 seconds', [2 ** 31], rangeError],
        ['a string', ['5'], typeError],
      ];
    case 'multicastIfV4':
      return [
        ['a negative ifindex', [-1], rangeError],
        ['an object', [{}], typeError],
        ['an IPv6 address', ['::1'], valueError],
      ];
    case 'membershipV4':
      return [
        ['an IPv6 group', ['ff02::1'], valueError],
        ['an unparsable group', ['300.1.1.1'], valueError],
        ['an object interface', ['239.1.1.1', {}], typeError],
      ];
    case 'membershipV6':
      return [
        ['an IPv4 group', ['239.1.1.1'], valueError],
        ['a negative ifindex', ['ff02::1', -1], rangeError],
      ];
    case 'sourceMembershipV4':
      return [
        ['an IPv6 group', ['ff3e::1', '127.0.0.1'], valueError],
        ['a missing source', ['232.1.1.1'], typeError],
        ['an unparsable source', ['232.1.1.1', '127.0.0.300'], valueError],
        ['an interface index', ['232.1.1.1', '127.0.0.1', 1], typeError],
      ];
    case 'groupSourceReq':
      return [
        ['a number group', [1, '127.0.0.1'], typeError],
        ['an unparsable group', ['232.1.1', '127.0.0.1'], valueError],
        ['an IPv6 source for an IPv4 group', ['232.1.1.1', '::1'], valueError],
        ['an IPv4 source for an IPv6 group', ['ff3e::1', '127.0.0.1'], valueError],
        ['a negative ifindex', ['232.1.1.1', '127.0.0.1', -1], rangeError],
      ];
    default:
      return [];
  }
}

type Fn = (fd: number, ...args: unknown[]) => unknown;

/** The package's function of that name. */
export function fn(name: string): Fn {
  const f = (s as unknown as Record<string, unknown>)[name];
  if (typeof f !== 'function') throw new Error(`the package exports no function ${name}`);
  return f as Fn;
}
