#include "sockaddr_napi.h"

#include <cstring>

#include "env.h"
#include "syscall.h"

namespace sockfd {

bool ReadSockaddr(napi_env env, const napi_value* args, sockaddr_storage* out, socklen_t* len) {
  AddrSpec spec{};
  int32_t v;
  if (!ReadInt(env, args[0], "address.family", 0, 65535, &v)) return false;
  spec.family = v;
  napi_value host = args[1];
  // Large enough for any valid IP text or unix path; anything longer is rejected as such.
  char text[sizeof(sockaddr_un::sun_path) + 2];
  size_t n = 0;
  // One call reads a string host (the common case) and tells a non-string apart.
  napi_status st = napi_get_value_string_utf8(env, host, text, sizeof(text), &n);
  if (st == napi_ok) {
    // A string that filled the buffer may have been cut (whole UTF-8 characters only, so up to
    // 3 bytes short of full): measure it. Never pass on a string that was cut.
    if (n + 4 >= sizeof(text)) napi_get_value_string_utf8(env, host, nullptr, 0, &n);
    if (n + 1 >= sizeof(text)) {
      // Too long for sun_path and for any IP text.
      return ThrowRangeError(
          env, "ERR_INVALID_ARG_VALUE",
          AddrErrorMessage(spec.family == AF_UNIX ? AddrError::kPathTooLong : AddrError::kBadIp));
    }
    spec.text = text;
    spec.text_len = n;
  } else {
    napi_valuetype t = napi_undefined;
    napi_typeof(env, host, &t);
    if (t == napi_null || t == napi_undefined) {
      spec.unnamed = true;
    } else {
      Bytes b;
      bool is_view = false;
      if (!ReadView(env, host, &b, &is_view)) return false;
      if (!is_view) {
        return ThrowTypeError(env, "ERR_INVALID_ARG_TYPE",
                              "The \"address\" host must be a string, an ArrayBufferView or null");
      }
      spec.bytes =
          b.len ? static_cast<const uint8_t*>(b.data) : reinterpret_cast<const uint8_t*>("");
      spec.bytes_len = b.len;
    }
  }
  if (!ReadInt(env, args[2], "address.port", 0, INT32_MAX, &v)) return false;
  spec.port = static_cast<uint32_t>(v);
  if (!ReadInt(env, args[3], "address.flowinfo", INT32_MIN, INT32_MAX, &v)) return false;
  spec.flowinfo = static_cast<uint32_t>(v);
  if (!ReadInt(env, args[4], "address.scopeId", INT32_MIN, INT32_MAX, &v)) return false;
  spec.scope_id = static_cast<uint32_t>(v);
  if (spec.family == AF_UNIX && spec.port == kUnixPathBytes && spec.bytes != nullptr) {
    spec.text = reinterpret_cast<const char*>(spec.bytes);
    spec.text_len = spec.bytes_len;
    spec.bytes = nullptr;
    spec.bytes_len = 0;
  }
  // The link-layer and netlink families reuse the group's slots (see sockaddr_napi.h).
  spec.protocol = spec.port;
  spec.ifindex = static_cast<int32_t>(spec.flowinfo);
  spec.hatype = spec.scope_id >> 8;
  spec.pkttype = spec.scope_id & 0xff;
  spec.pid = spec.flowinfo;
  spec.groups = spec.scope_id;
  AddrError e = EncodeSockaddr(spec, out, len);
  if (e == AddrError::kOk) return true;
  if (e == AddrError::kBadFamily) {
    return ThrowRangeError(env, "ERR_INVALID_ARG_VALUE", AddrErrorMessage(e));
  }
  return ThrowRangeError(env,
                         e == AddrError::kBadPort ? "ERR_SOCKET_BAD_PORT" : "ERR_INVALID_ARG_VALUE",
                         AddrErrorMessage(e));
}

bool ArgSockaddr(const Napi::CallbackInfo& info, size_t i, sockaddr_storage* out, socklen_t* len) {
  napi_value args[5] = {info[i], info[i + 1], info[i + 2], info[i + 3], info[i + 4]};
  return ReadSockaddr(info.Env(), args, out, len);
}

// The property names MakeAddress sets and the family names it writes, in the order they sit
// in EnvData::strings.
enum Name : uint32_t {
  kFamily,
  kAddress,
  kPort,
  kFlowinfo,
  kScopeId,
  kPath,
  kAbstract,
  kSaFamily,
  kData,
  kIfindex,
  kProtocol,
  kHatype,
  kPkttype,
  kHwaddr,
  kPid,
  kGroups,
  kPathBytes,
  kInet,
  kInet6,
  kUnix,
  kPacket,
  kNetlink,
  kOther,
  kNameCount,
};
static const char* const kNames[kNameCount] = {
    "family",    "address", "port",     "flowinfo", "scopeId", "path",    "abstract", "saFamily",
    "data",      "ifindex", "protocol", "hatype",   "pkttype", "hwaddr",  "pid",      "groups",
    "pathBytes", "inet",    "inet6",    "unix",     "packet",  "netlink", "other"};

// The ArrayBuffer `meta` a decoded address is written to, beside the host value the call
// returns (lib/addrmeta.ts reads it): doubles for the call's own result and the address's
// numbers, then the text of the last host string returned with this buffer.
enum Meta : size_t {
  kMetaResult,
  kMetaKind,
  kMetaPort,
  kMetaFlowinfo,
  kMetaScopeId,
  kMetaFamily,
  kMetaExtra,
  kMetaLength
};
struct MetaHost {
  int32_t kind;         // a Decoded::Kind, or -1 while empty
  uint32_t generation;  // counts the strings returned; JavaScript pairs its copy with it
  uint32_t len;
  char text[sizeof(Decoded::text)];
};
static constexpr size_t kMetaHostOffset = kMetaLength * sizeof(double);
static constexpr size_t kMetaBytes = kMetaHostOffset + sizeof(MetaHost);

static MetaHost* HostOf(double* meta) {
  return reinterpret_cast<MetaHost*>(reinterpret_cast<char*>(meta) + kMetaHostOffset);
}

static napi_value Undefined(napi_env env) {
  napi_value v = nullptr;
  napi_get_undefined(env, &v);
  return v;
}

static napi_value NewHostString(napi_env env, const Decoded& dec) {
  napi_value s = nullptr;
  // IP text is ASCII; a unix path is the bytes the kernel gave, read as UTF-8 as before.
  if (dec.kind == Decoded::kUnixPath) {
    napi_create_string_utf8(env, dec.text, dec.text_len, &s);
  } else {
    napi_create_string_latin1(env, dec.text, dec.text_len, &s);
  }
  return s;
}

static napi_value CopyBytes(napi_env env, const uint8_t* bytes, size_t len) {
  napi_value buf = nullptr;
  void* data = nullptr;
  if (napi_create_buffer_copy(env, len, bytes, &data, &buf) != napi_ok) return nullptr;
  return buf;
}

// The host part of a decoded address as one JS value: the IP text or unix path (a string), the
// abstract name or unknown family's bytes (a Buffer), or null for an unnamed unix address.
// A string the same as the last one returned with this `meta` comes back as undefined: the
// caller still has it (lib/addrmeta.ts), so a peer heard from again costs a memcmp and no new
// string.
static napi_value HostValue(napi_env env, const Decoded& dec, MetaHost* last) {
  switch (dec.kind) {
    case Decoded::kUnixPath:
      // Bytes no string can carry come as they are; lib/internal/addrmeta.ts adds the string.
      if (!dec.text_utf8) {
        return CopyBytes(env, reinterpret_cast<const uint8_t*>(dec.text), dec.text_len);
      }
      [[fallthrough]];
    case Decoded::kInet:
    case Decoded::kInet6: {
      if (last->kind == dec.kind && last->len == dec.text_len &&
          memcmp(last->text, dec.text, dec.text_len) == 0) {
        return Undefined(env);
      }
      napi_value s = NewHostString(env, dec);
      if (s == nullptr) return nullptr;
      last->kind = dec.kind;
      last->len = static_cast<uint32_t>(dec.text_len);
      memcpy(last->text, dec.text, dec.text_len);
      last->generation++;
      return s;
    }
    case Decoded::kUnixAbstract:
    case Decoded::kPacket:
      return CopyBytes(env, dec.bytes, dec.bytes_len);
    case Decoded::kOther:
      return CopyBytes(env, dec.bytes, dec.bytes_len);
    case Decoded::kNetlink:
    case Decoded::kUnixUnnamed:
    case Decoded::kNone:
      break;
  }
  napi_value null = nullptr;
  napi_get_null(env, &null);
  return null;
}

bool ReadMeta(napi_env env, napi_value v, double** out) {
  // An ArrayBuffer rather than a Float64Array: one cheap call, and a detached or short buffer
  // (byte length too small) is refused before anything is written.
  void* data;
  if (!ReadArrayBuffer(env, v, "meta", kMetaBytes, alignof(double),
                       "an ArrayBuffer of addressMetaBytes bytes", &data)) {
    return false;
  }
  *out = static_cast<double*>(data);
  return true;
}

napi_value AddressToMeta(napi_env env, const sockaddr_storage* sa, socklen_t len, double result,
                         double* meta) {
  Decoded dec;
  DecodeSockaddr(sa, len, &dec);
  meta[kMetaResult] = result;
  meta[kMetaKind] = dec.kind;
  meta[kMetaPort] = dec.port;
  meta[kMetaFlowinfo] = dec.flowinfo;
  meta[kMetaScopeId] = dec.scope_id;
  meta[kMetaFamily] = dec.family;
  meta[kMetaExtra] = 0;
  // The link-layer and netlink families reuse the numeric slots (lib/addrmeta.ts reads them so):
  // packet: port = protocol, flowinfo = ifindex, scopeId = hatype, extra = pkttype;
  // netlink: flowinfo = pid, scopeId = groups.
  if (dec.kind == Decoded::kPacket) {
    meta[kMetaPort] = dec.protocol;
    meta[kMetaFlowinfo] = dec.ifindex;
    meta[kMetaScopeId] = dec.hatype;
    meta[kMetaExtra] = dec.pkttype;
  } else if (dec.kind == Decoded::kNetlink) {
    meta[kMetaPort] = 0;
    meta[kMetaFlowinfo] = dec.pid;
    meta[kMetaScopeId] = dec.groups;
  }
  return HostValue(env, dec, HostOf(meta));
}

// addressHost(meta) -> the last host string returned with `meta`, made again from its text (for
// a caller that lost its copy), or null when there is none.
static napi_value AddressHost(napi_env env, napi_callback_info info) {
  Args<1> a(env, info);
  double* meta;
  if (!a.ok || !ReadMeta(env, a[0], &meta)) return nullptr;
  const MetaHost* last = HostOf(meta);
  Decoded dec{};
  if (last->kind < 0 || last->len > sizeof(dec.text)) {
    napi_value null = nullptr;
    napi_get_null(env, &null);
    return null;
  }
  dec.kind = static_cast<Decoded::Kind>(last->kind);
  dec.text_len = last->len;
  memcpy(dec.text, last->text, last->len);
  return NewHostString(env, dec);
}

static napi_value Strings(napi_env env) {
  EnvData* d = GetEnvData(env);
  napi_value holder = nullptr;
  if (d == nullptr || d->strings == nullptr ||
      napi_get_reference_value(env, d->strings, &holder) != napi_ok) {
    return nullptr;
  }
  return holder;
}

Napi::Value MakeAddress(Napi::Env env, const sockaddr_storage* sa, socklen_t len) {
  Decoded dec;
  DecodeSockaddr(sa, len, &dec);
  if (dec.kind == Decoded::kNone) return env.Null();
  napi_value holder = Strings(env);
  napi_value o = nullptr;
  if (holder == nullptr || napi_create_object(env, &o) != napi_ok) return Napi::Value();
  bool ok = true;
  // Each property name comes from the per-environment list, already a string V8 has interned.
  auto set = [&](Name key, napi_value value) {
    napi_value k = nullptr;
    ok = ok && value != nullptr && napi_get_element(env, holder, key, &k) == napi_ok &&
         napi_set_property(env, o, k, value) == napi_ok;
  };
  auto name = [&](Name n) {
    napi_value v = nullptr;
    napi_get_element(env, holder, n, &v);
    return v;
  };
  auto number = [&](double x) {
    napi_value v = nullptr;
    napi_create_double(env, x, &v);
    return v;
  };
  switch (dec.kind) {
    case Decoded::kInet:
    case Decoded::kInet6:
      set(kFamily, name(dec.kind == Decoded::kInet ? kInet : kInet6));
      set(kAddress, NewHostString(env, dec));
      set(kPort, number(dec.port));
      if (dec.kind == Decoded::kInet6) {
        set(kFlowinfo, number(dec.flowinfo));
        set(kScopeId, number(dec.scope_id));
      }
      break;
    case Decoded::kUnixPath:
      set(kFamily, name(kUnix));
      set(kPath, NewHostString(env, dec));
      if (!dec.text_utf8) {
        set(kPathBytes, CopyBytes(env, reinterpret_cast<const uint8_t*>(dec.text), dec.text_len));
      }
      break;
    case Decoded::kUnixAbstract:
      set(kFamily, name(kUnix));
      set(kAbstract, CopyBytes(env, dec.bytes, dec.bytes_len));
      break;
    case Decoded::kUnixUnnamed:
      set(kFamily, name(kUnix));
      break;
    case Decoded::kPacket:
      set(kFamily, name(kPacket));
      set(kIfindex, number(dec.ifindex));
      set(kProtocol, number(dec.protocol));
      set(kHatype, number(dec.hatype));
      set(kPkttype, number(dec.pkttype));
      set(kHwaddr, CopyBytes(env, dec.bytes, dec.bytes_len));
      break;
    case Decoded::kNetlink:
      set(kFamily, name(kNetlink));
      set(kPid, number(dec.pid));
      set(kGroups, number(dec.groups));
      break;
    case Decoded::kOther:
      set(kFamily, name(kOther));
      set(kSaFamily, number(dec.family));
      set(kData, CopyBytes(env, dec.bytes, dec.bytes_len));
      break;
    case Decoded::kNone:
      break;
  }
  if (!ok) return Napi::Value();
  return Napi::Value(env, o);
}

void InitAddress(Napi::Env env, Napi::Object exports) {
  napi_value holder;
  if (napi_create_array_with_length(env, kNameCount, &holder) != napi_ok) return;
  for (uint32_t i = 0; i < kNameCount; i++) {
    napi_value s;
    napi_create_string_utf8(env, kNames[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, holder, i, s);
  }
  EnvData* d = GetEnvData(env);
  napi_create_reference(env, holder, 1, &d->strings);

  Napi::Object kinds = Napi::Object::New(env);
  kinds.Set("INET", Napi::Number::New(env, Decoded::kInet));
  kinds.Set("INET6", Napi::Number::New(env, Decoded::kInet6));
  kinds.Set("UNIX_PATH", Napi::Number::New(env, Decoded::kUnixPath));
  kinds.Set("UNIX_ABSTRACT", Napi::Number::New(env, Decoded::kUnixAbstract));
  kinds.Set("UNIX_UNNAMED", Napi::Number::New(env, Decoded::kUnixUnnamed));
  kinds.Set("PACKET", Napi::Number::New(env, Decoded::kPacket));
  kinds.Set("NETLINK", Napi::Number::New(env, Decoded::kNetlink));
  kinds.Set("OTHER", Napi::Number::New(env, Decoded::kOther));
  kinds.Set("NONE", Napi::Number::New(env, Decoded::kNone));
  exports.Set("addressKinds", kinds);
  exports.Set("addressMetaLength", Napi::Number::New(env, static_cast<double>(kMetaLength)));
  exports.Set("addressMetaBytes", Napi::Number::New(env, static_cast<double>(kMetaBytes)));
  exports.Set("addressMetaHostOffset",
              Napi::Number::New(env, static_cast<double>(kMetaHostOffset)));
  ExportFunction(env, exports, "addressHost", AddressHost);
}

}  // namespace sockfd
