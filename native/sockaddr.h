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
  int family;            // AF_INET, AF_INET6 or AF_UNIX
  const char* text;      // IP text, or the unix path (not NUL-terminated; see text_len)
  size_t text_len;       //
  const uint8_t* bytes;  // AF_UNIX abstract name (without the leading NUL), or nullptr
  size_t bytes_len;      //
  bool unnamed;          // AF_UNIX with no name: bind() autobinds an abstract name
  uint32_t port;         // host byte order
  uint32_t flowinfo;     // AF_INET6
  uint32_t scope_id;     // AF_INET6
};

enum class AddrError {
  kOk = 0,
  kBadFamily,    // not a family this encoder knows
  kBadIp,        // unparsable IP text for the family
  kBadPort,      // port above 65535
  kPathTooLong,  // the unix name does not fit in sun_path
  kPathHasNul,   // a pathname with an embedded NUL (the kernel would cut it short)
  kEmptyPath,    // a zero-length pathname (use unnamed or abstract instead)
};

const char* AddrErrorMessage(AddrError e);

// Fills `out`/`len` from `spec`. Never writes past `out`.
AddrError EncodeSockaddr(const AddrSpec& spec, sockaddr_storage* out, socklen_t* len);

// A decoded address. `text` holds the IP text or the unix path (NUL-terminated; only its first
// text_len bytes are meaningful); `bytes` points into the source sockaddr for abstract names and
// unknown families.
struct Decoded {
  enum Kind { kInet, kInet6, kUnixPath, kUnixAbstract, kUnixUnnamed, kOther, kNone } kind;
  int family;
  char text[sizeof(sockaddr_un::sun_path) + 1];
  size_t text_len;
  const uint8_t* bytes;
  size_t bytes_len;
  uint16_t port;
  uint32_t flowinfo;
  uint32_t scope_id;
};

// Decodes the first `len` bytes of `sa` (the length the kernel returned, which may be less than
// the structure's size). Reads nothing past `len` or past sizeof(sockaddr_storage).
void DecodeSockaddr(const sockaddr_storage* sa, socklen_t len, Decoded* out);

}  // namespace sockfd
