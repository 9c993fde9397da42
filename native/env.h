// Per-environment state. The main thread and each worker has its own, kept as the addon's
// Node-API instance data and deleted with the environment.
#pragma once

#include <napi.h>

#include <cstddef>

#include "sockaddr.h"

namespace sockfd {

struct EnvState;  // poll.cc: the event-loop watchers

// The host string of the last address decoded (an IP text or a unix path), kept so that a
// peer heard from again, the usual case in a receive loop, costs a comparison instead of a new
// string. The string itself lives in EnvData::strings (Node-API 8 can reference objects only).
struct HostCache {
  int kind = -1;  // a Decoded::Kind, or -1 while empty
  size_t len = 0;
  char text[sizeof(Decoded::text)];
};

struct EnvData {
  EnvState* poll = nullptr;
  HostCache host;
  // A JS array: the property names MakeAddress sets (made once, not interned per call), then
  // the cached host string. See args.cc.
  napi_ref strings = nullptr;
};

// This environment's state; null only before the addon's Init has run.
EnvData* GetEnvData(napi_env env);

// Deletes a poll.cc EnvState. poll.cc
void DeletePollState(EnvState* state);

}  // namespace sockfd
