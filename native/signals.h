// What a call that was interrupted by a signal does, PEP 475 made for Node: EINTR is retried
// unless a signal that JavaScript listens to has arrived, whose handler can only run once the
// call has returned; then the call fails with EINTR.
//
// JavaScript runs its signal handlers from the event loop, and libuv installs their native
// handlers with SA_RESTART, so a call that sleeps in the kernel (recv, accept, send on a socket
// without a timeout) is restarted by the kernel after such a signal and never returns to let
// the handler run. A call that may sleep therefore waits in poll(2), which is never restarted
// (signal(7)), whenever JavaScript on this thread listens to a signal, and only then makes the
// call (see Blocking in syscall.h).
#pragma once

#include <napi.h>
#include <poll.h>

#include <atomic>
#include <cstdint>

namespace sockfd {

// How many threads' JavaScript listens to a signal (signals.cc). Read on every blocking call
// before the thread's own count, which costs a thread-local lookup in a shared library.
extern std::atomic<int> g_listening_threads;

// Whether JavaScript on this thread listens to any signal. signals.cc
bool ThisThreadListens();

// Whether JavaScript on this thread listens to any signal: lib/internal/signals.ts keeps the
// count up to date (main thread only; a worker's process.on('SIGINT') receives nothing).
inline bool JsListensForSignals() {
  return g_listening_threads.load(std::memory_order_relaxed) != 0 && ThisThreadListens();
}

// After EINTR: whether a signal JavaScript on this thread listens to has arrived and its
// handler is waiting for the event loop. A signal only native code handles (a profiler's
// SIGPROF, libuv's own SIGCHLD) answers false, and the call is retried.
bool JsSignalPending();

// poll(2) on fds[0..n) until one is ready, `deadline` (MonotonicMs, -1: none) passes, or a
// signal JavaScript listens to arrives (on any thread). `fds` has room for n + 1 entries: the
// last is this function's. Returns poll's count, 0 at the deadline, -EINTR for a signal
// JavaScript waits to handle, or -errno; other interruptions resume the wait with the time left.
int PollForSignals(pollfd* fds, nfds_t n, int64_t deadline);

// Whether O_NONBLOCK is set on fd (false when F_GETFL fails: the call itself will report that).
bool IsNonblocking(int fd);

}  // namespace sockfd
