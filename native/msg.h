// What sendmsg/recvmsg (msg.cc) and their batch forms sendmmsg/recvmmsg (mmsg.cc) share.
#pragma once

#include <sys/socket.h>

namespace sockfd {

// The kernel copies MSG_CMSG_CLOEXEC, which this library adds, into msg_flags; report
// only what the kernel says about the message (MSG_TRUNC, MSG_CTRUNC, MSG_EOR, ...).
inline int ReportedFlags(int msg_flags) {
#ifdef MSG_CMSG_CLOEXEC
  msg_flags &= ~MSG_CMSG_CLOEXEC;
#endif
  return msg_flags;
}

// Whether fd is an AF_UNIX socket, the one family that passes fds (msg.cc).
bool IsUnixSocket(int fd);

}  // namespace sockfd
