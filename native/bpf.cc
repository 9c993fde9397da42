// Classic BPF socket filters: a program of struct sock_filter, checked here before the kernel
// sees it, attached with SO_ATTACH_FILTER or SO_ATTACH_REUSEPORT_CBPF. socket(7), filter.txt
// Linux only; elsewhere the call returns -ENOSYS after the same checks.
#ifdef __linux__
#include <linux/filter.h>
#endif
#include <sys/socket.h>

#include <cmath>
#include <string>
#include <vector>

#include "exports.h"
#include "syscall.h"

namespace sockfd {

#ifndef BPF_MAXINSNS
#define BPF_MAXINSNS 4096
#endif

// The kernel's struct sock_filter, spelled out so the checks compile everywhere.
struct Insn {
  uint16_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;
};

// Reads program[i][field] as an integer in [min, max]; the error names "program[i].field".
static bool ReadField(napi_env env, napi_value insn, uint32_t i, const char* field, double min,
                      double max, double* out) {
  napi_value v;
  if (napi_get_named_property(env, insn, field, &v) != napi_ok) return false;  // a getter threw
  const std::string name = "program[" + std::to_string(i) + "]." + field;
  if (napi_get_value_double(env, v, out) != napi_ok) {
    return ThrowArgType(env, name, "of type number");
  }
  if (!(*out >= min && *out <= max) || std::trunc(*out) != *out) {
    return ThrowArgRange(env, name, min, max);
  }
  return true;
}

// Reads and checks a whole program: an array of 1..BPF_MAXINSNS objects { code, jt, jf, k },
// code a u16, jt and jf u8, k a u32 given signed or not (SKF_AD_OFF + n is negative).
static bool ReadProgram(napi_env env, napi_value v, std::vector<Insn>* out) {
  uint32_t n;
  if (!IsArray(env, v, &n)) return ThrowArgType(env, "program", "an array of { code, jt, jf, k }");
  if (n < 1 || n > BPF_MAXINSNS) {
    const std::string msg =
        "The value of \"program.length\" is out of range. It must be >= 1 "
        "and <= " +
        std::to_string(BPF_MAXINSNS) + ". Received " + std::to_string(n);
    return ThrowRangeError(env, "ERR_OUT_OF_RANGE", msg.c_str());
  }
  out->resize(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value insn;
    napi_valuetype type;
    if (napi_get_element(env, v, i, &insn) != napi_ok) return false;
    if (napi_typeof(env, insn, &type) != napi_ok || type != napi_object) {
      return ThrowArgType(env, "program[" + std::to_string(i) + "]",
                          "an object { code, jt, jf, k }");
    }
    double code, jt, jf, k;
    if (!ReadField(env, insn, i, "code", 0, 0xffff, &code) ||
        !ReadField(env, insn, i, "jt", 0, 0xff, &jt) ||
        !ReadField(env, insn, i, "jf", 0, 0xff, &jf) ||
        !ReadField(env, insn, i, "k", -2147483648.0, 4294967295.0, &k)) {
      return false;
    }
    (*out)[i] = {static_cast<uint16_t>(code), static_cast<uint8_t>(jt), static_cast<uint8_t>(jf),
                 static_cast<uint32_t>(static_cast<int64_t>(k))};
  }
  return true;
}

// attachFilter(fd, optname, program) -> 0 or -errno: setsockopt(fd, SOL_SOCKET, optname,
// &sock_fprog). optname is SO_ATTACH_FILTER or SO_ATTACH_REUSEPORT_CBPF, nothing else: the
// struct holds a pointer, which only this call can make.
static napi_value AttachFilter(napi_env env, napi_callback_info cb) {
  Args<3> a(env, cb);
  int fd;
  int32_t optname;
  if (!a.ok || !ReadInt(env, a[0], "fd", 0, INT32_MAX, &fd) ||
      !ReadInt(env, a[1], "optname", INT32_MIN, INT32_MAX, &optname)) {
    return nullptr;
  }
#if defined(__linux__) && defined(SO_ATTACH_FILTER)
  bool known = optname == SO_ATTACH_FILTER;
#ifdef SO_ATTACH_REUSEPORT_CBPF
  known = known || optname == SO_ATTACH_REUSEPORT_CBPF;
#endif
#else
  bool known = false;
#endif
  if (!known) {
    ThrowRangeError(env, "ERR_INVALID_ARG_VALUE",
                    "The \"optname\" argument must be SO_ATTACH_FILTER or "
                    "SO_ATTACH_REUSEPORT_CBPF");
    return nullptr;
  }
  std::vector<Insn> program;
  if (!ReadProgram(env, a[2], &program)) return nullptr;
#ifdef __linux__
  static_assert(sizeof(Insn) == sizeof(sock_filter), "struct sock_filter layout");
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program.size());
  prog.filter = reinterpret_cast<sock_filter*>(program.data());
  return NumberValue(
      env, Retry([&] { return setsockopt(fd, SOL_SOCKET, optname, &prog, sizeof(prog)); }));
#else
  return NumberValue(env, -ENOSYS);
#endif
}

void InitBpf(Napi::Env env, Napi::Object exports) {
  ExportFunction(env, exports, "attachFilter", AttachFilter);
}

}  // namespace sockfd
