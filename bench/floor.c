// The Node-API floor: the bench's syscalls behind the thinnest Node-API functions that can make
// them, so the table shows what any Node-API binding pays on this machine before it does
// anything of its own. No argument checks, no errors thrown (a failing call returns -errno),
// addresses passed and returned as raw sockaddr bytes. For the async rows, the thinnest
// event-loop binding too: a libuv uv_poll per fd on this environment's loop, calling back into
// JavaScript (napi_make_callback, so the microtasks a callback queues run after it) on each
// readiness event. The bench compiles it into build-bench/floor.node (bench/run.ts) and
// bench/cases.ts runs the same loops through it.
// Not part of the package: an input the bench does not pass can crash it.
#include <errno.h>
#include <node_api.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <uv.h>

static napi_value Number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static double Result(ssize_t r) { return r < 0 ? -errno : (double)r; }

static int32_t Int(napi_env env, napi_value v) {
  int32_t i = 0;
  napi_get_value_int32(env, v, &i);
  return i;
}

static void* Bytes(napi_env env, napi_value v, size_t* len) {
  void* data = NULL;
  *len = 0;
  napi_get_buffer_info(env, v, &data, len);
  return data;
}

// getsockopt(fd, level, name) -> the int value, or -errno. getsockopt(2)
static napi_value GetSockopt(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  int v = 0;
  socklen_t len = sizeof(v);
  if (getsockopt(Int(env, a[0]), Int(env, a[1]), Int(env, a[2]), &v, &len) < 0) {
    return Number(env, -errno);
  }
  return Number(env, v);
}

// send(fd, buffer, flags) -> bytes or -errno. send(2)
static napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 3, len;
  napi_value a[3];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  void* data = Bytes(env, a[1], &len);
  return Number(env, Result(send(Int(env, a[0]), data, len, Int(env, a[2]) | MSG_NOSIGNAL)));
}

// recv(fd, buffer, flags) -> bytes or -errno. recv(2)
static napi_value Recv(napi_env env, napi_callback_info info) {
  size_t argc = 3, len;
  napi_value a[3];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  void* data = Bytes(env, a[1], &len);
  return Number(env, Result(recv(Int(env, a[0]), data, len, Int(env, a[2]))));
}

// sendto(fd, buffer, flags, sockaddr bytes) -> bytes or -errno. sendto(2)
static napi_value SendTo(napi_env env, napi_callback_info info) {
  size_t argc = 4, len, addrlen;
  napi_value a[4];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  void* data = Bytes(env, a[1], &len);
  const struct sockaddr* to = Bytes(env, a[3], &addrlen);
  return Number(env, Result(sendto(Int(env, a[0]), data, len, Int(env, a[2]) | MSG_NOSIGNAL, to,
                                   (socklen_t)addrlen)));
}

// recvfrom(fd, buffer, flags, sockaddr out) -> bytes or -errno; the sender's sockaddr is
// written into the out buffer. recvfrom(2)
static napi_value RecvFrom(napi_env env, napi_callback_info info) {
  size_t argc = 4, len, addrlen;
  napi_value a[4];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  void* data = Bytes(env, a[1], &len);
  struct sockaddr* from = Bytes(env, a[3], &addrlen);
  socklen_t fromlen = (socklen_t)addrlen;
  return Number(env, Result(recvfrom(Int(env, a[0]), data, len, Int(env, a[2]), from, &fromlen)));
}

// A uv_poll on one fd and the JavaScript function it calls back.
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
} Poll;

static Poll* PollOf(napi_env env, napi_value v) {
  void* p = NULL;
  napi_get_value_external(env, v, &p);
  return p;
}

// Calls callback(events), or callback(-errno) when libuv reports an error on the fd.
static void OnPoll(uv_poll_t* handle, int status, int events) {
  Poll* p = handle->data;
  napi_handle_scope scope;
  napi_open_handle_scope(p->env, &scope);
  napi_value cb, recv, arg, result;
  napi_get_reference_value(p->env, p->callback, &cb);
  napi_get_global(p->env, &recv);  // MakeCallback's `this` must be an object
  napi_create_int32(p->env, status < 0 ? status : events, &arg);
  // A callback's exception is reported as uncaught, never lost.
  bool pending = false;
  if (napi_make_callback(p->env, p->context, recv, cb, 1, &arg, &result) != napi_ok &&
      napi_is_exception_pending(p->env, &pending) == napi_ok && pending) {
    napi_value err;
    napi_get_and_clear_last_exception(p->env, &err);
    napi_fatal_exception(p->env, err);
  }
  napi_close_handle_scope(p->env, scope);
}

// pollOpen(fd, callback) -> a handle for the other poll functions. uv_poll_init
static napi_value PollOpen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2], name, handle;
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  uv_loop_t* loop;
  napi_get_uv_event_loop(env, &loop);
  Poll* p = calloc(1, sizeof(*p));
  uv_poll_init(loop, &p->poll, Int(env, a[0]));
  p->poll.data = p;
  p->env = env;
  napi_create_reference(env, a[1], 1, &p->callback);
  napi_create_string_utf8(env, "floor:poll", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &p->context);
  napi_create_external(env, p, NULL, NULL, &handle);
  return handle;
}

// pollStart(handle, events) -> 0 or a negative libuv error. uv_poll_start
static napi_value PollStart(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  return Number(env, uv_poll_start(&PollOf(env, a[0])->poll, Int(env, a[1]), OnPoll));
}

// pollStop(handle). uv_poll_stop
static napi_value PollStop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  uv_poll_stop(&PollOf(env, a[0])->poll);
  return NULL;
}

static void OnClose(uv_handle_t* handle) { free(handle->data); }

// pollClose(handle): the handle is freed once libuv is done with it; the fd stays open.
static napi_value PollClose(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  Poll* p = PollOf(env, a[0]);
  uv_poll_stop(&p->poll);
  napi_delete_reference(env, p->callback);
  napi_async_destroy(env, p->context);
  uv_close((uv_handle_t*)&p->poll, OnClose);
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  static const struct {
    const char* name;
    napi_callback cb;
  } fns[] = {{"getsockopt", GetSockopt}, {"send", Send},         {"recv", Recv},
             {"sendto", SendTo},         {"recvfrom", RecvFrom}, {"pollOpen", PollOpen},
             {"pollStart", PollStart},   {"pollStop", PollStop}, {"pollClose", PollClose}};
  for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  // The event bits pollStart takes and callbacks receive, from libuv's own header.
  napi_value events, readable, writable;
  napi_create_object(env, &events);
  napi_create_int32(env, UV_READABLE, &readable);
  napi_create_int32(env, UV_WRITABLE, &writable);
  napi_set_named_property(env, events, "READABLE", readable);
  napi_set_named_property(env, events, "WRITABLE", writable);
  napi_set_named_property(env, exports, "pollEvents", events);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
