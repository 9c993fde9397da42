#include "args.h"

#include <cmath>
#include <cstring>

#include "syscall.h"

namespace sockfd {

thread_local int last_errno = 0;

static bool ThrowWithCode(Napi::Error err, const char* code) {
  err.Set("code", Napi::String::New(err.Env(), code));
  err.ThrowAsJavaScriptException();
  return false;
}

bool ThrowTypeError(Napi::Env env, const char* code, const char* message) {
  return ThrowWithCode(Napi::TypeError::New(env, message), code);
}

bool ThrowRangeError(Napi::Env env, const char* code, const char* message) {
  return ThrowWithCode(Napi::RangeError::New(env, message), code);
}

bool ThrowIntArg(napi_env env, napi_value v, const char* name, int32_t min, int32_t max) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    std::string msg = std::string("The \"") + name + "\" argument must be of type number";
    return ThrowTypeError(env, "ERR_INVALID_ARG_TYPE", msg.c_str());
  }
  std::string msg = std::string("The value of \"") + name +
                    "\" is out of range. It must be an integer >= " + std::to_string(min) +
                    " and <= " + std::to_string(max);
  return ThrowRangeError(env, "ERR_OUT_OF_RANGE", msg.c_str());
}

bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t min, int32_t max,
            int32_t* out) {
  return ReadInt(info.Env(), info[i], name, min, max, out);
}

bool ArgFd(const Napi::CallbackInfo& info, size_t i, int* out) {
  return ReadFd(info.Env(), info[i], out);
}

void ExportFunction(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn) == napi_ok) {
    napi_set_named_property(env, exports, name, fn);
  }
}

static size_t ElementSize(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    default:
      return 8;  // float64, bigint64, biguint64
  }
}

// Reads `v` if it is an ArrayBufferView; *is_view says whether it was.
static bool ReadView(napi_env env, napi_value v, Bytes* out, bool* is_view) {
  // Tried first, with no napi_is_typedarray before it: a TypedArray (a Buffer is one) is what
  // nearly every call passes, and the call fails cleanly with napi_invalid_arg for anything else.
  napi_typedarray_type type;
  size_t length;
  void* data;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) == napi_ok) {
    // `data` already points at the view's first element (the byte offset is applied).
    *out = {data, length * ElementSize(type)};
    *is_view = true;
    return true;
  }
  bool is = false;
  napi_is_dataview(env, v, &is);
  if (is) {
    if (napi_get_dataview_info(env, v, &length, &data, nullptr, nullptr) != napi_ok) return false;
    *out = {data, length};
    *is_view = true;
    return true;
  }
  *is_view = false;
  return true;
}

bool ReadBytes(napi_env env, napi_value v, const char* name, Bytes* out) {
  bool is_view = false;
  if (!ReadView(env, v, out, &is_view)) return false;
  if (!is_view) {
    std::string msg = std::string("The \"") + name +
                      "\" argument must be an instance of Buffer, TypedArray, or DataView";
    return ThrowTypeError(env, "ERR_INVALID_ARG_TYPE", msg.c_str());
  }
  // A zero-length view may carry a null pointer; the kernel accepts NULL with length 0.
  return true;
}

bool ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name, Bytes* out) {
  return ReadBytes(info.Env(), info[i], name, out);
}

bool ReadSockaddr(napi_env env, const napi_value* args, sockaddr_storage* out, socklen_t* len) {
  AddrSpec spec{};
  int32_t v;
  if (!ReadInt(env, args[0], "address.family", 0, 65535, &v)) return false;
  spec.family = v;
  napi_value host = args[1];
  // Large enough for any valid IP text or unix path; anything longer is rejected as such.
  char text[sizeof(sockaddr_un::sun_path) + 2];
  size_t n = 0;
  // One call reads a string host (the common case) and tells a non-string apart.
  napi_status st = napi_get_value_string_utf8(env, host, text, sizeof(text), &n);
  if (st == napi_ok) {
    // A string that filled the buffer may have been cut (whole UTF-8 characters only, so up to
    // 3 bytes short of full): measure it. Never pass on a string that was cut.
    if (n + 4 >= sizeof(text)) napi_get_value_string_utf8(env, host, nullptr, 0, &n);
    if (n + 1 >= sizeof(text)) {
      // Too long for sun_path and for any IP text.
      return ThrowRangeError(
          env, "ERR_INVALID_ARG_VALUE",
          AddrErrorMessage(spec.family == AF_UNIX ? AddrError::kPathTooLong : AddrError::kBadIp));
    }
    spec.text = text;
    spec.text_len = n;
  } else {
    napi_valuetype t = napi_undefined;
    napi_typeof(env, host, &t);
    if (t == napi_null || t == napi_undefined) {
      spec.unnamed = true;
    } else {
      Bytes b;
      bool is_view = false;
      if (!ReadView(env, host, &b, &is_view)) return false;
      if (!is_view) {
        return ThrowTypeError(env, "ERR_INVALID_ARG_TYPE",
                              "The \"address\" host must be a string, an ArrayBufferView or null");
      }
      spec.bytes =
          b.len ? static_cast<const uint8_t*>(b.data) : reinterpret_cast<const uint8_t*>("");
      spec.bytes_len = b.len;
    }
  }
  if (!ReadInt(env, args[2], "address.port", 0, INT32_MAX, &v)) return false;
  spec.port = static_cast<uint32_t>(v);
  if (!ReadInt(env, args[3], "address.flowinfo", INT32_MIN, INT32_MAX, &v)) return false;
  spec.flowinfo = static_cast<uint32_t>(v);
  if (!ReadInt(env, args[4], "address.scopeId", INT32_MIN, INT32_MAX, &v)) return false;
  spec.scope_id = static_cast<uint32_t>(v);
  AddrError e = EncodeSockaddr(spec, out, len);
  if (e == AddrError::kOk) return true;
  if (e == AddrError::kBadFamily) {
    return ThrowRangeError(env, "ERR_INVALID_ARG_VALUE", AddrErrorMessage(e));
  }
  return ThrowRangeError(env,
                         e == AddrError::kBadPort ? "ERR_SOCKET_BAD_PORT" : "ERR_INVALID_ARG_VALUE",
                         AddrErrorMessage(e));
}

bool ArgSockaddr(const Napi::CallbackInfo& info, size_t i, sockaddr_storage* out, socklen_t* len) {
  napi_value args[5] = {info[i], info[i + 1], info[i + 2], info[i + 3], info[i + 4]};
  return ReadSockaddr(info.Env(), args, out, len);
}

Napi::Value MakeAddress(Napi::Env env, const sockaddr_storage* sa, socklen_t len) {
  Decoded d;
  DecodeSockaddr(sa, len, &d);
  Napi::Object o = Napi::Object::New(env);
  switch (d.kind) {
    case Decoded::kNone:
      return env.Null();
    case Decoded::kInet:
    case Decoded::kInet6:
      o.Set("family", d.kind == Decoded::kInet ? "inet" : "inet6");
      o.Set("address", Napi::String::New(env, d.text, d.text_len));
      o.Set("port", Napi::Number::New(env, d.port));
      if (d.kind == Decoded::kInet6) {
        o.Set("flowinfo", Napi::Number::New(env, d.flowinfo));
        o.Set("scopeId", Napi::Number::New(env, d.scope_id));
      }
      return o;
    case Decoded::kUnixPath:
      o.Set("family", "unix");
      o.Set("path", Napi::String::New(env, d.text, d.text_len));
      return o;
    case Decoded::kUnixAbstract:
      o.Set("family", "unix");
      o.Set("abstract", Napi::Buffer<uint8_t>::Copy(env, d.bytes, d.bytes_len));
      return o;
    case Decoded::kUnixUnnamed:
      o.Set("family", "unix");
      return o;
    case Decoded::kOther:
      o.Set("family", "other");
      o.Set("saFamily", Napi::Number::New(env, d.family));
      o.Set("data", Napi::Buffer<uint8_t>::Copy(env, d.bytes, d.bytes_len));
      return o;
  }
  return env.Null();
}

}  // namespace sockfd
