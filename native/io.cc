// send, sendto, recv, recvfrom on caller-owned buffers: no copies, and the length always comes
// from the view itself, so the kernel can never write outside it.
#include <sys/socket.h>

#include "args.h"
#include "exports.h"
#include "syscall.h"

namespace sockfd {

static bool ArgIo(const Napi::CallbackInfo& info, int* fd, Bytes* buf, int32_t* flags) {
  return ArgFd(info, 0, fd) && ArgBytes(info, 1, "buffer", buf) &&
         ArgInt(info, 2, "flags", INT32_MIN, INT32_MAX, flags);
}

// send(fd, buffer, flags) -> bytes or -errno. send(2)
// MSG_NOSIGNAL always: a closed peer must give EPIPE, never a SIGPIPE that kills the process.
static Napi::Value Send(const Napi::CallbackInfo& info) {
  int fd;
  Bytes b;
  int32_t flags;
  if (!ArgIo(info, &fd, &b, &flags)) return Napi::Value();
  return Result(info.Env(), RetryTimed(fd, SO_SNDTIMEO, [&] {
                  return send(fd, b.data, b.len, flags | MSG_NOSIGNAL);
                }));
}

// sendto(fd, buffer, flags, ...address) -> bytes or -errno. sendto(2)
static Napi::Value SendTo(const Napi::CallbackInfo& info) {
  int fd;
  Bytes b;
  int32_t flags;
  sockaddr_storage ss;
  socklen_t len;
  if (!ArgIo(info, &fd, &b, &flags) || !ArgSockaddr(info, 3, &ss, &len)) return Napi::Value();
  return Result(info.Env(), RetryTimed(fd, SO_SNDTIMEO, [&] {
                  return sendto(fd, b.data, b.len, flags | MSG_NOSIGNAL,
                                reinterpret_cast<sockaddr*>(&ss), len);
                }));
}

// recv(fd, buffer, flags) -> bytes or -errno. recv(2)
// With MSG_TRUNC the kernel reports the datagram's real length but still writes at most
// buffer.byteLength bytes.
static Napi::Value Recv(const Napi::CallbackInfo& info) {
  int fd;
  Bytes b;
  int32_t flags;
  if (!ArgIo(info, &fd, &b, &flags)) return Napi::Value();
  return Result(info.Env(),
                RetryTimed(fd, SO_RCVTIMEO, [&] { return recv(fd, b.data, b.len, flags); }));
}

// recvfrom(fd, buffer, flags) -> { bytes, address } or -errno. recvfrom(2)
static Napi::Value RecvFrom(const Napi::CallbackInfo& info) {
  int fd;
  Bytes b;
  int32_t flags;
  if (!ArgIo(info, &fd, &b, &flags)) return Napi::Value();
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  ssize_t r = RetryTimed(fd, SO_RCVTIMEO, [&] {
    return recvfrom(fd, b.data, b.len, flags, reinterpret_cast<sockaddr*>(&ss), &len);
  });
  if (r < 0) return Result(info.Env(), r);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("bytes", Napi::Number::New(info.Env(), static_cast<double>(r)));
  o.Set("address", MakeAddress(info.Env(), &ss, len));
  return o;
}

void InitIo(Napi::Env env, Napi::Object exports) {
  exports.Set("send", Napi::Function::New(env, Send, "send"));
  exports.Set("sendto", Napi::Function::New(env, SendTo, "sendto"));
  exports.Set("recv", Napi::Function::New(env, Recv, "recv"));
  exports.Set("recvfrom", Napi::Function::New(env, RecvFrom, "recvfrom"));
}

}  // namespace sockfd
