// Reading the arguments of a native call. The TypeScript layer has already validated them, so
// these only guard the native boundary against direct misuse: anything JavaScript can pass
// either reads as what the call expects or throws (errors.h), and never crashes the process.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

#include "errors.h"

namespace sockfd {

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

// Reads an int32 argument: a non-number, a fraction or a value outside [min, max] throws
// instead of being truncated. One Node-API call when the value is good.
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

// Reads `v` if it is an ArrayBufferView; *is_view says whether it was. False only with an
// exception pending.
bool ReadView(napi_env env, napi_value v, Bytes* out, bool* is_view);

// ReadBytes() for whatever napi_get_buffer_info does not take.
bool ReadBytesSlow(napi_env env, napi_value v, const char* name, Bytes* out);

// Reads a caller-owned ArrayBufferView; anything else throws ERR_INVALID_ARG_TYPE naming
// `name`. One Node-API call for a TypedArray or Buffer, made here so that every packet call
// inlines it (see ReadView for why napi_get_buffer_info).
inline bool ReadBytes(napi_env env, napi_value v, const char* name, Bytes* out) {
  if (napi_get_buffer_info(env, v, &out->data, &out->len) == napi_ok) return true;
  return ReadBytesSlow(env, v, name, out);
}

// Reads an Int32Array (its elements in place and their count); anything else throws
// ERR_INVALID_ARG_TYPE naming `name`.
bool ReadInt32Array(napi_env env, napi_value v, const char* name, int32_t** data, size_t* length);

// ReadArrayBuffer()'s failure: throws and returns false. Out of line, so the readers inline small.
[[gnu::cold]] bool ArrayBufferArgError(napi_env env, const char* name, const char* expected);

// Reads an ArrayBuffer of at least `min_len` bytes whose memory is aligned for `align`: an
// out-buffer a call writes in place. Anything else, a detached buffer or a short one throws
// ERR_INVALID_ARG_TYPE (`The "name" argument must be <expected>`) before anything is written.
// One cheap Node-API call, less than a TypedArray costs; inline, as it is made per message.
inline bool ReadArrayBuffer(napi_env env, napi_value v, const char* name, size_t min_len,
                            size_t align, const char* expected, void** out) {
  void* data = nullptr;
  size_t len = 0;
  if (napi_get_arraybuffer_info(env, v, &data, &len) != napi_ok || len < min_len ||
      reinterpret_cast<uintptr_t>(data) % align != 0) {
    *out = nullptr;
    return ArrayBufferArgError(env, name, expected);
  }
  *out = data;
  return true;
}

// Whether `v` is a JS array, and its length.
bool IsArray(napi_env env, napi_value v, uint32_t* length);

// Adds a hot-path function written against plain Node-API to `exports`.
void ExportFunction(napi_env env, napi_value exports, const char* name, napi_callback cb);

// The node-addon-api forms of the readers, for the calls that are not on a hot path.
bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t min, int32_t max,
            int32_t* out);
bool ArgFd(const Napi::CallbackInfo& info, size_t i, int* out);
bool ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name, Bytes* out);
// The same for a value that is not an argument (an array element or a property).
bool ValueBytes(napi_env env, napi_value v, const char* name, Bytes* out);

}  // namespace sockfd
