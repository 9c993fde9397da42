// Every typed socket option, declared once. scripts/gen-options.js writes from this table the
// getX/setX functions (lib/sys/options.generated.ts) and the class accessors
// (lib/socket/*accessors.generated.ts), each with its doc; the tests and the fuzzer read it too.
// It is data only, so the generator can read it without the addon: levels and options are named
// by their C constants, which lib/sys/options/codecs.ts resolves to this platform's numbers.
//
// One level per block, its options sorted by C name, its man page once. An option (one line):
//   opt       the C constant (SO_REUSEADDR)
//   name      ReuseAddress: the functions getReuseAddress/setReuseAddress and the methods
//             reuseAddress()/setReuseAddress(on)
//   kind      how the value travels (KINDS below); 'int' setters take min and max
//   applies   which sockets take it (APPLIES below), and so which class has its accessors
//   get/set   the getter's and the setter's doc; `fd` reads "the socket" on the classes
//   readOnly  no setter; writeOnly: no getter
//   setter    a setter not named setX (joinMulticastV4)
//   arg       the setter's parameter name, when not the kind's
//   page      a man page other than the level's
//   nameSize  for 'name': the constant sizing the kernel's buffer (NUL included)
//   privileged  only root (CAP_NET_ADMIN, CAP_NET_RAW) can set it: the tests skip it otherwise
//   v6        the IPPROTO_IPV6 option an AF_INET6 socket takes in its place (IPV6_HDRINCL for
//             IP_HDRINCL), so one function serves both families
//
// Adding an option: its line here; where its value is a struct, a kind in KINDS and its codec in
// codecs.ts (and the native encoder in native/options.cc). `npm run build:ts` writes the rest;
// the tests and the fuzzer pick it up from here (an int option also wants a sample value the
// kernel takes, in test/helpers/options.ts).

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;
// The 8-bit header fields: TTL, hop limit, TOS, traffic class.
const UINT8_MAX = 0xff;

/**
 * The value kinds: the TypeScript types a getter returns and a setter takes, and the setter's
 * parameter name. Each has a codec of the same name in codecs.ts; `more` is a setter's further
 * parameters, passed on to the codec.
 */
export const KINDS = {
  bool: { get: 'boolean', set: 'boolean', arg: 'on' },
  int: { get: 'number', set: 'number', arg: 'value' },
  // An unsigned 32-bit value in a C int: read back unsigned, set 0 to 2^32 - 1.
  uint32: { get: 'number', set: 'number', arg: 'value' },
  // struct timeval as milliseconds.
  timeval: { get: 'number', set: 'number', arg: 'ms' },
  // A NUL-terminated name (an interface, an algorithm).
  name: { get: 'string', set: 'string', arg: 'name' },
  // SO_ERROR: an errno as its name, or null.
  errno: { get: 'string | null' },
  // struct linger as seconds, or null when off.
  linger: { get: 'number | null', set: 'number | null', arg: 'seconds' },
  // struct ucred.
  peerCred: { get: 'PeerCred' },
  // struct tcp_info.
  tcpInfo: { get: 'TcpInfo' },
  // struct in_addr to read; struct in_addr or struct ip_mreqn to set.
  multicastIfV4: { get: 'string', set: 'MulticastInterfaceV4', arg: 'iface' },
  // struct ip_mreq or struct ip_mreqn.
  membershipV4: { set: 'string', arg: 'group', more: "iface: MulticastInterfaceV4 = '0.0.0.0'" },
  // struct ipv6_mreq.
  membershipV6: { set: 'string', arg: 'group', more: 'ifindex = 0' },
  // struct ip_mreq_source.
  sourceMembershipV4: { set: 'string', arg: 'group', more: "source: string, iface = '0.0.0.0'" },
  // struct group_source_req: the group and source both IPv4 or both IPv6.
  groupSourceReq: { set: 'string', arg: 'group', more: 'source: string, ifindex = 0' },
  // An unsigned 64-bit value, as a bigint.
  uint64: { get: 'bigint' },
  // struct sockaddr_in or sockaddr_in6.
  inetAddress: { get: 'IpSocketAddress' },
} as const;

export type Kind = keyof typeof KINDS;

/**
 * Which sockets an option applies to: the class whose accessors it gets, and the sockets the
 * tests try it on.
 */
export const APPLIES = {
  socket: { class: 'SocketBase', sockets: ['tcp4', 'udp4'] },
  unix: { class: 'SocketBase', sockets: ['unixStream'] },
  inet: { class: 'SocketBase', sockets: ['tcp4', 'udp4'] },
  inet6: { class: 'SocketBase', sockets: ['tcp6', 'udp6'] },
  tcp: { class: 'StreamSocket', sockets: ['tcp4'] },
  multicast4: { class: 'DatagramSocket', sockets: ['udp4'] },
  multicast6: { class: 'DatagramSocket', sockets: ['udp6'] },
  raw4: { class: 'RawSocket', sockets: ['raw4'] },
  raw: { class: 'RawSocket', sockets: ['raw4', 'raw6'] },
} as const;

export type Applies = keyof typeof APPLIES;

export interface OptionDecl {
  readonly opt: string;
  readonly name: string;
  readonly kind: Kind;
  readonly applies: Applies;
  readonly get?: string;
  readonly set?: string;
  readonly readOnly?: boolean;
  readonly writeOnly?: boolean;
  readonly setter?: string;
  readonly arg?: string;
  readonly min?: number;
  readonly max?: number;
  readonly page?: string;
  readonly nameSize?: string;
  readonly privileged?: boolean;
  readonly v6?: string;
}

export interface LevelDecl {
  readonly level: string;
  /** The man page of the level's options: 'socket(7)'. */
  readonly page: string;
  readonly options: readonly OptionDecl[];
}

// One option a line, so the table reads as a table and adding an option adds one line.
// prettier-ignore
export const LEVELS = [
  {
    level: 'SOL_SOCKET',
    page: 'socket(7)',
    options: [
      { opt: 'SO_ACCEPTCONN', name: 'AcceptConn', kind: 'bool', applies: 'socket', readOnly: true, get: 'Whether `fd` is listening for connections.' },
      { opt: 'SO_BINDTODEVICE', name: 'BindDevice', kind: 'name', applies: 'socket', nameSize: 'IFNAMSIZ', privileged: true, get: "The name of the interface `fd` is bound to, or '' when it is not bound to one.", set: "Binds `fd` to the interface named `name` ('lo', 'eth0'), so it sends and receives only there; '' removes the binding. Needs CAP_NET_RAW on kernels before 5.7, and to change an existing binding." },
      { opt: 'SO_BROADCAST', name: 'Broadcast', kind: 'bool', applies: 'socket', get: 'Whether `fd` may send to broadcast addresses.', set: 'Lets a datagram socket send to broadcast addresses.' },
      { opt: 'SO_BUSY_POLL', name: 'BusyPoll', kind: 'int', applies: 'socket', arg: 'us', min: 0, max: INT32_MAX, privileged: true, get: 'Microseconds a blocking receive busy-polls the device queue before it sleeps (0: off).', set: 'Sets how many microseconds a blocking receive busy-polls the device queue before it sleeps; raising it needs CAP_NET_ADMIN.' },
      { opt: 'SO_COOKIE', name: 'Cookie', kind: 'uint64', applies: 'socket', readOnly: true, get: "The socket's cookie: a 64-bit number, unique while the system runs, by which BPF programs, `ss -e` and sock_diag name the socket." },
      { opt: 'SO_DOMAIN', name: 'Domain', kind: 'int', applies: 'socket', readOnly: true, get: "The socket's domain (AF_INET, AF_UNIX, …)." },
      { opt: 'SO_ERROR', name: 'Error', kind: 'errno', applies: 'socket', readOnly: true, get: "Takes the socket's pending error: its errno name ('ECONNREFUSED'), or null when there is none. Reading clears it; this is how a nonblocking connect reports its outcome." },
      { opt: 'SO_INCOMING_CPU', name: 'IncomingCpu', kind: 'int', applies: 'socket', arg: 'cpu', min: INT32_MIN, max: INT32_MAX, get: 'The CPU that handled the packets `fd` last received (-1 before any). The kernel keeps whatever int was set, so any int can read back.', set: 'Sets the CPU `fd` is taken to be handled on, which SO_REUSEPORT groups use to pick a socket; the kernel takes any int.' },
      { opt: 'SO_KEEPALIVE', name: 'Keepalive', kind: 'bool', applies: 'socket', get: 'Whether keepalive probes are sent on an idle connection.', set: 'Turns keepalive probes on or off; see {@link setTcpKeepaliveTime} for their timing.' },
      { opt: 'SO_LINGER', name: 'Linger', kind: 'linger', applies: 'socket', get: 'How `fd` closes while unsent data remains: the linger time in seconds, or null when lingering is off (close returns at once and the kernel sends the rest in the background).', set: 'Makes close wait up to `seconds` for unsent data (0: reset the connection at close), or with null turns lingering off.' },
      { opt: 'SO_MARK', name: 'Mark', kind: 'uint32', applies: 'socket', arg: 'mark', privileged: true, get: 'The fwmark of packets `fd` sends, for policy routing and netfilter (an unsigned 32-bit number).', set: 'Sets the fwmark of packets `fd` sends. Needs CAP_NET_ADMIN (or CAP_NET_RAW on newer kernels).' },
      { opt: 'SO_OOBINLINE', name: 'OutOfBandInline', kind: 'bool', applies: 'socket', get: 'Whether urgent (out-of-band) data is placed in the normal data stream.', set: 'Places urgent (out-of-band) data in the normal data stream instead of apart from it.' },
      { opt: 'SO_PASSCRED', name: 'PassCred', kind: 'bool', applies: 'unix', page: 'unix(7)', get: 'Whether each message received carries the sender\'s credentials (SCM_CREDENTIALS).', set: 'Makes each message received carry the sender\'s process id, user id and group id as an SCM_CREDENTIALS control message.' },
      { opt: 'SO_PEERCRED', name: 'PeerCred', kind: 'peerCred', applies: 'unix', readOnly: true, page: 'unix(7)', get: 'The process id, user id and group id of the peer of a connected unix socket (for a socketpair, the process that created it).' },
      { opt: 'SO_PRIORITY', name: 'Priority', kind: 'int', applies: 'socket', arg: 'priority', min: 0, max: INT32_MAX, get: 'The queueing priority of packets `fd` sends.', set: 'Sets the queueing priority of packets `fd` sends; values above 6 need CAP_NET_ADMIN.' },
      { opt: 'SO_PROTOCOL', name: 'Protocol', kind: 'int', applies: 'socket', readOnly: true, get: "The socket's protocol (IPPROTO_TCP, …)." },
      { opt: 'SO_RCVBUF', name: 'RecvBufferSize', kind: 'int', applies: 'socket', arg: 'bytes', min: 0, max: INT32_MAX, get: 'The receive buffer size in bytes, as the kernel accounts it: Linux reports twice the value that was set.', set: 'Sets the receive buffer size; Linux doubles `bytes` for its bookkeeping and caps it at net.core.rmem_max.' },
      { opt: 'SO_RCVLOWAT', name: 'RecvLowWater', kind: 'int', applies: 'socket', arg: 'bytes', min: 0, max: INT32_MAX, get: 'The fewest bytes a receive waits for before it returns.', set: 'Sets the fewest bytes a receive waits for (and poll reports readable at).' },
      { opt: 'SO_RCVTIMEO', name: 'RecvTimeout', kind: 'timeval', applies: 'socket', get: 'How long a blocking receive waits before it fails with EAGAIN, in milliseconds; 0 means forever.', set: 'Sets how long a blocking receive waits, in milliseconds (fractions kept to the microsecond; the kernel rounds up to its clock tick); 0 means forever, and so does a value past what the kernel can hold (2 ** 63 seconds and more), which reads back as 0. NaN, Infinity and negative values throw a RangeError.' },
      { opt: 'SO_REUSEADDR', name: 'ReuseAddress', kind: 'bool', applies: 'socket', get: 'Whether bind may reuse a local address (for TCP, one still in TIME_WAIT).', set: 'Lets bind reuse a local address (for TCP, one still in TIME_WAIT).' },
      { opt: 'SO_REUSEPORT', name: 'ReusePort', kind: 'bool', applies: 'socket', get: 'Whether several sockets of one user may bind the same address and port.', set: 'Lets several sockets bind the same address and port; the kernel spreads connections or datagrams across them. Set it on each before bind.' },
      { opt: 'SO_SNDBUF', name: 'SendBufferSize', kind: 'int', applies: 'socket', arg: 'bytes', min: 0, max: INT32_MAX, get: 'The send buffer size in bytes, as the kernel accounts it: Linux reports twice the value that was set.', set: 'Sets the send buffer size; Linux doubles `bytes` for its bookkeeping and caps it at net.core.wmem_max.' },
      { opt: 'SO_SNDTIMEO', name: 'SendTimeout', kind: 'timeval', applies: 'socket', get: 'How long a blocking send waits before it fails with EAGAIN, in milliseconds; 0 means forever.', set: 'Sets how long a blocking send waits, in milliseconds (fractions kept to the microsecond; the kernel rounds up to its clock tick); 0 means forever, and so does a value past what the kernel can hold (2 ** 63 seconds and more), which reads back as 0. NaN, Infinity and negative values throw a RangeError.' },
      { opt: 'SO_TYPE', name: 'Type', kind: 'int', applies: 'socket', readOnly: true, get: "The socket's type (SOCK_STREAM, SOCK_DGRAM, …, without SOCK_NONBLOCK/SOCK_CLOEXEC)." },
    ],
  },
  {
    level: 'IPPROTO_IP',
    page: 'ip(7)',
    options: [
      { opt: 'IP_ADD_MEMBERSHIP', name: 'AddMembership', kind: 'membershipV4', applies: 'multicast4', writeOnly: true, setter: 'joinMulticastV4', set: "Joins the IPv4 multicast group `group` on an interface given by its address ('0.0.0.0', the default, lets the kernel choose; struct ip_mreq) or by its index (struct ip_mreqn, Linux)." },
      { opt: 'IP_ADD_SOURCE_MEMBERSHIP', name: 'AddSourceMembership', kind: 'sourceMembershipV4', applies: 'multicast4', writeOnly: true, setter: 'joinSourceMulticastV4', set: "Joins the IPv4 multicast group `group` for the datagrams of one sender, `source` (source-specific multicast), on the interface with the address `iface` ('0.0.0.0', the default, lets the kernel choose; struct ip_mreq_source). Call it again to add another source." },
      { opt: 'IP_DROP_MEMBERSHIP', name: 'DropMembership', kind: 'membershipV4', applies: 'multicast4', writeOnly: true, setter: 'leaveMulticastV4', set: 'Leaves an IPv4 multicast group joined with {@link joinMulticastV4}; give the same interface.' },
      { opt: 'IP_DROP_SOURCE_MEMBERSHIP', name: 'DropSourceMembership', kind: 'sourceMembershipV4', applies: 'multicast4', writeOnly: true, setter: 'leaveSourceMulticastV4', set: 'Stops receiving the datagrams `source` sends to `group`, joined with {@link joinSourceMulticastV4}; the group is left with its last source.' },
      { opt: 'IP_FREEBIND', name: 'Freebind', kind: 'bool', applies: 'inet', get: 'Whether the kernel may bind to an address that is not (yet) local.', set: 'Lets bind use an address that is not (yet) local, such as one of an interface still coming up.' },
      { opt: 'IP_HDRINCL', name: 'HeaderIncluded', kind: 'bool', applies: 'raw', page: 'raw(7)', privileged: true, v6: 'IPV6_HDRINCL', get: "Whether a raw socket's sends carry their own IP header (on an IPv6 socket, IPV6_HDRINCL).", set: "Makes a raw socket's sends carry their own IP header (see encodeIPv4, encodeIPv6); for IPv4 the kernel still fills in the checksum and total length, and the id when it is 0. On an IPv6 socket this is IPV6_HDRINCL (Linux 4.5). Raw sockets only." },
      { opt: 'IP_MULTICAST_ALL', name: 'MulticastAllV4', kind: 'bool', applies: 'multicast4', get: 'Whether `fd` receives the datagrams of every multicast group joined on the system (the default) rather than only its own.', set: 'Limits `fd` to the datagrams of the multicast groups it joined itself (false), or lets it receive every group joined on the system (true, the default).' },
      { opt: 'IP_MULTICAST_IF', name: 'MulticastIfV4', kind: 'multicastIfV4', applies: 'multicast4', get: "The local address multicast datagrams are sent from ('0.0.0.0' when the kernel chooses, or when the interface was set by index).", set: "Picks the interface multicast datagrams leave by: its IPv4 address (struct in_addr; '0.0.0.0' restores the default) or its index (struct ip_mreqn, Linux)." },
      { opt: 'IP_MULTICAST_LOOP', name: 'MulticastLoopV4', kind: 'bool', applies: 'multicast4', get: 'Whether multicast datagrams `fd` sends loop back to local listeners.', set: 'Turns the loopback of multicast datagrams `fd` sends on or off.' },
      { opt: 'IP_MULTICAST_TTL', name: 'MulticastTtlV4', kind: 'int', applies: 'multicast4', arg: 'ttl', min: 0, max: UINT8_MAX, get: 'The TTL of multicast datagrams `fd` sends (default 1: the local network only).', set: 'Sets the TTL of multicast datagrams `fd` sends, 0 to 255.' },
      { opt: 'IP_RECVTOS', name: 'RecvTos', kind: 'bool', applies: 'inet', get: 'Whether each datagram received carries its type-of-service byte (a tos control message).', set: 'Makes each datagram received carry its type-of-service byte as a tos control message.' },
      { opt: 'IP_TOS', name: 'Tos', kind: 'int', applies: 'inet', arg: 'tos', min: 0, max: UINT8_MAX, get: 'The type-of-service byte of IPv4 packets `fd` sends (DSCP and ECN).', set: 'Sets the type-of-service byte, 0 to 255; on TCP sockets the kernel keeps the ECN bits to itself.' },
      { opt: 'IP_TRANSPARENT', name: 'IpTransparent', kind: 'bool', applies: 'inet', privileged: true, get: 'Whether `fd` may use non-local addresses (transparent proxying).', set: 'Lets `fd` bind to and send from non-local addresses, for transparent proxying. Needs CAP_NET_ADMIN.' },
      { opt: 'IP_TTL', name: 'Ttl', kind: 'int', applies: 'inet', arg: 'ttl', min: -1, max: UINT8_MAX, get: 'The TTL of unicast IPv4 packets `fd` sends.', set: 'Sets the TTL of unicast IPv4 packets `fd` sends, 1 to 255; -1 restores the system default.' },
      { opt: 'MCAST_JOIN_SOURCE_GROUP', name: 'JoinSourceGroup', kind: 'groupSourceReq', applies: 'multicast4', writeOnly: true, setter: 'joinSourceGroup', set: 'Joins the multicast group `group` for the datagrams of `source` only, on the interface with index `ifindex` (0: the kernel chooses). Protocol-independent (RFC 3678, struct group_source_req): both IPv4 (set at IPPROTO_IP) or both IPv6 (at IPPROTO_IPV6, for an AF_INET6 socket).' },
      { opt: 'MCAST_LEAVE_SOURCE_GROUP', name: 'LeaveSourceGroup', kind: 'groupSourceReq', applies: 'multicast4', writeOnly: true, setter: 'leaveSourceGroup', set: 'Stops receiving the datagrams `source` sends to `group`, joined with {@link joinSourceGroup}.' },
      { opt: 'SO_ORIGINAL_DST', name: 'OriginalDst', kind: 'inetAddress', applies: 'tcp', readOnly: true, page: 'iptables-extensions(8)', v6: 'IP6T_SO_ORIGINAL_DST', get: 'The address a connection was sent to before an iptables/nftables REDIRECT or DNAT rule sent it to `fd` (on an IPv6 socket, IP6T_SO_ORIGINAL_DST; a v4-mapped connection reads the IPv4 one). Fails with ENOENT for a connection no rule rewrote, and with ENOPROTOOPT where connection tracking is not loaded.' },
    ],
  },
  {
    level: 'IPPROTO_IPV6',
    page: 'ipv6(7)',
    options: [
      { opt: 'IPV6_FREEBIND', name: 'FreebindV6', kind: 'bool', applies: 'inet6', get: 'Whether `fd` may bind to an IPv6 address that is not (yet) local.', set: 'Lets bind use an IPv6 address that is not (yet) local.' },
      { opt: 'IPV6_JOIN_GROUP', name: 'JoinGroup', kind: 'membershipV6', applies: 'multicast6', writeOnly: true, setter: 'joinMulticastV6', set: 'Joins the IPv6 multicast group `group` on the interface with index `ifindex` (0: let the kernel choose; struct ipv6_mreq).' },
      { opt: 'IPV6_LEAVE_GROUP', name: 'LeaveGroup', kind: 'membershipV6', applies: 'multicast6', writeOnly: true, setter: 'leaveMulticastV6', set: 'Leaves an IPv6 multicast group joined with {@link joinMulticastV6}.' },
      { opt: 'IPV6_MULTICAST_ALL', name: 'MulticastAllV6', kind: 'bool', applies: 'multicast6', get: 'Whether `fd` receives the packets of every multicast group joined on the system (the default) rather than only its own.', set: 'Limits `fd` to the packets of the multicast groups it joined itself (false), or lets it receive every group joined on the system (true, the default).' },
      { opt: 'IPV6_MULTICAST_HOPS', name: 'MulticastHopsV6', kind: 'int', applies: 'multicast6', arg: 'hops', min: -1, max: UINT8_MAX, get: 'The hop limit of multicast packets `fd` sends.', set: 'Sets the hop limit of multicast packets `fd` sends, 0 to 255; -1 restores the default (1).' },
      { opt: 'IPV6_MULTICAST_IF', name: 'MulticastIfV6', kind: 'int', applies: 'multicast6', arg: 'ifindex', min: 0, max: INT32_MAX, get: 'The index of the interface multicast packets leave by (0: the kernel chooses).', set: 'Picks the interface multicast packets leave by, by index; 0 restores the default.' },
      { opt: 'IPV6_MULTICAST_LOOP', name: 'MulticastLoopV6', kind: 'bool', applies: 'multicast6', get: 'Whether multicast packets `fd` sends loop back to local listeners.', set: 'Turns the loopback of multicast packets `fd` sends on or off.' },
      { opt: 'IPV6_RECVHOPLIMIT', name: 'RecvHopLimitV6', kind: 'bool', applies: 'inet6', get: 'Whether each packet received carries its hop limit (a hoplimit control message).', set: 'Makes each packet received carry its hop limit as a hoplimit control message.' },
      { opt: 'IPV6_RECVTCLASS', name: 'RecvTclassV6', kind: 'bool', applies: 'inet6', get: 'Whether each packet received carries its traffic class (a tclass control message).', set: 'Makes each packet received carry its traffic class as a tclass control message.' },
      { opt: 'IPV6_TCLASS', name: 'TclassV6', kind: 'int', applies: 'inet6', arg: 'tclass', min: -1, max: UINT8_MAX, get: 'The traffic class of IPv6 packets `fd` sends.', set: 'Sets the traffic class of IPv6 packets `fd` sends, 0 to 255; -1 restores the default (0).' },
      { opt: 'IPV6_TRANSPARENT', name: 'TransparentV6', kind: 'bool', applies: 'inet6', privileged: true, get: 'Whether `fd` may use non-local IPv6 addresses (transparent proxying).', set: 'Lets `fd` bind to and send from non-local IPv6 addresses, for transparent proxying. Needs CAP_NET_ADMIN.' },
      { opt: 'IPV6_UNICAST_HOPS', name: 'UnicastHopsV6', kind: 'int', applies: 'inet6', arg: 'hops', min: -1, max: UINT8_MAX, get: "The hop limit of unicast IPv6 packets `fd` sends (the route's default when unset).", set: "Sets the hop limit of unicast IPv6 packets `fd` sends, 0 to 255; -1 restores the route's default." },
      { opt: 'IPV6_V6ONLY', name: 'OnlyV6', kind: 'bool', applies: 'inet6', get: 'Whether `fd` is IPv6 only (false: it also carries IPv4 as ::ffff:a.b.c.d).', set: 'Restricts an AF_INET6 socket to IPv6; set it before bind.' },
    ],
  },
  {
    level: 'IPPROTO_TCP',
    page: 'tcp(7)',
    options: [
      { opt: 'TCP_CONGESTION', name: 'TcpCongestion', kind: 'name', applies: 'tcp', get: "The congestion control algorithm of a TCP socket ('cubic', 'bbr', …).", set: 'Picks the congestion control algorithm of a TCP socket by name; one the kernel does not have fails with ENOENT, one not in net.ipv4.tcp_allowed_congestion_control with EPERM.' },
      { opt: 'TCP_CORK', name: 'TcpCork', kind: 'bool', applies: 'tcp', get: 'Whether partial frames are held back until the cork is removed.', set: 'Holds back partial frames until the cork is removed (or 200 ms pass), so several writes leave as full segments.' },
      { opt: 'TCP_INFO', name: 'TcpInfo', kind: 'tcpInfo', applies: 'tcp', readOnly: true, get: 'Reads what the kernel knows about a TCP connection: its state, round-trip time, congestion window, byte and segment counters. Fields the kernel did not return are left out.' },
      { opt: 'TCP_KEEPCNT', name: 'TcpKeepaliveRetries', kind: 'int', applies: 'tcp', arg: 'count', min: 1, max: INT32_MAX, get: 'How many unanswered keepalive probes end the connection.', set: 'Sets how many unanswered keepalive probes end the connection.' },
      { opt: 'TCP_KEEPIDLE', name: 'TcpKeepaliveTime', kind: 'int', applies: 'tcp', arg: 'seconds', min: 1, max: INT32_MAX, get: 'Seconds of idleness before the first keepalive probe.', set: 'Sets the seconds of idleness before the first keepalive probe (with SO_KEEPALIVE on).' },
      { opt: 'TCP_KEEPINTVL', name: 'TcpKeepaliveInterval', kind: 'int', applies: 'tcp', arg: 'seconds', min: 1, max: INT32_MAX, get: 'Seconds between keepalive probes.', set: 'Sets the seconds between keepalive probes.' },
      { opt: 'TCP_MAXSEG', name: 'TcpMaxSegment', kind: 'int', applies: 'tcp', arg: 'bytes', min: 0, max: INT32_MAX, get: 'The maximum segment size of a TCP socket: the value set before connecting, or the one in use after.', set: 'Caps the maximum segment size a TCP socket announces and uses; set it before connect or listen (0 restores the default).' },
      { opt: 'TCP_NODELAY', name: 'TcpNoDelay', kind: 'bool', applies: 'tcp', get: "Whether Nagle's algorithm is off, so small writes leave at once.", set: "Turns Nagle's algorithm off (true) so small writes leave at once, or back on." },
      { opt: 'TCP_NOTSENT_LOWAT', name: 'TcpNotSentLowWater', kind: 'uint32', applies: 'tcp', arg: 'bytes', get: 'How few unsent bytes the send queue must hold for poll to report `fd` writable (0: the default, no limit).', set: 'Makes poll report `fd` writable only while fewer than `bytes` unsent bytes are queued, so a writer queues only what it must.' },
      { opt: 'TCP_QUICKACK', name: 'TcpQuickAck', kind: 'bool', applies: 'tcp', get: 'Whether ACKs are currently sent at once rather than delayed.', set: 'Sends ACKs at once (true) or lets the kernel delay them. Not permanent: the kernel may leave quick-ack mode on its own later.' },
      { opt: 'TCP_THIN_LINEAR_TIMEOUTS', name: 'TcpThinLinearTimeouts', kind: 'bool', applies: 'tcp', get: 'Whether a thin stream (few packets in flight) retransmits on linear rather than exponential timeouts.', set: 'Makes a thin stream (few packets in flight) retransmit on linear timeouts instead of backing off exponentially.' },
      { opt: 'TCP_USER_TIMEOUT', name: 'TcpUserTimeout', kind: 'int', applies: 'tcp', arg: 'ms', min: 0, max: INT32_MAX, get: 'Milliseconds sent data may stay unacknowledged before the connection is dropped (0: the system default).', set: 'Sets how many milliseconds sent data may stay unacknowledged before the connection is dropped with ETIMEDOUT; 0 restores the system default.' },
    ],
  },
] as const satisfies readonly LevelDecl[];

/** The C constant of every option in the table. */
export type OptionConstant = (typeof LEVELS)[number]['options'][number]['opt'];

/** An option with its level, man page and the names of its functions and methods spelled out. */
export interface OptionInfo extends OptionDecl {
  readonly opt: OptionConstant;
  readonly level: string;
  /** Its man page ('socket(7)') and that page's address. */
  readonly page: string;
  readonly url: string;
  readonly arg: string | undefined;
  /** The functions (getReuseAddress, setReuseAddress), absent for a write- or read-only option. */
  readonly getter: string | undefined;
  readonly setter: string | undefined;
  /** The class accessors (reuseAddress, setReuseAddress) and their class. */
  readonly getMethod: string | undefined;
  readonly setMethod: string | undefined;
  readonly class: (typeof APPLIES)[Applies]['class'];
  /** The sockets the tests try it on. */
  readonly sockets: (typeof APPLIES)[Applies]['sockets'];
}

/** 'socket(7)' -> its page on man7.org. */
export function manUrl(page: string): string {
  const m = /^([\w.-]+)\((\d)\)$/.exec(page);
  if (!m) throw new Error(`not a man page: ${page}`);
  return `https://man7.org/linux/man-pages/man${m[2]}/${m[1]}.${m[2]}.html`;
}

/** Every option of the table, in its order. */
export function listOptions(): OptionInfo[] {
  return LEVELS.flatMap(({ level, page, options }) =>
    options.map((decl: OptionDecl) => {
      const kind = KINDS[decl.kind];
      const getter = decl.writeOnly ? undefined : `get${decl.name}`;
      const setter = decl.readOnly ? undefined : (decl.setter ?? `set${decl.name}`);
      return {
        ...decl,
        opt: decl.opt as OptionConstant,
        level,
        page: decl.page ?? page,
        url: manUrl(decl.page ?? page),
        arg: decl.arg ?? ('arg' in kind ? kind.arg : undefined),
        getter,
        setter,
        getMethod: getter && decl.name[0]!.toLowerCase() + decl.name.slice(1),
        setMethod: setter,
        class: APPLIES[decl.applies].class,
        sockets: APPLIES[decl.applies].sockets,
      };
    }),
  );
}
