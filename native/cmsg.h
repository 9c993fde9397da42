// Control messages (msg_control) encode and decode. Plain C++ with no N-API, so it can be
// unit-tested and fuzzed on its own (native/test/cmsg_test.cc); the only place that knows cmsg
// layouts. Every header is walked with CMSG_FIRSTHDR/CMSG_NXTHDR and every payload reached with
// CMSG_DATA, and every length the buffer claims is checked against the buffer before it is used.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#ifdef __linux__
#include <linux/errqueue.h>
#endif

namespace sockfd {

// The control messages this codec names. Anything else travels as kRaw: level, type and bytes.
enum class CmsgKind : uint8_t {
  kRaw,
  kRights,       // SOL_SOCKET SCM_RIGHTS: int fds[]
  kCredentials,  // SOL_SOCKET SCM_CREDENTIALS: struct ucred
  kPktinfo,      // IPPROTO_IP IP_PKTINFO: struct in_pktinfo
  kPktinfo6,     // IPPROTO_IPV6 IPV6_PKTINFO: struct in6_pktinfo
  kTtl,          // IPPROTO_IP IP_TTL: int
  kHoplimit,     // IPPROTO_IPV6 IPV6_HOPLIMIT: int
  kTos,          // IPPROTO_IP IP_TOS: int to send, one byte as received
  kTclass,       // IPPROTO_IPV6 IPV6_TCLASS: int
  kTimestamp,    // SOL_SOCKET SCM_TIMESTAMP (struct timeval) or SO_TIMESTAMP_NEW (2 x int64)
  kTimestampNs,  // SOL_SOCKET SCM_TIMESTAMPNS (struct timespec) or SO_TIMESTAMPNS_NEW
  kRxqOverflow,  // SOL_SOCKET SO_RXQ_OVFL: uint32 drop counter
  kRecvErr,      // IPPROTO_IP IP_RECVERR / IPPROTO_IPV6 IPV6_RECVERR: sock_extended_err + offender
  kPidfd,        // SOL_SOCKET SCM_PIDFD: int, a pidfd installed for the receiver (SO_PASSPIDFD)
  kOrigDstAddr,  // IP_ORIGDSTADDR / IPV6_ORIGDSTADDR: the sockaddr a datagram was sent to
};

// One control message as C values. Which fields count depends on `kind`; `level` and `type` are
// always the header's (the encoder derives them from `kind` except for kRaw).
struct Cmsg {
  CmsgKind kind;
  int level;
  int type;
  // kRaw: the payload. kRights: the fds as bytes (an int array; data_len / sizeof(int) of them,
  // read with memcpy). On decode these point into the control buffer; on encode, at the caller's.
  const unsigned char* data;
  size_t data_len;
#ifdef __linux__
  ucred cred;  // kCredentials
#endif
  in_pktinfo pktinfo;    // kPktinfo
  in6_pktinfo pktinfo6;  // kPktinfo6
  int value;             // kTtl, kHoplimit, kTos, kTclass; the fd of kPidfd
  int64_t sec;           // kTimestamp, kTimestampNs
  int64_t frac;          // kTimestamp: microseconds; kTimestampNs: nanoseconds
  uint32_t dropped;      // kRxqOverflow
#ifdef __linux__
  sock_extended_err ee;  // kRecvErr
#endif
  // kRecvErr: SO_EE_OFFENDER, copied out; offender_len 0 when none. kOrigDstAddr: the address.
  sockaddr_storage offender;
  socklen_t offender_len;
};

// The length of msg_control that `items` need: the sum of CMSG_SPACE of each payload.
// Returns 0 for an empty list, and SIZE_MAX when an item's kind cannot be sent.
size_t CmsgEncodedLength(const Cmsg* items, size_t n);

// Lays `items` out in `buf` (`cap` bytes, aligned for struct cmsghdr; zeroed first) and sets
// *len to the msg_controllen to pass. Returns false, having written nothing past `cap`, when
// the items do not fit or one cannot be sent.
bool EncodeCmsgs(const Cmsg* items, size_t n, void* buf, size_t cap, size_t* len);

// Walks the control messages of a msghdr the kernel filled (msg_control aligned for struct
// cmsghdr, msg_controllen as the kernel left it). Next() stops at the end or at the first header
// whose length does not fit in what is left of the buffer; a message whose payload is shorter
// than its typed form (MSG_CTRUNC cuts the last one) comes back as kRaw with the bytes that are
// there, except SCM_RIGHTS, which carries as many whole fds as arrived.
class CmsgReader {
 public:
  explicit CmsgReader(const msghdr* msg) : msg_(msg) {}
  bool Next(Cmsg* out);

 private:
  const msghdr* msg_;
  cmsghdr* cur_ = nullptr;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace sockfd
