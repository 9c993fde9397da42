// The Node-API floor: the bench's syscalls behind the thinnest Node-API functions that can make
// them, so the table shows what any Node-API binding pays on this machine before it does
// anything of its own. No argument checks, no errors thrown (a failing call returns -errno),
// addresses passed and returned as raw sockaddr bytes. The bench compiles it into
// build-bench/floor.node (bench/run.ts) and bench/cases.ts runs the same loops through it.
// Not part of the package: an input the bench does not pass can crash it.
#include <errno.h>
#include <node_api.h>
#include <sys/socket.h>

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

static napi_value Init(napi_env env, napi_value exports) {
  static const struct {
    const char* name;
    napi_callback cb;
  } fns[] = {{"getsockopt", GetSockopt},
             {"send", Send},
             {"recv", Recv},
             {"sendto", SendTo},
             {"recvfrom", RecvFrom}};
  for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
