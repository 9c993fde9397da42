// Module init: assembles the Init* tables of each native/*.cc file.
#include <napi.h>

#include "constants.h"

namespace sockfd {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitConstants(env, exports);
  return exports;
}

}  // namespace sockfd

// NODE_API_MODULE registers through napi_module_register's context-aware path,
// so the addon loads in worker threads too.
NODE_API_MODULE(sockfd, sockfd::Init)
