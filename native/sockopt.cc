// getsockopt and setsockopt, as integers and as raw bytes. Typed struct options build on the
// bytes form.
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "exports.h"
#include "syscall.h"

namespace sockfd {

static bool ArgLevelName(const Napi::CallbackInfo& info, int* fd, int32_t* level, int32_t* name) {
  return ArgFd(info, 0, fd) && ArgInt(info, 1, "level", INT32_MIN, INT32_MAX, level) &&
         ArgInt(info, 2, "name", INT32_MIN, INT32_MAX, name);
}

static bool ReadLevelName(napi_env env, const napi_value* argv, int* fd, int32_t* level,
                          int32_t* name) {
  return ReadFd(env, argv[0], fd) && ReadInt(env, argv[1], "level", INT32_MIN, INT32_MAX, level) &&
         ReadInt(env, argv[2], "name", INT32_MIN, INT32_MAX, name);
}

// getsockopt(fd, level, name) -> the int value, or IntError(errno) (syscall.h): an int option
// may itself be negative (SO_PEEK_OFF is -1 when off). getsockopt(2)
// Plain Node-API (args.h): reading an option is often done per message.
static napi_value GetInt(napi_env env, napi_callback_info info) {
  Args<3> a(env, info);
  int fd;
  int32_t level, name;
  if (!a.ok || !ReadLevelName(env, a.argv, &fd, &level, &name)) return nullptr;
  int value = 0;
  socklen_t len = sizeof(value);
  int r = Retry([&] {
    len = sizeof(value);
    return getsockopt(fd, level, name, &value, &len);
  });
  if (r < 0) return IntError(env, -r);
  // A few options (IP_MULTICAST_TTL/LOOP on some kernels) answer with a single byte.
  if (len == 1) value = *reinterpret_cast<unsigned char*>(&value);
  return NumberValue(env, value);
}

// setsockopt(fd, level, name, int) -> 0 or -errno. setsockopt(2)
static napi_value SetInt(napi_env env, napi_callback_info info) {
  Args<4> a(env, info);
  int fd;
  int32_t level, name, value;
  if (!a.ok || !ReadLevelName(env, a.argv, &fd, &level, &name) ||
      !ReadInt(env, a[3], "value", INT32_MIN, INT32_MAX, &value)) {
    return nullptr;
  }
  int v = value;
  return NumberValue(env, Retry([&] { return setsockopt(fd, level, name, &v, sizeof(v)); }));
}

// The largest bytes option read; generous for TCP_INFO, SO_PEERSEC and filters.
static constexpr int32_t kMaxOptLen = 64 * 1024;

// getsockopt(fd, level, name, maxLength) -> Buffer of the length the kernel returned, or
// -errno. getsockopt(2)
static Napi::Value GetBytes(const Napi::CallbackInfo& info) {
  int fd;
  int32_t level, name, max;
  if (!ArgLevelName(info, &fd, &level, &name) || !ArgInt(info, 3, "length", 0, kMaxOptLen, &max)) {
    return Napi::Value();
  }
  std::vector<unsigned char> buf(static_cast<size_t>(max) + 1);
  socklen_t len = static_cast<socklen_t>(max);
  int r = Retry([&] {
    len = static_cast<socklen_t>(max);
    return getsockopt(fd, level, name, buf.data(), &len);
  });
  if (r < 0) return Result(info.Env(), r);
  // Some options report the length they would need; hand back only what was written.
  if (len > static_cast<socklen_t>(max)) len = static_cast<socklen_t>(max);
  return Napi::Buffer<unsigned char>::Copy(info.Env(), buf.data(), len);
}

// setsockopt(fd, level, name, bytes) -> 0 or -errno. setsockopt(2)
static Napi::Value SetBytes(const Napi::CallbackInfo& info) {
  int fd;
  int32_t level, name;
  Bytes b;
  if (!ArgLevelName(info, &fd, &level, &name) || !ArgBytes(info, 3, "value", &b)) {
    return Napi::Value();
  }
  if (b.len > INT32_MAX) {
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE", "The \"value\" buffer is too large");
    return Napi::Value();
  }
  return Result(info.Env(), Retry([&] {
                  return setsockopt(fd, level, name, b.data, static_cast<socklen_t>(b.len));
                }));
}

void InitSockopt(Napi::Env env, Napi::Object exports) {
  ExportFunction(env, exports, "getsockoptInt", GetInt);
  ExportFunction(env, exports, "setsockoptInt", SetInt);
  exports.Set("getsockoptBytes", Napi::Function::New(env, GetBytes, "getsockoptBytes"));
  exports.Set("setsockoptBytes", Napi::Function::New(env, SetBytes, "setsockoptBytes"));
}

}  // namespace sockfd
