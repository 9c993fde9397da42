// socket, socketpair, bind, listen, accept, connect, shutdown, close, getsockname, getpeername.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "env.h"
#include "exports.h"
#include "sockaddr_napi.h"
#include "syscall.h"

namespace sockfd {

// socket(domain, type, protocol) -> fd or -errno. socket(2)
static Napi::Value Socket(const Napi::CallbackInfo& info) {
  int32_t domain, type, protocol;
  if (!ArgInt(info, 0, "domain", 0, INT32_MAX, &domain) ||
      !ArgInt(info, 1, "type", 0, INT32_MAX, &type) ||
      !ArgInt(info, 2, "protocol", 0, INT32_MAX, &protocol)) {
    return Napi::Value();
  }
  return Result(info.Env(), Retry([&] { return socket(domain, type, protocol); }));
}

// socketpair(domain, type, protocol) -> [fd, fd] or -errno. socketpair(2)
static Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  int32_t domain, type, protocol;
  if (!ArgInt(info, 0, "domain", 0, INT32_MAX, &domain) ||
      !ArgInt(info, 1, "type", 0, INT32_MAX, &type) ||
      !ArgInt(info, 2, "protocol", 0, INT32_MAX, &protocol)) {
    return Napi::Value();
  }
  int sv[2];
  int r = Retry([&] { return socketpair(domain, type, protocol, sv); });
  if (r < 0) return Result(info.Env(), r);
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, Napi::Number::New(info.Env(), sv[0]));
  a.Set(1u, Napi::Number::New(info.Env(), sv[1]));
  return a;
}

// bind(fd, ...address) -> 0 or -errno. bind(2)
static Napi::Value Bind(const Napi::CallbackInfo& info) {
  int fd;
  sockaddr_storage ss;
  socklen_t len;
  if (!ArgFd(info, 0, &fd) || !ArgSockaddr(info, 1, &ss, &len)) return Napi::Value();
  return Result(info.Env(), Retry([&] { return bind(fd, reinterpret_cast<sockaddr*>(&ss), len); }));
}

// listen(fd, backlog) -> 0 or -errno. listen(2)
static Napi::Value Listen(const Napi::CallbackInfo& info) {
  int fd;
  int32_t backlog;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 1, "backlog", INT32_MIN, INT32_MAX, &backlog)) {
    return Napi::Value();
  }
  return Result(info.Env(), Retry([&] { return listen(fd, backlog); }));
}

// accept4(fd, flags, meta[, ioFlags]) -> the peer's host (see AddressToMeta) with the new fd in
// meta[0], or -errno. accept(2)
// accept4 takes no MSG_DONTWAIT, so a caller whose listener is nonblocking says so by passing it
// in `ioFlags` (lib/socket does): the call then never waits in poll(2) for signals (Blocking in
// syscall.h), and pays no fcntl(2) to learn what the caller knows. Anything else in `ioFlags`
// is ignored.
static Napi::Value Accept(const Napi::CallbackInfo& info) {
  int fd;
  int32_t flags;
  double* meta;
  int32_t io_flags = 0;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 1, "flags", 0, INT32_MAX, &flags) ||
      !ReadMeta(info.Env(), info[2], &meta) ||
      (!info[3].IsUndefined() && !ArgInt(info, 3, "ioFlags", INT32_MIN, INT32_MAX, &io_flags))) {
    return Napi::Value();
  }
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  int r = Blocking(fd, POLLIN, SO_RCVTIMEO, io_flags & MSG_DONTWAIT, false, [&](int) {
    len = sizeof(ss);
    return accept4(fd, reinterpret_cast<sockaddr*>(&ss), &len, flags);
  });
  if (r < 0) return Result(info.Env(), r);
  napi_value host = AddressToMeta(info.Env(), &ss, len, r, meta);
  // Only out of memory gets here; the caller never learns the fd, so it must not stay open.
  if (host == nullptr) close(r);
  return Napi::Value(info.Env(), host);
}

// Waits for an interrupted blocking TCP connect, which goes on in the background, to finish
// and returns its outcome as a blocking connect would have: 0 or -errno from SO_ERROR, or
// EINPROGRESS once SO_SNDTIMEO has passed since `start`, which is how connect(2) reports its
// timeout. -EINTR when a signal JavaScript listens to arrives meanwhile (the connect goes on,
// as after EINTR in C). 1 when the socket turns out not to be connecting at all (the EINTR
// came before the connect began): the caller connects again.
static int FinishInterruptedConnect(int fd, int64_t start) {
  const int64_t timeout = SocketTimeoutMs(fd, SO_SNDTIMEO);
  pollfd p[2] = {{fd, POLLOUT, 0}, {}};
  int r = PollForSignals(p, 1, timeout > 0 ? start + timeout : -1);
  if (r == 0) return -EINPROGRESS;
  if (r < 0) return r;
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) return -errno;
  if (err != 0) return -err;
  // A socket that is not connecting polls writable too (with POLLHUP) and has no error: only
  // a peer name tells a connection.
  sockaddr_storage ss;
  len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) return 0;
  return errno == ENOTCONN ? 1 : -errno;
}

// Whether fd is an AF_UNIX socket (false when that cannot be read).
static bool IsUnix(int fd) {
  int domain = 0;
  socklen_t len = sizeof(domain);
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_UNIX;
}

// connect(fd, ...address) -> 0 or -errno. connect(2)
// Not Retry(): an interrupted TCP connect goes on in the background (calling connect again
// would report EALREADY), so the call waits for its result the way a blocking connect does.
// An interrupted unix connect does not go on: it is made again, within SO_SNDTIMEO from the
// first try (a unix connect's timeout reports EAGAIN). Either way a signal JavaScript listens
// to ends the call with EINTR (signals.h).
static Napi::Value Connect(const Napi::CallbackInfo& info) {
  int fd;
  sockaddr_storage ss;
  socklen_t len;
  if (!ArgFd(info, 0, &fd) || !ArgSockaddr(info, 1, &ss, &len)) return Napi::Value();
  const int64_t start = MonotonicMs();
  int64_t timeout = -1;  // read at the first EINTR
  for (;;) {
    if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return Result(info.Env(), 0);
    if (errno != EINTR) return Result(info.Env(), -errno);
    if (JsSignalPending()) return Result(info.Env(), -EINTR);
    if (IsUnix(fd)) {
      if (timeout < 0) timeout = SocketTimeoutMs(fd, SO_SNDTIMEO);
      if (timeout > 0 && MonotonicMs() - start >= timeout) return Result(info.Env(), -EAGAIN);
      continue;
    }
    int r = FinishInterruptedConnect(fd, start);
    if (r <= 0) return Result(info.Env(), r);
  }
}

// How long a unix connect to a full listener sleeps between tries, at most: a unix connect
// that would block fails with EAGAIN at once and gives nothing to poll for.
constexpr int64_t kUnixRetryMaxMs = 100;

// connect(2) within `timeout_ms` on a socket in the mode `flags` (its F_GETFL) says, which the
// caller makes nonblocking first and restores after: 0 or -errno, -ETIMEDOUT at the deadline.
static int ConnectWithin(int fd, const sockaddr_storage& ss, socklen_t len, int64_t timeout_ms) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  int64_t backoff = 1;
  for (;;) {
    int r = connect(fd, reinterpret_cast<const sockaddr*>(&ss), len);
    if (r == 0) return 0;
    const int e = errno;
    // EALREADY: an attempt an earlier call left going (after EINTR) is waited for the same way.
    if (e == EINPROGRESS || e == EALREADY || (e == EINTR && !IsUnix(fd))) break;
    if (e == EINTR) continue;
    if (e != EAGAIN || !IsUnix(fd)) return -e;
    const int64_t now = MonotonicMs();
    if (now >= deadline) return -ETIMEDOUT;
    pollfd none[1] = {};
    int w = PollForSignals(none, 0, now + backoff < deadline ? now + backoff : deadline);
    if (w < 0) return w;
    backoff = backoff * 2 < kUnixRetryMaxMs ? backoff * 2 : kUnixRetryMaxMs;
  }
  pollfd p[2] = {{fd, POLLOUT, 0}, {}};
  int w = PollForSignals(p, 1, deadline);
  if (w < 0) return w;
  if (w == 0) {
    // Nothing would end the attempt, and a blocking socket given back mid-handshake would
    // block in surprising places: connecting to AF_UNSPEC drops it (connect(2)).
    sockaddr unspec{};
    unspec.sa_family = AF_UNSPEC;
    connect(fd, &unspec, sizeof(unspec));
    return -ETIMEDOUT;
  }
  int err = 0;
  socklen_t elen = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1) return -errno;
  return -err;
}

// connectTimed(fd, ...address, timeoutMs) -> 0 or -errno. connect(2) with a time limit: made
// nonblocking, waited for with poll(2) under the EINTR rule (signals.h), its outcome read from
// SO_ERROR, -ETIMEDOUT when the time is up; the fd's O_NONBLOCK is as it was before.
static Napi::Value ConnectTimed(const Napi::CallbackInfo& info) {
  int fd;
  sockaddr_storage ss;
  socklen_t len;
  int32_t timeout;
  if (!ArgFd(info, 0, &fd) || !ArgSockaddr(info, 1, &ss, &len) ||
      !ArgInt(info, 6, "timeout", 0, INT32_MAX, &timeout)) {
    return Napi::Value();
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags == -1) return Result(info.Env(), -errno);
  if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
    return Result(info.Env(), -errno);
  }
  int r = ConnectWithin(fd, ss, len, timeout);
  if (!(flags & O_NONBLOCK)) {
    const int saved = errno;
    fcntl(fd, F_SETFL, flags);
    errno = saved;
  }
  return Result(info.Env(), r);
}

// shutdown(fd, how) -> 0 or -errno. shutdown(2)
static Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  int fd;
  int32_t how;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 1, "how", INT32_MIN, INT32_MAX, &how)) {
    return Napi::Value();
  }
  return Result(info.Env(), Retry([&] { return shutdown(fd, how); }));
}

// close(fd) -> 0 or -errno. close(2)
static Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return Napi::Value();
  // libuv must stop watching an fd before it is closed (it aborts if epoll_ctl fails later).
  CloseWatchersForFd(info.Env(), fd);
  DisownFd(info.Env(), fd);
  // Never retried: on Linux the fd is released even when close reports EINTR, and a second
  // close could hit an fd another thread has just been given. EINTR therefore means success.
  int r = close(fd);
  return Result(info.Env(), r == -1 && errno != EINTR ? -errno : 0);
}

template <int (*Call)(int, sockaddr*, socklen_t*)>
static Napi::Value SockName(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return Napi::Value();
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  int r = Retry([&] {
    len = sizeof(ss);
    return Call(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  });
  if (r < 0) return Result(info.Env(), r);
  return MakeAddress(info.Env(), &ss, len);
}

void InitSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("socket", Napi::Function::New(env, Socket, "socket"));
  exports.Set("socketpair", Napi::Function::New(env, SocketPair, "socketpair"));
  exports.Set("bind", Napi::Function::New(env, Bind, "bind"));
  exports.Set("listen", Napi::Function::New(env, Listen, "listen"));
  exports.Set("accept", Napi::Function::New(env, Accept, "accept"));
  exports.Set("connect", Napi::Function::New(env, Connect, "connect"));
  exports.Set("connectTimed", Napi::Function::New(env, ConnectTimed, "connectTimed"));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown, "shutdown"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  // getsockname(2), getpeername(2) -> address or -errno
  exports.Set("getsockname", Napi::Function::New(env, SockName<getsockname>, "getsockname"));
  exports.Set("getpeername", Napi::Function::New(env, SockName<getpeername>, "getpeername"));
}

}  // namespace sockfd
