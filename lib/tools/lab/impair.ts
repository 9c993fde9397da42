// What a link does to the packets that cross it: the same options for a kernel link (veth with
// the netem discipline) and a userspace link (TUN devices with a forwarding thread), with the
// meanings of tc-netem(8) so that one description fits both.
import { invalidArgType, invalidArgValue, outOfRange, validateInt } from '../../internal/errors.js';

/**
 * Bursty loss by the Gilbert-Elliott model with loss in the bad state only: `rate` is the share
 * of packets lost in the long run, `burst` the mean number of packets lost in a row (>= 1). The
 * chance of leaving the bad state is 1/burst, and of entering it rate/(burst × (1 − rate)).
 * Each packet's fate is that of the state it finds, before the move the same packet decides (as
 * the kernel's loss_gilb_ell): the packet that turns the state bad goes through, and the one
 * that turns it good is lost.
 */
export interface BurstLoss {
  rate: number;
  burst: number;
}

/**
 * Impairments of one direction of a link, as tc-netem(8) defines them. Every share is 0 to 1.
 *
 * On a veth link the kernel's netem applies them, with its own rounding and limits, noted at each
 * field: every share becomes a u32 (share × (2^32 − 1), rounded), times become nanoseconds, and
 * the rate whole bytes per second.
 */
export interface Impairments {
  /** Every packet's delay, in milliseconds. */
  delayMs?: number;
  /**
   * Each packet's delay varies by up to this much either way (uniformly), in milliseconds; at
   * most `delayMs`. As with netem, packets whose delays cross are reordered. netem caps the
   * jitter at 2^31 − 1 ns (about 2147 ms).
   */
  jitterMs?: number;
  /** The share of packets dropped, each independently; or bursty loss. */
  loss?: number | BurstLoss;
  /**
   * The share of packets sent twice. As netem does, on both kinds of link: a loss then takes one
   * of the two away, and a copy that remains goes through the loss again, and through its own
   * delay and corruption, but is never duplicated itself.
   */
  duplicate?: number;
  /**
   * The share of packets with one random bit flipped. netem flips it anywhere in the packet's
   * first buffer, the Ethernet and IP headers included, so many corrupted packets are dropped by
   * the receiver's checks.
   */
  corrupt?: number;
  /**
   * The share of packets sent at once, without the delay, so that they overtake the packets
   * before them, as netem's `reorder` (with its gap of 1). Needs `delayMs` > 0. With netem such a
   * packet skips the rate limit's queue too.
   */
  reorder?: number;
  /**
   * A rate limit in bits per second: packets leave one after another at this rate. netem counts
   * whole bytes per second (rate / 8, rounded down, at least 1) of each frame as the veth sends
   * it, its 14-byte Ethernet header included. Its delay and rate overlap rather than add: a packet
   * leaves at the later of its arrival plus its delay and the previous packet's departure, plus
   * its own time on the wire.
   */
  rate?: number;
  /**
   * How many packets may wait in the link; more are dropped (netem's `limit`, 1000 by default).
   * The delayed packets count too, so the limit must hold `delayMs` worth of the packet rate.
   */
  limit?: number;
  /**
   * Seeds the random choices, so that the same packets meet the same fate in every run. netem
   * seeds which packets are lost, duplicated, corrupted and reordered and each one's jitter, but
   * not which bit a corruption flips. It needs Linux 6.6 (an older kernel ignores the seed), and
   * a veth link with a seed fails with code 'ERR_LAB_NO_NETEM_SEED' when the headers the addon was
   * built with predate TCA_NETEM_PRNG_SEED.
   */
  seed?: number;
}

/** Impairments with every field present and checked. */
export interface ResolvedImpairments {
  delayMs: number;
  jitterMs: number;
  /** Independent loss, or the Gilbert-Elliott transitions when `burst` is set. */
  loss: number;
  burst: { p: number; r: number } | undefined;
  duplicate: number;
  corrupt: number;
  reorder: number;
  rate: number;
  limit: number;
  seed: number | undefined;
}

const KEYS = new Set([
  'delayMs',
  'jitterMs',
  'loss',
  'duplicate',
  'corrupt',
  'reorder',
  'rate',
  'limit',
  'seed',
]);

function share(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(value >= 0 && value <= 1)) throw outOfRange(name, '>= 0 and <= 1', value);
  return value;
}

function range(value: unknown, name: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(value >= 0 && value <= max)) throw outOfRange(name, `>= 0 and <= ${max}`, value);
  return value;
}

// 0 (no limit) or at least 8 bits per second: netem's unit is a byte per second, and a slower
// rate would hold a packet for longer than anything can wait.
function rate(value: unknown, name: string): number {
  const r = range(value, name, Number.MAX_SAFE_INTEGER, 0);
  if (r !== 0 && r < 8) throw outOfRange(name, '0 (none) or >= 8 (bits per second)', r);
  return r;
}

/** Checks one direction's impairments; `name` is the option's name in errors. */
export function resolveImpairments(value: unknown, name: string): ResolvedImpairments {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  for (const key of Object.keys(value)) {
    if (!KEYS.has(key)) {
      throw invalidArgValue(
        `${name}.${key}`,
        (value as Record<string, unknown>)[key],
        'is not an impairment',
      );
    }
  }
  const v = value as Impairments;
  const delayMs = range(v.delayMs, `${name}.delayMs`, 3_600_000, 0);
  const jitterMs = range(v.jitterMs, `${name}.jitterMs`, 3_600_000, 0);
  if (jitterMs > delayMs) {
    throw outOfRange(`${name}.jitterMs`, `<= ${name}.delayMs (${delayMs})`, jitterMs);
  }
  let loss: number;
  let burst: ResolvedImpairments['burst'];
  if (typeof v.loss === 'object' && v.loss !== null) {
    const b = v.loss as { rate?: unknown; burst?: unknown };
    loss = share(b.rate, `${name}.loss.rate`);
    if (typeof b.burst !== 'number')
      throw invalidArgType(`${name}.loss.burst`, 'of type number', b.burst);
    if (!(b.burst >= 1 && b.burst <= 1e9)) throw outOfRange(`${name}.loss.burst`, '>= 1', b.burst);
    if (loss >= 1) throw outOfRange(`${name}.loss.rate`, '< 1 with a burst', loss);
    const r = 1 / b.burst;
    burst = { p: (loss * r) / (1 - loss), r };
    if (burst.p > 1) {
      throw outOfRange(
        `${name}.loss.burst`,
        `>= ${(loss / (1 - loss)).toPrecision(3)} for a rate of ${loss}`,
        b.burst,
      );
    }
  } else {
    loss = share(v.loss, `${name}.loss`);
  }
  const reorder = share(v.reorder, `${name}.reorder`);
  if (reorder > 0 && delayMs === 0) {
    throw invalidArgValue(
      `${name}.reorder`,
      reorder,
      'needs delayMs > 0: reordered packets skip the delay to overtake the others',
    );
  }
  const limit = v.limit ?? 1000;
  validateInt(limit, `${name}.limit`, 1, 0x7fffffff);
  if (v.seed !== undefined) validateInt(v.seed, `${name}.seed`, 0, Number.MAX_SAFE_INTEGER);
  const seed = v.seed;
  return {
    delayMs,
    jitterMs,
    loss,
    burst,
    duplicate: share(v.duplicate, `${name}.duplicate`),
    corrupt: share(v.corrupt, `${name}.corrupt`),
    reorder,
    rate: rate(v.rate, `${name}.rate`),
    limit,
    seed,
  };
}

/** Whether the impairments change anything at all (a limit alone does not). */
export function impairs(i: ResolvedImpairments): boolean {
  return (
    i.delayMs > 0 || i.loss > 0 || i.duplicate > 0 || i.corrupt > 0 || i.reorder > 0 || i.rate > 0
  );
}

/**
 * A link's impairments for each direction: one object for both, or `[aToB, bToA]`. Either entry
 * of the pair may be undefined for a clean direction.
 */
export type LinkImpairments = Impairments | [Impairments | undefined, Impairments | undefined];

/** Checks `impair` of a link's options: the impairments of a→b and of b→a. */
export function resolveLinkImpairments(
  value: unknown,
  name: string,
): [ResolvedImpairments, ResolvedImpairments] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length !== 2)
      throw invalidArgValue(name, value, 'must be one object or a pair [aToB, bToA]');
    return [
      resolveImpairments(value[0] ?? {}, `${name}[0]`),
      resolveImpairments(value[1] ?? {}, `${name}[1]`),
    ];
  }
  const one = resolveImpairments(value, name);
  return [one, { ...one }];
}
