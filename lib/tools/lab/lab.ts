// A network lab inside one process: hosts are network namespaces the process made, links are
// veth pairs between them, all built over rtnetlink with sockfd's own sockets.
//
// setns(2) and unshare(2) move only the calling thread. A host's run() therefore moves this
// thread into the host's namespace, runs a synchronous function, and moves it back before
// returning or throwing: a socket keeps the namespace it was created in, so what is made inside
// can be used from anywhere afterwards. An async function cannot run inside: its awaits resume
// after run() has already moved the thread back.
import { writeFileSync } from 'node:fs';
import { isIP } from 'node:net';

import { check, invalidArgType, invalidArgValue, outOfRange } from '../../internal/errors.js';
import { type SocketBase } from '../../socket/base.js';
import { DatagramSocket } from '../../socket/datagram.js';
import { RawSocket } from '../../socket/raw.js';
import { SeqPacketSocket } from '../../socket/seqpacket.js';
import { StreamSocket } from '../../socket/stream.js';
import { constants as c } from '../../sys/constants.generated.js';
import { native } from '../../sys/native.js';
import { setns, unshare } from '../../sys/ns.js';
import { close as closeFd, if_nametoindex, socket as sysSocket } from '../../sys/syscalls.js';
import {
  type LinkImpairments,
  type ResolvedImpairments,
  impairs,
  resolveLinkImpairments,
} from './impair.js';
import { Rtnetlink, addressBytes } from './rtnetlink.js';
import { Forwarder, type LinkStats, openTun, tunSupport } from './userspace.js';

// The calling thread's own network namespace (what native/ns.cc opens); /proc/self would name
// the main thread's.
const THREAD_NETNS = '/proc/thread-self/ns/net';
const IFNAMSIZ = 16;

// How many run()s this thread is inside, across labs.
let depth = 0;

// This thread's network namespace as an fd owned by this environment (native/ns.cc): a worker
// that ends or is terminated with its lab open closes it at teardown, so the namespace goes with
// the worker. closeFd() (the addon's close) takes it out of the owned set. proc(5)
function openThreadNetns(): number {
  return check(native.openThreadNetns(), 'open');
}

/** Options of {@link Lab.host}. */
export interface HostOptions {
  /**
   * Addresses in CIDR form ('10.0.0.1/24', 'fd00::1/64') given to this host's end of the first
   * link made for it that names no addresses of its own.
   */
  addresses?: string[];
}

/** Options of {@link Lab.link}. */
export interface LinkOptions {
  /** CIDR addresses of each end: `[a's, b's]`; each a string, an array of strings, or undefined. */
  addresses?: [string | string[] | undefined, string | string[] | undefined];
  /** Interface names of each end; by default `eth0`, `eth1`, … in order on each host. */
  names?: [string, string];
  /** The MTU of both ends. */
  mtu?: number;
  /**
   * What the link is made of. 'veth' (the default): a veth pair, impaired by the kernel's netem
   * discipline on each end; a kernel without netem makes link() fail with code
   * 'ERR_LAB_NO_NETEM'. 'userspace': a TUN device in each host, with a thread of this process
   * forwarding between them and impairing the packets itself, so it needs no netem; it needs
   * /dev/net/tun to open for this user.
   */
  kind?: 'veth' | 'userspace';
  /**
   * What the link does to packets: one {@link Impairments} for both directions (so a round trip
   * meets the delay twice), or `[aToB, bToA]`. On a veth link the kernel's netem applies them at
   * each end's egress, with its own rounding and limits (a rate in whole bytes per second of
   * Ethernet frames, a delay that overlaps the rate's queue, a jitter capped near 2.1 s), which
   * {@link Impairments} notes field by field. tc-netem(8)
   */
  impair?: LinkImpairments;
}

/** One end of a link: the host it is in and its interface there. */
export interface LinkEnd {
  readonly host: Host;
  readonly name: string;
  readonly ifindex: number;
  readonly addresses: readonly string[];
}

/** A link between two hosts: a veth pair, or a userspace link. */
export type Link = VethLink | UserspaceLink;

/** A veth pair between two hosts. */
export interface VethLink {
  readonly kind: 'veth';
  readonly a: LinkEnd;
  readonly b: LinkEnd;
}

/** Two TUN devices and the thread of this process that carries packets between them. */
export interface UserspaceLink {
  readonly kind: 'userspace';
  readonly a: LinkEnd;
  readonly b: LinkEnd;
  /** What each direction has done since the link was made. */
  stats(): { aToB: LinkStats; bToA: LinkStats };
  /**
   * Replaces the impairments, for example to cut the link (`{ loss: 1 }`) and mend it
   * (`{}`) during a test. Packets already waiting keep their times.
   */
  impair(impair: LinkImpairments): void;
}

/** Options of {@link Host.route}. */
export interface RouteOptions {
  /** The next hop's address. */
  via?: string;
  /** The interface to send out of (needed when there is no `via`). */
  dev?: string;
}

/** A parsed 'address/prefix'. */
function parseCidr(text: unknown, name: string): { address: string; prefix: number } {
  if (typeof text !== 'string') throw invalidArgType(name, 'of type string', text);
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  let family: number | undefined;
  try {
    family = m === null ? undefined : addressBytes(m[1]!).family;
  } catch {
    family = undefined;
  }
  const max = family === c.AF_INET ? 32 : 128;
  if (m === null || family === undefined || Number(m[2]) > max) {
    throw invalidArgValue(name, text, "must be an address and prefix length, as '10.0.0.1/24'");
  }
  return { address: m[1]!, prefix: Number(m[2]) };
}

function addressList(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw invalidArgType(name, 'a string or an array of strings', value);
  list.forEach((a, i) => parseCidr(a, `${name}[${i}]`));
  return [...(list as string[])];
}

function validateIfName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string') throw invalidArgType(what, 'of type string', name);
  if (
    name.length === 0 ||
    name.length >= IFNAMSIZ ||
    /[\s/:%]|\0/.test(name) ||
    /[^\x20-\x7e]/.test(name)
  ) {
    throw invalidArgValue(
      what,
      name,
      'must be an interface name of 1 to 15 printable characters, without spaces, /, : or %',
    );
  }
}

// netem over rtnetlink; a kernel without it answers ENOENT, which deserves words.
function addNetem(nl: Rtnetlink, ifindex: number, impair: ResolvedImpairments): void {
  try {
    nl.addNetem(ifindex, impair);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
    throw Object.assign(
      new Error(
        'sockfd lab: this kernel has no netem queueing discipline (RTM_NEWQDISC ENOENT): it needs ' +
          'CONFIG_NET_SCH_NETEM, built in or as the sch_netem module loaded from outside the ' +
          "lab; a link of kind: 'userspace' impairs packets itself and needs no netem",
        { cause: e },
      ),
      { code: 'ERR_LAB_NO_NETEM' },
    );
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

// What Lab and Host reach in each other, kept off their public types and so out of the
// published .d.ts: each class's static block, which may use its #private members, sets its part.
let newHost: (lab: Lab, name: string, netns: number, addresses: string[]) => Host;
/** Runs `fn` with an rtnetlink socket in `host`'s namespace. */
let rtnl: <T>(host: Host, fn: (nl: Rtnetlink) => T) => T;
/** The next default interface name on `host`. */
let nextInterfaceName: (host: Host) => string;
/** Takes `host`'s addresses from HostOptions, once. */
let takePendingAddresses: (host: Host) => string[];
/** Closes `host`'s namespace fd; the namespace goes when its last socket does. */
let closeNetns: (host: Host) => void;
/** setns into `netns`, run `fn`, setns back to where the thread was. */
let inside: <T>(lab: Lab, netns: number, fn: () => T) => T;
/** Adds a socket a host's helper made to those closed with the lab if still open. */
let track: (lab: Lab, s: SocketBase) => void;
/** Runs `fn` inside `host`'s namespace, without run()'s checks. */
let enter: <T>(host: Host, fn: () => T) => T;

/**
 * A host of a {@link Lab}: a network namespace of its own, with loopback up. Make its sockets
 * with its helpers (`host.StreamSocket.listen(…)`, `host.socket(…)`) or inside `host.run(…)`.
 */
export class Host {
  readonly name: string;
  readonly #lab: Lab;
  #netns: number;
  #nextIf = 0;
  // Addresses from HostOptions waiting for the host's first link.
  #pending: string[];

  // Made by Lab.host().
  private constructor(lab: Lab, name: string, netns: number, addresses: string[]) {
    this.#lab = lab;
    this.name = name;
    this.#netns = netns;
    this.#pending = addresses;
  }

  static {
    newHost = (lab, name, netns, addresses) => new Host(lab, name, netns, addresses);
    rtnl = (host, fn) => host.#rtnl(fn);
    enter = (host, fn) => host.#enter(fn);
    nextInterfaceName = (host) => `eth${host.#nextIf++}`;
    takePendingAddresses = (host) => {
      const p = host.#pending;
      host.#pending = [];
      return p;
    };
    closeNetns = (host) => {
      const fd = host.#netns;
      host.#netns = -1;
      if (fd >= 0) closeFd(fd);
    };
  }

  /** The fd of this host's network namespace (for setns(2)); -1 once the lab is closed. */
  get netnsFd(): number {
    return this.#netns;
  }

  /**
   * Runs `fn` with the calling thread in this host's network namespace and returns what it
   * returns; the thread is back where it was when run() returns or throws. Sockets made inside
   * stay in this namespace. `fn` must be synchronous: an async function or one that returns a
   * promise is refused with a TypeError (after the thread is back). setns(2)
   */
  run<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn);
    if (
      fn.constructor.name === 'AsyncFunction' ||
      fn.constructor.name === 'AsyncGeneratorFunction'
    ) {
      throw invalidArgValue(
        'fn',
        fn,
        'must be synchronous: an async function would continue outside the namespace after its first await',
      );
    }
    const r = this.#enter(fn);
    if (isThenable(r)) {
      // The work after its first await would run in the wrong namespace; say so instead.
      Promise.resolve(r).catch(() => {});
      throw invalidArgValue(
        'fn',
        fn,
        'must be synchronous: it returned a promise, whose continuations would run outside the namespace',
      );
    }
    return r;
  }

  // run() without the checks, for the helpers that start async work on purpose.
  #enter<T>(fn: () => T): T {
    return inside(this.#lab, this.#liveNetns(), fn);
  }

  #liveNetns(): number {
    if (this.#netns < 0) throw new Error(`host ${this.name}: its lab is closed`);
    return this.#netns;
  }

  /** A socket fd in this host's namespace; the caller owns it. socket(2) */
  socket(domain: number, type: number, protocol = 0): number {
    return this.#enter(() => sysSocket(domain, type, protocol));
  }

  #track<S extends SocketBase>(s: S): S {
    track(this.#lab, s);
    return s;
  }

  /** StreamSocket's constructors, making the socket in this host's namespace. */
  readonly StreamSocket = {
    create: ((...args: Parameters<typeof StreamSocket.create>) =>
      this.#track(this.#enter(() => StreamSocket.create(...args)))) as typeof StreamSocket.create,
    listen: ((...args: Parameters<typeof StreamSocket.listen>) =>
      this.#track(this.#enter(() => StreamSocket.listen(...args)))) as typeof StreamSocket.listen,
    // The socket is made synchronously inside, before the first await; the connection
    // completes from outside, in the socket's own namespace.
    connect: (async (...args: Parameters<typeof StreamSocket.connect>) =>
      this.#track(
        await this.#enter(() => StreamSocket.connect(...args)),
      )) as typeof StreamSocket.connect,
  };

  /** DatagramSocket's constructors, making the socket in this host's namespace. */
  readonly DatagramSocket = {
    create: ((...args: Parameters<typeof DatagramSocket.create>) =>
      this.#track(
        this.#enter(() => DatagramSocket.create(...args)),
      )) as typeof DatagramSocket.create,
    bound: ((...args: Parameters<typeof DatagramSocket.bound>) =>
      this.#track(this.#enter(() => DatagramSocket.bound(...args)))) as typeof DatagramSocket.bound,
  };

  /** SeqPacketSocket's constructors, making the socket in this host's namespace. */
  readonly SeqPacketSocket = {
    create: ((...args: Parameters<typeof SeqPacketSocket.create>) =>
      this.#track(
        this.#enter(() => SeqPacketSocket.create(...args)),
      )) as typeof SeqPacketSocket.create,
    listen: ((...args: Parameters<typeof SeqPacketSocket.listen>) =>
      this.#track(
        this.#enter(() => SeqPacketSocket.listen(...args)),
      )) as typeof SeqPacketSocket.listen,
    connect: (async (...args: Parameters<typeof SeqPacketSocket.connect>) =>
      this.#track(
        await this.#enter(() => SeqPacketSocket.connect(...args)),
      )) as typeof SeqPacketSocket.connect,
  };

  /** RawSocket's constructor, making the socket in this host's namespace. */
  readonly RawSocket = {
    create: ((...args: Parameters<typeof RawSocket.create>) =>
      this.#track(this.#enter(() => RawSocket.create(...args)))) as typeof RawSocket.create,
  };

  /** The index of interface `name` in this host. if_nametoindex(3) */
  ifindex(name: string): number {
    validateIfName(name, 'name');
    return this.#enter(() => if_nametoindex(name));
  }

  /** Adds an address ('10.0.0.1/24') to interface `dev`. rtnetlink(7) RTM_NEWADDR */
  addAddress(dev: string, cidr: string): void {
    validateIfName(dev, 'dev');
    const { address, prefix } = parseCidr(cidr, 'cidr');
    this.#rtnl((nl) => nl.addAddress(if_nametoindex(dev), address, prefix));
  }

  /**
   * Adds a route to `to` ('10.0.2.0/24', or 'default' / 'default6' for IPv4's or IPv6's
   * default route) via the next hop `options.via`, or straight out of `options.dev`.
   * rtnetlink(7) RTM_NEWROUTE
   */
  route(to: string, options: RouteOptions = {}): void {
    if (typeof options !== 'object' || options === null)
      throw invalidArgType('options', 'of type object', options);
    const { via, dev } = options;
    let dst: { address: string; prefix: number };
    if (to === 'default') dst = { address: '0.0.0.0', prefix: 0 };
    else if (to === 'default6') dst = { address: '::', prefix: 0 };
    else dst = parseCidr(to, 'to');
    if (via !== undefined) {
      if (typeof via !== 'string') throw invalidArgType('options.via', 'of type string', via);
      if (isIP(via) !== isIP(dst.address)) {
        throw invalidArgValue(
          'options.via',
          via,
          `must be an IP address of the same family as ${to}`,
        );
      }
    }
    if (dev !== undefined) validateIfName(dev, 'options.dev');
    if (via === undefined && dev === undefined) {
      throw invalidArgValue('options', options, 'must name a next hop (via) or an interface (dev)');
    }
    this.#rtnl((nl) =>
      nl.addRoute({
        dst: dst.address,
        prefix: dst.prefix,
        ...(via !== undefined && { gateway: via }),
        ...(dev !== undefined && { ifindex: if_nametoindex(dev) }),
      }),
    );
  }

  /**
   * Turns IP forwarding in this host on or off: net.ipv4.ip_forward, or for 'inet6'
   * net.ipv6.conf.all.forwarding. The file is opened while the thread is in the host's
   * namespace, since /proc/sys/net shows the namespace of the thread that opens it. proc(5)
   */
  forwarding(on: boolean, family: 'inet' | 'inet6' = 'inet'): void {
    if (typeof on !== 'boolean') throw invalidArgType('on', 'of type boolean', on);
    if (family !== 'inet' && family !== 'inet6')
      throw invalidArgValue('family', family, "must be 'inet' or 'inet6'");
    const path =
      family === 'inet'
        ? '/proc/sys/net/ipv4/ip_forward'
        : '/proc/sys/net/ipv6/conf/all/forwarding';
    this.#enter(() => writeFileSync(path, on ? '1' : '0'));
  }

  #rtnl<T>(fn: (nl: Rtnetlink) => T): T {
    return this.#enter(() => {
      const nl = new Rtnetlink();
      try {
        return fn(nl);
      } finally {
        nl.close();
      }
    });
  }
}

/**
 * A network lab: hosts (network namespaces) and links (veth pairs) made from this process, all
 * removed by {@link Lab.close} or `await using`. A lab made in a worker thread moves only that
 * thread, and goes with the worker if it ends or is terminated first. Needs CAP_SYS_ADMIN over
 * the current network namespace: root, or a user namespace (`npx sockfd lab -- <cmd>`);
 * {@link labSupport} says whether this process has it.
 */
export class Lab implements AsyncDisposable {
  // This thread's namespace when the lab was made, held so the lab can tell it is open.
  #origin: number;
  readonly #hosts = new Map<string, Host>();
  readonly #links: Link[] = [];
  readonly #sockets = new Set<SocketBase>();

  private constructor(origin: number) {
    this.#origin = origin;
  }

  /** Makes an empty lab. Fails like {@link labSupport} says when namespaces are not allowed. */
  static create(): Promise<Lab> {
    return settle(() => Lab.#create());
  }

  static #create(): Lab {
    const support = labSupport();
    if (!support.ok)
      throw Object.assign(new Error(`sockfd lab: ${support.reason}`), {
        code: 'ERR_LAB_UNSUPPORTED',
      });
    return new Lab(openThreadNetns());
  }

  get closed(): boolean {
    return this.#origin < 0;
  }

  /** The hosts, by name. */
  get hosts(): ReadonlyMap<string, Host> {
    return this.#hosts;
  }

  /** The links, in the order they were made. */
  get links(): readonly Link[] {
    return this.#links;
  }

  #live(): number {
    if (this.#origin < 0) throw new Error('the lab is closed');
    return this.#origin;
  }

  static {
    inside = (lab, netns, fn) => lab.#inside(netns, fn);
    track = (lab, s) => lab.#sockets.add(s);
  }

  #inside<T>(netns: number, fn: () => T): T {
    this.#live();
    // Where the thread is now, whichever lab's run() it may be inside: one open(2) per run.
    const back = openThreadNetns();
    try {
      setns(netns, c.CLONE_NEWNET);
      depth++;
      try {
        return fn();
      } finally {
        depth--;
        returnTo(back);
      }
    } finally {
      closeFd(back);
    }
  }

  /**
   * Makes a host: a new network namespace with loopback up. unshare(2) CLONE_NEWNET from this
   * thread, the new namespace kept as an fd of /proc/thread-self/ns/net, then setns(2) back.
   */
  host(name: string, options: HostOptions = {}): Promise<Host> {
    return settle(() => this.#host(name, options));
  }

  #host(name: string, options: HostOptions): Host {
    if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
    if (name.length === 0) throw invalidArgValue('name', name, 'must not be empty');
    if (this.#hosts.has(name)) throw invalidArgValue('name', name, 'is already a host of this lab');
    if (typeof options !== 'object' || options === null)
      throw invalidArgType('options', 'of type object', options);
    const addresses = addressList(options.addresses, 'options.addresses');
    this.#live();
    const back = openThreadNetns();
    let netns = -1;
    try {
      unshare(c.CLONE_NEWNET);
      netns = openThreadNetns();
      const nl = new Rtnetlink();
      try {
        nl.linkUp(if_nametoindex('lo'));
      } finally {
        nl.close();
      }
    } catch (e) {
      if (netns >= 0) closeFd(netns);
      throw e;
    } finally {
      returnTo(back);
      closeFd(back);
    }
    const host = newHost(this, name, netns, addresses);
    this.#hosts.set(name, host);
    return host;
  }

  /** A host with IPv4 and IPv6 forwarding on. See {@link Lab.host} and {@link Host.forwarding}. */
  async router(name: string, options: HostOptions = {}): Promise<Host> {
    const host = await this.host(name, options);
    host.forwarding(true, 'inet');
    host.forwarding(true, 'inet6');
    return host;
  }

  /**
   * Links two hosts with a veth pair: each end is made directly in its host's namespace
   * (RTM_NEWLINK with IFLA_LINKINFO "veth", VETH_INFO_PEER and IFLA_NET_NS_FD), then given its
   * addresses (RTM_NEWADDR) and brought up. rtnetlink(7), veth(4)
   */
  link(a: Host, b: Host, options: LinkOptions & { kind: 'userspace' }): Promise<UserspaceLink>;
  link(a: Host, b: Host, options?: LinkOptions & { kind?: 'veth' }): Promise<VethLink>;
  link(a: Host, b: Host, options?: LinkOptions): Promise<Link>;
  link(a: Host, b: Host, options: LinkOptions = {}): Promise<Link> {
    return settle(() => this.#link(a, b, options));
  }

  #link(a: Host, b: Host, options: LinkOptions): Link {
    this.#live();
    for (const [h, what] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      if (!(h instanceof Host) || this.#hosts.get(h.name) !== h) {
        throw invalidArgType(what, 'a Host of this lab', h);
      }
    }
    if (a === b) throw invalidArgValue('b', b.name, 'must be another host than a');
    if (typeof options !== 'object' || options === null)
      throw invalidArgType('options', 'of type object', options);
    const { mtu, names, addresses, kind = 'veth' } = options;
    if (kind !== 'veth' && kind !== 'userspace')
      throw invalidArgValue('options.kind', kind, "must be 'veth' or 'userspace'");
    const impair = resolveLinkImpairments(options.impair, 'options.impair');
    if (mtu !== undefined) {
      if (typeof mtu !== 'number') throw invalidArgType('options.mtu', 'of type number', mtu);
      if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535)
        throw outOfRange('options.mtu', 'an integer >= 68 and <= 65535', mtu);
    }
    if (names !== undefined && !Array.isArray(names))
      throw invalidArgType('options.names', 'an array of two strings', names);
    if (addresses !== undefined && !Array.isArray(addresses))
      throw invalidArgType('options.addresses', 'an array of two entries', addresses);
    const nameA = names?.[0] ?? nextInterfaceName(a);
    const nameB = names?.[1] ?? nextInterfaceName(b);
    validateIfName(nameA, 'options.names[0]');
    validateIfName(nameB, 'options.names[1]');
    let addrA = addressList(addresses?.[0], 'options.addresses[0]');
    let addrB = addressList(addresses?.[1], 'options.addresses[1]');
    if (addrA.length === 0) addrA = takePendingAddresses(a);
    if (addrB.length === 0) addrB = takePendingAddresses(b);
    if (kind === 'userspace') {
      const link = userspaceLink([a, nameA, addrA], [b, nameB, addrB], mtu, impair);
      this.#links.push(link);
      return link;
    }

    // The request goes out of a's namespace; both ends are placed by their IFLA_NET_NS_FD.
    rtnl(a, (nl) =>
      nl.addVeth({ name: nameA, netns: a.netnsFd }, { name: nameB, netns: b.netnsFd }, mtu),
    );
    const end = (host: Host, name: string, list: string[]): LinkEnd =>
      rtnl(host, (nl) => {
        const ifindex = if_nametoindex(name);
        for (const cidr of list) {
          const { address, prefix } = parseCidr(cidr, 'address');
          nl.addAddress(ifindex, address, prefix);
        }
        nl.linkUp(ifindex);
        return { host, name, ifindex, addresses: list };
      });
    let link: VethLink;
    try {
      link = { kind: 'veth', a: end(a, nameA, addrA), b: end(b, nameB, addrB) };
      if (impair !== undefined) {
        // Each end's egress: a's discipline impairs a→b, b's impairs b→a.
        for (const [e, i] of [
          [link.a, impair[0]],
          [link.b, impair[1]],
        ] as const) {
          if (impairs(i)) rtnl(e.host, (nl) => addNetem(nl, e.ifindex, i));
        }
      }
    } catch (e) {
      // Deleting one end removes the pair.
      try {
        rtnl(a, (nl) => nl.deleteLink(if_nametoindex(nameA)));
      } catch {
        // The pair never came to be; the error that matters is the one above.
      }
      throw e;
    }
    this.#links.push(link);
    return link;
  }

  /**
   * Closes what the lab made: the sockets its hosts' helpers made that are still open, every
   * link (RTM_DELLINK), and the namespace fds. A namespace goes when the last socket in it
   * closes, so a socket made with `host.socket()` or inside `run()` keeps its host alive.
   */
  close(): Promise<void> {
    return settle(() => this.#close());
  }

  #close(): void {
    if (this.#origin < 0) return;
    // Inside a run() the thread may be in one of the namespaces about to go.
    if (depth > 0) throw new Error('lab.close() cannot be called inside a host.run()');
    const errors: unknown[] = [];
    for (const s of this.#sockets) {
      try {
        if (!s.closed) s.close();
      } catch (e) {
        errors.push(e);
      }
    }
    this.#sockets.clear();
    for (const link of this.#links.splice(0)) {
      try {
        // A userspace link's devices go with their fds; a veth end takes its peer with it.
        if (link.kind === 'userspace') forwarders.get(link)!.stop();
        else rtnl(link.a.host, (nl) => nl.deleteLink(link.a.ifindex));
      } catch (e) {
        // ENODEV: already gone, taken with its peer's namespace.
        if ((e as { code?: string }).code !== 'ENODEV') errors.push(e);
      }
    }
    for (const host of this.#hosts.values()) closeNetns(host);
    this.#hosts.clear();
    const origin = this.#origin;
    this.#origin = -1;
    closeFd(origin);
    if (errors.length > 0) throw new AggregateError(errors, 'sockfd lab: closing failed');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

// Each userspace link's thread, kept off the link object so that its owner is the lab alone.
const forwarders = new WeakMap<UserspaceLink, Forwarder>();

/**
 * A userspace link: a TUN device made inside each host, given its MTU and addresses and
 * brought up, then handed with its twin to a forwarding thread, which owns both fds from then.
 */
function userspaceLink(
  [a, nameA, addrA]: [Host, string, string[]],
  [b, nameB, addrB]: [Host, string, string[]],
  mtu: number | undefined,
  impair: [ResolvedImpairments, ResolvedImpairments] | undefined,
): UserspaceLink {
  const fds: number[] = [];
  try {
    const end = (host: Host, name: string, list: string[]): LinkEnd => {
      fds.push(enter(host, () => openTun(name)));
      return rtnl(host, (nl) => {
        const ifindex = if_nametoindex(name);
        if (mtu !== undefined) nl.setMtu(ifindex, mtu);
        // Without IPv6 addresses the device stays quiet: no router solicitations or MLD
        // reports to take a seeded link's random choices from the test's own packets.
        if (!list.some((cidr) => cidr.includes(':'))) disableIpv6(host, name);
        for (const cidr of list) {
          const { address, prefix } = parseCidr(cidr, 'address');
          nl.addAddress(ifindex, address, prefix);
        }
        nl.linkUp(ifindex);
        return { host, name, ifindex, addresses: list };
      });
    };
    const endA = end(a, nameA, addrA);
    const endB = end(b, nameB, addrB);
    const clean = resolveLinkImpairments({}, 'options.impair')!;
    const forwarder = new Forwarder(fds[0]!, fds[1]!, impair ?? clean);
    fds.length = 0; // the thread's now
    const link: UserspaceLink = {
      kind: 'userspace',
      a: endA,
      b: endB,
      stats: () => forwarder.stats(),
      impair: (next) => forwarder.configure(resolveLinkImpairments(next, 'impair') ?? clean),
    };
    forwarders.set(link, forwarder);
    return link;
  } finally {
    for (const fd of fds) closeFd(fd);
  }
}

function disableIpv6(host: Host, name: string): void {
  try {
    enter(host, () => writeFileSync(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, '1'));
  } catch (e) {
    // A kernel without IPv6 has no such file, and nothing to quiet.
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
  }
}

// The lab's calls are async so that links run by worker threads can join them later; today's
// work is synchronous, and a throw becomes a rejection as an async function's would.
function settle<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(fn()));
}

// Moves the thread back; a thread left in a host's namespace would make every later socket
// there, so failing to return is fatal rather than an error to catch.
function returnTo(netns: number): void {
  try {
    setns(netns, c.CLONE_NEWNET);
  } catch (e) {
    process.emitWarning(
      `sockfd lab: could not return to the original network namespace: ${(e as Error).message}`,
    );
    process.abort();
  }
}

/**
 * Whether this process may make a lab's namespaces: tries unshare(2) CLONE_NEWNET and setns(2)
 * back, and says why not when it may not. With 'userspace', also whether /dev/net/tun opens,
 * which a userspace link needs.
 */
export function labSupport(need?: 'userspace'): { ok: true } | { ok: false; reason: string } {
  if (need !== undefined && need !== 'userspace')
    throw invalidArgValue('need', need, "must be 'userspace' or undefined");
  const base = namespaceSupport();
  if (!base.ok || need === undefined) return base;
  return tunSupport();
}

function namespaceSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux')
    return { ok: false, reason: 'network namespaces are Linux only' };
  let origin: number;
  try {
    origin = openThreadNetns();
  } catch (e) {
    return { ok: false, reason: `cannot open ${THREAD_NETNS}: ${(e as Error).message}` };
  }
  try {
    unshare(c.CLONE_NEWNET);
  } catch (e) {
    closeFd(origin);
    return {
      ok: false,
      reason:
        `unshare(CLONE_NEWNET) failed (${(e as Error).message}): a lab needs CAP_SYS_ADMIN; run as root, ` +
        'or inside a user namespace with `npx sockfd lab -- <command>` (on Ubuntu 24.04 first ' +
        '`sysctl kernel.apparmor_restrict_unprivileged_userns=0`)',
    };
  }
  try {
    returnTo(origin);
  } finally {
    closeFd(origin);
  }
  return { ok: true };
}
