// Per-environment state. The main thread and each worker has its own, kept as the addon's
// Node-API instance data and deleted with the environment.
#pragma once

#include <napi.h>

#include <unordered_set>

namespace sockfd {

struct EnvState;  // poll.cc: the event-loop watchers

struct EnvData {
  EnvState* poll = nullptr;
  // A JS array of the property names MakeAddress sets, made once instead of interned per call.
  // See sockaddr_napi.cc.
  napi_ref strings = nullptr;
  // The fds the socket classes own, closed at teardown. owners.cc
  std::unordered_set<int> owned;
  // The userspace links this environment started, stopped at teardown. link.cc
  std::unordered_set<int> links;
};

// This environment's state; null only before the addon's Init has run.
EnvData* GetEnvData(napi_env env);

// Deletes a poll.cc EnvState. poll.cc
void DeletePollState(EnvState* state);

// Forgets an owned fd, which its owner has closed or given up. owners.cc
void DisownFd(napi_env env, int fd);

// Closes every owned fd; the environment is ending and its watchers are stopped. owners.cc
void CloseOwnedFds(EnvData* data);

// Stops every link the environment started and closes their fds. link.cc
void StopLinks(EnvData* data);

}  // namespace sockfd
