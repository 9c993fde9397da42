// libFuzzer target for native/cmsg.cc, the control-message codec (plain C++, no N-API), built
// with -fsanitize=fuzzer,address,undefined by fuzz/native/run.sh. native/test/cmsg_test.cc has
// the codec's unit tests and a random fuzzer; this one is coverage-guided.
//
// The input is a control buffer as the kernel would leave it: copied into a heap block of
// exactly its length (aligned for struct cmsghdr), so reading one byte past what the kernel
// wrote is an ASan report. Every message CmsgReader returns must lie inside the block, and the
// ones a sender may send must encode, into a buffer of exactly CmsgEncodedLength bytes, to
// control data that decodes to the same messages.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cmsg.h"

using sockfd::Cmsg;
using sockfd::CmsgKind;
using sockfd::CmsgReader;

namespace {

[[noreturn]] void Fail(const char* what) {
  fprintf(stderr, "cmsg_fuzzer: %s\n", what);
  abort();
}

void Check(bool ok, const char* what) {
  if (!ok) Fail(what);
}

// Kinds a sender may pass to EncodeCmsgs; the rest only arrive.
bool Sendable(CmsgKind k) {
  switch (k) {
    case CmsgKind::kRaw:
    case CmsgKind::kRights:
    case CmsgKind::kCredentials:
    case CmsgKind::kPktinfo:
    case CmsgKind::kPktinfo6:
    case CmsgKind::kTtl:
    case CmsgKind::kHoplimit:
    case CmsgKind::kTos:
    case CmsgKind::kTclass:
      return true;
    default:
      return false;
  }
}

std::vector<Cmsg> Decode(void* control, size_t len) {
  msghdr msg{};
  msg.msg_control = control;
  msg.msg_controllen = len;
  std::vector<Cmsg> out;
  CmsgReader reader(&msg);
  Cmsg c;
  const auto* lo = static_cast<const unsigned char*>(control);
  while (reader.Next(&c)) {
    if (c.data_len > 0) {
      Check(c.data >= lo && c.data + c.data_len <= lo + len, "payload outside the buffer");
    }
    if (c.kind == CmsgKind::kRights) Check(c.data_len % sizeof(int) == 0, "a partial fd");
    Check(c.offender_len <= sizeof(c.offender), "offender longer than sockaddr_storage");
    out.push_back(c);
    Check(out.size() <= len / sizeof(cmsghdr) + 1, "more messages than the buffer can hold");
  }
  return out;
}

bool SameMessage(const Cmsg& a, const Cmsg& b) {
  if (a.kind != b.kind || a.level != b.level || a.type != b.type) return false;
  switch (a.kind) {
    case CmsgKind::kRaw:
    case CmsgKind::kRights:
      return a.data_len == b.data_len && (a.data_len == 0 || !memcmp(a.data, b.data, a.data_len));
    case CmsgKind::kCredentials:
      return !memcmp(&a.cred, &b.cred, sizeof(a.cred));
    case CmsgKind::kPktinfo:
      return !memcmp(&a.pktinfo, &b.pktinfo, sizeof(a.pktinfo));
    case CmsgKind::kPktinfo6:
      return !memcmp(&a.pktinfo6, &b.pktinfo6, sizeof(a.pktinfo6));
    case CmsgKind::kTos:
      // Sent as an int, received as one byte.
      return (a.value & 0xff) == (b.value & 0xff);
    default:
      return a.value == b.value;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  // new[] returns memory aligned for any fundamental type, so for struct cmsghdr too.
  unsigned char* block = new unsigned char[size ? size : 1];
  memcpy(block, data, size);
  std::vector<Cmsg> got = Decode(block, size);

  std::vector<Cmsg> sendable;
  for (const Cmsg& c : got) {
    if (Sendable(c.kind)) sendable.push_back(c);
  }
  size_t need = sockfd::CmsgEncodedLength(sendable.data(), sendable.size());
  if (need != SIZE_MAX && need > 0 && need <= 65536) {
    unsigned char* out = new unsigned char[need];
    size_t len = 0;
    // One byte short must be refused without writing past the buffer.
    if (need > 1) {
      Check(!sockfd::EncodeCmsgs(sendable.data(), sendable.size(), out, need - 1, &len),
            "encoded into a buffer that was too short");
    }
    // What decodes as sendable encodes again; the kernel-side quirks (a kTos as an int) aside,
    // the messages come back the same.
    if (sockfd::EncodeCmsgs(sendable.data(), sendable.size(), out, need, &len)) {
      Check(len <= need, "msg_controllen past the buffer");
      std::vector<Cmsg> again = Decode(out, len);
      Check(again.size() == sendable.size(), "round trip changed the number of messages");
      for (size_t i = 0; i < again.size(); i++) {
        Check(SameMessage(sendable[i], again[i]), "round trip changed a message");
      }
    }
    delete[] out;
  }
  delete[] block;
  return 0;
}
