// The typed socket options whose value is a struct: N-API glue over the encoders and decoders
// of options.cc. Each call returns the decoded value or -errno, never throws for a failed
// syscall; an argument of the wrong type or range throws, as everywhere in the addon.
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "exports.h"
#include "options.h"
#include "sockaddr_napi.h"
#include "syscall.h"

namespace sockfd {

static bool ThrowOptError(Napi::Env env, OptError e) {
  if (e == OptError::kBadIpv4 || e == OptError::kBadIpv6) {
    return ThrowTypeError(env, "ERR_INVALID_ARG_VALUE", OptErrorMessage(e));
  }
  return ThrowRangeError(env,
                         e == OptError::kBadTimeout ? "ERR_OUT_OF_RANGE" : "ERR_INVALID_ARG_VALUE",
                         OptErrorMessage(e));
}

// getsockopt(2) under the EINTR rule (Retry), with the length the kernel rewrites set again
// for each try: 0 or -errno.
template <typename F>
static int GetOpt(socklen_t* len, F call) {
  const socklen_t want = *len;
  return Retry([&] {
    *len = want;
    return call();
  });
}

static bool ArgLevelName(const Napi::CallbackInfo& info, int* fd, int32_t* level, int32_t* name) {
  return ArgFd(info, 0, fd) && ArgInt(info, 1, "level", INT32_MIN, INT32_MAX, level) &&
         ArgInt(info, 2, "name", INT32_MIN, INT32_MAX, name);
}

// The longest string argument read: any name option or IP text fits, so a longer one is
// rejected by the encoder instead of being cut.
static constexpr size_t kMaxText = 255;

// Reads a string argument into `buf` (kMaxText + 1 bytes) NUL-terminated; `*len` is the
// string's full UTF-8 length, which exceeds kMaxText when the string was too long to copy.
static bool ArgText(const Napi::CallbackInfo& info, size_t i, const char* name, char* buf,
                    size_t* len) {
  napi_env env = info.Env();
  napi_valuetype t;
  napi_typeof(env, info[i], &t);
  if (t != napi_string) return ThrowArgType(env, name, "of type string");
  napi_get_value_string_utf8(env, info[i], nullptr, 0, len);
  if (*len > kMaxText) {
    buf[0] = '\0';
    return true;
  }
  napi_get_value_string_utf8(env, info[i], buf, kMaxText + 1, len);
  return true;
}

// getsockopt(fd, level, name) of a struct timeval -> milliseconds or -errno. SO_RCVTIMEO,
// SO_SNDTIMEO. socket(7)
static Napi::Value GetTimeval(const Napi::CallbackInfo& info) {
  int fd;
  int32_t level, name;
  if (!ArgLevelName(info, &fd, &level, &name)) return Napi::Value();
  timeval tv{};
  socklen_t len = sizeof(tv);
  int r = GetOpt(&len, [&] { return getsockopt(fd, level, name, &tv, &len); });
  if (r < 0) return Result(info.Env(), r);
  double ms;
  if (DecodeTimeval(&tv, len, &ms) != OptError::kOk) return Result(info.Env(), -EINVAL);
  return Napi::Number::New(info.Env(), ms);
}

// setsockopt(fd, level, name, ms) with a struct timeval -> 0 or -errno. socket(7)
static Napi::Value SetTimeval(const Napi::CallbackInfo& info) {
  int fd;
  int32_t level, name;
  if (!ArgLevelName(info, &fd, &level, &name)) return Napi::Value();
  double ms;
  if (napi_get_value_double(info.Env(), info[3], &ms) != napi_ok) {
    ThrowArgType(info.Env(), "ms", "of type number");
    return Napi::Value();
  }
  timeval tv;
  OptError e = EncodeTimeval(ms, &tv);
  if (e != OptError::kOk) {
    ThrowOptError(info.Env(), e);
    return Napi::Value();
  }
  return Result(info.Env(), Retry([&] { return setsockopt(fd, level, name, &tv, sizeof(tv)); }));
}

// getsockopt(fd, SOL_SOCKET, SO_LINGER) -> seconds, null when off, or -errno. socket(7)
static Napi::Value GetLinger(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return Napi::Value();
  linger l{};
  socklen_t len = sizeof(l);
  int r = GetOpt(&len, [&] { return getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len); });
  if (r < 0) return Result(info.Env(), r);
  Linger v;
  if (DecodeLinger(&l, len, &v) != OptError::kOk) return Result(info.Env(), -EINVAL);
  return v.on ? Napi::Number::New(info.Env(), v.seconds) : info.Env().Null();
}

// setsockopt(fd, SOL_SOCKET, SO_LINGER, { on, seconds }) -> 0 or -errno. socket(7)
static Napi::Value SetLinger(const Napi::CallbackInfo& info) {
  int fd;
  int32_t on, seconds;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 1, "on", 0, 1, &on) ||
      !ArgInt(info, 2, "seconds", 0, INT32_MAX, &seconds)) {
    return Napi::Value();
  }
  linger l;
  EncodeLinger({on != 0, seconds}, &l);
  return Result(info.Env(),
                Retry([&] { return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)); }));
}

// getsockopt(fd, SOL_SOCKET, SO_PEERCRED) -> { pid, uid, gid } or -errno. unix(7)
static Napi::Value GetPeerCred(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return Napi::Value();
#ifdef SO_PEERCRED
  ucred c{};
  socklen_t len = sizeof(c);
  int r = GetOpt(&len, [&] { return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len); });
  if (r < 0) return Result(info.Env(), r);
  PeerCred v;
  if (DecodePeerCred(&c, len, &v) != OptError::kOk) return Result(info.Env(), -EINVAL);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("pid", Napi::Number::New(info.Env(), v.pid));
  o.Set("uid", Napi::Number::New(info.Env(), v.uid));
  o.Set("gid", Napi::Number::New(info.Env(), v.gid));
  return o;
#else
  return Result(info.Env(), -ENOPROTOOPT);
#endif
}

// setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP | IP_DROP_MEMBERSHIP, ip_mreq or ip_mreqn)
// (fd, name, group, interfaceAddress, ifindex) -> 0 or -errno. ip(7)
static Napi::Value SetMembership4(const Napi::CallbackInfo& info) {
  int fd;
  int32_t name, ifindex;
  char group[kMaxText + 1], iface[kMaxText + 1];
  size_t glen, ilen;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 1, "name", INT32_MIN, INT32_MAX, &name) ||
      !ArgText(info, 2, "group", group, &glen) || !ArgText(info, 3, "interface", iface, &ilen) ||
      !ArgInt(info, 4, "ifindex", 0, INT32_MAX, &ifindex)) {
    return Napi::Value();
  }
  Mreq4 m;
  OptError e = EncodeMembership4(group, iface, ifindex, &m);
  if (e == OptError::kNotSupported) return Result(info.Env(), -EOPNOTSUPP);
  if (e != OptError::kOk) {
    ThrowOptError(info.Env(), e);
    return Napi::Value();
  }
  return Result(info.Env(),
                Retry([&] { return setsockopt(fd, IPPROTO_IP, name, &m.mreq, m.len); }));
}

// setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP | IPV6_LEAVE_GROUP, ipv6_mreq)
// (fd, name, group, ifindex) -> 0 or -errno. ipv6(7)
static Napi::Value SetMembership6(const Napi::CallbackInfo& info) {
  int fd;
  int32_t name, ifindex;
  char group[kMaxText + 1];
  size_t glen;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 1, "name", INT32_MIN, INT32_MAX, &name) ||
      !ArgText(info, 2, "group", group, &glen) ||
      !ArgInt(info, 3, "ifindex", 0, INT32_MAX, &ifindex)) {
    return Napi::Value();
  }
  ipv6_mreq m;
  OptError e = EncodeMreq6(group, static_cast<unsigned>(ifindex), &m);
  if (e != OptError::kOk) {
    ThrowOptError(info.Env(), e);
    return Napi::Value();
  }
  return Result(info.Env(),
                Retry([&] { return setsockopt(fd, IPPROTO_IPV6, name, &m, sizeof(m)); }));
}

// setsockopt(fd, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP | IP_DROP_SOURCE_MEMBERSHIP,
// ip_mreq_source) (fd, name, group, interfaceAddress, source) -> 0 or -errno. ip(7)
static Napi::Value SetSourceMembership4(const Napi::CallbackInfo& info) {
  int fd;
  int32_t name;
  char group[kMaxText + 1], iface[kMaxText + 1], source[kMaxText + 1];
  size_t glen, ilen, slen;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 1, "name", INT32_MIN, INT32_MAX, &name) ||
      !ArgText(info, 2, "group", group, &glen) || !ArgText(info, 3, "interface", iface, &ilen) ||
      !ArgText(info, 4, "source", source, &slen)) {
    return Napi::Value();
  }
  ip_mreq_source m;
  OptError e = EncodeMreqSource4(group, iface, source, &m);
  if (e != OptError::kOk) {
    ThrowOptError(info.Env(), e);
    return Napi::Value();
  }
  return Result(info.Env(), Retry([&] { return setsockopt(fd, IPPROTO_IP, name, &m, sizeof(m)); }));
}

// setsockopt(fd, level, MCAST_JOIN_SOURCE_GROUP | MCAST_LEAVE_SOURCE_GROUP, group_source_req)
// (fd, level, name, v6, group, source, ifindex) -> 0 or -errno. RFC 3678, ip(7), ipv6(7)
static Napi::Value SetGroupSourceReq(const Napi::CallbackInfo& info) {
  int fd;
  int32_t level, name, v6, ifindex;
  char group[kMaxText + 1], source[kMaxText + 1];
  size_t glen, slen;
  if (!ArgLevelName(info, &fd, &level, &name) || !ArgInt(info, 3, "v6", 0, 1, &v6) ||
      !ArgText(info, 4, "group", group, &glen) || !ArgText(info, 5, "source", source, &slen) ||
      !ArgInt(info, 6, "ifindex", 0, INT32_MAX, &ifindex)) {
    return Napi::Value();
  }
  group_source_req m;
  OptError e = EncodeGroupSourceReq(v6 != 0, group, source, static_cast<unsigned>(ifindex), &m);
  if (e != OptError::kOk) {
    ThrowOptError(info.Env(), e);
    return Napi::Value();
  }
  return Result(info.Env(), Retry([&] { return setsockopt(fd, level, name, &m, sizeof(m)); }));
}

// getsockopt(fd, level, name) of a socket address (SO_ORIGINAL_DST, IP6T_SO_ORIGINAL_DST) ->
// the address (sockaddr_napi.h MakeAddress) or -errno.
static Napi::Value GetAddress(const Napi::CallbackInfo& info) {
  int fd;
  int32_t level, name;
  if (!ArgLevelName(info, &fd, &level, &name)) return Napi::Value();
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  int r = GetOpt(&len, [&] { return getsockopt(fd, level, name, &ss, &len); });
  if (r < 0) return Result(info.Env(), r);
  if (len > sizeof(ss)) len = sizeof(ss);
  return MakeAddress(info.Env(), &ss, len);
}

// getsockopt(fd, level, name) of a 64-bit unsigned value (SO_COOKIE) -> a bigint or -errno.
static Napi::Value GetUint64(const Napi::CallbackInfo& info) {
  int fd;
  int32_t level, name;
  if (!ArgLevelName(info, &fd, &level, &name)) return Napi::Value();
  uint64_t v = 0;
  socklen_t len = sizeof(v);
  int r = GetOpt(&len, [&] { return getsockopt(fd, level, name, &v, &len); });
  if (r < 0) return Result(info.Env(), r);
  if (len != sizeof(v)) return Result(info.Env(), -EINVAL);
  return Napi::BigInt::New(info.Env(), v);
}

// getsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF) -> the interface address or -errno. ip(7)
static Napi::Value GetMulticastIf4(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return Napi::Value();
  in_addr a{};
  socklen_t len = sizeof(a);
  int r = GetOpt(&len, [&] { return getsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &a, &len); });
  if (r < 0) return Result(info.Env(), r);
  char text[INET_ADDRSTRLEN];
  if (DecodeInAddr(&a, len, text, sizeof(text)) != OptError::kOk) {
    return Result(info.Env(), -EINVAL);
  }
  return Napi::String::New(info.Env(), text);
}

// setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, in_addr or ip_mreqn)
// (fd, interfaceAddress, ifindex) -> 0 or -errno. ip(7)
static Napi::Value SetMulticastIf4(const Napi::CallbackInfo& info) {
  int fd;
  int32_t ifindex;
  char iface[kMaxText + 1];
  size_t ilen;
  if (!ArgFd(info, 0, &fd) || !ArgText(info, 1, "interface", iface, &ilen) ||
      !ArgInt(info, 2, "ifindex", 0, INT32_MAX, &ifindex)) {
    return Napi::Value();
  }
  Mreq4 m;
  OptError e = EncodeMulticastIf4(iface, ifindex, &m);
  if (e == OptError::kNotSupported) return Result(info.Env(), -EOPNOTSUPP);
  if (e != OptError::kOk) {
    ThrowOptError(info.Env(), e);
    return Napi::Value();
  }
  return Result(info.Env(),
                Retry([&] { return setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m.addr, m.len); }));
}

// getsockopt(fd, level, name) of a name (SO_BINDTODEVICE, TCP_CONGESTION) -> the string ('' when
// none) or -errno.
static Napi::Value GetName(const Napi::CallbackInfo& info) {
  int fd;
  int32_t level, name;
  if (!ArgLevelName(info, &fd, &level, &name)) return Napi::Value();
  char buf[kMaxText + 1] = {};
  socklen_t len = kMaxText;
  int r = GetOpt(&len, [&] { return getsockopt(fd, level, name, buf, &len); });
  if (r < 0) return Result(info.Env(), r);
  if (len > kMaxText) len = kMaxText;
  return Napi::String::New(info.Env(), buf, DecodeNameLength(buf, len));
}

// setsockopt(fd, level, name, string) with the name's bytes and no NUL -> 0 or -errno. An empty
// string passes length 0, which clears SO_BINDTODEVICE.
static Napi::Value SetName(const Napi::CallbackInfo& info) {
  int fd;
  int32_t level, name;
  char buf[kMaxText + 1];
  size_t len;
  if (!ArgLevelName(info, &fd, &level, &name) || !ArgText(info, 3, "value", buf, &len)) {
    return Napi::Value();
  }
  OptError e = len > kMaxText ? OptError::kNameTooLong : CheckName(buf, len, kMaxText + 1);
  if (e != OptError::kOk) {
    ThrowOptError(info.Env(), e);
    return Napi::Value();
  }
  return Result(info.Env(), Retry([&] {
                  return setsockopt(fd, level, name, buf, static_cast<socklen_t>(len));
                }));
}

// getsockopt(fd, IPPROTO_TCP, TCP_INFO) -> { state, caState, ... } with the fields the kernel
// returned, or -errno. tcp(7)
static Napi::Value GetTcpInfo(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return Napi::Value();
#ifdef TCP_INFO
  size_t size = TcpInfoSize();
  if (size == 0) return Result(info.Env(), -ENOPROTOOPT);
  // Room for the kernel's whole structure as this build knows it; 8-byte aligned for the u64s.
  alignas(8) unsigned char buf[1024];
  if (size > sizeof(buf)) size = sizeof(buf);
  socklen_t len = static_cast<socklen_t>(size);
  int r = GetOpt(&len, [&] { return getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf, &len); });
  if (r < 0) return Result(info.Env(), r);
  if (len > size) len = static_cast<socklen_t>(size);
  TcpInfoField fields[kTcpInfoMaxFields];
  size_t n = DecodeTcpInfo(buf, len, fields, kTcpInfoMaxFields);
  Napi::Object o = Napi::Object::New(info.Env());
  for (size_t i = 0; i < n; i++) {
    o.Set(fields[i].name, Napi::Number::New(info.Env(), fields[i].value));
  }
  return o;
#else
  return Result(info.Env(), -ENOPROTOOPT);
#endif
}

void InitOptions(Napi::Env env, Napi::Object exports) {
  exports.Set("getsockoptTimeval", Napi::Function::New(env, GetTimeval, "getsockoptTimeval"));
  exports.Set("setsockoptTimeval", Napi::Function::New(env, SetTimeval, "setsockoptTimeval"));
  exports.Set("getLinger", Napi::Function::New(env, GetLinger, "getLinger"));
  exports.Set("setLinger", Napi::Function::New(env, SetLinger, "setLinger"));
  exports.Set("getPeerCred", Napi::Function::New(env, GetPeerCred, "getPeerCred"));
  exports.Set("setMembership4", Napi::Function::New(env, SetMembership4, "setMembership4"));
  exports.Set("setMembership6", Napi::Function::New(env, SetMembership6, "setMembership6"));
  exports.Set("getMulticastIf4", Napi::Function::New(env, GetMulticastIf4, "getMulticastIf4"));
  exports.Set("setMulticastIf4", Napi::Function::New(env, SetMulticastIf4, "setMulticastIf4"));
  exports.Set("setSourceMembership4",
              Napi::Function::New(env, SetSourceMembership4, "setSourceMembership4"));
  exports.Set("setGroupSourceReq",
              Napi::Function::New(env, SetGroupSourceReq, "setGroupSourceReq"));
  exports.Set("getsockoptAddress", Napi::Function::New(env, GetAddress, "getsockoptAddress"));
  exports.Set("getsockoptUint64", Napi::Function::New(env, GetUint64, "getsockoptUint64"));
  exports.Set("getsockoptName", Napi::Function::New(env, GetName, "getsockoptName"));
  exports.Set("setsockoptName", Napi::Function::New(env, SetName, "setsockoptName"));
  exports.Set("getTcpInfo", Napi::Function::New(env, GetTcpInfo, "getTcpInfo"));
}

}  // namespace sockfd
