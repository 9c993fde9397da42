// libFuzzer target for native/sockaddr.cc, the only code that knows struct sockaddr_* layouts.
// It has no N-API dependency, so it builds here on its own with
// -fsanitize=fuzzer,address,undefined (fuzz/native/run.sh, `npm run fuzz:native`).
//
// The first input byte picks the direction:
//   decode: the next 4 bytes are the address length the kernel reported (any value, larger
//           than the structure too), the rest are the bytes it wrote. They are copied into a
//           heap block of exactly their size, so a read past what the kernel wrote is an ASan
//           report, not a quiet read of stack garbage.
//   encode: the next bytes are an AddrSpec's fields, then its text or abstract name, copied
//           into a block of exactly text_len bytes (the encoder must not read a terminator).
// Each direction checks what it can about the result, and a successful decode or encode must
// survive the way back. IP, unix, link-layer (AF_PACKET) and netlink addresses are covered.
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netpacket/packet.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "sockaddr.h"

using sockfd::AddrError;
using sockfd::AddrSpec;
using sockfd::Decoded;
using sockfd::DecodeSockaddr;
using sockfd::EncodeSockaddr;

namespace {

// Stops the run with a message; libFuzzer saves the input that got here.
[[noreturn]] void Fail(const char* what) {
  fprintf(stderr, "sockaddr_fuzzer: %s\n", what);
  abort();
}

void Check(bool ok, const char* what) {
  if (!ok) Fail(what);
}

uint32_t Read32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

// What a decoded address must satisfy whatever the input.
void CheckDecoded(const Decoded& d, const uint8_t* base, size_t len) {
  Check(d.text_len < sizeof(d.text), "text_len past the text buffer");
  Check(d.text[d.text_len] == '\0', "text not terminated at text_len");
  if (d.bytes_len > 0) {
    Check(d.bytes >= base && d.bytes + d.bytes_len <= base + len, "bytes outside the input");
  }
}

void Decode(const uint8_t* data, size_t size) {
  if (size < 4) return;
  socklen_t claimed = Read32(data);
  data += 4;
  size -= 4;
  // The decoder's contract: it reads at most min(len, sizeof(sockaddr_storage)) bytes. Hand
  // it exactly that many, no more.
  size_t n = size < sizeof(sockaddr_storage) ? size : sizeof(sockaddr_storage);
  if (claimed < n) n = claimed;
  std::unique_ptr<uint8_t[]> block(new uint8_t[n ? n : 1]);
  memcpy(block.get(), data, n);
  Decoded d;
  DecodeSockaddr(reinterpret_cast<const sockaddr_storage*>(block.get()), static_cast<socklen_t>(n),
                 &d);
  CheckDecoded(d, block.get(), n);

  // Back again: what decoded as an address must encode to one that decodes the same.
  AddrSpec spec{};
  spec.port = d.port;
  spec.flowinfo = d.flowinfo;
  spec.scope_id = d.scope_id;
  switch (d.kind) {
    case Decoded::kInet:
    case Decoded::kInet6:
      spec.family = d.kind == Decoded::kInet ? AF_INET : AF_INET6;
      spec.text = d.text;
      spec.text_len = d.text_len;
      break;
    case Decoded::kUnixPath:
      spec.family = AF_UNIX;
      spec.text = d.text;
      spec.text_len = d.text_len;
      break;
    case Decoded::kUnixAbstract:
      spec.family = AF_UNIX;
      spec.bytes = d.bytes_len ? d.bytes : reinterpret_cast<const uint8_t*>("");
      spec.bytes_len = d.bytes_len;
      break;
    case Decoded::kPacket:
      spec.family = AF_PACKET;
      spec.bytes = d.bytes_len ? d.bytes : nullptr;
      spec.bytes_len = d.bytes_len;
      spec.ifindex = d.ifindex;
      spec.protocol = d.protocol;
      spec.hatype = d.hatype;
      spec.pkttype = d.pkttype;
      break;
    case Decoded::kNetlink:
      spec.family = AF_NETLINK;
      spec.pid = d.pid;
      spec.groups = d.groups;
      break;
    default:
      return;
  }
  sockaddr_storage out;
  socklen_t out_len = 0;
  AddrError e = EncodeSockaddr(spec, &out, &out_len);
  // A pathname that fills sun_path with no room for a NUL decodes but may not be re-encoded,
  // the empty path decodes from a lone NUL, and a long hardware address decodes but does not
  // encode; everything else must round-trip.
  if (d.kind == Decoded::kUnixPath && (d.text_len + 1 > sizeof(sockaddr_un::sun_path))) {
    Check(e == AddrError::kPathTooLong, "a full sun_path did not report kPathTooLong");
    return;
  }
  // A hardware address longer than sll_addr (InfiniBand's 20 bytes) decodes, but the encoder
  // takes no more than sll_addr holds.
  if (d.kind == Decoded::kPacket && d.bytes_len > sizeof(sockaddr_ll::sll_addr)) {
    Check(e == AddrError::kBadHwAddr, "a long hardware address did not report kBadHwAddr");
    return;
  }
  if (d.kind == Decoded::kUnixPath && d.text_len == 0) {
    Check(e == AddrError::kEmptyPath, "an empty path did not report kEmptyPath");
    return;
  }
  Check(e == AddrError::kOk, "a decoded address did not encode");
  Check(out_len <= sizeof(out), "encoded length past sockaddr_storage");
  Decoded again;
  DecodeSockaddr(&out, out_len, &again);
  Check(again.kind == d.kind, "round trip changed the kind");
  Check(again.port == d.port, "round trip changed the port");
  Check(again.text_len == d.text_len && memcmp(again.text, d.text, d.text_len) == 0,
        "round trip changed the text");
  Check(again.bytes_len == d.bytes_len &&
            (d.bytes_len == 0 || memcmp(again.bytes, d.bytes, d.bytes_len) == 0),
        "round trip changed the bytes");
  if (d.kind == Decoded::kInet6) {
    Check(again.flowinfo == d.flowinfo && again.scope_id == d.scope_id,
          "round trip changed flowinfo or scope_id");
  }
  if (d.kind == Decoded::kPacket) {
    Check(again.ifindex == d.ifindex && again.protocol == d.protocol && again.hatype == d.hatype &&
              again.pkttype == d.pkttype,
          "round trip changed a link-layer field");
  }
  if (d.kind == Decoded::kNetlink) {
    Check(again.pid == d.pid && again.groups == d.groups, "round trip changed pid or groups");
  }
}

void Encode(const uint8_t* data, size_t size) {
  // family selector, flags, port (4), flowinfo (4), scope_id (4), then the text or name.
  if (size < 14) return;
  static const int kFamilies[] = {AF_INET,   AF_INET6,   AF_UNIX, AF_UNSPEC,
                                  AF_PACKET, AF_NETLINK, -1,      65535};
  AddrSpec spec{};
  spec.family = kFamilies[data[0] % (sizeof(kFamilies) / sizeof(kFamilies[0]))];
  uint8_t flags = data[1];
  spec.port = Read32(data + 2);
  if (flags & 4) spec.port &= 0xffff;  // mostly valid ports, sometimes any value
  spec.flowinfo = Read32(data + 6);
  spec.scope_id = Read32(data + 10);
  // The link-layer and netlink fields reuse the same input bytes.
  spec.protocol = spec.port;
  spec.ifindex = static_cast<int32_t>(spec.scope_id);
  spec.hatype = (flags & 16) ? spec.flowinfo >> 16 : (spec.flowinfo >> 16) & 0xffff;
  spec.pkttype = (flags & 16) ? spec.flowinfo & 0xffff : spec.flowinfo & 0xff;
  spec.pid = spec.flowinfo;
  spec.groups = spec.scope_id;
  data += 14;
  size -= 14;
  std::unique_ptr<uint8_t[]> block(new uint8_t[size ? size : 1]);
  memcpy(block.get(), data, size);
  if (flags & 1) {
    spec.unnamed = true;
  } else if (flags & 2) {
    spec.bytes = block.get();
    spec.bytes_len = size;
  } else if (!(flags & 8)) {
    spec.text = reinterpret_cast<const char*>(block.get());
    spec.text_len = size;
  }  // else: neither text nor bytes, as for a missing host

  sockaddr_storage out;
  memset(&out, 0xa5, sizeof(out));
  socklen_t len = 0xdeadbeef;
  AddrError e = EncodeSockaddr(spec, &out, &len);
  Check(sockfd::AddrErrorMessage(e) != nullptr, "no message for an error");
  if (e != AddrError::kOk) return;
  Check(len >= sizeof(sa_family_t) && len <= sizeof(out), "encoded length out of range");
  Check(out.ss_family == spec.family, "encoded family differs");
  if (spec.family == AF_INET || spec.family == AF_INET6) {
    Check(spec.port <= 65535, "a port above 65535 was accepted");
  }
  if (spec.family == AF_UNIX && spec.text != nullptr && !spec.unnamed && spec.bytes == nullptr) {
    Check(memchr(spec.text, '\0', spec.text_len) == nullptr, "a path with a NUL was accepted");
  }

  Decoded d;
  DecodeSockaddr(&out, len, &d);
  CheckDecoded(d, reinterpret_cast<const uint8_t*>(&out), len);
  switch (spec.family) {
    case AF_INET:
    case AF_INET6:
      Check(d.kind == (spec.family == AF_INET ? Decoded::kInet : Decoded::kInet6), "ip kind");
      Check(d.port == spec.port, "ip port");
      break;
    case AF_UNIX:
      if (spec.unnamed) {
        Check(d.kind == Decoded::kUnixUnnamed, "unnamed kind");
      } else if (spec.bytes != nullptr) {
        Check(d.kind == Decoded::kUnixAbstract && d.bytes_len == spec.bytes_len &&
                  (spec.bytes_len == 0 || memcmp(d.bytes, spec.bytes, spec.bytes_len) == 0),
              "abstract name did not round-trip");
      } else {
        Check(d.kind == Decoded::kUnixPath && d.text_len == spec.text_len &&
                  memcmp(d.text, spec.text, spec.text_len) == 0,
              "path did not round-trip");
      }
      break;
    case AF_PACKET:
      Check(d.kind == Decoded::kPacket && d.ifindex == spec.ifindex &&
                d.protocol == spec.protocol && d.hatype == spec.hatype && d.pkttype == spec.pkttype,
            "link-layer address did not round-trip");
      Check(d.bytes_len == spec.bytes_len &&
                (spec.bytes_len == 0 || memcmp(d.bytes, spec.bytes, spec.bytes_len) == 0),
            "hardware address did not round-trip");
      break;
    case AF_NETLINK:
      Check(d.kind == Decoded::kNetlink && d.pid == spec.pid && d.groups == spec.groups,
            "netlink address did not round-trip");
      break;
    default:
      Fail("an unknown family was encoded");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  if (data[0] & 1) {
    Decode(data + 1, size - 1);
  } else {
    Encode(data + 1, size - 1);
  }
  return 0;
}
