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
    if (timeout > 0 && MonotonicMs() - start >= timeout) return -EAGAIN;
    r = call();
  } while (r == -1 && errno == EINTR);
  return r == -1 ? -errno : r;
}

// Throws a TypeError or RangeError with a Node-style `code` and returns false, so a reader can
// write `if (!ArgInt(...)) return Napi::Value();`.
bool ThrowTypeError(Napi::Env env, const char* code, const char* message);
bool ThrowRangeError(Napi::Env env, const char* code, const char* message);

// A caller-owned ArrayBufferView (any TypedArray, a Buffer, or a DataView) read or written in
// place: `data` points at the view's first byte and `len` is its byte length, so the kernel
// never touches memory outside the view. A detached buffer gives len 0.
struct Bytes {
  void* data;
  size_t len;
};

// The hot-path readers: plain Node-API on napi_values, one Node-API call per argument. The
// calls a packet loop makes for every message (io.cc, sockopt.cc) are written with these
// instead of node-addon-api's CallbackInfo, whose wrapper objects cost more than the checks.

// All N arguments of a call with one napi_get_cb_info; missing ones read as undefined.
template <size_t N>
struct Args {
  napi_value argv[N];
  bool ok;
  Args(napi_env env, napi_callback_info info) {
    size_t argc = N;
    ok = napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) == napi_ok;
  }
  napi_value operator[](size_t i) const { return argv[i]; }
};

// Throws the error ReadInt owes for `v` (a TypeError for a non-number, else a RangeError) and
// returns false. Out of line: only a misused native call gets here.
bool ThrowIntArg(napi_env env, napi_value v, const char* name, int32_t min, int32_t max);

// Reads an int32 argument. The TypeScript layer has already validated the value, so this only
// guards the native boundary against direct misuse: a non-number, a fraction or a value outside
// [min, max] throws instead of being truncated. One Node-API call when the value is good.
inline bool ReadInt(napi_env env, napi_value v, const char* name, int32_t min, int32_t max,
                    int32_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) == napi_ok && d >= min && d <= max) {
    auto i = static_cast<int32_t>(d);  // in range, so the conversion is defined
    if (i == d) {
      *out = i;
      return true;
    }
  }
  *out = 0;  // never read by callers, but defined
  return ThrowIntArg(env, v, name, min, max);
}

inline bool ReadFd(napi_env env, napi_value v, int* out) {
  return ReadInt(env, v, "fd", 0, INT32_MAX, out);
}

// Reads a caller-owned ArrayBufferView; anything else throws ERR_INVALID_ARG_TYPE naming
// `name`. One Node-API call for a TypedArray or Buffer.
bool ReadBytes(napi_env env, napi_value v, const char* name, Bytes* out);

// A syscall result as a JS number (a small integer: no allocation); negative values are -errno.
inline napi_value NumberValue(napi_env env, long r) {
  napi_value v = nullptr;
  napi_create_double(env, static_cast<double>(r), &v);
  return v;
}

// Adds a hot-path function written against plain Node-API to `exports`.
void ExportFunction(napi_env env, napi_value exports, const char* name, napi_callback cb);

// The node-addon-api forms of the readers, for the calls that are not on a hot path.
bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t min, int32_t max,
            int32_t* out);
bool ArgFd(const Napi::CallbackInfo& info, size_t i, int* out);
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
