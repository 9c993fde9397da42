#include "sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#ifdef __linux__
#include <linux/if_packet.h>
#include <linux/netlink.h>
#endif

namespace sockfd {

const char* AddrErrorMessage(AddrError e) {
  switch (e) {
    case AddrError::kOk:
      return "ok";
    case AddrError::kBadFamily:
      return "The \"address.family\" argument must be 'inet', 'inet6', 'unix', 'packet' or "
             "'netlink'";
    case AddrError::kBadIp:
      return "The \"address.address\" argument is not a valid IP address for its family";
    case AddrError::kBadPort:
      return "The \"address.port\" argument must be >= 0 and <= 65535";
    case AddrError::kPathTooLong:
      return "The unix socket name is longer than sun_path";
    case AddrError::kPathHasNul:
      return "The \"address.path\" argument must not contain NUL bytes";
    case AddrError::kEmptyPath:
      return "The \"address.path\" argument must not be empty";
    case AddrError::kBadHwAddr:
      return "The \"address.hwaddr\" argument must be bytes that fit in sll_addr";
    case AddrError::kBadProtocol:
      return "The \"address.protocol\" argument must be >= 0 and <= 65535";
    case AddrError::kBadLinkType:
      return "The \"address.hatype\" must be <= 65535 and \"address.pkttype\" <= 255";
  }
  return "invalid address";
}

// inet_pton needs a NUL-terminated string; IP text longer than this is invalid anyway.
static bool CopyText(const AddrSpec& s, char* buf, size_t cap) {
  if (s.text == nullptr || s.text_len >= cap) return false;
  memcpy(buf, s.text, s.text_len);
  buf[s.text_len] = '\0';
  return memchr(buf, '\0', s.text_len) == nullptr;
}

AddrError EncodeSockaddr(const AddrSpec& s, sockaddr_storage* out, socklen_t* len) {
  memset(out, 0, sizeof(*out));
  switch (s.family) {
    case AF_INET: {
      if (s.port > 65535) return AddrError::kBadPort;
      auto* sin = reinterpret_cast<sockaddr_in*>(out);
      char buf[INET_ADDRSTRLEN + 1];
      if (!CopyText(s, buf, sizeof(buf)) || inet_pton(AF_INET, buf, &sin->sin_addr) != 1) {
        return AddrError::kBadIp;
      }
      sin->sin_family = AF_INET;
      sin->sin_port = htons(static_cast<uint16_t>(s.port));
      *len = sizeof(*sin);
      return AddrError::kOk;
    }
    case AF_INET6: {
      if (s.port > 65535) return AddrError::kBadPort;
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
      char buf[INET6_ADDRSTRLEN + 1];
      if (!CopyText(s, buf, sizeof(buf)) || inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1) {
        return AddrError::kBadIp;
      }
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(static_cast<uint16_t>(s.port));
      sin6->sin6_flowinfo = htonl(s.flowinfo);
      sin6->sin6_scope_id = s.scope_id;
      *len = sizeof(*sin6);
      return AddrError::kOk;
    }
    case AF_UNIX: {
      auto* sun = reinterpret_cast<sockaddr_un*>(out);
      sun->sun_family = AF_UNIX;
      const size_t base = offsetof(sockaddr_un, sun_path);
      if (s.unnamed) {
        *len = base;
        return AddrError::kOk;
      }
      if (s.bytes != nullptr) {
        // Abstract: a leading NUL, then the name as bytes; the length says where it ends.
        if (s.bytes_len + 1 > sizeof(sun->sun_path)) return AddrError::kPathTooLong;
        memcpy(sun->sun_path + 1, s.bytes, s.bytes_len);
        *len = static_cast<socklen_t>(base + 1 + s.bytes_len);
        return AddrError::kOk;
      }
      if (s.text == nullptr || s.text_len == 0) return AddrError::kEmptyPath;
      // Keep room for the terminating NUL, as unix(7) recommends for portability.
      if (s.text_len + 1 > sizeof(sun->sun_path)) return AddrError::kPathTooLong;
      if (memchr(s.text, '\0', s.text_len) != nullptr) return AddrError::kPathHasNul;
      memcpy(sun->sun_path, s.text, s.text_len);
      *len = static_cast<socklen_t>(base + s.text_len + 1);
      return AddrError::kOk;
    }
#ifdef __linux__
    case AF_PACKET: {
      auto* sll = reinterpret_cast<sockaddr_ll*>(out);
      if (s.protocol > 0xffff) return AddrError::kBadProtocol;
      if (s.hatype > 0xffff || s.pkttype > 0xff) return AddrError::kBadLinkType;
      if (s.text != nullptr || s.bytes_len > sizeof(sll->sll_addr)) return AddrError::kBadHwAddr;
      sll->sll_family = AF_PACKET;
      sll->sll_protocol = htons(static_cast<uint16_t>(s.protocol));
      sll->sll_ifindex = s.ifindex;
      sll->sll_hatype = static_cast<uint16_t>(s.hatype);
      sll->sll_pkttype = static_cast<uint8_t>(s.pkttype);
      sll->sll_halen = static_cast<uint8_t>(s.bytes_len);
      if (s.bytes_len) memcpy(sll->sll_addr, s.bytes, s.bytes_len);
      *len = sizeof(*sll);
      return AddrError::kOk;
    }
    case AF_NETLINK: {
      auto* nl = reinterpret_cast<sockaddr_nl*>(out);
      nl->nl_family = AF_NETLINK;
      nl->nl_pid = s.pid;
      nl->nl_groups = s.groups;
      *len = sizeof(*nl);
      return AddrError::kOk;
    }
#endif
    default:
      return AddrError::kBadFamily;
  }
}

// inet_ntop(AF_INET) without its sprintf: a packet loop decodes one sender per datagram.
// Writes at most 16 bytes ("255.255.255.255" and its NUL) and returns the length.
static size_t FormatIPv4(const in_addr& addr, char* out) {
  const auto* b = reinterpret_cast<const uint8_t*>(&addr.s_addr);  // network order
  char* p = out;
  for (int i = 0; i < 4; i++) {
    unsigned v = b[i];
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
    if (i < 3) *p++ = '.';
  }
  *p = '\0';
  return static_cast<size_t>(p - out);
}

bool IsUtf8(const char* bytes, size_t len) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes);
  size_t i = 0;
  while (i < len) {
    const uint8_t b = p[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint8_t lo = 0x80, hi = 0xbf;  // the range of the second byte (Unicode 15, table 3-7)
    if (b >= 0xc2 && b <= 0xdf) {
      n = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b == 0xe0) lo = 0xa0;  // overlong
      if (b == 0xed) hi = 0x9f;  // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b == 0xf0) lo = 0x90;  // overlong
      if (b == 0xf4) hi = 0x8f;  // past U+10FFFF
    } else {
      return false;
    }
    if (len - i < n || p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < n; k++) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

void DecodeSockaddr(const sockaddr_storage* sa, socklen_t len, Decoded* out) {
  // Every field but the text buffer, which is read only up to text_len: clearing all of it per
  // datagram cost more than the decoding.
  out->kind = Decoded::kNone;
  out->family = 0;
  out->text[0] = '\0';
  out->text_len = 0;
  out->bytes = nullptr;
  out->bytes_len = 0;
  out->port = 0;
  out->flowinfo = 0;
  out->scope_id = 0;
  out->text_utf8 = true;
  if (len > sizeof(sockaddr_storage)) len = sizeof(sockaddr_storage);
  if (len < sizeof(sa_family_t)) {
    out->kind = Decoded::kNone;
    return;
  }
  out->family = sa->ss_family;
  switch (sa->ss_family) {
    case AF_INET: {
      if (len < sizeof(sockaddr_in)) break;
      auto* sin = reinterpret_cast<const sockaddr_in*>(sa);
      out->kind = Decoded::kInet;
      static_assert(sizeof(out->text) >= INET_ADDRSTRLEN, "room for any IPv4 text");
      out->text_len = FormatIPv4(sin->sin_addr, out->text);
      out->port = ntohs(sin->sin_port);
      return;
    }
    case AF_INET6: {
      if (len < sizeof(sockaddr_in6)) break;
      auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
      out->kind = Decoded::kInet6;
      inet_ntop(AF_INET6, &sin6->sin6_addr, out->text, sizeof(out->text));
      out->text_len = strlen(out->text);
      out->port = ntohs(sin6->sin6_port);
      out->flowinfo = ntohl(sin6->sin6_flowinfo);
      out->scope_id = sin6->sin6_scope_id;
      return;
    }
    case AF_UNIX: {
      auto* sun = reinterpret_cast<const sockaddr_un*>(sa);
      const size_t base = offsetof(sockaddr_un, sun_path);
      size_t n = len - base;  // len >= sizeof(sa_family_t) == base
      if (n > sizeof(sun->sun_path)) n = sizeof(sun->sun_path);
      if (n == 0) {
        out->kind = Decoded::kUnixUnnamed;
        return;
      }
      if (sun->sun_path[0] == '\0') {
        // Abstract: every byte after the leading NUL up to addrlen is the name, NULs included.
        out->kind = Decoded::kUnixAbstract;
        out->bytes = reinterpret_cast<const uint8_t*>(sun->sun_path + 1);
        out->bytes_len = n - 1;
        return;
      }
      // Pathname: the kernel may count a terminating NUL in addrlen, or not (unix(7)).
      const void* nul = memchr(sun->sun_path, '\0', n);
      size_t plen = nul ? static_cast<const char*>(nul) - sun->sun_path : n;
      out->kind = Decoded::kUnixPath;
      memcpy(out->text, sun->sun_path, plen);
      out->text[plen] = '\0';
      out->text_len = plen;
      out->text_utf8 = IsUtf8(out->text, plen);
      return;
    }
#ifdef __linux__
    case AF_PACKET: {
      // The kernel reports offsetof(sll_addr) + sll_halen, and a hardware address may be longer
      // than sll_addr's 8 bytes (InfiniBand's is 20): take what the length covers, no more.
      const size_t base = offsetof(sockaddr_ll, sll_addr);
      if (len < base) break;
      auto* sll = reinterpret_cast<const sockaddr_ll*>(sa);
      out->kind = Decoded::kPacket;
      out->ifindex = sll->sll_ifindex;
      out->protocol = ntohs(sll->sll_protocol);
      out->hatype = sll->sll_hatype;
      out->pkttype = sll->sll_pkttype;
      size_t n = len - base;
      if (n > sll->sll_halen) n = sll->sll_halen;
      out->bytes = reinterpret_cast<const uint8_t*>(sa) + base;
      out->bytes_len = n;
      return;
    }
    case AF_NETLINK: {
      if (len < sizeof(sockaddr_nl)) break;
      auto* nl = reinterpret_cast<const sockaddr_nl*>(sa);
      out->kind = Decoded::kNetlink;
      out->pid = nl->nl_pid;
      out->groups = nl->nl_groups;
      return;
    }
#endif
    default:
      break;
  }
  // A family this decoder does not name (or a short one): hand back the raw bytes.
  out->kind = Decoded::kOther;
  out->bytes = reinterpret_cast<const uint8_t*>(sa) + sizeof(sa_family_t);
  out->bytes_len = len - sizeof(sa_family_t);
}

}  // namespace sockfd
