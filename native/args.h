// Reading socket addresses from JavaScript arguments and building address objects.
#pragma once

#include <napi.h>

#include "sockaddr.h"

namespace sockfd {

// Reads the address group the TypeScript layer passes at info[i..i+4]:
// (family, host, port, flowinfo, scopeId). host is the IP text or unix path (a string), an
// abstract unix name (an ArrayBufferView), or null for an unnamed unix address.
bool ArgSockaddr(const Napi::CallbackInfo& info, size_t i, sockaddr_storage* out, socklen_t* len);
// The same from five plain napi_values (the hot-path form).
bool ReadSockaddr(napi_env env, const napi_value* args, sockaddr_storage* out, socklen_t* len);

// Builds { family: 'inet' | 'inet6' | 'unix' | 'other', ... } from what the kernel returned,
// or null when the kernel returned no address.
Napi::Value MakeAddress(Napi::Env env, const sockaddr_storage* sa, socklen_t len);

}  // namespace sockfd
