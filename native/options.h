// Encode and decode of the socket options whose value is a struct: timeval, linger, ucred,
// ip_mreq/ip_mreqn/ipv6_mreq, in_addr, interface and algorithm names, tcp_info. Plain C++ with
// no N-API, so it can be unit-tested and fuzzed on its own; options_napi.cc is the glue.
//
// Every decoder takes the bytes and the length the kernel returned, reads nothing past that
// length, and reports a field only when the length covers it.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstddef>
#include <cstdint>

namespace sockfd {

enum class OptError {
  kOk = 0,
  kBadTimeout,    // negative, NaN or infinite
  kBadIpv4,       // unparsable IPv4 text
  kBadIpv6,       // unparsable IPv6 text
  kNameTooLong,   // a name longer than the option's buffer (IFNAMSIZ - 1 for a device)
  kNameHasNul,    // a name with an embedded NUL (the kernel would cut it short)
  kShort,         // the kernel returned fewer bytes than the structure needs
  kNotSupported,  // the build's headers lack the structure (not Linux)
};

const char* OptErrorMessage(OptError e);

// SO_RCVTIMEO / SO_SNDTIMEO: milliseconds (fractions kept to the microsecond) <-> timeval.
// 0 means no timeout.
OptError EncodeTimeval(double ms, timeval* out);
OptError DecodeTimeval(const void* data, size_t len, double* ms);

// SO_LINGER: `on` with a time in seconds. A negative l_linger from the kernel reads as 0.
struct Linger {
  bool on;
  int seconds;
};
void EncodeLinger(const Linger& v, linger* out);
OptError DecodeLinger(const void* data, size_t len, Linger* out);

// SO_PEERCRED.
struct PeerCred {
  int32_t pid;
  uint32_t uid;
  uint32_t gid;
};
OptError DecodePeerCred(const void* data, size_t len, PeerCred* out);

// IPv4 and IPv6 address text, NUL-terminated, <-> network-order bytes.
OptError ParseIpv4(const char* text, in_addr* out);
OptError ParseIpv6(const char* text, in6_addr* out);
// Formats the in_addr at `data` into `text` (at least INET_ADDRSTRLEN bytes).
OptError DecodeInAddr(const void* data, size_t len, char* text, size_t cap);

// The value of IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP and IP_MULTICAST_IF, with `len` the
// size to pass to setsockopt.
struct Mreq4 {
  union {
    in_addr addr;
    ip_mreq mreq;
#ifdef __linux__
    ip_mreqn mreqn;
#endif
  };
  socklen_t len;
};

// IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP: with `ifindex` 0 a struct ip_mreq (group and the
// interface's address, 0.0.0.0 to let the kernel choose); with an ifindex the Linux struct
// ip_mreqn, whose index takes precedence over the address.
OptError EncodeMembership4(const char* group, const char* iface, int ifindex, Mreq4* out);

// IP_MULTICAST_IF: with `ifindex` 0 the interface's address as a struct in_addr (0.0.0.0 goes
// back to the default); with an ifindex a struct ip_mreqn.
OptError EncodeMulticastIf4(const char* iface, int ifindex, Mreq4* out);

// IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP: struct ipv6_mreq (group and ifindex).
OptError EncodeMreq6(const char* group, unsigned ifindex, ipv6_mreq* out);

// IP_ADD_SOURCE_MEMBERSHIP / IP_DROP_SOURCE_MEMBERSHIP: struct ip_mreq_source (group, the
// interface's address, source), all IPv4 text.
OptError EncodeMreqSource4(const char* group, const char* iface, const char* source,
                           ip_mreq_source* out);

// MCAST_JOIN_SOURCE_GROUP / MCAST_LEAVE_SOURCE_GROUP (RFC 3678): struct group_source_req with
// the group and source as sockaddr_in, or both as sockaddr_in6 when `v6`, and the interface by
// index (0: the kernel chooses).
OptError EncodeGroupSourceReq(bool v6, const char* group, const char* source, unsigned ifindex,
                              group_source_req* out);

// A NUL-terminated name option (SO_BINDTODEVICE, TCP_CONGESTION): `text` of `text_len` bytes
// checked against the option's buffer of `cap` bytes including the NUL.
OptError CheckName(const char* text, size_t text_len, size_t cap);
// The kernel may or may not NUL-terminate what it returns; the name ends at the first NUL or
// at `len`, whichever comes first.
size_t DecodeNameLength(const void* data, size_t len);

// TCP_INFO: the fields of struct tcp_info that both this build's headers declare and the
// kernel's returned length covers, in struct order. 64-bit counters become doubles (exact up to
// 2^53); an all-ones 64-bit value (the pacing rates' "unlimited") becomes +Infinity.
struct TcpInfoField {
  const char* name;  // camelCase, as the TypeScript TcpInfo type names it
  double value;
};
constexpr size_t kTcpInfoMaxFields = 64;
// The buffer to read TCP_INFO into: sizeof(struct tcp_info) of this build's headers.
size_t TcpInfoSize();
size_t DecodeTcpInfo(const void* data, size_t len, TcpInfoField* out, size_t cap);

}  // namespace sockfd
