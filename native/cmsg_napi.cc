#include "cmsg_napi.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include "constants.h"
#include "exports.h"
#include "sockaddr_napi.h"
#include "syscall.h"

namespace sockfd {
namespace {

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
    {"origDstAddr", CmsgKind::kOrigDstAddr, false},
};

const char* KindName(CmsgKind k) {
  for (const Kind& e : kKinds) {
    if (e.kind == k) return e.name;
  }
  return nullptr;
}

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
    case CmsgKind::kOrigDstAddr:
      o.Set("address", MakeAddress(env, &c.offender, c.offender_len));
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
  return ControlToJs(info.Env(), &m);
}

}  // namespace

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

Napi::Value ControlToJs(Napi::Env env, const msghdr* m) {
  Napi::Array list = Napi::Array::New(env);
  CmsgReader reader(m);
  Cmsg c;
  uint32_t k = 0;
  while (reader.Next(&c) && !env.IsExceptionPending()) list.Set(k++, CmsgToJs(env, c));
  if (!env.IsExceptionPending()) return list;
  return Napi::Value();
}

void CloseReceivedFds(const msghdr* m) {
  CmsgReader reader(m);
  Cmsg c;
  while (reader.Next(&c)) {
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

void InitCmsg(Napi::Env env, Napi::Object exports) {
  exports.Set("cmsgSpace", Napi::Function::New(env, CmsgSpace, "cmsgSpace"));
  exports.Set("cmsgLen", Napi::Function::New(env, CmsgLen, "cmsgLen"));
  exports.Set("decodeControl", Napi::Function::New(env, DecodeControl, "decodeControl"));
}

}  // namespace sockfd
