// struct sockaddr_* encode and decode. Plain C++ with no N-API, so it can be unit-tested and
// fuzzed on its own; the only place that knows sockaddr layouts.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdint>

namespace sockfd {

// What a caller asks for, already split into fields.
struct AddrSpec {
  int family;            // AF_INET, AF_INET6, AF_UNIX, AF_PACKET or AF_NETLINK
  const char* text;      // IP text, or the unix path (not NUL-terminated; see text_len)
  size_t text_len;       //
  const uint8_t* bytes;  // AF_UNIX abstract name (without the leading NUL), AF_PACKET hardware
  size_t bytes_len;      // address, or nullptr
  bool unnamed;          // AF_UNIX with no name: bind() autobinds an abstract name
  uint32_t port;         // host byte order
  uint32_t flowinfo;     // AF_INET6
  uint32_t scope_id;     // AF_INET6
  int32_t ifindex;       // AF_PACKET sll_ifindex
  uint32_t protocol;     // AF_PACKET sll_protocol, host byte order (ETH_P_ALL, ETH_P_IP, ...)
  uint32_t hatype;       // AF_PACKET sll_hatype (ARPHRD_*)
  uint32_t pkttype;      // AF_PACKET sll_pkttype (PACKET_HOST, ...)
  uint32_t pid;          // AF_NETLINK nl_pid
  uint32_t groups;       // AF_NETLINK nl_groups
};

enum class AddrError {
  kOk = 0,
  kBadFamily,    // not a family this encoder knows
  kBadIp,        // unparsable IP text for the family
  kBadPort,      // port above 65535
  kPathTooLong,  // the unix name does not fit in sun_path
  kPathHasNul,   // a pathname with an embedded NUL (the kernel would cut it short)
  kEmptyPath,    // a zero-length pathname (use unnamed or abstract instead)
  kBadHwAddr,    // an AF_PACKET hardware address longer than sll_addr, or given as text
  kBadProtocol,  // an AF_PACKET protocol above 0xffff
  kBadLinkType,  // an AF_PACKET hatype above 0xffff or pkttype above 0xff
};

const char* AddrErrorMessage(AddrError e);

// Fills `out`/`len` from `spec`. Never writes past `out`.
AddrError EncodeSockaddr(const AddrSpec& spec, sockaddr_storage* out, socklen_t* len);

// A decoded address. `text` holds the IP text or the unix path (NUL-terminated; only its first
// text_len bytes are meaningful); `bytes` points into the source sockaddr for abstract names,
// AF_PACKET hardware addresses and unknown families.
struct Decoded {
  enum Kind {
    kInet,
    kInet6,
    kUnixPath,
    kUnixAbstract,
    kUnixUnnamed,
    kPacket,
    kNetlink,
    kOther,
    kNone
  } kind;
  int family;
  char text[sizeof(sockaddr_un::sun_path) + 1];
  size_t text_len;
  const uint8_t* bytes;
  size_t bytes_len;
  uint16_t port;
  uint32_t flowinfo;
  uint32_t scope_id;
  int32_t ifindex;    // kPacket
  uint16_t protocol;  // kPacket, host byte order
  uint16_t hatype;    // kPacket
  uint8_t pkttype;    // kPacket
  uint32_t pid;       // kNetlink
  uint32_t groups;    // kNetlink
  bool text_utf8;     // kUnixPath: whether the path's bytes are valid UTF-8
};

// Whether bytes[0..len) are well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): exactly the byte strings that survive a round trip through a JavaScript string.
bool IsUtf8(const char* bytes, size_t len);

// Decodes the first `len` bytes of `sa` (the length the kernel returned, which may be less than
// the structure's size). Reads nothing past `len` or past sizeof(sockaddr_storage).
void DecodeSockaddr(const sockaddr_storage* sa, socklen_t len, Decoded* out);

}  // namespace sockfd
