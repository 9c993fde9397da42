// sendmmsg and recvmmsg: a batch of messages per syscall, on reusable typed arrays, with the
// views of every message in one array or in one ArrayBuffer (the slab).
//
// The TypeScript layer hands these calls fresh plain arrays it built itself, so no user getter
// can run (and detach a buffer) between reading a view's pointer and the syscall.
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "cmsg_napi.h"
#include "exports.h"
#include "msg.h"
#include "sockaddr_napi.h"
#include "syscall.h"

namespace sockfd {
namespace {

// The kernel handles at most UIO_MAXIOV (IOV_MAX) messages per call.
constexpr size_t kMaxBatch = IOV_MAX;
// Each message's slot in a batch's address buffer.
constexpr size_t kNameSlot = sizeof(sockaddr_storage);

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
  // iovCounts as validated, for the messages one call handles: read once, since the array may
  // live in a SharedArrayBuffer that another thread writes to meanwhile.
  int32_t counts[kMaxBatch];
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
    const int32_t count = counts[i];
    if (count < 0 || count > IOV_MAX) return ThrowArgRange(env, "iovCounts[i]", 0, IOV_MAX);
    total += static_cast<size_t>(count);
    if (i < kMaxBatch) b->counts[i] = count;
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
// Reading an array of views can run JavaScript (see cmsg_napi.h, ControlList) that changes
// iovCounts or detaches the typed arrays, so the iovec layout is fixed from iovCounts first, the
// views are turned into pointers only after all of them were read, and the typed arrays are read
// again (iovCounts checked unchanged) before names and results are touched.
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

// Each message's control data in one buffer, every message's part starting aligned for a
// cmsghdr.
using ControlBuffer = std::vector<uint64_t>;

constexpr size_t Aligned(size_t n) { return (n + sizeof(uint64_t) - 1) & ~(sizeof(uint64_t) - 1); }

// Reads sendmmsg's optional `controls` argument at `at`: an array with, per message, a control
// list as sendmsg takes (or null). Read before anything else of the batch: it can run JavaScript
// (see ControlList), which must not run once the batch's pointers are taken. `out` stays empty
// when the argument is undefined or null.
bool ReadBatchControl(const Napi::CallbackInfo& info, size_t at, std::vector<ControlList>* out) {
  napi_env env = info.Env();
  if (info[at].IsUndefined() || info[at].IsNull()) return true;
  uint32_t n;
  if (!IsArray(env, info[at], &n) || n > kMaxBatch) {
    return ThrowArgType(env, "controls", "an array of one control list (or null) per message");
  }
  out->resize(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    if (napi_get_element(env, info[at], i, &item) != napi_ok ||
        !ReadControl(env, item, &(*out)[i])) {
      return false;
    }
  }
  return true;
}

// Encodes each message's control list into `buf` and points its mmsghdr at it. Runs no
// JavaScript.
bool EncodeBatchControl(napi_env env, std::vector<ControlList>* controls, size_t vlen,
                        mmsghdr* msgs, ControlBuffer* buf) {
  std::vector<size_t> need(vlen);
  size_t total = 0;
  for (size_t i = 0; i < vlen; i++) {
    ControlList& c = (*controls)[i];
    if (!ResolveControl(env, &c)) return false;
    need[i] = CmsgEncodedLength(c.items.data(), c.items.size());
    if (need[i] > static_cast<size_t>(kMaxControl)) {
      return ThrowRangeError(env, "ERR_OUT_OF_RANGE",
                             "The \"control\" messages of one message exceed 65536 bytes");
    }
    total += Aligned(need[i]);
  }
  buf->assign(total / sizeof(uint64_t), 0);
  auto* base = reinterpret_cast<unsigned char*>(buf->data());
  size_t at = 0;
  for (size_t i = 0; i < vlen; i++) {
    ControlList& c = (*controls)[i];
    size_t len = 0;
    if (need[i] > 0) EncodeCmsgs(c.items.data(), c.items.size(), base + at, need[i], &len);
    msgs[i].msg_hdr.msg_control = len ? base + at : nullptr;
    msgs[i].msg_hdr.msg_controllen = len;
    at += Aligned(need[i]);
  }
  return true;
}

// sendmmsg(fd, views[], iovCounts, names | null, state, flags) -> messages sent or -errno;
// state[3i] receives each sent message's byte count. sendmmsg(2)
// With `controls` (after flags; see ReadBatchControl), each message carries its own control
// messages, encoded as sendmsg encodes them.
template <bool kSlab>
Napi::Value SendMmsg(const Napi::CallbackInfo& info) {
  std::vector<ControlList> controls;
  if (!ReadBatchControl(info, kSlab ? 7 : 6, &controls)) return Napi::Value();
  Batch b;
  if (!ArgBatch(info, &b, kSlab)) return Napi::Value();
  if (!controls.empty() && controls.size() != b.n) {
    ThrowArgType(info.Env(), "controls", "an array of one control list (or null) per message");
    return Napi::Value();
  }
  ScratchLease s;
  size_t vlen = b.n < kMaxBatch ? b.n : kMaxBatch;
  if (!FillBatch(info, &b, vlen, false, s.operator->())) return Napi::Value();
  ControlBuffer cbuf;
  if (!controls.empty() &&
      !EncodeBatchControl(info.Env(), &controls, vlen, s->msgs.data(), &cbuf)) {
    return Napi::Value();
  }
  int r = Blocking(b.fd, POLLOUT, SO_SNDTIMEO, b.flags, false, [&](int extra) {
    return sendmmsg(b.fd, s->msgs.data(), static_cast<unsigned>(vlen),
                    b.flags | extra | MSG_NOSIGNAL);
  });
  for (int i = 0; i < r; i++) b.state[3 * i] = static_cast<int32_t>(s->msgs[i].msg_len);
  return Result(info.Env(), r);
}

// recvmmsg(fd, views[], iovCounts, names | null, state, flags, timeoutMs[, controlLengths])
// -> messages received or -errno; state[3i..3i+2] receive each message's bytes, msg_flags and
// address length, the address itself lands in names at i * sizeofSockaddrStorage. timeoutMs -1
// waits without a limit. recvmmsg(2)
// With `controlLengths` (an Int32Array of one control buffer size per message) the result is
// instead an array of the received messages' control lists, as recvmsg returns them, and
// MSG_CMSG_CLOEXEC is added as recvmsg adds it.
template <bool kSlab>
Napi::Value RecvMmsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Batch b;
  int32_t timeout_ms;
  if (!ArgBatch(info, &b, kSlab) ||
      !ArgInt(info, kSlab ? 7 : 6, "timeoutMs", -1, INT32_MAX, &timeout_ms)) {
    return Napi::Value();
  }
  const size_t cat = kSlab ? 8 : 7;
  int32_t* clens = nullptr;
  size_t nclens = 0;
  if (!info[cat].IsUndefined() && !info[cat].IsNull() &&
      !ReadInt32Array(env, info[cat], "controlLengths", &clens, &nclens)) {
    return Napi::Value();
  }
  if (clens != nullptr && nclens != b.n) {
    ThrowArgType(env, "controlLengths", "an Int32Array of one length per message");
    return Napi::Value();
  }
  ScratchLease s;
  size_t vlen = b.n < kMaxBatch ? b.n : kMaxBatch;
  if (!FillBatch(info, &b, vlen, true, s.operator->())) return Napi::Value();
  // The lengths, read once (FillBatch may have run JavaScript), and the control buffers.
  std::vector<size_t> offered;
  ControlBuffer cbuf;
  if (clens != nullptr) {
    if (!ReadInt32Array(env, info[cat], "controlLengths", &clens, &nclens) || nclens != b.n) {
      ThrowArgType(env, "controlLengths", "an Int32Array of one length per message");
      return Napi::Value();
    }
    offered.resize(vlen);
    size_t total = 0;
    for (size_t i = 0; i < vlen; i++) {
      if (clens[i] < 0 || clens[i] > kMaxControl) {
        ThrowArgRange(env, "controlLengths[i]", 0, kMaxControl);
        return Napi::Value();
      }
      offered[i] = static_cast<size_t>(clens[i]);
      total += Aligned(offered[i]);
    }
    cbuf.assign(total / sizeof(uint64_t), 0);
  }
  bool any_control = false;
  for (size_t len : offered) any_control = any_control || len > 0;
  int cloexec = 0;
#ifdef MSG_CMSG_CLOEXEC
  if (any_control) cloexec = MSG_CMSG_CLOEXEC;
#endif
  timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  auto call = [&](int flags) {
    return Blocking(b.fd, POLLIN, SO_RCVTIMEO, flags, false, [&](int extra) {
      // The kernel rewrites each message's control length; offer them again for each try.
      size_t at = 0;
      auto* base = reinterpret_cast<unsigned char*>(cbuf.data());
      for (size_t i = 0; i < offered.size(); i++) {
        msghdr& h = s->msgs[i].msg_hdr;
        h.msg_control = offered[i] ? base + at : nullptr;
        h.msg_controllen = offered[i];
        at += Aligned(offered[i]);
      }
      return recvmmsg(b.fd, s->msgs.data(), static_cast<unsigned>(vlen), flags | extra,
                      timeout_ms < 0 ? nullptr : &ts);
    });
  };
  // Without a control buffer no fd can arrive: the kernel discards any and sets MSG_CTRUNC.
  // AF_PACKET and a few others refuse MSG_CMSG_CLOEXEC and pass no fds (see msg.cc).
  int r = call(b.flags | cloexec);
  if (r == -EINVAL && cloexec && !IsUnixSocket(b.fd)) r = call(b.flags);
  for (int i = 0; i < r; i++) {
    msghdr& h = s->msgs[i].msg_hdr;
    b.state[3 * i] = static_cast<int32_t>(s->msgs[i].msg_len);
    b.state[3 * i + 1] = ReportedFlags(h.msg_flags);
    b.state[3 * i + 2] = static_cast<int32_t>(b.names ? h.msg_namelen : 0);
    // What the kernel wrote never exceeds what was offered; trust no more than that.
    if (!offered.empty() && h.msg_controllen > offered[i]) h.msg_controllen = offered[i];
  }
  if (clens == nullptr || r < 0) return Result(env, r);
  // From here on a failure leaves the caller without the fds that arrived: close them all.
  Napi::Array out = Napi::Array::New(env, static_cast<size_t>(r));
  bool ok = !out.IsEmpty();
  for (int i = 0; ok && i < r; i++) {
    Napi::Value control = ControlToJs(env, &s->msgs[i].msg_hdr);
    ok = !control.IsEmpty() && out.Set(static_cast<uint32_t>(i), control) &&
         !env.IsExceptionPending();
  }
  if (ok) return out;
  for (int i = 0; i < r; i++) CloseReceivedFds(&s->msgs[i].msg_hdr);
  return Napi::Value();
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

}  // namespace

void InitMmsg(Napi::Env env, Napi::Object exports) {
  exports.Set("sendmmsg", Napi::Function::New(env, SendMmsg<false>, "sendmmsg"));
  exports.Set("recvmmsg", Napi::Function::New(env, RecvMmsg<false>, "recvmmsg"));
  // The same with the views as a slab and its layout (see Batch).
  exports.Set("sendmmsgSlab", Napi::Function::New(env, SendMmsg<true>, "sendmmsgSlab"));
  exports.Set("recvmmsgSlab", Napi::Function::New(env, RecvMmsg<true>, "recvmmsgSlab"));
  exports.Set("encodeAddress", Napi::Function::New(env, EncodeAddress, "encodeAddress"));
  exports.Set("decodeAddress", Napi::Function::New(env, DecodeAddress, "decodeAddress"));
  exports.Set("sizeofSockaddrStorage", Napi::Number::New(env, kNameSlot));
}

}  // namespace sockfd
