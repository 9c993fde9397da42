#include "options.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

// The kernel's struct tcp_info: glibc's netinet/tcp.h stops at tcpi_total_retrans. This file
// must not include netinet/tcp.h, which redefines the same names.
#ifdef __linux__
#include <linux/tcp.h>
#endif

namespace sockfd {

const char* OptErrorMessage(OptError e) {
  switch (e) {
    case OptError::kOk:
      return "ok";
    case OptError::kBadTimeout:
      return "The timeout must be a finite number of milliseconds >= 0";
    case OptError::kBadIpv4:
      return "The address is not a valid IPv4 address";
    case OptError::kBadIpv6:
      return "The address is not a valid IPv6 address";
    case OptError::kNameTooLong:
      return "The name is longer than the option allows";
    case OptError::kNameHasNul:
      return "The name must not contain NUL bytes";
    case OptError::kShort:
      return "The kernel returned a shorter value than the option's structure";
    case OptError::kNotSupported:
      return "This option's structure is not available on this platform";
  }
  return "invalid option value";
}

OptError EncodeTimeval(double ms, timeval* out) {
  if (!std::isfinite(ms) || ms < 0) return OptError::kBadTimeout;
  double sec = std::floor(ms / 1000);
  // More seconds than time_t holds cannot be passed, and the kernel treats far fewer as forever
  // anyway (socket(7): past MAX_SCHEDULE_TIMEOUT), so they mean forever, which it spells 0. The
  // bound is 2^digits, time_t's largest value plus one, which a double holds exactly; the
  // largest value itself (2^63 - 1) rounds up to 2^63 as a double, so no test against it can
  // tell 2^63 from what fits, and converting 2^63 to time_t is undefined.
  if (sec >= std::ldexp(1.0, std::numeric_limits<time_t>::digits)) {
    *out = timeval{};
    return OptError::kOk;
  }
  double usec = std::round((ms - sec * 1000) * 1000);
  if (usec >= 1000000) {  // 999.9996 ms rounds up to the next second.
    sec += 1;
    usec = 0;
  }
  out->tv_sec = static_cast<time_t>(sec);
  out->tv_usec = static_cast<suseconds_t>(usec);
  return OptError::kOk;
}

OptError DecodeTimeval(const void* data, size_t len, double* ms) {
  timeval tv;
  if (len < sizeof(tv)) return OptError::kShort;
  memcpy(&tv, data, sizeof(tv));
  *ms = static_cast<double>(tv.tv_sec) * 1000 + static_cast<double>(tv.tv_usec) / 1000;
  return OptError::kOk;
}

void EncodeLinger(const Linger& v, linger* out) {
  out->l_onoff = v.on ? 1 : 0;
  out->l_linger = v.on ? v.seconds : 0;
}

OptError DecodeLinger(const void* data, size_t len, Linger* out) {
  linger l;
  if (len < sizeof(l)) return OptError::kShort;
  memcpy(&l, data, sizeof(l));
  out->on = l.l_onoff != 0;
  out->seconds = l.l_linger < 0 ? 0 : l.l_linger;
  return OptError::kOk;
}

OptError DecodePeerCred(const void* data, size_t len, PeerCred* out) {
#ifdef SO_PEERCRED
  ucred c;
  if (len < sizeof(c)) return OptError::kShort;
  memcpy(&c, data, sizeof(c));
  out->pid = c.pid;
  out->uid = c.uid;
  out->gid = c.gid;
  return OptError::kOk;
#else
  return OptError::kNotSupported;
#endif
}

OptError ParseIpv4(const char* text, in_addr* out) {
  return inet_pton(AF_INET, text, out) == 1 ? OptError::kOk : OptError::kBadIpv4;
}

OptError ParseIpv6(const char* text, in6_addr* out) {
  return inet_pton(AF_INET6, text, out) == 1 ? OptError::kOk : OptError::kBadIpv6;
}

OptError DecodeInAddr(const void* data, size_t len, char* text, size_t cap) {
  in_addr a;
  if (len < sizeof(a)) return OptError::kShort;
  memcpy(&a, data, sizeof(a));
  if (cap < INET_ADDRSTRLEN || inet_ntop(AF_INET, &a, text, cap) == nullptr) {
    return OptError::kShort;
  }
  return OptError::kOk;
}

// The struct ip_mreqn both IPv4 multicast options take with an interface index; Linux only.
// IP_MULTICAST_IF reads no group from it (0.0.0.0). ip(7)
static OptError EncodeMreqn(in_addr group, in_addr iface, int ifindex, Mreq4* out) {
#ifdef __linux__
  out->mreqn.imr_multiaddr = group;
  out->mreqn.imr_address = iface;
  out->mreqn.imr_ifindex = ifindex;
  out->len = sizeof(out->mreqn);
  return OptError::kOk;
#else
  return OptError::kNotSupported;
#endif
}

OptError EncodeMembership4(const char* group, const char* iface, int ifindex, Mreq4* out) {
  memset(out, 0, sizeof(*out));
  in_addr g, i;
  if (ParseIpv4(group, &g) != OptError::kOk || ParseIpv4(iface, &i) != OptError::kOk) {
    return OptError::kBadIpv4;
  }
  if (ifindex == 0) {
    out->mreq.imr_multiaddr = g;
    out->mreq.imr_interface = i;
    out->len = sizeof(out->mreq);
    return OptError::kOk;
  }
  return EncodeMreqn(g, i, ifindex, out);
}

OptError EncodeMulticastIf4(const char* iface, int ifindex, Mreq4* out) {
  memset(out, 0, sizeof(*out));
  in_addr i;
  if (ParseIpv4(iface, &i) != OptError::kOk) return OptError::kBadIpv4;
  if (ifindex == 0) {
    out->addr = i;
    out->len = sizeof(out->addr);
    return OptError::kOk;
  }
  return EncodeMreqn(in_addr{}, i, ifindex, out);
}

OptError EncodeMreq6(const char* group, unsigned ifindex, ipv6_mreq* out) {
  memset(out, 0, sizeof(*out));
  if (ParseIpv6(group, &out->ipv6mr_multiaddr) != OptError::kOk) return OptError::kBadIpv6;
  out->ipv6mr_interface = ifindex;
  return OptError::kOk;
}

OptError EncodeMreqSource4(const char* group, const char* iface, const char* source,
                           ip_mreq_source* out) {
  memset(out, 0, sizeof(*out));
  if (ParseIpv4(group, &out->imr_multiaddr) != OptError::kOk ||
      ParseIpv4(iface, &out->imr_interface) != OptError::kOk ||
      ParseIpv4(source, &out->imr_sourceaddr) != OptError::kOk) {
    return OptError::kBadIpv4;
  }
  return OptError::kOk;
}

OptError EncodeGroupSourceReq(bool v6, const char* group, const char* source, unsigned ifindex,
                              group_source_req* out) {
  memset(out, 0, sizeof(*out));
  out->gsr_interface = ifindex;
  if (v6) {
    auto* g = reinterpret_cast<sockaddr_in6*>(&out->gsr_group);
    auto* s = reinterpret_cast<sockaddr_in6*>(&out->gsr_source);
    if (ParseIpv6(group, &g->sin6_addr) != OptError::kOk ||
        ParseIpv6(source, &s->sin6_addr) != OptError::kOk) {
      return OptError::kBadIpv6;
    }
    g->sin6_family = s->sin6_family = AF_INET6;
    return OptError::kOk;
  }
  auto* g = reinterpret_cast<sockaddr_in*>(&out->gsr_group);
  auto* s = reinterpret_cast<sockaddr_in*>(&out->gsr_source);
  if (ParseIpv4(group, &g->sin_addr) != OptError::kOk ||
      ParseIpv4(source, &s->sin_addr) != OptError::kOk) {
    return OptError::kBadIpv4;
  }
  g->sin_family = s->sin_family = AF_INET;
  return OptError::kOk;
}

OptError CheckName(const char* text, size_t text_len, size_t cap) {
  if (memchr(text, '\0', text_len) != nullptr) return OptError::kNameHasNul;
  if (text_len + 1 > cap) return OptError::kNameTooLong;
  return OptError::kOk;
}

size_t DecodeNameLength(const void* data, size_t len) {
  const void* nul = memchr(data, '\0', len);
  return nul ? static_cast<size_t>(static_cast<const char*>(nul) - static_cast<const char*>(data))
             : len;
}

#ifdef __linux__

namespace {

// Appends fields to a caller's fixed array; never past `cap`.
struct FieldSink {
  TcpInfoField* out;
  size_t cap;
  size_t n;
  void Add(const char* name, double value) {
    if (n < cap) out[n++] = {name, value};
  }
};

template <typename V>
double ToDouble(V v) {
  if constexpr (sizeof(V) == 8) {
    if (v == std::numeric_limits<V>::max()) return std::numeric_limits<double>::infinity();
  }
  return static_cast<double>(v);
}

// One detector and one reader per tcp_info member. Headers older than the running kernel lack
// the newest members, and a struct member cannot be tested with #ifdef, so each member is
// detected by overload resolution and read only where it exists. The reader includes a member
// only when the kernel's returned length covers all of it (older kernels return less).
#define SOCKFD_TCPI_MEMBER(member)                                                \
  template <typename T, typename = void>                                          \
  struct Has_##member : std::false_type {};                                       \
  template <typename T>                                                           \
  struct Has_##member<T, std::void_t<decltype(std::declval<T&>().tcpi_##member)>> \
      : std::true_type {};                                                        \
  template <typename T>                                                           \
  void Read_##member(const T& t, size_t len, const char* name, FieldSink* sink) { \
    if constexpr (Has_##member<T>::value) {                                       \
      if (offsetof(T, tcpi_##member) + sizeof(t.tcpi_##member) <= len) {          \
        sink->Add(name, ToDouble(t.tcpi_##member));                               \
      }                                                                           \
    }                                                                             \
  }

// In struct order, with the camelCase name TypeScript sees. The wscale bit-fields between the
// two lists are read on their own (offsetof and sizeof do not apply to a bit-field).
#define SOCKFD_TCPI_HEAD(X)     \
  X(state, "state")             \
  X(ca_state, "caState")        \
  X(retransmits, "retransmits") \
  X(probes, "probes")           \
  X(backoff, "backoff")         \
  X(options, "options")

#define SOCKFD_TCPI_TAIL(X)           \
  X(rto, "rto")                       \
  X(ato, "ato")                       \
  X(snd_mss, "sndMss")                \
  X(rcv_mss, "rcvMss")                \
  X(unacked, "unacked")               \
  X(sacked, "sacked")                 \
  X(lost, "lost")                     \
  X(retrans, "retrans")               \
  X(fackets, "fackets")               \
  X(last_data_sent, "lastDataSent")   \
  X(last_ack_sent, "lastAckSent")     \
  X(last_data_recv, "lastDataRecv")   \
  X(last_ack_recv, "lastAckRecv")     \
  X(pmtu, "pmtu")                     \
  X(rcv_ssthresh, "rcvSsthresh")      \
  X(rtt, "rtt")                       \
  X(rttvar, "rttvar")                 \
  X(snd_ssthresh, "sndSsthresh")      \
  X(snd_cwnd, "sndCwnd")              \
  X(advmss, "advmss")                 \
  X(reordering, "reordering")         \
  X(rcv_rtt, "rcvRtt")                \
  X(rcv_space, "rcvSpace")            \
  X(total_retrans, "totalRetrans")    \
  X(pacing_rate, "pacingRate")        \
  X(max_pacing_rate, "maxPacingRate") \
  X(bytes_acked, "bytesAcked")        \
  X(bytes_received, "bytesReceived")  \
  X(segs_out, "segsOut")              \
  X(segs_in, "segsIn")                \
  X(notsent_bytes, "notsentBytes")    \
  X(min_rtt, "minRtt")                \
  X(data_segs_in, "dataSegsIn")       \
  X(data_segs_out, "dataSegsOut")     \
  X(delivery_rate, "deliveryRate")    \
  X(busy_time, "busyTime")            \
  X(rwnd_limited, "rwndLimited")      \
  X(sndbuf_limited, "sndbufLimited")  \
  X(delivered, "delivered")           \
  X(delivered_ce, "deliveredCe")      \
  X(bytes_sent, "bytesSent")          \
  X(bytes_retrans, "bytesRetrans")    \
  X(dsack_dups, "dsackDups")          \
  X(reord_seen, "reordSeen")          \
  X(rcv_ooopack, "rcvOoopack")        \
  X(snd_wnd, "sndWnd")

#define SOCKFD_TCPI_COUNT(member, name) +1
// Two more for the wscale bit-fields.
static_assert(2 SOCKFD_TCPI_HEAD(SOCKFD_TCPI_COUNT)
                      SOCKFD_TCPI_TAIL(SOCKFD_TCPI_COUNT) <= kTcpInfoMaxFields,
              "kTcpInfoMaxFields must hold every tcp_info field");
#undef SOCKFD_TCPI_COUNT

#define SOCKFD_TCPI_DECLARE(member, name) SOCKFD_TCPI_MEMBER(member)
SOCKFD_TCPI_HEAD(SOCKFD_TCPI_DECLARE)
SOCKFD_TCPI_TAIL(SOCKFD_TCPI_DECLARE)
#undef SOCKFD_TCPI_DECLARE

}  // namespace

size_t TcpInfoSize() { return sizeof(tcp_info); }

size_t DecodeTcpInfo(const void* data, size_t len, TcpInfoField* out, size_t cap) {
  // Copied into a zeroed struct: `data` need not be aligned, and bytes past `len` are never read.
  tcp_info t;
  memset(&t, 0, sizeof(t));
  if (len > sizeof(t)) len = sizeof(t);
  memcpy(&t, data, len);
  FieldSink sink{out, cap, 0};
#define SOCKFD_TCPI_READ(member, name) Read_##member(t, len, name, &sink);
  SOCKFD_TCPI_HEAD(SOCKFD_TCPI_READ)
  // snd_wscale and rcv_wscale share the byte after tcpi_options.
  if (len >= offsetof(tcp_info, tcpi_options) + 2) {
    sink.Add("sndWscale", t.tcpi_snd_wscale);
    sink.Add("rcvWscale", t.tcpi_rcv_wscale);
  }
  SOCKFD_TCPI_TAIL(SOCKFD_TCPI_READ)
#undef SOCKFD_TCPI_READ
  return sink.n;
}

#undef SOCKFD_TCPI_MEMBER
#undef SOCKFD_TCPI_HEAD
#undef SOCKFD_TCPI_TAIL

#else  // !__linux__

size_t TcpInfoSize() { return 0; }
size_t DecodeTcpInfo(const void*, size_t, TcpInfoField*, size_t) { return 0; }

#endif

}  // namespace sockfd
