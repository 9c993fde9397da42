// The fd plumbing beside the socket calls: fcntl flags, poll, the ioctls that read a count or
// fill a known struct, interface names, dup, and pidfds for borrowing another process's fd.
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/if_tun.h>
#include <linux/sockios.h>
#endif

#include <vector>

#include "exports.h"
#include "syscall.h"

namespace sockfd {

// fcntl(fd, F_GETFL) / fcntl(fd, F_GETFD) -> flags or -errno. fcntl(2)
template <int Cmd>
static Napi::Value FcntlGet(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return Napi::Value();
  return Result(info.Env(), Retry([&] { return fcntl(fd, Cmd); }));
}

// fcntl(fd, F_SETFL, flags) / fcntl(fd, F_SETFD, flags) -> 0 or -errno. fcntl(2)
template <int Cmd>
static Napi::Value FcntlSet(const Napi::CallbackInfo& info) {
  int fd;
  int32_t flags;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 1, "flags", 0, INT32_MAX, &flags)) {
    return Napi::Value();
  }
  return Result(info.Env(), Retry([&] { return fcntl(fd, Cmd, flags); }));
}

// fcntl(fd, F_DUPFD_CLOEXEC, 0) -> new fd or -errno: dup(2) that keeps close-on-exec.
static Napi::Value Dup(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return Napi::Value();
  return Result(info.Env(), Retry([&] { return fcntl(fd, F_DUPFD_CLOEXEC, 0); }));
}

// poll(Int32Array [fd, events, revents, ...], timeoutMs) -> ready count or -errno; each
// revents slot is written in place. poll(2)
// After EINTR the wait resumes with the time that remains, not the whole timeout.
static Napi::Value Poll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t* a;
  size_t length;
  int32_t timeout;
  if (!ReadInt32Array(env, info[0], "fds", &a, &length) ||
      !ArgInt(info, 1, "timeout", -1, INT32_MAX, &timeout)) {
    return Napi::Value();
  }
  if (length % 3 != 0) {
    ThrowRangeError(env, "ERR_INVALID_ARG_VALUE",
                    "The \"fds\" array length must be a multiple of 3");
    return Napi::Value();
  }
  size_t n = length / 3;
  std::vector<pollfd> fds(n + 1);  // the last entry is PollForSignals
  for (size_t i = 0; i < n; i++) {
    // A negative fd is allowed: poll(2) ignores the entry, which is how C callers skip one.
    fds[i] = {a[3 * i], static_cast<short>(a[3 * i + 1]), 0};
  }
  const int64_t deadline = timeout < 0 ? -1 : MonotonicMs() + timeout;
  int r = PollForSignals(fds.data(), n, deadline);
  if (r < 0) return Result(env, r);
  for (size_t i = 0; i < n; i++) a[3 * i + 2] = fds[i].revents;
  return Result(env, r);
}

// ioctl(fd, request, &int) for the requests that write one int: FIONREAD (SIOCINQ), SIOCOUTQ,
// SIOCOUTQNSD, SIOCATMARK. -> the count (never negative: a byte count, or 0/1 for SIOCATMARK),
// or -errno. ioctl(2)
// Other requests are refused: the kernel decides how much an ioctl writes, so passing it an
// int for a request that writes a struct would overflow the stack.
static Napi::Value IoctlInt(const Napi::CallbackInfo& info) {
  int fd;
  int32_t req;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 1, "request", INT32_MIN, INT32_MAX, &req)) {
    return Napi::Value();
  }
  switch (static_cast<unsigned long>(static_cast<uint32_t>(req))) {
    case FIONREAD:
#ifdef SIOCOUTQ
    case SIOCOUTQ:
#endif
#ifdef SIOCOUTQNSD
    case SIOCOUTQNSD:
#endif
#ifdef SIOCATMARK
    case SIOCATMARK:
#endif
      break;
    default:
      ThrowRangeError(
          info.Env(), "ERR_INVALID_ARG_VALUE",
          "The \"request\" argument must be FIONREAD, SIOCINQ, SIOCOUTQ, SIOCOUTQNSD or "
          "SIOCATMARK");
      return Napi::Value();
  }
  int value = 0;
  int r = Retry(
      [&] { return ioctl(fd, static_cast<unsigned long>(static_cast<uint32_t>(req)), &value); });
  return Result(info.Env(), r < 0 ? r : value);
}

// The ioctls that read or write a buffer, each with the size of the struct the kernel reads or
// writes through the pointer. Only these are passed on: the kernel, not the caller, decides how
// much an ioctl writes, so an unknown request with a short buffer would corrupt memory.
struct IoctlArg {
  unsigned long request;
  size_t size;
};

static const IoctlArg kIoctlArgs[] = {
    {FIONREAD, sizeof(int)},
#ifdef SIOCOUTQ
    {SIOCOUTQ, sizeof(int)},
#endif
#ifdef SIOCOUTQNSD
    {SIOCOUTQNSD, sizeof(int)},
#endif
#ifdef SIOCATMARK
    {SIOCATMARK, sizeof(int)},
#endif
    // struct ifreq: the interface name, then one union member. netdevice(7)
    {SIOCGIFNAME, sizeof(ifreq)},
    {SIOCGIFINDEX, sizeof(ifreq)},
    {SIOCGIFFLAGS, sizeof(ifreq)},
    {SIOCSIFFLAGS, sizeof(ifreq)},
    {SIOCGIFADDR, sizeof(ifreq)},
    {SIOCSIFADDR, sizeof(ifreq)},
    {SIOCGIFNETMASK, sizeof(ifreq)},
    {SIOCSIFNETMASK, sizeof(ifreq)},
    {SIOCGIFDSTADDR, sizeof(ifreq)},
    {SIOCSIFDSTADDR, sizeof(ifreq)},
    {SIOCGIFBRDADDR, sizeof(ifreq)},
    {SIOCSIFBRDADDR, sizeof(ifreq)},
    {SIOCGIFMTU, sizeof(ifreq)},
    {SIOCSIFMTU, sizeof(ifreq)},
    {SIOCGIFHWADDR, sizeof(ifreq)},
    {SIOCGIFTXQLEN, sizeof(ifreq)},
    {SIOCSIFTXQLEN, sizeof(ifreq)},
#ifdef TUNSETIFF
    // A TUN/TAP device's fd: TUNSETIFF and TUNGETIFF take a struct ifreq too.
    {TUNSETIFF, sizeof(ifreq)},
    {TUNGETIFF, sizeof(ifreq)},
    {TUNGETFEATURES, sizeof(unsigned int)},
    {TUNGETSNDBUF, sizeof(int)},
    {TUNSETSNDBUF, sizeof(int)},
    {TUNGETVNETHDRSZ, sizeof(int)},
    {TUNSETVNETHDRSZ, sizeof(int)},
#endif
};

static const IoctlArg* FindIoctl(unsigned long request) {
  for (const IoctlArg& a : kIoctlArgs) {
    if (a.request == request) return &a;
  }
  return nullptr;
}

// ioctlArgSize(request) -> the bytes the kernel reads or writes for `request`, or -ENOTTY (as
// ioctl(2) answers an unknown request) when the request is not in the table above.
static Napi::Value IoctlArgSize(const Napi::CallbackInfo& info) {
  int32_t req;
  if (!ArgInt(info, 0, "request", INT32_MIN, INT32_MAX, &req)) return Napi::Value();
  const IoctlArg* a = FindIoctl(static_cast<uint32_t>(req));
  return Result(info.Env(), a == nullptr ? -ENOTTY : static_cast<long>(a->size));
}

// ioctl(fd, request, buffer) -> the ioctl's result (>= 0) or -errno. The buffer is passed in
// place as the argument pointer. ioctl(2)
// Refuses a request not in kIoctlArgs, and a buffer shorter than the request's struct.
static Napi::Value IoctlBuffer(const Napi::CallbackInfo& info) {
  int fd;
  int32_t req;
  Bytes b;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 1, "request", INT32_MIN, INT32_MAX, &req) ||
      !ArgBytes(info, 2, "buffer", &b)) {
    return Napi::Value();
  }
  const unsigned long request = static_cast<uint32_t>(req);
  const IoctlArg* a = FindIoctl(request);
  if (a == nullptr) {
    ThrowRangeError(info.Env(), "ERR_INVALID_ARG_VALUE",
                    "The \"request\" argument is not an ioctl whose argument size is known");
    return Napi::Value();
  }
  if (b.len < a->size || b.data == nullptr) {
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE",
                    "The \"buffer\" argument is shorter than the struct this ioctl uses");
    return Napi::Value();
  }
  return Result(info.Env(), Retry([&] { return ioctl(fd, request, b.data); }));
}

// pidfd_open(pid) -> a pidfd (close-on-exec) or -errno. pidfd_open(2)
// Through syscall(2): glibc before 2.36 has no wrapper.
static Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  int32_t pid;
  if (!ArgInt(info, 0, "pid", 1, INT32_MAX, &pid)) return Napi::Value();
#ifdef SYS_pidfd_open
  long r = syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0u);
  return Result(info.Env(), r == -1 ? -errno : r);
#else
  return Result(info.Env(), -ENOSYS);
#endif
}

// pidfd_getfd(pidfd, targetfd) -> a duplicate, in this process, of another process's fd; it
// is close-on-exec. -errno on failure (EPERM without ptrace access). pidfd_getfd(2)
static Napi::Value PidfdGetfd(const Napi::CallbackInfo& info) {
  int pidfd, target;
  if (!ArgFd(info, 0, &pidfd) || !ArgFd(info, 1, &target)) return Napi::Value();
#ifdef SYS_pidfd_getfd
  long r = syscall(SYS_pidfd_getfd, pidfd, target, 0u);
  return Result(info.Env(), r == -1 ? -errno : r);
#else
  return Result(info.Env(), -ENOSYS);
#endif
}

// if_nametoindex(name) -> index or -errno. if_nametoindex(3)
static Napi::Value NameToIndex(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) {
    ThrowArgType(info.Env(), "name", "of type string");
    return Napi::Value();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name.size() >= IF_NAMESIZE || name.find('\0') != std::string::npos) {
    return Result(info.Env(), -ENODEV);
  }
  unsigned idx = if_nametoindex(name.c_str());
  return Result(info.Env(), idx == 0 ? -errno : static_cast<long>(idx));
}

// if_indextoname(index) -> name or -errno. if_indextoname(3)
static Napi::Value IndexToName(const Napi::CallbackInfo& info) {
  int32_t idx;
  if (!ArgInt(info, 0, "index", 0, INT32_MAX, &idx)) return Napi::Value();
  char name[IF_NAMESIZE + 1] = {0};
  if (if_indextoname(static_cast<unsigned>(idx), name) == nullptr)
    return Result(info.Env(), -errno);
  return Napi::String::New(info.Env(), name);
}

void InitFd(Napi::Env env, Napi::Object exports) {
  exports.Set("fcntlGetfl", Napi::Function::New(env, FcntlGet<F_GETFL>, "fcntlGetfl"));
  exports.Set("fcntlSetfl", Napi::Function::New(env, FcntlSet<F_SETFL>, "fcntlSetfl"));
  exports.Set("fcntlGetfd", Napi::Function::New(env, FcntlGet<F_GETFD>, "fcntlGetfd"));
  exports.Set("fcntlSetfd", Napi::Function::New(env, FcntlSet<F_SETFD>, "fcntlSetfd"));
  exports.Set("dup", Napi::Function::New(env, Dup, "dup"));
  exports.Set("poll", Napi::Function::New(env, Poll, "poll"));
  exports.Set("ioctlInt", Napi::Function::New(env, IoctlInt, "ioctlInt"));
  exports.Set("ioctlBuffer", Napi::Function::New(env, IoctlBuffer, "ioctlBuffer"));
  exports.Set("ioctlArgSize", Napi::Function::New(env, IoctlArgSize, "ioctlArgSize"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdGetfd", Napi::Function::New(env, PidfdGetfd, "pidfdGetfd"));
  exports.Set("ifNameToIndex", Napi::Function::New(env, NameToIndex, "ifNameToIndex"));
  exports.Set("ifIndexToName", Napi::Function::New(env, IndexToName, "ifIndexToName"));
}

}  // namespace sockfd
