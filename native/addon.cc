// Module init: assembles the Init* tables of each native/*.cc file.
#include <napi.h>

#include "constants.h"
#include "env.h"
#include "exports.h"

namespace sockfd {

EnvData* GetEnvData(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<EnvData*>(data);
}

static void DeleteEnvData(napi_env env, void* data, void* hint) {
  auto* d = static_cast<EnvData*>(data);
  // The references in `d` belong to the environment, which frees them itself on teardown.
  if (d->poll != nullptr) DeletePollState(d->poll);
  // A worker that ends without closing its lab: its links' threads end and their fds close.
  StopLinks(d);
  delete d;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Deleted with the environment, after poll.cc's cleanup hook has closed every handle.
  napi_set_instance_data(env, new EnvData(), DeleteEnvData, nullptr);
  InitConstants(env, exports);
  InitSocket(env, exports);
  InitAddress(env, exports);
  InitIo(env, exports);
  InitSockopt(env, exports);
  InitFd(env, exports);
  InitPoll(env, exports);
  InitOptions(env, exports);
  InitCmsg(env, exports);
  InitMsg(env, exports);
  InitMmsg(env, exports);
  InitSignals(env, exports);
  InitFile(env, exports);
  InitNs(env, exports);
  InitOwners(env, exports);
  InitEpoll(env, exports);
  InitBpf(env, exports);
  InitLink(env, exports);
  return exports;
}

}  // namespace sockfd

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return sockfd::Init(env, exports);
}

// NODE_API_MODULE registers a context-aware module, so the addon loads in worker threads too.
NODE_API_MODULE(sockfd, InitAddon)
