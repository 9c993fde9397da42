#include "args.h"

namespace sockfd {

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

bool ReadView(napi_env env, napi_value v, Bytes* out, bool* is_view) {
  void* data;
  size_t length;
  // napi_get_buffer_info first: Node takes any ArrayBufferView there (node::Buffer::HasInstance
  // is IsArrayBufferView) and answers with the byte length directly, where
  // napi_get_typedarray_info tests the element type one IsXArray() at a time. It fails cleanly
  // with napi_invalid_arg for anything else; so would it for views other than Uint8Array if a
  // later Node narrowed it, which the calls below then read.
  if (napi_get_buffer_info(env, v, &data, &length) == napi_ok) {
    *out = {data, length};
    *is_view = true;
    return true;
  }
  napi_typedarray_type type;
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

bool ArrayBufferArgError(napi_env env, const char* name, const char* expected) {
  return ThrowArgType(env, name, expected);
}

bool ReadBytesSlow(napi_env env, napi_value v, const char* name, Bytes* out) {
  bool is_view = false;
  if (!ReadView(env, v, out, &is_view)) return false;
  if (!is_view) return ThrowArgType(env, name, "an instance of Buffer, TypedArray, or DataView");
  // A zero-length view may carry a null pointer; the kernel accepts NULL with length 0.
  return true;
}

bool ValueBytes(napi_env env, napi_value v, const char* name, Bytes* out) {
  return ReadBytes(env, v, name, out);
}

bool ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name, Bytes* out) {
  return ReadBytes(info.Env(), info[i], name, out);
}

bool ReadInt32Array(napi_env env, napi_value v, const char* name, int32_t** data, size_t* length) {
  napi_typedarray_type type;
  void* p = nullptr;
  // Fails cleanly (napi_invalid_arg) for anything that is not a TypedArray.
  if (napi_get_typedarray_info(env, v, &type, length, &p, nullptr, nullptr) != napi_ok ||
      type != napi_int32_array) {
    return ThrowArgType(env, name, "an Int32Array");
  }
  *data = static_cast<int32_t*>(p);
  return true;
}

bool IsArray(napi_env env, napi_value v, uint32_t* length) {
  bool is = false;
  if (napi_is_array(env, v, &is) != napi_ok || !is) return false;
  return napi_get_array_length(env, v, length) == napi_ok;
}

}  // namespace sockfd
