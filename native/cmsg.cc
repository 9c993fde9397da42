#include "cmsg.h"

#include <netinet/in.h>
#include <sys/time.h>

#include <cstring>

namespace sockfd {

// The largest payload one item may carry. Far above what the kernel takes (net.core.optmem_max)
// and small enough that adding up CMSG_SPACE of many items cannot overflow a size_t.
static constexpr size_t kMaxPayload = 1u << 24;

// Where an item's payload lives and which header it goes under; false for receive-only kinds.
static bool Payload(const Cmsg& c, int* level, int* type, const void** p, size_t* n) {
  switch (c.kind) {
    case CmsgKind::kRaw:
      *level = c.level;
      *type = c.type;
      *p = c.data;
      *n = c.data_len;
      return true;
    case CmsgKind::kRights:
      *level = SOL_SOCKET;
      *type = SCM_RIGHTS;
      *p = c.data;
      *n = c.data_len;
      return true;
#ifdef SCM_CREDENTIALS
    case CmsgKind::kCredentials:
      *level = SOL_SOCKET;
      *type = SCM_CREDENTIALS;
      *p = &c.cred;
      *n = sizeof(c.cred);
      return true;
#endif
    case CmsgKind::kPktinfo:
      *level = IPPROTO_IP;
      *type = IP_PKTINFO;
      *p = &c.pktinfo;
      *n = sizeof(c.pktinfo);
      return true;
    case CmsgKind::kPktinfo6:
      *level = IPPROTO_IPV6;
      *type = IPV6_PKTINFO;
      *p = &c.pktinfo6;
      *n = sizeof(c.pktinfo6);
      return true;
    case CmsgKind::kTtl:
      *level = IPPROTO_IP;
      *type = IP_TTL;
      *p = &c.value;
      *n = sizeof(c.value);
      return true;
    case CmsgKind::kHoplimit:
      *level = IPPROTO_IPV6;
      *type = IPV6_HOPLIMIT;
      *p = &c.value;
      *n = sizeof(c.value);
      return true;
    case CmsgKind::kTos:
      *level = IPPROTO_IP;
      *type = IP_TOS;
      *p = &c.value;
      *n = sizeof(c.value);
      return true;
    case CmsgKind::kTclass:
      *level = IPPROTO_IPV6;
      *type = IPV6_TCLASS;
      *p = &c.value;
      *n = sizeof(c.value);
      return true;
    default:
      return false;
  }
}

size_t CmsgEncodedLength(const Cmsg* items, size_t n) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    int level = 0, type = 0;
    const void* p = nullptr;
    size_t len = 0;
    if (!Payload(items[i], &level, &type, &p, &len) || len > kMaxPayload) return SIZE_MAX;
    total += CMSG_SPACE(len);
    if (total > kMaxPayload * 4) return SIZE_MAX;
  }
  return total;
}

bool EncodeCmsgs(const Cmsg* items, size_t n, void* buf, size_t cap, size_t* len) {
  const size_t total = CmsgEncodedLength(items, n);
  if (total == SIZE_MAX || total > cap) return false;
  *len = total;
  if (total == 0) return true;
  memset(buf, 0, total);
  msghdr m{};
  m.msg_control = buf;
  m.msg_controllen = total;
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  for (size_t i = 0; i < n; i++) {
    int level = 0, type = 0;
    const void* p = nullptr;
    size_t plen = 0;
    // Cannot fail: CmsgEncodedLength checked every item and left room for each.
    if (!Payload(items[i], &level, &type, &p, &plen) || c == nullptr) return false;
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(plen);
    if (plen) memcpy(CMSG_DATA(c), p, plen);
    c = CMSG_NXTHDR(&m, c);
  }
  return true;
}

// Reads two integers of type T (a timeval- or timespec-shaped struct) from `d`.
template <typename T>
static bool ReadPair(const unsigned char* d, size_t n, int64_t* a, int64_t* b) {
  T v[2];
  if (n < sizeof(v)) return false;
  memcpy(v, d, sizeof(v));
  *a = static_cast<int64_t>(v[0]);
  *b = static_cast<int64_t>(v[1]);
  return true;
}

// Fills the typed fields of `out` from its payload and returns the kind; kRaw when the header
// is not one this codec names or the payload is too short for its typed form.
static CmsgKind Classify(Cmsg* out) {
  const unsigned char* d = out->data;
  const size_t n = out->data_len;
  const int type = out->type;
  if (out->level == SOL_SOCKET) {
    if (type == SCM_RIGHTS) {
      out->data_len = n - n % sizeof(int);  // Only whole fds.
      return CmsgKind::kRights;
    }
#ifdef SCM_CREDENTIALS
    if (type == SCM_CREDENTIALS && n >= sizeof(out->cred)) {
      memcpy(&out->cred, d, sizeof(out->cred));
      return CmsgKind::kCredentials;
    }
#endif
    // Linux sends the layout of the option that was set: SO_TIMESTAMP_OLD carries a timeval of
    // longs, SO_TIMESTAMP_NEW one of 64-bit fields (the same on 64-bit machines, not on 32-bit).
#if defined(SO_TIMESTAMP_OLD) && defined(SO_TIMESTAMP_NEW)
    if (type == SO_TIMESTAMP_OLD && ReadPair<long>(d, n, &out->sec, &out->frac)) {
      return CmsgKind::kTimestamp;
    }
    if (type == SO_TIMESTAMP_NEW && ReadPair<int64_t>(d, n, &out->sec, &out->frac)) {
      return CmsgKind::kTimestamp;
    }
#elif defined(SCM_TIMESTAMP)
    if (type == SCM_TIMESTAMP && n >= sizeof(timeval)) {
      timeval tv;
      memcpy(&tv, d, sizeof(tv));
      out->sec = tv.tv_sec;
      out->frac = tv.tv_usec;
      return CmsgKind::kTimestamp;
    }
#endif
#if defined(SO_TIMESTAMPNS_OLD) && defined(SO_TIMESTAMPNS_NEW)
    if (type == SO_TIMESTAMPNS_OLD && ReadPair<long>(d, n, &out->sec, &out->frac)) {
      return CmsgKind::kTimestampNs;
    }
    if (type == SO_TIMESTAMPNS_NEW && ReadPair<int64_t>(d, n, &out->sec, &out->frac)) {
      return CmsgKind::kTimestampNs;
    }
#elif defined(SCM_TIMESTAMPNS)
    if (type == SCM_TIMESTAMPNS && n >= sizeof(timespec)) {
      timespec ts;
      memcpy(&ts, d, sizeof(ts));
      out->sec = ts.tv_sec;
      out->frac = ts.tv_nsec;
      return CmsgKind::kTimestampNs;
    }
#endif
#ifdef SCM_PIDFD
    if (type == SCM_PIDFD && n >= sizeof(int)) {
      memcpy(&out->value, d, sizeof(int));
      return CmsgKind::kPidfd;
    }
#endif
#ifdef SO_RXQ_OVFL
    if (type == SO_RXQ_OVFL && n >= sizeof(out->dropped)) {
      memcpy(&out->dropped, d, sizeof(out->dropped));
      return CmsgKind::kRxqOverflow;
    }
#endif
    return CmsgKind::kRaw;
  }
  if (out->level == IPPROTO_IP) {
    if (type == IP_PKTINFO && n >= sizeof(out->pktinfo)) {
      memcpy(&out->pktinfo, d, sizeof(out->pktinfo));
      return CmsgKind::kPktinfo;
    }
    if (type == IP_TTL && n >= sizeof(int)) {
      memcpy(&out->value, d, sizeof(int));
      return CmsgKind::kTtl;
    }
#ifdef IP_ORIGDSTADDR
    if (type == IP_ORIGDSTADDR && n >= sizeof(sockaddr_in)) {
      memcpy(&out->offender, d, sizeof(sockaddr_in));
      out->offender_len = sizeof(sockaddr_in);
      return CmsgKind::kOrigDstAddr;
    }
#endif
    if (type == IP_TOS && n >= 1) {
      // IP_RECVTOS delivers the header's single byte; a sent IP_TOS is an int.
      if (n >= sizeof(int)) {
        memcpy(&out->value, d, sizeof(int));
      } else {
        out->value = d[0];
      }
      return CmsgKind::kTos;
    }
  }
  if (out->level == IPPROTO_IPV6) {
    if (type == IPV6_PKTINFO && n >= sizeof(out->pktinfo6)) {
      memcpy(&out->pktinfo6, d, sizeof(out->pktinfo6));
      return CmsgKind::kPktinfo6;
    }
    if (type == IPV6_HOPLIMIT && n >= sizeof(int)) {
      memcpy(&out->value, d, sizeof(int));
      return CmsgKind::kHoplimit;
    }
    if (type == IPV6_TCLASS && n >= sizeof(int)) {
      memcpy(&out->value, d, sizeof(int));
      return CmsgKind::kTclass;
    }
#ifdef IPV6_ORIGDSTADDR
    if (type == IPV6_ORIGDSTADDR && n >= sizeof(sockaddr_in6)) {
      memcpy(&out->offender, d, sizeof(sockaddr_in6));
      out->offender_len = sizeof(sockaddr_in6);
      return CmsgKind::kOrigDstAddr;
    }
#endif
  }
#ifdef __linux__
  if (((out->level == IPPROTO_IP && type == IP_RECVERR) ||
       (out->level == IPPROTO_IPV6 && type == IPV6_RECVERR)) &&
      n >= sizeof(out->ee)) {
    memcpy(&out->ee, d, sizeof(out->ee));
    // SO_EE_OFFENDER: the sockaddr right after the struct, as long as the payload says, and
    // AF_UNSPEC when there is none (errors of local origin).
    size_t rest = n - sizeof(out->ee);
    if (rest > sizeof(out->offender)) rest = sizeof(out->offender);
    memcpy(&out->offender, d + sizeof(out->ee), rest);
    out->offender_len = rest >= sizeof(sa_family_t) && out->offender.ss_family != AF_UNSPEC
                            ? static_cast<socklen_t>(rest)
                            : 0;
    return CmsgKind::kRecvErr;
  }
#endif
  return CmsgKind::kRaw;
}

bool CmsgReader::Next(Cmsg* out) {
  if (done_) return false;
  auto* m = const_cast<msghdr*>(msg_);
  cmsghdr* c = nullptr;
  if (!started_) {
    started_ = true;
    if (m->msg_control != nullptr) c = CMSG_FIRSTHDR(m);
  } else {
    // cur_ passed the checks below, so CMSG_NXTHDR's arithmetic stays within the buffer.
    c = CMSG_NXTHDR(m, cur_);
  }
  const auto* base = static_cast<const unsigned char*>(m->msg_control);
  const auto* end = base + m->msg_controllen;
  const auto* p = reinterpret_cast<const unsigned char*>(c);
  // The header must lie inside the buffer, and the length it claims must too.
  if (c == nullptr || p < base || p > end || static_cast<size_t>(end - p) < sizeof(cmsghdr) ||
      c->cmsg_len < CMSG_LEN(0) || c->cmsg_len > static_cast<size_t>(end - p)) {
    done_ = true;
    return false;
  }
  cur_ = c;
  memset(out, 0, sizeof(*out));
  out->level = c->cmsg_level;
  out->type = c->cmsg_type;
  out->data = CMSG_DATA(c);
  out->data_len = c->cmsg_len - CMSG_LEN(0);
  out->kind = Classify(out);
  return true;
}

}  // namespace sockfd
