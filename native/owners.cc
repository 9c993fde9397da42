// The fds the typed socket classes of this environment own, so that they close with it, as
// Node's own handles do when a worker ends. lib/socket/base.ts adds an fd when an object takes
// it and removes it when the object detaches it; close(fd) through the addon removes it
// (socket.cc), so a closed fd, whose number may be reused, is never closed again here.
// fds made with the syscall layer are never added: they stay the caller's. The lab's namespace
// fds (ns.cc) and rtnetlink sockets are owned the same way, so a worker's lab goes with it.
#include <unistd.h>

#include "args.h"
#include "env.h"
#include "exports.h"
#include "syscall.h"

namespace sockfd {

// ownFd(fd): this environment's teardown closes `fd` unless it is disowned first.
static Napi::Value Own(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return Napi::Value();
  OwnFd(info.Env(), fd);
  return info.Env().Undefined();
}

// disownFd(fd): the caller keeps `fd` past the environment's end.
static Napi::Value Disown(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return Napi::Value();
  DisownFd(info.Env(), fd);
  return info.Env().Undefined();
}

void OwnFd(napi_env env, int fd) {
  if (EnvData* d = GetEnvData(env)) d->owned.insert(fd);
}

void DisownFd(napi_env env, int fd) {
  if (EnvData* d = GetEnvData(env)) d->owned.erase(fd);
}

void CloseOwnedFds(EnvData* d) {
  // Never retried: on Linux the fd is released even when close reports EINTR.
  for (int fd : d->owned) close(fd);
  d->owned.clear();
}

void InitOwners(Napi::Env env, Napi::Object exports) {
  exports.Set("ownFd", Napi::Function::New(env, Own, "ownFd"));
  exports.Set("disownFd", Napi::Function::New(env, Disown, "disownFd"));
}

}  // namespace sockfd
