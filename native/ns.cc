// Namespaces: leaving the calling thread's namespaces for new ones, and entering others by fd.
// Both act on the calling thread only, which is what lets a threaded process such as Node move
// one thread between network namespaces. A new *user* namespace is the exception: the kernel
// refuses it (EINVAL) to any process with more than one thread. unshare(2), setns(2)
#ifdef __linux__
#include <fcntl.h>
#include <sched.h>
#endif

#include "env.h"
#include "exports.h"
#include "syscall.h"

namespace sockfd {

// unshare(flags) -> 0 or -errno. unshare(2)
static napi_value Unshare(napi_env env, napi_callback_info cb) {
  Args<1> a(env, cb);
  int flags;
  if (!a.ok || !ReadInt(env, a[0], "flags", 0, INT32_MAX, &flags)) return nullptr;
#ifdef __linux__
  return NumberValue(env, Retry([&] { return unshare(flags); }));
#else
  return NumberValue(env, -ENOSYS);
#endif
}

// setns(fd, nstype) -> 0 or -errno. nstype 0 takes any kind of namespace fd. setns(2)
static napi_value Setns(napi_env env, napi_callback_info cb) {
  Args<2> a(env, cb);
  int fd, nstype;
  if (!a.ok || !ReadFd(env, a[0], &fd) || !ReadInt(env, a[1], "nstype", 0, INT32_MAX, &nstype)) {
    return nullptr;
  }
#ifdef __linux__
  return NumberValue(env, Retry([&] { return setns(fd, nstype); }));
#else
  return NumberValue(env, -ENOSYS);
#endif
}

// openThreadNetns() -> an fd of the calling thread's network namespace, or -errno. The fd is
// owned by this environment from the moment it exists (owners.cc): a worker that ends or is
// terminated before closing it closes it at teardown, so a namespace it holds does not outlive
// the worker. Opened here rather than with fs.openSync, whose fds a worker's Node tracks and
// closes itself (trackUnmanagedFds): that number, once closed through close(), would be closed
// a second time. proc(5) /proc/thread-self/ns/net, open(2)
static napi_value OpenThreadNetns(napi_env env, napi_callback_info cb) {
#ifdef __linux__
  int fd = Retry([] { return open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC); });
  if (fd >= 0) OwnFd(env, fd);
  return NumberValue(env, fd);
#else
  return NumberValue(env, -ENOSYS);
#endif
}

void InitNs(Napi::Env env, Napi::Object exports) {
  ExportFunction(env, exports, "unshare", Unshare);
  ExportFunction(env, exports, "setns", Setns);
  ExportFunction(env, exports, "openThreadNetns", OpenThreadNetns);
}

}  // namespace sockfd
