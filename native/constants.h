// Socket, protocol, option and errno constants, read from the system headers.
#pragma once

#include <napi.h>

namespace sockfd {

// The errno name for `err` ("EADDRINUSE"), or nullptr when the headers do not name it.
const char* ErrnoName(int err);

// Adds `constants` (name -> value) and `errnoNames` (value -> preferred name) to exports.
void InitConstants(Napi::Env env, Napi::Object exports);

}  // namespace sockfd
