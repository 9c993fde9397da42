// Event-loop readiness for the async layer: a Watcher wraps one uv_poll_t on the loop of the
// environment that created it (napi_get_uv_event_loop, so worker threads use their own loop).
//
// Lifetime rules, each of which a peer library once shipped as a crash:
// - uv_close() runs at most once per handle (PollHandle::closing), and the handle's memory is
//   freed only in its close callback, never while libuv may still touch it.
// - No callback reaches JavaScript after close(): the poll is stopped before uv_close and
//   OnPoll ignores a closing handle.
// - The Watcher never closes the fd; the fd's owner does, after closing the watcher. A native
//   close(fd) through this addon closes any watcher on that fd first (CloseWatchersForFd).
// - Environment teardown (a worker ending or terminated) closes every open handle from an
//   async cleanup hook and reports completion only after the last close callback, so the
//   addon is never unloaded while libuv still holds one of its handles. The same hook then
//   closes the fds the socket classes own (owners.cc), once no handle watches them.
// - A Watcher that is garbage-collected closes its uv handle, not the fd (fd numbers are
//   reused: a late close could hit another file).
#include <fcntl.h>
#include <uv.h>

#include <unordered_map>
#include <vector>

#include "env.h"
#include "exports.h"
#include "syscall.h"

namespace sockfd {

class Watcher;
struct EnvState;

struct PollHandle {
  uv_poll_t poll;
  EnvState* state;
  Watcher* owner;  // null once the JS object is finalized
  int fd;
  bool closing;
};

// A JavaScript layer's hook into Dispatch (watcherControl): an ArrayBuffer of two int32s, whose
// [0] Dispatch raises while the callback runs, and a function Dispatch calls once the callback
// (and the microtasks it queued) are done, when [1] says work was deferred to that point.
// lib/socket/poll.ts defers ref/unref of the handles this way, so that a socket that stops waiting
// and starts again within one callback crosses into C++ for neither.
struct Control {
  napi_ref words;
  napi_ref after;
};

struct EnvState {
  EnvData* data = nullptr;
  std::unordered_multimap<int, PollHandle*> by_fd;  // handles not yet closing
  std::vector<Control> controls;
  size_t live = 0;  // handles whose close callback is pending
  bool tearing_down = false;
  napi_async_cleanup_hook_handle cleanup = nullptr;
  Napi::FunctionReference watcher_class;
};

static void OnClose(uv_handle_t* handle);

static void CloseHandle(PollHandle* h) {
  if (h->closing) return;
  h->closing = true;
  auto range = h->state->by_fd.equal_range(h->fd);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == h) {
      h->state->by_fd.erase(it);
      break;
    }
  }
  uv_poll_stop(&h->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&h->poll), OnClose);
}

class Watcher : public Napi::ObjectWrap<Watcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Watcher",
                       {
                           InstanceMethod<&Watcher::Open>("open"),
                           InstanceMethod<&Watcher::Start>("start"),
                           InstanceMethod<&Watcher::Stop>("stop"),
                           InstanceMethod<&Watcher::Ref>("ref"),
                           InstanceMethod<&Watcher::Unref>("unref"),
                           InstanceMethod<&Watcher::Close>("close"),
                       });
  }

  // new Watcher(callback(status, events)): callback runs with MakeCallback semantics.
  explicit Watcher(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<Watcher>(info),
        context_(info.Env(), "sockfd:Watcher", info.This().As<Napi::Object>()) {
    if (!info[0].IsFunction()) {
      ThrowTypeError(info.Env(), "ERR_INVALID_ARG_TYPE",
                     "The \"callback\" argument must be of type function");
      return;
    }
    // Weak while idle: an idle watcher must not keep its socket object alive. Start() makes
    // it strong so a pending wait keeps everything it needs reachable.
    callback_ = Napi::Weak(info[0].As<Napi::Function>());
    info.This().As<Napi::Object>().Set("callback", info[0]);
  }

  ~Watcher() override {
    if (handle_ != nullptr) {
      handle_->owner = nullptr;
      CloseHandle(handle_);
      handle_ = nullptr;
    }
  }

  void Detach() { handle_ = nullptr; }
  PollHandle* handle() const { return handle_; }

  // Calls the JS callback. Plain Node-API calls, each checked: while a worker is being
  // terminated JavaScript cannot run, and a node-addon-api wrapper would turn the failed call
  // into a fatal error instead of skipping the callback.
  void Dispatch(int status, int events) {
    napi_env env = Env();
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value self, cb, argv[2];
    if (napi_get_reference_value(env, static_cast<napi_ref>(*this), &self) == napi_ok &&
        napi_get_reference_value(env, static_cast<napi_ref>(callback_), &cb) == napi_ok &&
        self != nullptr && cb != nullptr && napi_create_int32(env, status, &argv[0]) == napi_ok &&
        napi_create_int32(env, events, &argv[1]) == napi_ok) {
      EnvState* st = GetEnvData(env)->poll;
      SetDispatching(env, st, 1);
      napi_value result;
      Report(env, napi_make_callback(env, context_, self, cb, 2, argv, &result));
      // The controls may have changed while JavaScript ran; index, never hold an iterator.
      for (size_t i = 0; i < st->controls.size(); i++) {
        int32_t* w = ControlWords(env, st->controls[i].words);
        if (w == nullptr) continue;
        w[0] = 0;
        if (w[1] == 0) continue;
        napi_value after;
        if (napi_get_reference_value(env, st->controls[i].after, &after) == napi_ok &&
            after != nullptr) {
          Report(env, napi_make_callback(env, context_, self, after, 0, nullptr, &result));
        }
      }
    }
    napi_close_handle_scope(env, scope);
  }

  // The two int32s of a control, looked up again at each use (so a detached or replaced buffer
  // is noticed, never written through a stale pointer), or null.
  static int32_t* ControlWords(napi_env env, napi_ref words) {
    napi_value ab;
    void* data = nullptr;
    size_t len = 0;
    if (napi_get_reference_value(env, words, &ab) != napi_ok || ab == nullptr ||
        napi_get_arraybuffer_info(env, ab, &data, &len) != napi_ok || len < 2 * sizeof(int32_t) ||
        reinterpret_cast<uintptr_t>(data) % alignof(int32_t) != 0) {
      return nullptr;
    }
    return static_cast<int32_t*>(data);
  }

  static void SetDispatching(napi_env env, EnvState* st, int32_t on) {
    for (size_t i = 0; i < st->controls.size(); i++) {
      if (int32_t* w = ControlWords(env, st->controls[i].words)) w[0] = on;
    }
  }

  // An exception thrown by a callback is reported as uncaught, never swallowed.
  static void Report(napi_env env, napi_status st) {
    bool pending = false;
    if (st != napi_ok && napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    }
  }

 private:
  EnvState* State() { return GetEnvData(Env())->poll; }

  // open(fd) -> 0 or -errno (uv_poll_init: EEXIST when another watcher has the fd, EPERM for
  // a file epoll cannot watch, EBADF).
  Napi::Value Open(const Napi::CallbackInfo& info) {
    int fd;
    if (!ArgFd(info, 0, &fd)) return Napi::Value();
    EnvState* st = State();
    if (handle_ != nullptr || closed_) return Result(info.Env(), -EALREADY);
    if (st->tearing_down) return Result(info.Env(), -ESHUTDOWN);
    // libuv allows one active poll handle per fd; a second would silently steal its events.
    if (st->by_fd.count(fd) != 0) return Result(info.Env(), -EEXIST);
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(info.Env(), &loop) != napi_ok) return Result(info.Env(), -EINVAL);
    auto* h = new PollHandle{};
    int r = uv_poll_init(loop, &h->poll, fd);
    if (r < 0) {
      delete h;  // uv_poll_init failed before registering the handle with the loop
      return Result(info.Env(), r);
    }
    h->state = st;
    h->owner = this;
    h->fd = fd;
    h->poll.data = h;
    st->by_fd.emplace(fd, h);
    st->live++;
    handle_ = h;
    if (!ref_) uv_unref(reinterpret_cast<uv_handle_t*>(&h->poll));
    return Result(info.Env(), 0);
  }

  // start(events) -> 0 or -errno. events: UV_READABLE | UV_WRITABLE | UV_DISCONNECT ...
  Napi::Value Start(const Napi::CallbackInfo& info) {
    int32_t events;
    if (!ArgInt(info, 0, "events", 0, UV_READABLE | UV_WRITABLE | UV_DISCONNECT | UV_PRIORITIZED,
                &events)) {
      return Napi::Value();
    }
    // A handle being closed (by close(), or by the addon's close() of its fd) stays ours until
    // its close callback; uv_poll_start on it aborts the process.
    if (handle_ == nullptr || handle_->closing) return Result(info.Env(), -EBADF);
    // libuv aborts if epoll_ctl later fails on the fd, so refuse an fd that is already gone.
    if (fcntl(handle_->fd, F_GETFD) == -1) return Result(info.Env(), -errno);
    int r = uv_poll_start(&handle_->poll, events, OnPoll);
    if (r < 0) return Result(info.Env(), r);
    if (!active_) {
      active_ = true;
      callback_.Ref();
      Napi::ObjectWrap<Watcher>::Ref();
    }
    return Result(info.Env(), 0);
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr && !handle_->closing) uv_poll_stop(&handle_->poll);
    Idle();
    return info.Env().Undefined();
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    ref_ = true;
    if (handle_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(&handle_->poll));
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    ref_ = false;
    if (handle_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&handle_->poll));
    return info.Env().Undefined();
  }

  // close(): idempotent; the fd stays open.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    closed_ = true;
    if (handle_ != nullptr) CloseHandle(handle_);
    Idle();
    return info.Env().Undefined();
  }

  void Idle() {
    if (active_) {
      active_ = false;
      callback_.Unref();
      Napi::ObjectWrap<Watcher>::Unref();
    }
  }

  static void OnPoll(uv_poll_t* poll, int status, int events) {
    auto* h = static_cast<PollHandle*>(poll->data);
    if (h->closing || h->owner == nullptr) return;
    h->owner->Dispatch(status, events);
  }

  Napi::FunctionReference callback_;
  Napi::AsyncContext context_;
  PollHandle* handle_ = nullptr;
  bool active_ = false;
  bool ref_ = true;
  bool closed_ = false;
};

static void OnClose(uv_handle_t* handle) {
  auto* h = static_cast<PollHandle*>(handle->data);
  EnvState* st = h->state;
  if (h->owner != nullptr) h->owner->Detach();
  delete h;
  st->live--;
  if (st->tearing_down && st->live == 0 && st->cleanup != nullptr) {
    napi_async_cleanup_hook_handle done = st->cleanup;
    st->cleanup = nullptr;
    napi_remove_async_cleanup_hook(done);
  }
}

// Runs when the environment is torn down: closes every handle, then the fds the socket classes
// own, and reports completion once libuv has called back for the last handle.
static void OnTeardown(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* st = static_cast<EnvState*>(arg);
  st->tearing_down = true;
  st->cleanup = handle;
  while (!st->by_fd.empty()) CloseHandle(st->by_fd.begin()->second);
  // uv_poll_stop has taken each fd out of epoll, so closing them now cannot make libuv fail.
  CloseOwnedFds(st->data);
  if (st->live == 0) {
    st->cleanup = nullptr;
    napi_remove_async_cleanup_hook(handle);
  }
}

void DeletePollState(EnvState* state) { delete state; }

void CloseWatchersForFd(Napi::Env env, int fd) {
  EnvData* d = GetEnvData(env);
  if (d == nullptr || d->poll == nullptr) return;
  EnvState* st = d->poll;
  while (true) {
    auto it = st->by_fd.find(fd);
    if (it == st->by_fd.end()) break;
    CloseHandle(it->second);
  }
}

// watcherControl(words: ArrayBuffer of 2 int32s, after: function): adds a control (see
// Control). A layer registers one per environment when it loads.
static Napi::Value WatcherControl(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  bool is_ab = false;
  napi_is_arraybuffer(env, info[0], &is_ab);
  if (!is_ab || info[0].As<Napi::ArrayBuffer>().ByteLength() < 2 * sizeof(int32_t)) {
    ThrowTypeError(env, "ERR_INVALID_ARG_TYPE",
                   "The \"words\" argument must be an ArrayBuffer of at least 8 bytes");
    return Napi::Value();
  }
  if (!info[1].IsFunction()) {
    ThrowTypeError(env, "ERR_INVALID_ARG_TYPE", "The \"after\" argument must be of type function");
    return Napi::Value();
  }
  Control c{};
  if (napi_create_reference(env, info[0], 1, &c.words) != napi_ok ||
      napi_create_reference(env, info[1], 1, &c.after) != napi_ok) {
    return Napi::Value();
  }
  GetEnvData(env)->poll->controls.push_back(c);
  return info.Env().Undefined();
}

void InitPoll(Napi::Env env, Napi::Object exports) {
  auto* st = new EnvState();
  st->data = GetEnvData(env);
  st->data->poll = st;  // deleted with the environment, after the hook is done
  napi_add_async_cleanup_hook(env, OnTeardown, st, nullptr);
  Napi::Function cls = Watcher::Define(env);
  st->watcher_class = Napi::Persistent(cls);
  exports.Set("Watcher", cls);
  exports.Set("watcherControl", Napi::Function::New(env, WatcherControl, "watcherControl"));
  Napi::Object ev = Napi::Object::New(env);
  ev.Set("READABLE", Napi::Number::New(env, UV_READABLE));
  ev.Set("WRITABLE", Napi::Number::New(env, UV_WRITABLE));
  ev.Set("DISCONNECT", Napi::Number::New(env, UV_DISCONNECT));
  ev.Set("PRIORITIZED", Napi::Number::New(env, UV_PRIORITIZED));
  exports.Set("watcherEvents", ev);
}

}  // namespace sockfd
