// The Init* function of each native/*.cc file, assembled by addon.cc.
#pragma once

#include <napi.h>

namespace sockfd {

void InitAddress(Napi::Env env, Napi::Object exports);  // sockaddr_napi.cc
void InitSocket(Napi::Env env, Napi::Object exports);   // socket.cc
void InitIo(Napi::Env env, Napi::Object exports);       // io.cc
void InitSockopt(Napi::Env env, Napi::Object exports);  // sockopt.cc
void InitFd(Napi::Env env, Napi::Object exports);       // fd.cc
void InitPoll(Napi::Env env, Napi::Object exports);     // poll.cc
void InitOptions(Napi::Env env, Napi::Object exports);  // options_napi.cc
void InitCmsg(Napi::Env env, Napi::Object exports);     // cmsg_napi.cc
void InitMsg(Napi::Env env, Napi::Object exports);      // msg.cc
void InitMmsg(Napi::Env env, Napi::Object exports);     // mmsg.cc
void InitSignals(Napi::Env env, Napi::Object exports);  // signals.cc
void InitFile(Napi::Env env, Napi::Object exports);     // file.cc
void InitNs(Napi::Env env, Napi::Object exports);       // ns.cc
void InitOwners(Napi::Env env, Napi::Object exports);   // owners.cc
void InitEpoll(Napi::Env env, Napi::Object exports);    // epoll.cc
void InitBpf(Napi::Env env, Napi::Object exports);      // bpf.cc
void InitLink(Napi::Env env, Napi::Object exports);     // link.cc

// Closes every watcher on `fd`, before the fd itself is closed. poll.cc
void CloseWatchersForFd(Napi::Env env, int fd);

}  // namespace sockfd
