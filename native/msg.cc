// sendmsg, recvmsg, sendmmsg, recvmmsg: scatter/gather straight from and into caller-owned
// views, control messages through cmsg.cc, and the batch calls on reusable typed arrays.
//
// The TypeScript layer hands these calls fresh plain arrays and objects it built itself, so no
// user getter can run (and detach a buffer) between reading a view's pointer and the syscall.
#include <arpa/inet.h>
#include <limits.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cmsg.h"
#include "constants.h"
#include "exports.h"
#include "sockaddr_napi.h"
#include "syscall.h"

namespace sockfd {
namespace {

// The most bytes of control data one call reads or writes; the TypeScript layer checks the same.
constexpr int32_t kMaxControl = 64 * 1024;
// Control buffers up to this size, and this many iovecs, live on the stack.
constexpr size_t kInlineControl = 2048;
constexpr size_t kInlineIov = 8;
// sendmmsg/recvmmsg: the kernel handles at most UIO_MAXIOV (IOV_MAX) messages per call.
constexpr size_t kMaxBatch = IOV_MAX;
// Each message's slot in a batch's address buffer.
constexpr size_t kNameSlot = sizeof(sockaddr_storage);

// T[n] on the stack when n <= N, on the heap otherwise.
template <typename T, size_t N>
class Scratch {
 public:
  T* Get(size_t n) {
    if (n <= N) return inline_;
    heap_.reset(new T[n]);
    return heap_.get();
  }

 private:
  alignas(cmsghdr) T inline_[N];
  std::unique_ptr<T[]> heap_;
};

// A control message's field as the TypeScript caller wrote it, for argument errors:
// "control[2].value".
std::string Item(size_t i, const char* field) {
  return "control[" + std::to_string(i) + "]." + field;
}

bool ValueInt(napi_env env, napi_value v, const std::string& name, double min, double max,
              double* out) {
  double d;
  if (napi_get_value_double(env, v, &d) == napi_ok && d >= min && d <= max && std::trunc(d) == d) {
    *out = d;
    return true;
  }
  *out = 0;  // never read by callers, but defined
  return ThrowIntArg(env, v, name, min, max);
}

bool Prop(napi_env env, napi_value obj, const char* field, napi_value* out) {
  return napi_get_named_property(env, obj, field, out) == napi_ok;
}

bool PropInt(napi_env env, napi_value obj, size_t i, const char* field, double min, double max,
             double* out) {
  napi_value v;
  return Prop(env, obj, field, &v) && ValueInt(env, v, Item(i, field), min, max, out);
}

// An IP address property as text; undefined leaves `out` (the any address) as it is.
bool PropIp(napi_env env, napi_value obj, size_t i, const char* field, int family, void* out) {
  napi_value v;
  if (!Prop(env, obj, field, &v)) return false;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return true;
  char text[INET6_ADDRSTRLEN + 1];
  size_t n = 0;
  if (t != napi_string) return ThrowArgType(env, Item(i, field), "of type string");
  napi_get_value_string_utf8(env, v, nullptr, 0, &n);
  if (n < sizeof(text)) napi_get_value_string_utf8(env, v, text, sizeof(text), &n);
  if (n >= sizeof(text) || inet_pton(family, text, out) != 1) {
    return ThrowArgValue(env, Item(i, field),
                         family == AF_INET ? "is not an IPv4 address" : "is not an IPv6 address");
  }
  return true;
}

struct Kind {
  const char* name;
  CmsgKind kind;
  bool sendable;
};

constexpr Kind kKinds[] = {
    {"rights", CmsgKind::kRights, true},
    {"credentials", CmsgKind::kCredentials, true},
    {"pktinfo", CmsgKind::kPktinfo, true},
    {"pktinfo6", CmsgKind::kPktinfo6, true},
    {"ttl", CmsgKind::kTtl, true},
    {"hoplimit", CmsgKind::kHoplimit, true},
    {"tos", CmsgKind::kTos, true},
    {"tclass", CmsgKind::kTclass, true},
    {"timestamp", CmsgKind::kTimestamp, false},
    {"timestampns", CmsgKind::kTimestampNs, false},
    {"rxqOverflow", CmsgKind::kRxqOverflow, false},
    {"recverr", CmsgKind::kRecvErr, false},
    {"pidfd", CmsgKind::kPidfd, false},
};

const char* KindName(CmsgKind k) {
  for (const Kind& e : kKinds) {
    if (e.kind == k) return e.name;
  }
  return nullptr;
}

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

bool ReadCmsg(napi_env env, napi_value obj, size_t i, Cmsg* c, std::vector<int>* fds,
              size_t* fd_start, napi_value* raw) {
  memset(c, 0, sizeof(*c));
  napi_valuetype t;
  napi_typeof(env, obj, &t);
  if (t != napi_object) return ThrowArgType(env, "control[" + std::to_string(i) + "]", "an object");
  napi_value type;
  if (!Prop(env, obj, "type", &type)) return false;
  napi_typeof(env, type, &t);
  double d;
  if (t == napi_number) {
    // The escape hatch: { level, type, data } with the payload laid out by the caller.
    c->kind = CmsgKind::kRaw;
    if (!ValueInt(env, type, Item(i, "type"), INT32_MIN, INT32_MAX, &d)) return false;
    c->type = static_cast<int>(d);
    if (!PropInt(env, obj, i, "level", INT32_MIN, INT32_MAX, &d)) return false;
    c->level = static_cast<int>(d);
    napi_value data;
    Bytes b;
    if (!Prop(env, obj, "data", &data) || !ValueBytes(env, data, Item(i, "data").c_str(), &b)) {
      return false;
    }
    *raw = data;  // its bytes are read again in ResolveControl
    return true;
  }
  if (t != napi_string) return ThrowArgType(env, Item(i, "type"), "a string or a number");
  char name[16];
  size_t n = 0;
  napi_get_value_string_utf8(env, type, name, sizeof(name), &n);
  const Kind* kind = nullptr;
  for (const Kind& e : kKinds) {
    if (strcmp(e.name, name) == 0) kind = &e;
  }
  if (kind == nullptr || !kind->sendable) {
    return ThrowArgValue(env, Item(i, "type"),
                         kind ? "names a control message that is only received"
                              : "is not a known control message type");
  }
  c->kind = kind->kind;
  switch (c->kind) {
    case CmsgKind::kRights: {
      napi_value list;
      uint32_t count;
      if (!Prop(env, obj, "fds", &list)) return false;
      if (!IsArray(env, list, &count)) return ThrowArgType(env, Item(i, "fds"), "an array of fds");
      *fd_start = fds->size();
      for (uint32_t k = 0; k < count; k++) {
        napi_value v;
        if (napi_get_element(env, list, k, &v) != napi_ok) return false;
        std::string field = Item(i, "fds") + "[" + std::to_string(k) + "]";
        if (!ValueInt(env, v, field, 0, INT32_MAX, &d)) return false;
        fds->push_back(static_cast<int>(d));
      }
      c->data_len = count * sizeof(int);  // `data` is set once `fds` stops growing.
      return true;
    }
#ifdef SCM_CREDENTIALS
    case CmsgKind::kCredentials:
      if (!PropInt(env, obj, i, "pid", INT32_MIN, INT32_MAX, &d)) return false;
      c->cred.pid = static_cast<pid_t>(d);
      if (!PropInt(env, obj, i, "uid", 0, UINT32_MAX, &d)) return false;
      c->cred.uid = static_cast<uid_t>(d);
      if (!PropInt(env, obj, i, "gid", 0, UINT32_MAX, &d)) return false;
      c->cred.gid = static_cast<gid_t>(d);
      return true;
#endif
    case CmsgKind::kPktinfo:
      if (!PropInt(env, obj, i, "ifindex", 0, INT32_MAX, &d)) return false;
      c->pktinfo.ipi_ifindex = static_cast<int>(d);
      return PropIp(env, obj, i, "specDst", AF_INET, &c->pktinfo.ipi_spec_dst) &&
             PropIp(env, obj, i, "addr", AF_INET, &c->pktinfo.ipi_addr);
    case CmsgKind::kPktinfo6:
      if (!PropInt(env, obj, i, "ifindex", 0, UINT32_MAX, &d)) return false;
      c->pktinfo6.ipi6_ifindex = static_cast<unsigned>(d);
      return PropIp(env, obj, i, "addr", AF_INET6, &c->pktinfo6.ipi6_addr);
    default:  // kTtl, kHoplimit, kTos, kTclass: the kernel checks each one's range.
      if (!PropInt(env, obj, i, "value", INT32_MIN, INT32_MAX, &d)) return false;
      c->value = static_cast<int>(d);
      return true;
  }
}

bool ReadControl(napi_env env, napi_value v, ControlList* out) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) return true;
  uint32_t count;
  if (!IsArray(env, v, &count)) return ThrowArgType(env, "control", "an array of control messages");
  out->items.resize(count);
  out->raw.assign(count, nullptr);
  std::vector<size_t> starts(count, SIZE_MAX);
  for (uint32_t i = 0; i < count; i++) {
    napi_value obj;
    if (napi_get_element(env, v, i, &obj) != napi_ok ||
        !ReadCmsg(env, obj, i, &out->items[i], &out->fds, &starts[i], &out->raw[i])) {
      return false;
    }
  }
  for (uint32_t i = 0; i < count; i++) {
    if (starts[i] == SIZE_MAX) continue;
    out->items[i].data = reinterpret_cast<const unsigned char*>(out->fds.data() + starts[i]);
  }
  return true;
}

// Points each raw control message at its payload as it is now. Runs no JavaScript.
bool ResolveControl(napi_env env, ControlList* list) {
  for (size_t i = 0; i < list->items.size(); i++) {
    if (list->raw[i] == nullptr) continue;
    Bytes b;
    if (!ValueBytes(env, list->raw[i], Item(i, "data").c_str(), &b)) return false;
    list->items[i].data = static_cast<const unsigned char*>(b.data);
    list->items[i].data_len = b.len;
  }
  return true;
}

// The elements of a JS array of views, as handles (reading them can run JavaScript).
bool ReadViews(napi_env env, napi_value arr, const char* name, std::vector<napi_value>* views) {
  uint32_t count;
  if (!IsArray(env, arr, &count)) {
    return ThrowArgType(env, name, "an array of Buffer, TypedArray, or DataView");
  }
  if (count > IOV_MAX) return ThrowArgRange(env, std::string(name) + ".length", 0, IOV_MAX);
  views->resize(count);
  for (uint32_t k = 0; k < count; k++) {
    if (napi_get_element(env, arr, k, &(*views)[k]) != napi_ok) return false;
  }
  return true;
}

// The views as iovecs pointing into them as they are now. Runs no JavaScript.
bool ViewsToIov(napi_env env, const std::vector<napi_value>& views, const char* name,
                Scratch<iovec, kInlineIov>* scratch, iovec** iov, size_t* n) {
  *iov = scratch->Get(views.size());
  *n = views.size();
  for (size_t k = 0; k < views.size(); k++) {
    Bytes b;
    std::string field = std::string(name) + "[" + std::to_string(k) + "]";
    if (!ValueBytes(env, views[k], field.c_str(), &b)) return false;
    (*iov)[k] = {b.data, b.len};
  }
  return true;
}

Napi::Value IpText(Napi::Env env, int family, const void* addr) {
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(family, addr, text, sizeof(text)) == nullptr) text[0] = '\0';
  return Napi::String::New(env, text);
}

// One decoded control message as the JS object lib/msg.ts documents.
Napi::Value CmsgToJs(Napi::Env env, const Cmsg& c) {
  Napi::Object o = Napi::Object::New(env);
  const char* name = KindName(c.kind);
  if (name != nullptr) o.Set("type", name);
  switch (c.kind) {
    case CmsgKind::kRaw:
      o.Set("level", Napi::Number::New(env, c.level));
      o.Set("type", Napi::Number::New(env, c.type));
      o.Set("data", Napi::Buffer<unsigned char>::Copy(env, c.data, c.data_len));
      break;
    case CmsgKind::kRights: {
      size_t count = c.data_len / sizeof(int);
      Napi::Array fds = Napi::Array::New(env, count);
      for (size_t k = 0; k < count; k++) {
        int fd;
        memcpy(&fd, c.data + k * sizeof(int), sizeof(int));
        fds.Set(static_cast<uint32_t>(k), Napi::Number::New(env, fd));
      }
      o.Set("fds", fds);
      break;
    }
#ifdef SCM_CREDENTIALS
    case CmsgKind::kCredentials:
      o.Set("pid", Napi::Number::New(env, c.cred.pid));
      o.Set("uid", Napi::Number::New(env, c.cred.uid));
      o.Set("gid", Napi::Number::New(env, c.cred.gid));
      break;
#endif
    case CmsgKind::kPktinfo:
      o.Set("ifindex", Napi::Number::New(env, c.pktinfo.ipi_ifindex));
      o.Set("specDst", IpText(env, AF_INET, &c.pktinfo.ipi_spec_dst));
      o.Set("addr", IpText(env, AF_INET, &c.pktinfo.ipi_addr));
      break;
    case CmsgKind::kPktinfo6:
      o.Set("ifindex", Napi::Number::New(env, c.pktinfo6.ipi6_ifindex));
      o.Set("addr", IpText(env, AF_INET6, &c.pktinfo6.ipi6_addr));
      break;
    case CmsgKind::kTtl:
    case CmsgKind::kHoplimit:
    case CmsgKind::kTos:
    case CmsgKind::kTclass:
      o.Set("value", Napi::Number::New(env, c.value));
      break;
    case CmsgKind::kTimestamp:
    case CmsgKind::kTimestampNs:
      o.Set("sec", Napi::Number::New(env, static_cast<double>(c.sec)));
      o.Set(c.kind == CmsgKind::kTimestamp ? "usec" : "nsec",
            Napi::Number::New(env, static_cast<double>(c.frac)));
      break;
    case CmsgKind::kRxqOverflow:
      o.Set("dropped", Napi::Number::New(env, c.dropped));
      break;
    case CmsgKind::kPidfd:
      o.Set("fd", Napi::Number::New(env, c.value));
      break;
#ifdef __linux__
    case CmsgKind::kRecvErr: {
      const char* code = ErrnoName(static_cast<int>(c.ee.ee_errno));
      o.Set("errno", Napi::Number::New(env, c.ee.ee_errno));
      o.Set("code",
            code ? std::string(code) : "Unknown system error " + std::to_string(c.ee.ee_errno));
      o.Set("origin", Napi::Number::New(env, c.ee.ee_origin));
      o.Set("icmpType", Napi::Number::New(env, c.ee.ee_type));
      o.Set("icmpCode", Napi::Number::New(env, c.ee.ee_code));
      o.Set("info", Napi::Number::New(env, c.ee.ee_info));
      o.Set("data", Napi::Number::New(env, c.ee.ee_data));
      o.Set("offender",
            c.offender_len ? MakeAddress(env, &c.offender, c.offender_len) : env.Null());
      break;
    }
#endif
    default:
      break;
  }
  return o;
}

// The control messages of `m` as a JS array. When building it fails (a pending exception), the
// fds that arrived (rights and pidfd) are closed when `own_fds`, so a failed call leaks none.
Napi::Value ControlToJs(Napi::Env env, const msghdr* m, bool own_fds) {
  Napi::Array list = Napi::Array::New(env);
  CmsgReader reader(m);
  Cmsg c;
  uint32_t k = 0;
  while (reader.Next(&c) && !env.IsExceptionPending()) list.Set(k++, CmsgToJs(env, c));
  if (!env.IsExceptionPending()) return list;
  if (own_fds) {
    CmsgReader again(m);
    while (again.Next(&c)) {
      // Not retried after EINTR: see Retry() in syscall.h.
      if (c.kind == CmsgKind::kPidfd) close(c.value);
      if (c.kind != CmsgKind::kRights) continue;
      for (size_t off = 0; off + sizeof(int) <= c.data_len; off += sizeof(int)) {
        int fd;
        memcpy(&fd, c.data + off, sizeof(int));
        close(fd);
      }
    }
  }
  return Napi::Value();
}

// The kernel copies MSG_CMSG_CLOEXEC, which this library adds, into msg_flags; report
// only what the kernel says about the message (MSG_TRUNC, MSG_CTRUNC, MSG_EOR, ...).
int ReportedFlags(int msg_flags) {
#ifdef MSG_CMSG_CLOEXEC
  msg_flags &= ~MSG_CMSG_CLOEXEC;
#endif
  return msg_flags;
}

// sendmsg(fd, buffers[], flags, control[] | null, ...address | null) -> bytes or -errno.
// sendmsg(2), cmsg(3)
Napi::Value SendMsg(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  int fd;
  int32_t flags;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 2, "flags", INT32_MIN, INT32_MAX, &flags)) {
    return Napi::Value();
  }
  ControlList control;
  std::vector<napi_value> views;
  if (!ReadControl(env, info[3], &control) || !ReadViews(env, info[1], "buffers", &views)) {
    return Napi::Value();
  }
  sockaddr_storage ss;
  socklen_t namelen = 0;
  if (!info[4].IsNull() && !info[4].IsUndefined() && !ArgSockaddr(info, 4, &ss, &namelen)) {
    return Napi::Value();
  }
  // No JavaScript runs from here on: the pointers taken now stay good through the syscall.
  Scratch<iovec, kInlineIov> iov_scratch;
  iovec* iov;
  size_t iovlen;
  if (!ViewsToIov(env, views, "buffers", &iov_scratch, &iov, &iovlen) ||
      !ResolveControl(env, &control)) {
    return Napi::Value();
  }
  Scratch<unsigned char, kInlineControl> cbuf;
  size_t need = CmsgEncodedLength(control.items.data(), control.items.size());
  if (need > static_cast<size_t>(kMaxControl)) {
    ThrowRangeError(env, "ERR_OUT_OF_RANGE", "The \"control\" messages exceed 65536 bytes");
    return Napi::Value();
  }
  unsigned char* cdata = cbuf.Get(need);
  size_t clen = 0;
  EncodeCmsgs(control.items.data(), control.items.size(), cdata, need, &clen);
  msghdr m{};
  m.msg_name = namelen ? &ss : nullptr;
  m.msg_namelen = namelen;
  m.msg_iov = iov;
  m.msg_iovlen = iovlen;
  m.msg_control = clen ? cdata : nullptr;
  m.msg_controllen = clen;
  return Result(env, Retry([&] { return sendmsg(fd, &m, flags | MSG_NOSIGNAL); }));
}

// Whether fd is an AF_UNIX socket, the one family that passes fds.
bool IsUnixSocket(int fd) {
#ifdef SO_DOMAIN
  int domain = 0;
  socklen_t len = sizeof(domain);
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_UNIX;
#else
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  return getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && ss.ss_family == AF_UNIX;
#endif
}

// recvmsg(fd, buffers[], controlLength, flags) -> { bytes, address, control, flags } or -errno.
// recvmsg(2)
//
// MSG_CMSG_CLOEXEC whenever a control buffer is offered (without one no fd can arrive): every
// fd this library hands out is close-on-exec. A few families refuse the flag with EINVAL
// (AF_PACKET, CAN's J1939 and ISO-TP); none of them passes fds, so after EINVAL on a socket that
// is not AF_UNIX the call is made again without it, before anything was dequeued.
Napi::Value RecvMsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int32_t clen, flags;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 2, "controlLength", 0, kMaxControl, &clen) ||
      !ArgInt(info, 3, "flags", INT32_MIN, INT32_MAX, &flags)) {
    return Napi::Value();
  }
  Scratch<iovec, kInlineIov> iov_scratch;
  iovec* iov;
  size_t iovlen;
  std::vector<napi_value> views;
  if (!ReadViews(env, info[1], "buffers", &views) ||
      !ViewsToIov(env, views, "buffers", &iov_scratch, &iov, &iovlen)) {
    return Napi::Value();
  }
  Scratch<unsigned char, kInlineControl> cbuf;
  unsigned char* cdata = cbuf.Get(static_cast<size_t>(clen));
  sockaddr_storage ss;
  msghdr m{};
  int cloexec = 0;
#ifdef MSG_CMSG_CLOEXEC
  if (clen > 0) cloexec = MSG_CMSG_CLOEXEC;
#endif
  auto call = [&](int f) {
    return Retry([&] {
      // The kernel rewrites the lengths; set them again for each try.
      m = msghdr{};
      m.msg_name = &ss;
      m.msg_namelen = sizeof(ss);
      m.msg_iov = iov;
      m.msg_iovlen = iovlen;
      m.msg_control = clen ? cdata : nullptr;
      m.msg_controllen = static_cast<size_t>(clen);
      return recvmsg(fd, &m, f);
    });
  };
  ssize_t r = call(flags | cloexec);
  if (r == -EINVAL && cloexec && !IsUnixSocket(fd)) r = call(flags);
  if (r < 0) return Result(env, r);
  // What the kernel wrote never exceeds what was offered; trust no more than that.
  if (m.msg_controllen > static_cast<size_t>(clen)) m.msg_controllen = static_cast<size_t>(clen);
  Napi::Value control = ControlToJs(env, &m, true);
  if (control.IsEmpty()) return Napi::Value();
  Napi::Object o = Napi::Object::New(env);
  o.Set("bytes", Napi::Number::New(env, static_cast<double>(r)));
  o.Set("address", MakeAddress(env, &ss, m.msg_namelen));
  o.Set("control", control);
  o.Set("flags", Napi::Number::New(env, ReportedFlags(m.msg_flags)));
  return o;
}

// What sendmmsg and recvmmsg share: a flat array of views, an Int32Array with each message's
// view count, an address buffer of kNameSlot bytes per message (or null), and an Int32Array
// of [bytes, flags, address length] per message that carries results out (and, for sendmmsg,
// each destination's length in).
// The views come either as a JS array (read element by element at each call) or, for a batch
// whose views all lie in one ArrayBuffer, as that buffer (the slab) with a Float64Array of
// [byteOffset, byteLength] per view: two Node-API calls per batch instead of two per view.
struct Batch {
  int fd;
  int32_t flags;
  napi_value views;
  const int32_t* counts;
  size_t n;
  unsigned char* names;
  int32_t* state;
  const double* layout = nullptr;  // null: `views` is the array
  unsigned char* slab = nullptr;   // null when detached (slab_len 0)
  size_t slab_len = 0;
};

// Reads (fd, views, iovCounts, names, state, flags), or with `slab` true
// (fd, slab, layout, iovCounts, names, state, flags): see Batch.
bool ArgBatch(const Napi::CallbackInfo& info, Batch* b, bool slab = false) {
  napi_env env = info.Env();
  const size_t at = slab ? 3 : 2;  // where iovCounts is
  int32_t* counts;
  size_t n, slen;
  if (!ArgFd(info, 0, &b->fd) || !ReadInt32Array(env, info[at], "iovCounts", &counts, &n) ||
      !ReadInt32Array(env, info[at + 2], "state", &b->state, &slen) ||
      !ArgInt(info, at + 3, "flags", INT32_MIN, INT32_MAX, &b->flags)) {
    return false;
  }
  b->counts = counts;
  b->n = n;
  if (slen < 3 * n) return ThrowArgType(env, "state", "an Int32Array of 3 entries per message");
  b->names = nullptr;
  if (!info[at + 1].IsNull()) {
    Bytes names;
    if (!ArgBytes(info, at + 1, "names", &names)) return false;
    if (names.len < n * kNameSlot) {
      return ThrowArgType(env, "names", "a buffer of sizeofSockaddrStorage bytes per message");
    }
    b->names = static_cast<unsigned char*>(names.data);
  }
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    if (counts[i] < 0 || counts[i] > IOV_MAX) return ThrowArgRange(env, "iovCounts[i]", 0, IOV_MAX);
    total += static_cast<size_t>(counts[i]);
  }
  if (slab) {
    bool is = false;
    void* data = nullptr;
    napi_is_arraybuffer(env, info[1], &is);
    if (!is || napi_get_arraybuffer_info(env, info[1], &data, &b->slab_len) != napi_ok) {
      return ThrowArgType(env, "slab", "an ArrayBuffer");
    }
    // A detached slab has no memory at all: every view reads as empty (FillBatch).
    b->slab = static_cast<unsigned char*>(data);
    if (data == nullptr) b->slab_len = 0;
    napi_typedarray_type type;
    size_t len = 0;
    void* p = nullptr;
    is = false;
    if (napi_is_typedarray(env, info[2], &is) != napi_ok || !is ||
        napi_get_typedarray_info(env, info[2], &type, &len, &p, nullptr, nullptr) != napi_ok ||
        type != napi_float64_array || len != 2 * total) {
      return ThrowArgType(env, "layout", "a Float64Array of 2 entries per view");
    }
    b->layout = static_cast<const double*>(p);
    return true;
  }
  uint32_t nviews;
  if (!IsArray(env, info[1], &nviews)) return ThrowArgType(env, "views", "an array of views");
  b->views = info[1];
  if (total != nviews) return ThrowArgType(env, "views", "as long as the sum of iovCounts");
  return true;
}

// Reused mmsghdr and iovec arrays, so the batch calls allocate nothing once they have grown to
// the largest batch. One per thread (workers each load the addon); `busy` sends a reentrant
// call (a getter run while reading views) to arrays of its own.
struct MmsgScratch {
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iovs;
  std::vector<napi_value> views;  // handles, valid for the call that read them
  bool busy = false;
};
thread_local MmsgScratch tls_scratch;

class ScratchLease {
 public:
  ScratchLease() : s_(tls_scratch.busy ? &own_ : &tls_scratch) { s_->busy = true; }
  ~ScratchLease() { s_->busy = false; }
  MmsgScratch* operator->() { return s_; }

 private:
  MmsgScratch own_;
  MmsgScratch* s_;
};

// Fills the first `vlen` mmsghdrs of `s` from `b`. `recv` offers every name slot in full;
// sendmmsg passes each message's destination length from state[3i + 2] (0: none).
// Reading an array of views can run JavaScript (see ControlList) that changes iovCounts or
// detaches the typed arrays, so the iovec layout is fixed from iovCounts first, the views are
// turned into pointers only after all of them were read, and the typed arrays are read again
// (iovCounts checked unchanged) before names and results are touched.
bool FillBatch(const Napi::CallbackInfo& info, Batch* b, size_t vlen, bool recv, MmsgScratch* s) {
  napi_env env = info.Env();
  size_t niov = 0;
  for (size_t i = 0; i < vlen; i++) niov += static_cast<size_t>(b->counts[i]);
  if (s->msgs.size() < vlen) s->msgs.resize(vlen);
  if (s->iovs.size() < niov) s->iovs.resize(niov);
  size_t k = 0;
  for (size_t i = 0; i < vlen; i++) {
    mmsghdr& h = s->msgs[i];
    h = mmsghdr{};
    h.msg_hdr.msg_iov = s->iovs.data() + k;
    h.msg_hdr.msg_iovlen = static_cast<size_t>(b->counts[i]);
    k += h.msg_hdr.msg_iovlen;
  }
  if (b->layout != nullptr) {
    for (k = 0; k < niov; k++) {
      // A view not wholly inside the slab as it is now (detached, shrunk, or a layout that
      // was never right) reads as empty, as V8 reports such a view's byteLength.
      const double off = b->layout[2 * k], len = b->layout[2 * k + 1];
      const bool inside = b->slab != nullptr && off >= 0 && len >= 0 &&
                          off + len <= static_cast<double>(b->slab_len) &&
                          off == static_cast<double>(static_cast<size_t>(off)) &&
                          len == static_cast<double>(static_cast<size_t>(len));
      s->iovs[k] = inside ? iovec{b->slab + static_cast<size_t>(off), static_cast<size_t>(len)}
                          : iovec{nullptr, 0};
    }
  } else {
    if (s->views.size() < niov) s->views.resize(niov);
    for (k = 0; k < niov; k++) {
      if (napi_get_element(env, b->views, static_cast<uint32_t>(k), &s->views[k]) != napi_ok) {
        return false;
      }
    }
    // JavaScript may have run: from here on none does.
    Batch again;
    if (!ArgBatch(info, &again, false)) return false;
    bool same = again.n == b->n;
    for (size_t i = 0; same && i < vlen; i++) {
      same = static_cast<size_t>(again.counts[i]) == s->msgs[i].msg_hdr.msg_iovlen;
    }
    if (!same) return ThrowArgType(env, "iovCounts", "unchanged while the views are read");
    *b = again;
    for (k = 0; k < niov; k++) {
      Bytes bytes;
      if (!ValueBytes(env, s->views[k], "views[i]", &bytes)) return false;
      s->iovs[k] = {bytes.data, bytes.len};
    }
  }
  if (b->names == nullptr) return true;
  for (size_t i = 0; i < vlen; i++) {
    socklen_t namelen = kNameSlot;
    if (!recv) {
      int32_t want = b->state[3 * i + 2];
      if (want < 0 || static_cast<size_t>(want) > kNameSlot) {
        return ThrowArgRange(env, "state[3i + 2]", 0, kNameSlot);
      }
      namelen = static_cast<socklen_t>(want);
    }
    if (namelen) {
      s->msgs[i].msg_hdr.msg_name = b->names + i * kNameSlot;
      s->msgs[i].msg_hdr.msg_namelen = namelen;
    }
  }
  return true;
}

// sendmmsg(fd, views[], iovCounts, names | null, state, flags) -> messages sent or -errno;
// state[3i] receives each sent message's byte count. sendmmsg(2)
template <bool kSlab>
Napi::Value SendMmsg(const Napi::CallbackInfo& info) {
  Batch b;
  if (!ArgBatch(info, &b, kSlab)) return Napi::Value();
  ScratchLease s;
  size_t vlen = b.n < kMaxBatch ? b.n : kMaxBatch;
  if (!FillBatch(info, &b, vlen, false, s.operator->())) return Napi::Value();
  int r = Retry([&] {
    return sendmmsg(b.fd, s->msgs.data(), static_cast<unsigned>(vlen), b.flags | MSG_NOSIGNAL);
  });
  for (int i = 0; i < r; i++) b.state[3 * i] = static_cast<int32_t>(s->msgs[i].msg_len);
  return Result(info.Env(), r);
}

// recvmmsg(fd, views[], iovCounts, names | null, state, flags, timeoutMs) -> messages received
// or -errno; state[3i..3i+2] receive each message's bytes, msg_flags and address length, the
// address itself lands in names at i * sizeofSockaddrStorage. timeoutMs -1 waits without a
// limit. recvmmsg(2)
template <bool kSlab>
Napi::Value RecvMmsg(const Napi::CallbackInfo& info) {
  Batch b;
  int32_t timeout_ms;
  if (!ArgBatch(info, &b, kSlab) ||
      !ArgInt(info, kSlab ? 7 : 6, "timeoutMs", -1, INT32_MAX, &timeout_ms)) {
    return Napi::Value();
  }
  ScratchLease s;
  size_t vlen = b.n < kMaxBatch ? b.n : kMaxBatch;
  if (!FillBatch(info, &b, vlen, true, s.operator->())) return Napi::Value();
  // No control buffer, so no fd can arrive: the kernel discards any and sets MSG_CTRUNC.
  int flags = b.flags;
  timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  int r = Retry([&] {
    return recvmmsg(b.fd, s->msgs.data(), static_cast<unsigned>(vlen), flags,
                    timeout_ms < 0 ? nullptr : &ts);
  });
  for (int i = 0; i < r; i++) {
    const msghdr& h = s->msgs[i].msg_hdr;
    b.state[3 * i] = static_cast<int32_t>(s->msgs[i].msg_len);
    b.state[3 * i + 1] = ReportedFlags(h.msg_flags);
    b.state[3 * i + 2] = static_cast<int32_t>(b.names ? h.msg_namelen : 0);
  }
  return Result(info.Env(), r);
}

// The name slot at `offset` in a batch's address buffer, checked to lie inside it.
bool ArgSlot(const Napi::CallbackInfo& info, unsigned char** slot) {
  Bytes b;
  int32_t offset;
  if (!ArgBytes(info, 0, "names", &b) || !ArgInt(info, 1, "offset", 0, INT32_MAX, &offset)) {
    return false;
  }
  if (static_cast<size_t>(offset) + kNameSlot > b.len) {
    return ThrowArgRange(info.Env(), "offset", 0, static_cast<double>(b.len) - kNameSlot);
  }
  *slot = static_cast<unsigned char*>(b.data) + offset;
  return true;
}

// encodeAddress(names, offset, ...address) -> the sockaddr's length, written at offset.
Napi::Value EncodeAddress(const Napi::CallbackInfo& info) {
  unsigned char* slot = nullptr;
  sockaddr_storage ss;
  socklen_t len;
  if (!ArgSlot(info, &slot) || !ArgSockaddr(info, 2, &ss, &len)) return Napi::Value();
  memset(slot, 0, kNameSlot);
  memcpy(slot, &ss, len);
  return Napi::Number::New(info.Env(), len);
}

// decodeAddress(names, offset, length) -> the address in the slot at offset, or null.
Napi::Value DecodeAddress(const Napi::CallbackInfo& info) {
  unsigned char* slot = nullptr;
  int32_t len;
  if (!ArgSlot(info, &slot) ||
      !ArgInt(info, 2, "length", 0, static_cast<int32_t>(kNameSlot), &len)) {
    return Napi::Value();
  }
  sockaddr_storage ss{};
  memcpy(&ss, slot, static_cast<size_t>(len));
  return MakeAddress(info.Env(), &ss, static_cast<socklen_t>(len));
}

// cmsgSpace(length) / cmsgLen(length): CMSG_SPACE and CMSG_LEN, for sizing controlLength. cmsg(3)
Napi::Value CmsgSpace(const Napi::CallbackInfo& info) {
  int32_t n;
  if (!ArgInt(info, 0, "length", 0, kMaxControl, &n)) return Napi::Value();
  return Napi::Number::New(info.Env(), static_cast<double>(CMSG_SPACE(static_cast<size_t>(n))));
}

Napi::Value CmsgLen(const Napi::CallbackInfo& info) {
  int32_t n;
  if (!ArgInt(info, 0, "length", 0, kMaxControl, &n)) return Napi::Value();
  return Napi::Number::New(info.Env(), static_cast<double>(CMSG_LEN(static_cast<size_t>(n))));
}

// decodeControl(bytes) -> the control messages in arbitrary bytes, as recvmsg would report
// them. For tests of the decoder's bounds: the fds in a rights message here are just numbers.
Napi::Value DecodeControl(const Napi::CallbackInfo& info) {
  Bytes b;
  if (!ArgBytes(info, 0, "bytes", &b)) return Napi::Value();
  if (b.len > static_cast<size_t>(kMaxControl)) {
    ThrowArgRange(info.Env(), "bytes.byteLength", 0, kMaxControl);
    return Napi::Value();
  }
  // The decoder needs cmsghdr alignment; copy into an exactly sized heap block so a read past
  // the end would be a real out-of-bounds read (and caught under a sanitizer).
  std::unique_ptr<unsigned char[]> copy(new unsigned char[b.len ? b.len : 1]);
  if (b.len) memcpy(copy.get(), b.data, b.len);
  msghdr m{};
  m.msg_control = copy.get();
  m.msg_controllen = b.len;
  return ControlToJs(info.Env(), &m, false);
}

}  // namespace

void InitMsg(Napi::Env env, Napi::Object exports) {
  exports.Set("sendmsg", Napi::Function::New(env, SendMsg, "sendmsg"));
  exports.Set("recvmsg", Napi::Function::New(env, RecvMsg, "recvmsg"));
  exports.Set("sendmmsg", Napi::Function::New(env, SendMmsg<false>, "sendmmsg"));
  exports.Set("recvmmsg", Napi::Function::New(env, RecvMmsg<false>, "recvmmsg"));
  // The same with the views as a slab and its layout (see Batch).
  exports.Set("sendmmsgSlab", Napi::Function::New(env, SendMmsg<true>, "sendmmsgSlab"));
  exports.Set("recvmmsgSlab", Napi::Function::New(env, RecvMmsg<true>, "recvmmsgSlab"));
  exports.Set("encodeAddress", Napi::Function::New(env, EncodeAddress, "encodeAddress"));
  exports.Set("decodeAddress", Napi::Function::New(env, DecodeAddress, "decodeAddress"));
  exports.Set("cmsgSpace", Napi::Function::New(env, CmsgSpace, "cmsgSpace"));
  exports.Set("cmsgLen", Napi::Function::New(env, CmsgLen, "cmsgLen"));
  exports.Set("decodeControl", Napi::Function::New(env, DecodeControl, "decodeControl"));
  exports.Set("sizeofSockaddrStorage", Napi::Number::New(env, kNameSlot));
}

}  // namespace sockfd
