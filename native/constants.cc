// Socket, protocol, option and errno constants, read from the system headers.
//
// Nothing here types a number: constants.def lists names only and the compiler reads each value
// from the headers below, so every architecture gets its own (SOCK_NONBLOCK is 0x800 on x86-64,
// 0x4000 on sparc64).
#include "constants.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>  // CLONE_*: glibc defines them under _GNU_SOURCE, which g++ sets.
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>  // SIOCGSTAMP may expand to sizeof(struct timeval).

#include <cstdint>

// Linux UAPI headers that do not clash with the libc ones above. Left out on purpose:
// linux/in.h and linux/in6.h (redefine netinet/in.h), linux/if.h (redefines net/if.h) and
// linux/tcp.h (redefines netinet/tcp.h).
#ifdef __linux__
#include <linux/can.h>
#include <linux/can/raw.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/if_alg.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/net_tstamp.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/tipc.h>
#include <linux/tls.h>
#include <linux/version.h>  // LINUX_VERSION_CODE: the headers' own version.
#include <linux/veth.h>
#include <linux/vm_sockets.h>
#include <sys/epoll.h>
#endif

namespace sockfd {
namespace {

// A double holds every value exactly: the widest are 32-bit masks and ioctl numbers such as
// TUNGETIFF (0x800454d2) and INADDR_NONE, which must stay unsigned.
struct Constant {
  const char* name;
  double value;
};

struct Errno {
  const char* name;
  int value;
};

// constexpr makes the build fail if a listed name is not an integer constant.
constexpr Constant kConstants[] = {
#define SOCKFD_CONSTANT(name) {#name, static_cast<double>(name)},
#define SOCKFD_ERRNO(name) {#name, static_cast<double>(name)},
#include "constants.def"
#undef SOCKFD_CONSTANT
#undef SOCKFD_ERRNO
};

// In constants.def order, so where two names share a value the preferred one comes first.
constexpr Errno kErrnos[] = {
#define SOCKFD_CONSTANT(name)
#define SOCKFD_ERRNO(name) {#name, name},
#include "constants.def"
#undef SOCKFD_CONSTANT
#undef SOCKFD_ERRNO
};

}  // namespace

const char* ErrnoName(int err) {
  // A linear scan of ~135 entries, only on error paths; first match wins, which picks the
  // preferred name (EAGAIN over EWOULDBLOCK) without a second table.
  for (const Errno& e : kErrnos) {
    if (e.value == err) return e.name;
  }
  return nullptr;
}

void InitConstants(Napi::Env env, Napi::Object exports) {
  // Each Set() that fails leaves a pending JS exception; returning early lets module init throw it.
  Napi::Object constants = Napi::Object::New(env);
  for (const Constant& c : kConstants) {
    if (!constants.Set(c.name, c.value)) return;
  }

  Napi::Object names = Napi::Object::New(env);
  for (const Errno& e : kErrnos) {
    if (ErrnoName(e.value) != e.name) continue;  // An alias such as EWOULDBLOCK.
    if (!names.Set(static_cast<uint32_t>(e.value), Napi::String::New(env, e.name))) return;
  }

  if (!exports.Set("constants", constants)) return;
  exports.Set("errnoNames", names);
}

}  // namespace sockfd
