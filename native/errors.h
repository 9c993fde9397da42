// The argument errors every native call throws, Node-style: a wrong type is a TypeError
// (ERR_INVALID_ARG_TYPE), a number of the right type but out of range a RangeError
// (ERR_OUT_OF_RANGE), and messages name the argument as the TypeScript caller wrote it. A failed
// syscall never throws; it is returned as -errno (syscall.h).
//
// Each helper throws and returns false, so a reader can write `return ThrowArgType(...);`.
#pragma once

#include <napi.h>

#include <string>

namespace sockfd {

// Throws a TypeError or RangeError with a Node-style `code` and `message` as given.
bool ThrowTypeError(napi_env env, const char* code, const char* message);
bool ThrowRangeError(napi_env env, const char* code, const char* message);

// `The "name" argument must be <expected>`: a TypeError, ERR_INVALID_ARG_TYPE.
bool ThrowArgType(napi_env env, const std::string& name, const char* expected);

// `The value of "name" is out of range. It must be an integer >= min and <= max`: a RangeError,
// ERR_OUT_OF_RANGE.
bool ThrowArgRange(napi_env env, const std::string& name, double min, double max);

// `The argument 'name' <reason>`: a TypeError, ERR_INVALID_ARG_VALUE.
bool ThrowArgValue(napi_env env, const std::string& name, const std::string& reason);

// The error an integer reader owes for `v`: ThrowArgType for a non-number, else ThrowArgRange.
// Out of line: only a misused native call gets here.
bool ThrowIntArg(napi_env env, napi_value v, const std::string& name, double min, double max);

}  // namespace sockfd
