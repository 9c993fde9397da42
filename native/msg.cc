// sendmsg and recvmsg: scatter/gather straight from and into caller-owned views, control
// messages through cmsg_napi.cc.
//
// The TypeScript layer hands these calls fresh plain arrays and objects it built itself, so no
// user getter can run (and detach a buffer) between reading a view's pointer and the syscall.
#include "msg.h"

#include <limits.h>
#include <poll.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "cmsg_napi.h"
#include "exports.h"
#include "sockaddr_napi.h"
#include "syscall.h"

namespace sockfd {

bool IsUnixSocket(int fd) {
#ifdef SO_DOMAIN
  int domain = 0;
  socklen_t len = sizeof(domain);
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_UNIX;
#else
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  return getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && ss.ss_family == AF_UNIX;
#endif
}

namespace {

// Control buffers up to this size, and this many iovecs, live on the stack.
constexpr size_t kInlineControl = 2048;
constexpr size_t kInlineIov = 8;

// T[n] on the stack when n <= N, on the heap otherwise.
template <typename T, size_t N>
class Scratch {
 public:
  T* Get(size_t n) {
    if (n <= N) return inline_;
    heap_.reset(new T[n]);
    return heap_.get();
  }

 private:
  alignas(cmsghdr) T inline_[N];
  std::unique_ptr<T[]> heap_;
};

// The elements of a JS array of views, as handles (reading them can run JavaScript).
bool ReadViews(napi_env env, napi_value arr, const char* name, std::vector<napi_value>* views) {
  uint32_t count;
  if (!IsArray(env, arr, &count)) {
    return ThrowArgType(env, name, "an array of Buffer, TypedArray, or DataView");
  }
  if (count > IOV_MAX) return ThrowArgRange(env, std::string(name) + ".length", 0, IOV_MAX);
  views->resize(count);
  for (uint32_t k = 0; k < count; k++) {
    if (napi_get_element(env, arr, k, &(*views)[k]) != napi_ok) return false;
  }
  return true;
}

// The views as iovecs pointing into them as they are now. Runs no JavaScript.
bool ViewsToIov(napi_env env, const std::vector<napi_value>& views, const char* name,
                Scratch<iovec, kInlineIov>* scratch, iovec** iov, size_t* n) {
  *iov = scratch->Get(views.size());
  *n = views.size();
  for (size_t k = 0; k < views.size(); k++) {
    Bytes b;
    std::string field = std::string(name) + "[" + std::to_string(k) + "]";
    if (!ValueBytes(env, views[k], field.c_str(), &b)) return false;
    (*iov)[k] = {b.data, b.len};
  }
  return true;
}

// sendmsg(fd, buffers[], flags, control[] | null, ...address | null) -> bytes or -errno.
// sendmsg(2), cmsg(3)
Napi::Value SendMsg(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  int fd;
  int32_t flags;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 2, "flags", INT32_MIN, INT32_MAX, &flags)) {
    return Napi::Value();
  }
  ControlList control;
  std::vector<napi_value> views;
  if (!ReadControl(env, info[3], &control) || !ReadViews(env, info[1], "buffers", &views)) {
    return Napi::Value();
  }
  sockaddr_storage ss;
  socklen_t namelen = 0;
  if (!info[4].IsNull() && !info[4].IsUndefined() && !ArgSockaddr(info, 4, &ss, &namelen)) {
    return Napi::Value();
  }
  // No JavaScript runs from here on: the pointers taken now stay good through the syscall.
  Scratch<iovec, kInlineIov> iov_scratch;
  iovec* iov;
  size_t iovlen;
  if (!ViewsToIov(env, views, "buffers", &iov_scratch, &iov, &iovlen) ||
      !ResolveControl(env, &control)) {
    return Napi::Value();
  }
  Scratch<unsigned char, kInlineControl> cbuf;
  size_t need = CmsgEncodedLength(control.items.data(), control.items.size());
  if (need > static_cast<size_t>(kMaxControl)) {
    ThrowRangeError(env, "ERR_OUT_OF_RANGE", "The \"control\" messages exceed 65536 bytes");
    return Napi::Value();
  }
  unsigned char* cdata = cbuf.Get(need);
  size_t clen = 0;
  EncodeCmsgs(control.items.data(), control.items.size(), cdata, need, &clen);
  msghdr m{};
  m.msg_name = namelen ? &ss : nullptr;
  m.msg_namelen = namelen;
  m.msg_iov = iov;
  m.msg_iovlen = iovlen;
  m.msg_control = clen ? cdata : nullptr;
  m.msg_controllen = clen;
  return Result(env, Blocking(fd, POLLOUT, SO_SNDTIMEO, flags, false, [&](int extra) {
                  return sendmsg(fd, &m, flags | extra | MSG_NOSIGNAL);
                }));
}

// recvmsg(fd, buffers[], controlLength, flags) -> { bytes, address, control, flags } or -errno.
// recvmsg(2)
//
// MSG_CMSG_CLOEXEC whenever a control buffer is offered (without one no fd can arrive): every
// fd this library hands out is close-on-exec. A few families refuse the flag with EINVAL
// (AF_PACKET, CAN's J1939 and ISO-TP); none of them passes fds, so after EINVAL on a socket that
// is not AF_UNIX the call is made again without it, before anything was dequeued.
Napi::Value RecvMsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int32_t clen, flags;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 2, "controlLength", 0, kMaxControl, &clen) ||
      !ArgInt(info, 3, "flags", INT32_MIN, INT32_MAX, &flags)) {
    return Napi::Value();
  }
  Scratch<iovec, kInlineIov> iov_scratch;
  iovec* iov;
  size_t iovlen;
  std::vector<napi_value> views;
  if (!ReadViews(env, info[1], "buffers", &views) ||
      !ViewsToIov(env, views, "buffers", &iov_scratch, &iov, &iovlen)) {
    return Napi::Value();
  }
  Scratch<unsigned char, kInlineControl> cbuf;
  unsigned char* cdata = cbuf.Get(static_cast<size_t>(clen));
  sockaddr_storage ss;
  msghdr m{};
  int cloexec = 0;
#ifdef MSG_CMSG_CLOEXEC
  if (clen > 0) cloexec = MSG_CMSG_CLOEXEC;
#endif
  auto call = [&](int f) {
    return Blocking(fd, POLLIN, SO_RCVTIMEO, f, !(f & MSG_WAITALL), [&](int extra) {
      // The kernel rewrites the lengths; set them again for each try.
      m = msghdr{};
      m.msg_name = &ss;
      m.msg_namelen = sizeof(ss);
      m.msg_iov = iov;
      m.msg_iovlen = iovlen;
      m.msg_control = clen ? cdata : nullptr;
      m.msg_controllen = static_cast<size_t>(clen);
      return recvmsg(fd, &m, f | extra);
    });
  };
  ssize_t r = call(flags | cloexec);
  if (r == -EINVAL && cloexec && !IsUnixSocket(fd)) r = call(flags);
  if (r < 0) return Result(env, r);
  // What the kernel wrote never exceeds what was offered; trust no more than that.
  if (m.msg_controllen > static_cast<size_t>(clen)) m.msg_controllen = static_cast<size_t>(clen);
  // From here on any failure (out of memory, a terminating environment, a setter JavaScript
  // put on Object.prototype) leaves the caller without the fds that arrived: close them.
  Napi::Value control = ControlToJs(env, &m);
  Napi::Value address;
  if (!control.IsEmpty()) address = MakeAddress(env, &ss, m.msg_namelen);
  Napi::Object o;
  if (!address.IsEmpty()) o = Napi::Object::New(env);
  const bool ok = !o.IsEmpty() && o.Set("bytes", Napi::Number::New(env, static_cast<double>(r))) &&
                  o.Set("address", address) && o.Set("control", control) &&
                  o.Set("flags", Napi::Number::New(env, ReportedFlags(m.msg_flags))) &&
                  !env.IsExceptionPending();
  if (ok) return o;
  CloseReceivedFds(&m);
  return Napi::Value();
}

}  // namespace

void InitMsg(Napi::Env env, Napi::Object exports) {
  exports.Set("sendmsg", Napi::Function::New(env, SendMsg, "sendmsg"));
  exports.Set("recvmsg", Napi::Function::New(env, RecvMsg, "recvmsg"));
}

}  // namespace sockfd
