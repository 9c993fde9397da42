// Calls that move a file's bytes to a socket inside the kernel.
#ifdef __linux__
#include <sys/sendfile.h>
#endif

#include <cmath>

#include "exports.h"
#include "syscall.h"

namespace sockfd {

// The largest offset a JavaScript number holds exactly: 2^53 - 1.
constexpr double kMaxSafeOffset = 9007199254740991.0;

// sendfile(outFd, inFd, offset, count) -> bytes or -errno. An offset of -1 reads from inFd's
// file position and advances it; any other offset reads from there and leaves the position
// alone (the caller adds the bytes sent to it). sendfile(2)
static napi_value SendFile(napi_env env, napi_callback_info cb) {
  Args<4> a(env, cb);
  int out_fd, in_fd;
  int32_t count;
  double offset;
  if (!a.ok || !ReadInt(env, a[0], "outFd", 0, INT32_MAX, &out_fd) ||
      !ReadInt(env, a[1], "inFd", 0, INT32_MAX, &in_fd)) {
    return nullptr;
  }
  if (napi_get_value_double(env, a[2], &offset) != napi_ok || offset < -1 ||
      offset > kMaxSafeOffset || std::trunc(offset) != offset) {
    ThrowIntArg(env, a[2], "offset", -1, kMaxSafeOffset);
    return nullptr;
  }
  if (!ReadInt(env, a[3], "count", 0, INT32_MAX, &count)) return nullptr;
#ifdef __linux__
  off_t off = static_cast<off_t>(offset);
  off_t* at = offset < 0 ? nullptr : &off;
  return NumberValue(env, Retry([&] { return sendfile(out_fd, in_fd, at, count); }));
#else
  return NumberValue(env, -ENOSYS);
#endif
}

void InitFile(Napi::Env env, Napi::Object exports) {
  ExportFunction(env, exports, "sendfile", SendFile);
}

}  // namespace sockfd
