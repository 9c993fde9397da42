// send, sendto, recv, recvfrom on caller-owned buffers: no copies, and the length always comes
// from the view itself, so the kernel can never write outside it.
//
// These run once per message in a packet loop, so they are written against plain Node-API
// (syscall.h's Args and Read*): one call to read the arguments and one per argument.
#include <sys/socket.h>

#include "args.h"
#include "exports.h"
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
  return NumberValue(env, Retry([&] { return send(fd, b.data, b.len, flags | MSG_NOSIGNAL); }));
}

// sendto(fd, buffer, flags, ...address) -> bytes or -errno. sendto(2)
static napi_value SendTo(napi_env env, napi_callback_info info) {
  Args<8> a(env, info);
  int fd;
  Bytes b;
  int32_t flags;
  sockaddr_storage ss;
  socklen_t len;
  if (!a.ok || !ReadIo(env, a.argv, &fd, &b, &flags) || !ReadSockaddr(env, a.argv + 3, &ss, &len)) {
    return nullptr;
  }
  return NumberValue(env, Retry([&] {
                       return sendto(fd, b.data, b.len, flags | MSG_NOSIGNAL,
                                     reinterpret_cast<sockaddr*>(&ss), len);
                     }));
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
  return NumberValue(env, Retry([&] { return recv(fd, b.data, b.len, flags); }));
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
  ssize_t r = Retry(
      [&] { return recvfrom(fd, b.data, b.len, flags, reinterpret_cast<sockaddr*>(&ss), &len); });
  if (r < 0) return NumberValue(env, r);
  return AddressToMeta(env, &ss, len, static_cast<double>(r), meta);
}

void InitIo(Napi::Env env, Napi::Object exports) {
  ExportFunction(env, exports, "send", Send);
  ExportFunction(env, exports, "sendto", SendTo);
  ExportFunction(env, exports, "recv", Recv);
  ExportFunction(env, exports, "recvfrom", RecvFrom);
}

}  // namespace sockfd
