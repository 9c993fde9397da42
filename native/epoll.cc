// epoll: an interest list in the kernel and a wait for readiness on all of it. epoll(7)
// Linux only; elsewhere each call returns -ENOSYS.
#ifdef __linux__
#include <sys/epoll.h>
#endif

#include <cmath>
#include <vector>

#include "exports.h"
#include "syscall.h"

namespace sockfd {

// epoll_event.data is a u64; JavaScript numbers hold it exactly up to 2^53 - 1.
constexpr double kMaxSafeData = 9007199254740991.0;

// The most events one epoll_wait returns: each call allocates room for maxEvents.
constexpr int32_t kMaxEvents = 65536;

// epoll_create1(flags) -> fd or -errno. epoll_create1(2)
static napi_value EpollCreate1(napi_env env, napi_callback_info cb) {
  Args<1> a(env, cb);
  int32_t flags;
  if (!a.ok || !ReadInt(env, a[0], "flags", 0, INT32_MAX, &flags)) return nullptr;
#ifdef __linux__
  return NumberValue(env, Retry([&] { return epoll_create1(flags); }));
#else
  return NumberValue(env, -ENOSYS);
#endif
}

// epoll_ctl(epfd, op, fd, events, data) -> 0 or -errno. `events` is the u32 mask as an int32
// (EPOLLET is bit 31); `data` an integer in [0, 2^53 - 1]. epoll_ctl(2)
static napi_value EpollCtl(napi_env env, napi_callback_info cb) {
  Args<5> a(env, cb);
  int epfd, fd;
  int32_t op, events;
  double data;
  if (!a.ok || !ReadInt(env, a[0], "epfd", 0, INT32_MAX, &epfd) ||
      !ReadInt(env, a[1], "op", INT32_MIN, INT32_MAX, &op) ||
      !ReadInt(env, a[2], "fd", 0, INT32_MAX, &fd) ||
      !ReadInt(env, a[3], "events", INT32_MIN, INT32_MAX, &events)) {
    return nullptr;
  }
  if (napi_get_value_double(env, a[4], &data) != napi_ok || !(data >= 0) || data > kMaxSafeData ||
      std::trunc(data) != data) {
    ThrowIntArg(env, a[4], "data", 0, kMaxSafeData);
    return nullptr;
  }
#ifdef __linux__
  epoll_event ev{};
  ev.events = static_cast<uint32_t>(events);
  ev.data.u64 = static_cast<uint64_t>(data);
  return NumberValue(env, Retry([&] { return epoll_ctl(epfd, op, fd, &ev); }));
#else
  return NumberValue(env, -ENOSYS);
#endif
}

// epoll_wait(epfd, out, maxEvents, timeoutMs) -> the count of ready events or -errno; event i
// is written to out[2i] (the events mask) and out[2i + 1] (its data), `out` a Float64Array of
// at least 2 * maxEvents. epoll_wait(2)
//
// The wait itself is a poll(2) on the epoll fd (readable while its ready list is not empty)
// through PollForSignals, as every blocking call here waits: a signal JavaScript listens to
// ends it with EINTR, a signal nothing handles has its default action, and any other EINTR
// resumes with the time left. The events are then taken with a zero timeout, which never
// sleeps; if another thread took them first, the wait resumes.
static napi_value EpollWait(napi_env env, napi_callback_info cb) {
  Args<4> a(env, cb);
  int epfd;
  int32_t max_events, timeout;
  void* data;
  size_t length;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (!a.ok || !ReadInt(env, a[0], "epfd", 0, INT32_MAX, &epfd)) return nullptr;
  bool is_typed = false;
  if (napi_is_typedarray(env, a[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, a[1], &type, &length, &data, &ab, &offset) != napi_ok ||
      type != napi_float64_array) {
    ThrowArgType(env, "out", "an instance of Float64Array");
    return nullptr;
  }
  if (!ReadInt(env, a[2], "maxEvents", 1, kMaxEvents, &max_events) ||
      !ReadInt(env, a[3], "timeoutMs", -1, INT32_MAX, &timeout)) {
    return nullptr;
  }
  if (data == nullptr || length < 2 * static_cast<size_t>(max_events)) {
    ThrowRangeError(env, "ERR_OUT_OF_RANGE",
                    "The \"out\" argument must hold 2 * maxEvents numbers");
    return nullptr;
  }
#ifdef __linux__
  std::vector<epoll_event> ev(static_cast<size_t>(max_events));
  auto take = [&] { return Retry([&] { return epoll_wait(epfd, ev.data(), max_events, 0); }); };
  int r = take();
  if (r == 0 && timeout != 0) {
    const int64_t deadline = timeout < 0 ? -1 : MonotonicMs() + timeout;
    for (;;) {
      pollfd p[2] = {{epfd, POLLIN, 0}, {}};
      int w = PollForSignals(p, 1, deadline);
      if (w <= 0) {
        r = w;
        break;
      }
      r = take();
      if (r != 0) break;
    }
  }
  auto* out = static_cast<double*>(data);
  for (int i = 0; i < r; i++) {
    out[2 * i] = static_cast<double>(ev[i].events);
    out[2 * i + 1] = static_cast<double>(ev[i].data.u64);
  }
  return NumberValue(env, r);
#else
  return NumberValue(env, -ENOSYS);
#endif
}

void InitEpoll(Napi::Env env, Napi::Object exports) {
  ExportFunction(env, exports, "epoll_create1", EpollCreate1);
  ExportFunction(env, exports, "epoll_ctl", EpollCtl);
  ExportFunction(env, exports, "epoll_wait", EpollWait);
}

}  // namespace sockfd
