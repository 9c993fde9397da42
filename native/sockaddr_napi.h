// Socket addresses between JavaScript and the kernel: N-API glue over the codec of sockaddr.cc.
// Reads the address group of an argument list and builds address objects and `meta` buffers.
#pragma once

#include <napi.h>

#include "sockaddr.h"

namespace sockfd {

// Reads the address group the TypeScript layer passes at info[i..i+4]:
// (family, host, port, flowinfo, scopeId). host is the IP text or unix path (a string), an
// abstract unix name (an ArrayBufferView), or null for an unnamed unix address.
// For AF_UNIX, port 1 (kUnixPathBytes) says that a view host is a pathname's bytes rather than
// an abstract name.
// AF_PACKET uses the slots as (family, hwaddr view or null, protocol, ifindex,
// hatype << 8 | pkttype); AF_NETLINK as (family, null, 0, pid, groups), the 32-bit values as
// C ints.
constexpr uint32_t kUnixPathBytes = 1;
bool ArgSockaddr(const Napi::CallbackInfo& info, size_t i, sockaddr_storage* out, socklen_t* len);
// The same from five plain napi_values (the hot-path form).
bool ReadSockaddr(napi_env env, const napi_value* args, sockaddr_storage* out, socklen_t* len);

// Reads the ArrayBuffer (addressMetaBytes long) an address is decoded into.
bool ReadMeta(napi_env env, napi_value v, double** out);

// Decodes what the kernel returned into `meta` ([0] `result`, the call's own result such as the
// byte count or the new fd, then the address's kind, port, flowinfo, scope id and sa_family)
// and returns the host: the IP text or unix path (a string; undefined when it is the same text
// as the last string returned with this `meta`), the abstract name or unknown family's bytes
// (a Buffer), or null. A unix path that is not valid UTF-8 comes as a Buffer of its bytes, with
// the kind UNIX_PATH all the same. lib/address.ts
// builds the address object from the two; building it in JavaScript costs a fraction of
// setting its properties one by one through Node-API. nullptr with an exception on failure.
napi_value AddressToMeta(napi_env env, const sockaddr_storage* sa, socklen_t len, double result,
                         double* meta);

// Builds { family: 'inet' | 'inet6' | 'unix' | 'packet' | 'netlink' | 'other', ... } from what the
// kernel returned, or null when the kernel returned no address.
Napi::Value MakeAddress(Napi::Env env, const sockaddr_storage* sa, socklen_t len);

}  // namespace sockfd
