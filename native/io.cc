// send, sendto, recv, recvfrom on caller-owned buffers: no copies, and the length always comes
// from the view itself, so the kernel can never write outside it.
//
// These run once per message in a packet loop, so they are written against plain Node-API
// (args.h's Args and Read*): one call to read the arguments and one per argument.
#include <poll.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstring>

#include "exports.h"
#include "sockaddr_napi.h"
#include "syscall.h"

namespace sockfd {

static bool ReadIo(napi_env env, const napi_value* argv, int* fd, Bytes* buf, int32_t* flags) {
  return ReadFd(env, argv[0], fd) && ReadBytes(env, argv[1], "buffer", buf) &&
         ReadInt(env, argv[2], "flags", INT32_MIN, INT32_MAX, flags);
}

// send(fd, buffer, flags) -> bytes or -errno. send(2)
// MSG_NOSIGNAL always: a closed peer must give EPIPE, never a SIGPIPE that kills the process.
static napi_value Send(napi_env env, napi_callback_info info) {
  Args<3> a(env, info);
  int fd;
  Bytes b;
  int32_t flags;
  if (!a.ok || !ReadIo(env, a.argv, &fd, &b, &flags)) return nullptr;
  return NumberValue(env, Blocking(fd, POLLOUT, SO_SNDTIMEO, flags, false, [&](int extra) {
                       return send(fd, b.data, b.len, flags | extra | MSG_NOSIGNAL);
                     }));
}

// What a caller may pass to sendto after the address group: a slot the encoded sockaddr is
// kept in. A caller that sends to that address again calls sendtoSlot, which skips reading and
// parsing the address (lib/addrmeta.ts keeps track).
struct SentAddress {
  sockaddr_storage ss;
  uint32_t len;         // 0 until the first address is encoded
  uint32_t generation;  // counts the addresses encoded into it
};

// The slot argument: nullptr when absent (undefined), else its ArrayBuffer's memory.
// Inlined in both callers, as the other per-message readers are (bench: udp).
[[gnu::always_inline]] static inline bool ReadSlot(napi_env env, napi_value v, SentAddress** out) {
  napi_valuetype t = napi_undefined;
  napi_typeof(env, v, &t);
  *out = nullptr;
  if (t == napi_undefined) return true;
  void* data;
  if (!ReadArrayBuffer(env, v, "slot", sizeof(SentAddress), alignof(SentAddress),
                       "an ArrayBuffer of sentAddressBytes bytes", &data)) {
    return false;
  }
  *out = static_cast<SentAddress*>(data);
  return true;
}

[[gnu::always_inline]] static inline ssize_t SendToAddress(int fd, const Bytes& b, int flags,
                                                           const sockaddr_storage* ss,
                                                           socklen_t len) {
  return Blocking(fd, POLLOUT, SO_SNDTIMEO, flags, false, [&](int extra) {
    return sendto(fd, b.data, b.len, flags | extra | MSG_NOSIGNAL,
                  reinterpret_cast<const sockaddr*>(ss), len);
  });
}

// sendto(fd, buffer, flags, ...address[, slot]) -> bytes or -errno. sendto(2)
static napi_value SendTo(napi_env env, napi_callback_info info) {
  Args<9> a(env, info);
  int fd;
  Bytes b;
  int32_t flags;
  SentAddress* slot;
  sockaddr_storage ss;
  socklen_t len;
  if (!a.ok || !ReadIo(env, a.argv, &fd, &b, &flags) || !ReadSlot(env, a[8], &slot) ||
      !ReadSockaddr(env, a.argv + 3, &ss, &len)) {
    return nullptr;
  }
  if (slot != nullptr) {
    memcpy(&slot->ss, &ss, len);
    slot->len = len;
    slot->generation++;
  }
  return NumberValue(env, SendToAddress(fd, b, flags, &ss, len));
}

// sendtoSlot(fd, buffer, flags, slot) -> bytes or -errno: sendto the address sendto last kept
// in `slot`. Four arguments instead of nine: a loop sending to one peer pays for no more.
// sendto(2)
static napi_value SendToSlot(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  int fd;
  Bytes b;
  int32_t flags;
  SentAddress* slot;
  if (!a.ok || !ReadIo(env, a.argv, &fd, &b, &flags) || !ReadSlot(env, a[3], &slot)) {
    return nullptr;
  }
  if (slot == nullptr || slot->len == 0 || slot->len > sizeof(slot->ss)) {
    ThrowRangeError(env, "ERR_INVALID_ARG_VALUE", "The \"slot\" holds no address");
    return nullptr;
  }
  // Copied out: the kernel must see the length checked above, whatever the buffer holds later.
  sockaddr_storage ss;
  const socklen_t len = slot->len;
  memcpy(&ss, &slot->ss, len);
  return NumberValue(env, SendToAddress(fd, b, flags, &ss, len));
}

// recv(fd, buffer, flags) -> bytes or -errno. recv(2)
// With MSG_TRUNC the kernel reports the datagram's real length but still writes at most
// buffer.byteLength bytes.
static napi_value Recv(napi_env env, napi_callback_info info) {
  Args<3> a(env, info);
  int fd;
  Bytes b;
  int32_t flags;
  if (!a.ok || !ReadIo(env, a.argv, &fd, &b, &flags)) return nullptr;
  return NumberValue(env,
                     Blocking(fd, POLLIN, SO_RCVTIMEO, flags, !(flags & MSG_WAITALL),
                              [&](int extra) { return recv(fd, b.data, b.len, flags | extra); }));
}

// recvfrom(fd, buffer, flags, meta) -> the sender's host (see AddressToMeta) with the byte count
// in meta[0], or -errno. recvfrom(2)
static napi_value RecvFrom(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  int fd;
  Bytes b;
  int32_t flags;
  double* meta;
  if (!a.ok || !ReadIo(env, a.argv, &fd, &b, &flags) || !ReadMeta(env, a[3], &meta)) {
    return nullptr;
  }
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  ssize_t r = Blocking(fd, POLLIN, SO_RCVTIMEO, flags, !(flags & MSG_WAITALL), [&](int extra) {
    len = sizeof(ss);
    return recvfrom(fd, b.data, b.len, flags | extra, reinterpret_cast<sockaddr*>(&ss), &len);
  });
  if (r < 0) return NumberValue(env, r);
  return AddressToMeta(env, &ss, len, static_cast<double>(r), meta);
}

void InitIo(Napi::Env env, Napi::Object exports) {
  ExportFunction(env, exports, "send", Send);
  ExportFunction(env, exports, "sendto", SendTo);
  ExportFunction(env, exports, "sendtoSlot", SendToSlot);
  ExportFunction(env, exports, "recv", Recv);
  ExportFunction(env, exports, "recvfrom", RecvFrom);
  exports.Set("sentAddressBytes", Napi::Number::New(env, sizeof(SentAddress)));
  exports.Set("sentAddressWordsOffset", Napi::Number::New(env, offsetof(SentAddress, len)));
}

}  // namespace sockfd
