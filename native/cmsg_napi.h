// Control messages between JavaScript and the kernel: N-API glue over the codec of cmsg.cc.
// Reads the control[] of sendmsg into Cmsg values and turns what recvmsg received into the
// objects lib/msg.ts documents.
#pragma once

#include <napi.h>
#include <sys/socket.h>

#include <cstdint>
#include <vector>

#include "cmsg.h"

namespace sockfd {

// The most bytes of control data one call reads or writes; the TypeScript layer checks the same.
constexpr int32_t kMaxControl = 64 * 1024;

// The control messages to send: what JS asked for as Cmsg values, the fds of every rights
// message in one array.
// Reading arrays and objects can run JavaScript (an element or a property may be a getter),
// and that JavaScript can detach or shrink a view read earlier. So the readers below keep the
// views as handles, and pointers into them are taken only once every read that can run
// JavaScript is done (ViewsToIov, ResolveControl), right before the syscall.
struct ControlList {
  std::vector<Cmsg> items;
  std::vector<int> fds;
  std::vector<napi_value> raw;  // per item: the kRaw payload view, else null
};

// Reads sendmsg's control argument (an array of control messages; null or undefined for none)
// into `out`. Can run JavaScript (see ControlList).
bool ReadControl(napi_env env, napi_value v, ControlList* out);

// Points each raw control message at its payload as it is now. Runs no JavaScript.
bool ResolveControl(napi_env env, ControlList* list);

// The control messages of `m` as a JS array, or empty (a pending exception). The fds in it stay
// the caller's either way: see CloseReceivedFds.
Napi::Value ControlToJs(Napi::Env env, const msghdr* m);

// Closes the fds that arrived in `m` (SCM_RIGHTS and SCM_PIDFD): what a receive that fails
// after the syscall must do, since its caller never learns them.
void CloseReceivedFds(const msghdr* m);

}  // namespace sockfd
