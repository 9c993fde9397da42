#include "errors.h"

#include <cstdint>

namespace sockfd {

static bool ThrowWithCode(Napi::Error err, const char* code) {
  err.Set("code", Napi::String::New(err.Env(), code));
  err.ThrowAsJavaScriptException();
  return false;
}

bool ThrowTypeError(napi_env env, const char* code, const char* message) {
  return ThrowWithCode(Napi::TypeError::New(env, message), code);
}

bool ThrowRangeError(napi_env env, const char* code, const char* message) {
  return ThrowWithCode(Napi::RangeError::New(env, message), code);
}

bool ThrowArgType(napi_env env, const std::string& name, const char* expected) {
  std::string msg = "The \"" + name + "\" argument must be " + expected;
  return ThrowTypeError(env, "ERR_INVALID_ARG_TYPE", msg.c_str());
}

bool ThrowArgRange(napi_env env, const std::string& name, double min, double max) {
  std::string msg = "The value of \"" + name + "\" is out of range. It must be an integer >= " +
                    std::to_string(static_cast<int64_t>(min)) +
                    " and <= " + std::to_string(static_cast<int64_t>(max));
  return ThrowRangeError(env, "ERR_OUT_OF_RANGE", msg.c_str());
}

bool ThrowArgValue(napi_env env, const std::string& name, const std::string& reason) {
  std::string msg = "The argument '" + name + "' " + reason;
  return ThrowTypeError(env, "ERR_INVALID_ARG_VALUE", msg.c_str());
}

bool ThrowIntArg(napi_env env, napi_value v, const std::string& name, double min, double max) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok)
    return ThrowArgType(env, name, "of type number");
  return ThrowArgRange(env, name, min, max);
}

}  // namespace sockfd
