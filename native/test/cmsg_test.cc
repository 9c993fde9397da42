// Unit test and fuzzer for native/cmsg.cc, with no N-API. test/cmsg-native.test.ts builds it
// with AddressSanitizer and UBSan and runs it: every buffer handed to the decoder is a heap
// block of exactly its length, so a read one byte past it fails the run.
#include "../cmsg.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

using sockfd::Cmsg;
using sockfd::CmsgKind;
using sockfd::CmsgReader;

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                              \
    }                                                                          \
  } while (0)

// A copy of `bytes` in a heap block of exactly its size (new[] is aligned for cmsghdr).
static std::unique_ptr<unsigned char[]> Exact(const unsigned char* bytes, size_t len) {
  std::unique_ptr<unsigned char[]> p(new unsigned char[len ? len : 1]);
  if (len) memcpy(p.get(), bytes, len);
  return p;
}

// What one decoded message said, kept after its buffer is gone.
struct Seen {
  CmsgKind kind;
  int level, type;
  std::vector<unsigned char> data;
  Cmsg c;
};

// Decodes `len` bytes from an exact-size block, reading every payload byte it reports so the
// sanitizer checks data/data_len against the block.
static std::vector<Seen> Decode(const unsigned char* bytes, size_t len) {
  auto buf = Exact(bytes, len);
  msghdr m{};
  m.msg_control = buf.get();
  m.msg_controllen = len;
  CmsgReader reader(&m);
  Cmsg c;
  std::vector<Seen> out;
  while (reader.Next(&c)) {
    Seen s{c.kind, c.level, c.type, std::vector<unsigned char>(c.data, c.data + c.data_len), c};
    out.push_back(s);
    CHECK(out.size() <= len);  // Every header takes room: the walk must end.
  }
  return out;
}

static Cmsg Make(CmsgKind kind) {
  Cmsg c;
  memset(&c, 0, sizeof(c));
  c.kind = kind;
  return c;
}

static std::vector<unsigned char> Encode(const std::vector<Cmsg>& items) {
  size_t need = sockfd::CmsgEncodedLength(items.data(), items.size());
  CHECK(need != SIZE_MAX);
  std::unique_ptr<unsigned char[]> buf(new unsigned char[need ? need : 1]);
  size_t len = 0;
  CHECK(sockfd::EncodeCmsgs(items.data(), items.size(), buf.get(), need, &len));
  CHECK(len == need);
  return std::vector<unsigned char>(buf.get(), buf.get() + len);
}

static std::vector<Cmsg> Sample(const int* fds, const char* raw) {
  std::vector<Cmsg> items;
  Cmsg c = Make(CmsgKind::kRights);
  c.data = reinterpret_cast<const unsigned char*>(fds);
  c.data_len = 3 * sizeof(int);
  items.push_back(c);
  c = Make(CmsgKind::kCredentials);
  c.cred = {1234, 1000, 100};
  items.push_back(c);
  c = Make(CmsgKind::kPktinfo);
  c.pktinfo.ipi_ifindex = 7;
  inet_pton(AF_INET, "127.0.0.2", &c.pktinfo.ipi_spec_dst);
  items.push_back(c);
  c = Make(CmsgKind::kPktinfo6);
  c.pktinfo6.ipi6_ifindex = 9;
  inet_pton(AF_INET6, "::1", &c.pktinfo6.ipi6_addr);
  items.push_back(c);
  for (CmsgKind k : {CmsgKind::kTtl, CmsgKind::kHoplimit, CmsgKind::kTos, CmsgKind::kTclass}) {
    c = Make(k);
    c.value = 40 + static_cast<int>(k);
    items.push_back(c);
  }
  c = Make(CmsgKind::kRaw);
  c.level = 1;
  c.type = 4242;
  c.data = reinterpret_cast<const unsigned char*>(raw);
  c.data_len = strlen(raw);
  items.push_back(c);
  return items;
}

static void TestRoundTrip() {
  const int fds[3] = {3, 4, 5};
  const char* raw = "hello";
  std::vector<Cmsg> items = Sample(fds, raw);
  std::vector<unsigned char> wire = Encode(items);
  std::vector<Seen> got = Decode(wire.data(), wire.size());
  CHECK(got.size() == items.size());
  if (got.size() != items.size()) return;
  CHECK(got[0].kind == CmsgKind::kRights && got[0].data.size() == sizeof(fds) &&
        memcmp(got[0].data.data(), fds, sizeof(fds)) == 0);
  CHECK(got[1].kind == CmsgKind::kCredentials && got[1].c.cred.pid == 1234 &&
        got[1].c.cred.uid == 1000 && got[1].c.cred.gid == 100);
  CHECK(got[2].kind == CmsgKind::kPktinfo && got[2].c.pktinfo.ipi_ifindex == 7 &&
        got[2].c.pktinfo.ipi_spec_dst.s_addr == items[2].pktinfo.ipi_spec_dst.s_addr);
  CHECK(got[3].kind == CmsgKind::kPktinfo6 && got[3].c.pktinfo6.ipi6_ifindex == 9 &&
        memcmp(&got[3].c.pktinfo6.ipi6_addr, &items[3].pktinfo6.ipi6_addr, 16) == 0);
  for (size_t i = 4; i < 8; i++) {
    CHECK(got[i].kind == items[i].kind && got[i].c.value == items[i].value);
  }
  CHECK(got[8].kind == CmsgKind::kRaw && got[8].level == 1 && got[8].type == 4242 &&
        got[8].data == std::vector<unsigned char>(raw, raw + 5));
}

static void TestEncodeRefusals() {
  const int fds[3] = {3, 4, 5};
  std::vector<Cmsg> items = Sample(fds, "x");
  size_t need = sockfd::CmsgEncodedLength(items.data(), items.size());
  // Too small by one: refused, and nothing is written past the exact-size block.
  std::unique_ptr<unsigned char[]> small(new unsigned char[need - 1]);
  size_t len = 0;
  CHECK(!sockfd::EncodeCmsgs(items.data(), items.size(), small.get(), need - 1, &len));
  for (CmsgKind k : {CmsgKind::kTimestamp, CmsgKind::kTimestampNs, CmsgKind::kRxqOverflow,
                     CmsgKind::kRecvErr, CmsgKind::kPidfd, CmsgKind::kOrigDstAddr}) {
    Cmsg c = Make(k);
    CHECK(sockfd::CmsgEncodedLength(&c, 1) == SIZE_MAX);
  }
  CHECK(sockfd::CmsgEncodedLength(nullptr, 0) == 0);
  Cmsg huge = Make(CmsgKind::kRaw);
  huge.data_len = SIZE_MAX - 4;  // Would overflow CMSG_SPACE: refused, never summed.
  CHECK(sockfd::CmsgEncodedLength(&huge, 1) == SIZE_MAX);
}

static void TestPrefixes() {
  const int fds[3] = {3, 4, 5};
  std::vector<unsigned char> wire = Encode(Sample(fds, "hello"));
  size_t last = 0;
  for (size_t n = 0; n <= wire.size(); n++) {
    size_t got = Decode(wire.data(), n).size();
    CHECK(got >= last);  // A longer prefix never decodes fewer messages.
    last = got;
  }
}

static void TestShortPayloads() {
  // A message cut by MSG_CTRUNC: typed kinds with too few bytes come back raw.
  unsigned char buf[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  auto* h = reinterpret_cast<cmsghdr*>(buf);
  h->cmsg_level = IPPROTO_IPV6;
  h->cmsg_type = IPV6_PKTINFO;
  h->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo) - 1);
  std::vector<Seen> got = Decode(buf, CMSG_LEN(sizeof(in6_pktinfo) - 1));
  CHECK(got.size() == 1 && got[0].kind == CmsgKind::kRaw &&
        got[0].data.size() == sizeof(in6_pktinfo) - 1);
  h->cmsg_level = IPPROTO_IP;
  h->cmsg_type = IP_RECVERR;
  h->cmsg_len = CMSG_LEN(sizeof(sock_extended_err) + 2);  // Offender cut to its family.
  got = Decode(buf, CMSG_LEN(sizeof(sock_extended_err) + 2));
  CHECK(got.size() == 1 && got[0].kind == CmsgKind::kRecvErr && got[0].c.offender_len == 0);
  // IP_ORIGDSTADDR: a whole sockaddr_in is the address; one byte short comes back raw.
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(4242);
  h->cmsg_type = IP_ORIGDSTADDR;
  memcpy(CMSG_DATA(h), &sin, sizeof(sin));
  h->cmsg_len = CMSG_LEN(sizeof(sin));
  got = Decode(buf, CMSG_LEN(sizeof(sin)));
  CHECK(got.size() == 1 && got[0].kind == CmsgKind::kOrigDstAddr &&
        got[0].c.offender_len == sizeof(sin) &&
        reinterpret_cast<const sockaddr_in*>(&got[0].c.offender)->sin_port == htons(4242));
  h->cmsg_len = CMSG_LEN(sizeof(sin) - 1);
  got = Decode(buf, CMSG_LEN(sizeof(sin) - 1));
  CHECK(got.size() == 1 && got[0].kind == CmsgKind::kRaw);
}

static void Fuzz() {
  std::mt19937 rng(20240501);
  const int fds[3] = {3, 4, 5};
  std::vector<unsigned char> wire = Encode(Sample(fds, "hello"));
  std::vector<unsigned char> bytes;
  for (int iter = 0; iter < 200000; iter++) {
    if (iter % 2) {
      // Mutations of a valid buffer, aimed at the length fields.
      bytes = wire;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; k++) {
        size_t at = rng() % bytes.size();
        bytes[at] = static_cast<unsigned char>(rng());
      }
      if (rng() % 2) {
        // Rewrite one header's cmsg_len with a value near a boundary.
        size_t len = bytes.size() & ~(sizeof(size_t) - 1);
        size_t at = (rng() % (len / sizeof(size_t))) * sizeof(size_t);
        size_t v = rng() % 3 == 0 ? SIZE_MAX - (rng() % 64) : rng() % (bytes.size() + 32);
        memcpy(bytes.data() + at, &v, sizeof(v));
      }
      bytes.resize(rng() % (bytes.size() + 1));
    } else {
      bytes.resize(rng() % 160);
      for (auto& b : bytes) b = static_cast<unsigned char>(rng() % 7 ? rng() % 48 : rng());
    }
    Decode(bytes.data(), bytes.size());
  }
}

int main() {
  TestRoundTrip();
  TestEncodeRefusals();
  TestPrefixes();
  TestShortPayloads();
  Fuzz();
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("cmsg codec: all checks passed\n");
  return 0;
}
