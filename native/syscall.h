// The conventions every native call follows, libuv-style: a syscall wrapper returns the
// result or -errno and never throws; EINTR is retried only where a retry is correct; argument
// readers check what JavaScript passed so no input can crash the process.
#pragma once

#include <errno.h>
#include <napi.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <cstddef>
#include <cstdint>

namespace sockfd {

// Runs `call` until it stops failing with EINTR and returns its result, or -errno on failure.
// Not for close(2) (the fd is released even when it reports EINTR) nor connect(2) (an
// interrupted connect goes on in the background; see socket.cc).
template <typename F>
inline auto Retry(F call) -> decltype(call()) {
  decltype(call()) r;
  do {
    r = call();
  } while (r == -1 && errno == EINTR);
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
// and a steady stream of signals would then stretch the wait forever. After an EINTR the
// retries therefore stop once the timeout has passed since the call began, with the EAGAIN a
// timeout reports. A retry may itself wait one whole timeout, so the call returns within twice
// its timeout however many signals arrive. Without a timeout this is Retry().
template <typename F>
inline auto RetryTimed(int fd, int optname, F call) -> decltype(call()) {
  const int64_t start = MonotonicMs();
  decltype(call()) r = call();
  if (r != -1 || errno != EINTR) return r == -1 ? -errno : r;
  const int64_t timeout = SocketTimeoutMs(fd, optname);
  do {
    if (timeout > 0 && MonotonicMs() - start >= timeout) return -EAGAIN;
    r = call();
  } while (r == -1 && errno == EINTR);
  return r == -1 ? -errno : r;
}

// Throws a TypeError or RangeError with a Node-style `code` and returns false, so a reader can
// write `if (!ArgInt(...)) return Napi::Value();`.
bool ThrowTypeError(Napi::Env env, const char* code, const char* message);
bool ThrowRangeError(Napi::Env env, const char* code, const char* message);

// Reads an int32 argument. The TypeScript layer has already validated the value, so this only
// guards the native boundary against direct misuse: a non-number or a value outside
// [min, max] throws instead of being truncated.
bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t min, int32_t max,
            int32_t* out);
bool ArgFd(const Napi::CallbackInfo& info, size_t i, int* out);

// A caller-owned ArrayBufferView (any TypedArray, a Buffer, or a DataView) read or written in
// place: `data` points at the view's first byte and `len` is its byte length, so the kernel
// never touches memory outside the view. A detached buffer gives len 0.
struct Bytes {
  void* data;
  size_t len;
};
bool ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name, Bytes* out);
// The same for a value that is not an argument (an array element or a property).
bool ValueBytes(napi_env env, napi_value v, const char* name, Bytes* out);

// Returns the syscall result as a JS number; negative values are -errno.
inline Napi::Value Result(Napi::Env env, long r) {
  return Napi::Number::New(env, static_cast<double>(r));
}

// The errno of the last call that reports failure out of band (one whose success value may
// itself be negative, such as getsockopt of an int). Each thread has its own, like errno.
extern thread_local int last_errno;

}  // namespace sockfd
