// signalListeners(count): the JavaScript side of signals.h. See lib/internal/signals.ts.
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <uv.h>

#include <type_traits>
#include <utility>

#include "exports.h"
#include "syscall.h"

namespace sockfd {
namespace {

// Per thread: each environment (the main thread, each worker) runs on a thread of its own.
thread_local int tls_listeners = 0;
thread_local uv_loop_t* tls_loop = nullptr;

// How often a wait looks for a pending JavaScript signal once the signal pipe can no longer
// wake it (see PollForSignals).
constexpr int kPendingCheckMs = 50;

// libuv keeps, in private fields of its public structs on unix, the loop's signal pipe (its
// signal handler writes a message there for every signal a uv_signal_t of the loop watches)
// and two counters per uv_signal_t, signals caught and signals dispatched to the callback. The
// fields are detected by overload resolution, so a libuv without them still compiles: then
// every EINTR while JavaScript listens to a signal counts as JavaScript's (the call fails with
// EINTR rather than risk hiding a handler), and waits are woken by EINTR alone.
template <typename T, typename = void>
struct HasCounters : std::false_type {};
template <typename T>
struct HasCounters<T, std::void_t<decltype(std::declval<T&>().caught_signals),
                                  decltype(std::declval<T&>().dispatched_signals)>>
    : std::true_type {};

template <typename T, typename = void>
struct HasSignalPipe : std::false_type {};
template <typename T>
struct HasSignalPipe<T, std::void_t<decltype(std::declval<T&>().signal_pipefd)>> : std::true_type {
};

template <typename S>
void CheckPending(uv_handle_t* h, void* arg) {
  if (uv_handle_get_type(h) != UV_SIGNAL) return;
  if constexpr (HasCounters<S>::value) {
    // Written by the signal handler on whichever thread took the signal; read as libuv reads it.
    auto* s = reinterpret_cast<volatile S*>(h);
    if (s->caught_signals != s->dispatched_signals) *static_cast<bool*>(arg) = true;
  }
}

template <typename L>
int SignalPipe(L* loop) {
  if constexpr (HasSignalPipe<L>::value) {
    return loop->signal_pipefd[0];
  } else {
    return -1;
  }
}

// Sets this thread's listener count, keeping g_listening_threads in step.
void SetListeners(int count) {
  if ((tls_listeners > 0) != (count > 0)) {
    g_listening_threads.fetch_add(count > 0 ? 1 : -1, std::memory_order_relaxed);
  }
  tls_listeners = count;
}

Napi::Value SignalListeners(const Napi::CallbackInfo& info) {
  int32_t count;
  if (!ArgInt(info, 0, "count", 0, INT32_MAX, &count)) return Napi::Value();
  SetListeners(count);
  return info.Env().Undefined();
}

void ForgetLoop(void*) {
  tls_loop = nullptr;
  SetListeners(0);
}

}  // namespace

std::atomic<int> g_listening_threads{0};

bool ThisThreadListens() { return tls_listeners > 0; }

bool JsSignalPending() {
  if (tls_listeners == 0) return false;
  if (tls_loop == nullptr || !HasCounters<uv_signal_t>::value) return true;
  // uv_walk skips libuv's internal handles (the loop's SIGCHLD watcher), so what it finds
  // are Node's, the ones process.on() starts.
  bool pending = false;
  uv_walk(tls_loop, CheckPending<uv_signal_t>, &pending);
  return pending;
}

int PollForSignals(pollfd* fds, nfds_t n, int64_t deadline) {
  // The loop's signal pipe turns readable when a signal of any of its uv_signal_t arrives,
  // whichever thread took it: a wait on it wakes even when the signal interrupted no call here.
  const int pipe = JsListensForSignals() && tls_loop != nullptr ? SignalPipe(tls_loop) : -1;
  bool watch_pipe = pipe >= 0;
  for (;;) {
    int64_t wait = -1;
    if (deadline >= 0) {
      wait = deadline - MonotonicMs();
      if (wait < 0) wait = 0;
    }
    // Once the pipe has turned readable for a signal JavaScript does not listen to (it stays
    // readable until the loop runs again), a wait checks for a pending handler at intervals.
    if (!watch_pipe && pipe >= 0 && (wait < 0 || wait > kPendingCheckMs)) wait = kPendingCheckMs;
    fds[n] = {watch_pipe ? pipe : -1, POLLIN, 0};
    int r = poll(fds, n + 1, static_cast<int>(wait < INT32_MAX ? wait : INT32_MAX));
    if (r == -1 && errno != EINTR) return -errno;
    // A ready fd wins over a signal: the call then completes and the handler runs after it.
    if (r > 0 && fds[n].revents != 0) r--;
    if (r > 0) return r;
    if (r == 0 && deadline >= 0 && MonotonicMs() >= deadline) return 0;
    if (r == -1 || fds[n].revents != 0 || !watch_pipe) {
      if (JsSignalPending()) return -EINTR;
      if (fds[n].revents != 0) watch_pipe = false;
    }
  }
}

bool IsNonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl != -1 && (fl & O_NONBLOCK) != 0;
}

void InitSignals(Napi::Env env, Napi::Object exports) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  tls_loop = loop;
  SetListeners(0);
  napi_add_env_cleanup_hook(env, ForgetLoop, nullptr);
  exports.Set("signalListeners", Napi::Function::New(env, SignalListeners, "signalListeners"));
}

}  // namespace sockfd
