// The conventions every native call follows, libuv-style: a call returns its value or -errno
// and never throws for a failed syscall. Where a legitimate value may be any int32 (getsockopt
// of an int), a failure is returned below the int32 range instead, as IntError(errno). EINTR
// follows one rule (signals.h): retried, unless a signal JavaScript listens to is waiting for its
// handler, and never around close(2). Argument readers (args.h) check what JavaScript passed, so no
// input can crash the process; a bad argument throws (errors.h).
#pragma once

#include <errno.h>
#include <napi.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <cstddef>
#include <cstdint>

#include "args.h"
#include "signals.h"

namespace sockfd {

// Runs `call` until it stops failing with EINTR and returns its result, or -errno on failure;
// -EINTR when a signal JavaScript listens to interrupted it (signals.h). Not for close(2) (the
// fd is released even when it reports EINTR) nor connect(2) (see socket.cc).
template <typename F>
inline auto Retry(F call) -> decltype(call()) {
  decltype(call()) r;
  do {
    r = call();
  } while (r == -1 && errno == EINTR && !JsSignalPending());
  return r == -1 ? -errno : r;
}

// Milliseconds on the monotonic clock, for deadlines that must not move with the wall clock.
inline int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// The socket's SO_RCVTIMEO or SO_SNDTIMEO in milliseconds, rounded up; 0 when none is set.
inline int64_t SocketTimeoutMs(int fd, int optname) {
  timeval tv{};
  socklen_t len = sizeof(tv);
  if (getsockopt(fd, SOL_SOCKET, optname, &tv, &len) == -1) return 0;
  return static_cast<int64_t>(tv.tv_sec) * 1000 + (tv.tv_usec + 999) / 1000;
}

// Retry() for the calls a socket timeout bounds: recv, recvfrom and accept (SO_RCVTIMEO), send
// and sendto (SO_SNDTIMEO). With a timeout set they fail with EINTR even under SA_RESTART
// (signal(7)), because a restart would start the timeout over; so would a plain retry here,
// and a steady stream of signals would then stretch the wait forever. After the first EINTR the
// retries therefore stop once the timeout has passed since that EINTR, with the EAGAIN a
// timeout reports. The interrupted call and the last retry may each wait up to one timeout, so
// the call returns within three times its timeout however many signals arrive (under a storm
// the first EINTR comes early, so in practice within twice). Without a timeout this is Retry().
// The clock is read only after an EINTR: on this path a clock read costs as much as the rest of
// the call's own work (bench: seq-pp).
template <typename F>
inline auto RetryTimed(int fd, int optname, F call) -> decltype(call()) {
  decltype(call()) r = call();
  if (r != -1 || errno != EINTR) return r == -1 ? -errno : r;
  const int64_t start = MonotonicMs();
  const int64_t timeout = SocketTimeoutMs(fd, optname);
  do {
    if (JsSignalPending()) return -EINTR;
    if (timeout > 0 && MonotonicMs() - start >= timeout) return -EAGAIN;
    r = call();
  } while (r == -1 && errno == EINTR);
  return r == -1 ? -errno : r;
}

// A call that may sleep until its socket is ready: recv and accept (`events` POLLIN, SO_RCVTIMEO),
// send (POLLOUT, SO_SNDTIMEO). `call(extra)` makes the syscall with `extra` ORed into its flags
// and returns -1 with errno on failure. `flags` are the caller's.
//
// While JavaScript on this thread listens to no signal this is RetryTimed() (and the benchmarks'
// path). Otherwise a call on a blocking socket waits in PollForSignals() for readiness within
// the socket's timeout, so a signal JavaScript listens to ends it with EINTR, and then makes
// the call. With `nowait_first` (reads: neither the result nor what is consumed differs) the call
// is tried with MSG_DONTWAIT first, so data already queued costs no more syscalls, and after
// readiness it is made with MSG_DONTWAIT again (another reader may have taken the data: the
// wait resumes). Without it (accept, sends, MSG_WAITALL) the call after readiness is the
// blocking call itself, which makes progress (a signal after that returns the partial count,
// as in C); only if another thread takes the readiness first does it sleep in the kernel.
template <typename F>
[[gnu::noinline]] auto BlockingWait(int fd, short events, int optname, bool nowait_first, F call)
    -> decltype(call(0));

template <typename F>
inline auto Blocking(int fd, short events, int optname, int flags, bool nowait_first, F call)
    -> decltype(call(0)) {
  if (!JsListensForSignals() || (flags & MSG_DONTWAIT)) {
    return RetryTimed(fd, optname, [&] { return call(0); });
  }
  return BlockingWait(fd, events, optname, nowait_first, call);
}

// Blocking() while JavaScript listens to a signal, out of line: the common path above stays
// small enough to inline into every caller.
template <typename F>
auto BlockingWait(int fd, short events, int optname, bool nowait_first, F call)
    -> decltype(call(0)) {
  decltype(call(0)) r;
  if (nowait_first) {
    r = call(MSG_DONTWAIT);
    const int e = r >= 0 ? 0 : errno;
    if (r >= 0 || (e != EAGAIN && e != EINTR)) return r >= 0 ? r : -e;
    if (e == EINTR && JsSignalPending()) return -EINTR;
    if (IsNonblocking(fd)) return e == EAGAIN ? -EAGAIN : Retry([&] { return call(0); });
  } else if (IsNonblocking(fd)) {
    return Retry([&] { return call(0); });
  }
  const int64_t timeout = SocketTimeoutMs(fd, optname);
  const int64_t deadline = timeout > 0 ? MonotonicMs() + timeout : -1;
  for (;;) {
    pollfd p[2] = {{fd, events, 0}, {}};
    int w = PollForSignals(p, 1, deadline);
    if (w == 0) return -EAGAIN;  // the socket's timeout, reported as the call reports it
    if (w < 0) return w;
    r = call(nowait_first ? MSG_DONTWAIT : 0);
    if (r >= 0) return r;
    if (errno == EAGAIN && nowait_first) continue;
    if (errno == EINTR && !JsSignalPending()) continue;
    return -errno;
  }
}

// A native call's result as a JS number (a small integer: no allocation): the value, or -errno.
inline napi_value NumberValue(napi_env env, long r) {
  napi_value v = nullptr;
  napi_create_double(env, static_cast<double>(r), &v);
  return v;
}

// The failure of a call whose value may be any int32: -errno - 2^32, below every int32, so one
// number carries either (lib/sys/native.ts intResult). An out-buffer would cost the call more
// than the syscall's own user-space work (bench: getsockopt).
inline napi_value IntError(napi_env env, int err) {
  return NumberValue(env, -static_cast<long>(err) - (1L << 32));
}

// The same for the node-addon-api calls.
inline Napi::Value Result(Napi::Env env, long r) {
  return Napi::Number::New(env, static_cast<double>(r));
}

}  // namespace sockfd
