// Module init: assembles the Init* tables of each native/*.cc file.
#include <napi.h>

#include "constants.h"
#include "exports.h"

namespace sockfd {

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitConstants(env, exports);
  InitSocket(env, exports);
  InitIo(env, exports);
  InitSockopt(env, exports);
  InitFd(env, exports);
  InitPoll(env, exports);
  InitOptions(env, exports);
  InitMsg(env, exports);
  return exports;
}

}  // namespace sockfd

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return sockfd::Init(env, exports);
}

// NODE_API_MODULE registers a context-aware module, so the addon loads in worker threads too.
NODE_API_MODULE(sockfd, InitAddon)
