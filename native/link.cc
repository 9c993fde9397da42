// The lab's userspace links: a thread that forwards IP packets between two TUN fds, impairing
// them on the way as tc-netem(8) would (loss, bursty loss, delay with jitter, reordering,
// duplication, corruption, a rate and a queue limit). A thread of its own, not the event loop,
// so a busy test cannot distort the link; it touches no JavaScript value.
//
// Ownership: linkStart() takes the two fds; the link closes them when linkStop() ends it, or
// when the environment that started it is torn down (a worker that ends without closing its
// lab). Never from a garbage collector: the link is an integer id, not an object.
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#ifdef __linux__
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <time.h>
#endif

#include "args.h"
#include "env.h"
#include "errors.h"
#include "exports.h"
#include "syscall.h"

namespace sockfd {

// One direction's impairments, as lib/tools/lab/userspace.ts packs them: kParams doubles.
struct Impair {
  double delay_ns = 0, jitter_ns = 0, loss = 0, burst_p = 0, burst_r = 0, duplicate = 0,
         corrupt = 0, reorder = 0, rate_bps = 0, limit = 1000, seed = -1;
};
static constexpr size_t kParams = 11;

// One direction's counters, in the order linkStats() writes them.
enum Stat {
  kReceived,
  kReceivedBytes,
  kForwarded,
  kForwardedBytes,
  kLost,
  kOverLimit,
  kDuplicated,
  kCorrupted,
  kReordered,
  kWriteErrors,
  kQueued,
  kStats
};

#ifdef __linux__

// xoshiro256** seeded through splitmix64: fast, and the same seed gives the same choices.
class Rng {
 public:
  void Seed(uint64_t seed) {
    for (auto& w : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      w = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    uint64_t result = Rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1), 53 bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4]{};
};

// Waiting packets' bytes per direction, past which more are dropped as over the limit.
static constexpr size_t kMaxQueuedBytes = 64 << 20;
// A time no packet waits past (about 146 years of CLOCK_MONOTONIC), well inside int64.
static constexpr double kFarFuture = 4.6e18;

struct Packet {
  int64_t due;   // CLOCK_MONOTONIC ns
  uint64_t seq;  // arrival order, which breaks ties so equal times keep their order
  std::vector<uint8_t> data;
};
struct Later {
  bool operator()(const Packet& x, const Packet& y) const {
    return x.due != y.due ? x.due > y.due : x.seq > y.seq;
  }
};

struct Direction {
  int in = -1, out = -1;
  Impair impair;
  Rng rng;
  bool bad = false;      // Gilbert-Elliott state
  bool gone = false;     // `in` polls as an error: its device was deleted
  int64_t tail_due = 0;  // when the last rate-limited packet leaves
  std::priority_queue<Packet, std::vector<Packet>, Later> queue;
  size_t queued_bytes = 0;
  std::atomic<uint64_t> stats[kStats] = {};
};

struct Link {
  int id;
  Direction dir[2];
  int wake = -1;  // eventfd: a new configuration, or stop
  std::atomic<bool> stop{false};
  std::mutex mu;  // guards pending
  Impair pending[2];
  std::atomic<bool> pending_set{false};
  std::thread thread;
};

static int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

static void Count(Direction& d, Stat s, uint64_t n = 1) {
  d.stats[s].fetch_add(n, std::memory_order_relaxed);
}

static void Configure(Direction& d, const Impair& impair, int index) {
  bool reseed = impair.seed != d.impair.seed || d.impair.seed < 0;
  d.impair = impair;
  if (!reseed) return;
  uint64_t seed = static_cast<uint64_t>(impair.seed);
  // No seed: the kernel's randomness, through getrandom(2), which needs no fd and cannot throw
  // as std::random_device can; the clock if even that fails.
  if (impair.seed < 0 && getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed) {
    seed = static_cast<uint64_t>(NowNs());
  }
  // Each direction its own stream, so traffic one way does not shift the other's choices.
  d.rng.Seed(seed * 2 + index);
  d.bad = false;
}

// The byte a corruption flips: past the IP header, so the packet still arrives and its UDP or
// TCP checksum catches the damage, as it would on a wire; anywhere in a bare header.
static size_t CorruptAt(const std::vector<uint8_t>& p, Rng& rng) {
  size_t header = 0;
  if (!p.empty() && p[0] >> 4 == 4) header = (p[0] & 0xf) * 4;
  if (!p.empty() && p[0] >> 4 == 6) header = 40;
  if (header >= p.size()) header = 0;
  return header + static_cast<size_t>(rng.Uniform() * (p.size() - header));
}

// One packet read from d.in: netem's order of loss, duplication, corruption, the limit, then
// the delay (jitter, reordering, rate). sch_netem.c netem_enqueue
static void Enqueue(Direction& d, std::vector<uint8_t>&& data, int64_t now, uint64_t* seq) {
  const Impair& im = d.impair;
  // Counted last, with release: a reader that sees this packet received (acquire) sees its
  // fate counted and the queue's size with it.
  struct Received {
    Direction& d;
    size_t bytes;
    ~Received() {
      d.stats[kQueued].store(d.queue.size(), std::memory_order_relaxed);
      d.stats[kReceivedBytes].fetch_add(bytes, std::memory_order_relaxed);
      d.stats[kReceived].fetch_add(1, std::memory_order_release);
    }
  } received{d, data.size()};
  // netem's order: the duplicate is decided first, and a loss then takes one copy away; a copy
  // that remains goes through the loss again on its own (netem enqueues it anew, with
  // duplication off). sch_netem.c netem_enqueue
  auto lose = [&d, &im]() -> bool {
    if (im.burst_r > 0) {
      // Gilbert-Elliott, loss in the bad state only: the mean burst is 1/r. As in netem, the
      // packet's fate is the state's before this packet's move. sch_netem.c loss_gilb_ell
      bool bad = d.bad;
      if (d.bad ? d.rng.Uniform() < im.burst_r : d.rng.Uniform() < im.burst_p) d.bad = !d.bad;
      return bad;
    }
    return im.loss > 0 && d.rng.Uniform() < im.loss;
  };
  int copies = im.duplicate > 0 && d.rng.Uniform() < im.duplicate ? 2 : 1;
  if (copies == 2) Count(d, kDuplicated);
  if (lose()) {
    Count(d, kLost);
    copies--;
  }
  if (copies == 2 && lose()) {
    Count(d, kLost);
    copies--;
  }
  for (int i = 0; i < copies; i++) {
    std::vector<uint8_t> p = i + 1 < copies ? data : std::move(data);
    if (im.corrupt > 0 && !p.empty() && d.rng.Uniform() < im.corrupt) {
      p[CorruptAt(p, d.rng)] ^= static_cast<uint8_t>(1u << (d.rng.Next() % 8));
      Count(d, kCorrupted);
    }
    // The limit, and a bound on the memory waiting packets take: a long delay at a high rate
    // must not exhaust the process.
    if (d.queue.size() >= static_cast<size_t>(im.limit) ||
        d.queued_bytes + p.size() > kMaxQueuedBytes) {
      Count(d, kOverLimit);
      continue;
    }
    int64_t due;
    if (im.reorder > 0 && d.rng.Uniform() < im.reorder) {
      // Sent at once, ahead of the delayed packets and outside the rate, as netem's reorder.
      due = now;
      Count(d, kReordered);
    } else {
      double delay = im.delay_ns;
      if (im.jitter_ns > 0) delay += im.jitter_ns * (2 * d.rng.Uniform() - 1);
      due = now + static_cast<int64_t>(delay < 0 ? 0 : delay);
      if (im.rate_bps > 0) {
        // Each packet leaves after the one before has finished: netem's rate. In double and
        // capped, so that no rate and no queue can overflow the clock's int64.
        if (d.tail_due > due) due = d.tail_due;
        double wire = p.size() * 8.0 * 1e9 / im.rate_bps;
        due = static_cast<int64_t>(std::min(static_cast<double>(due) + wire, kFarFuture));
        d.tail_due = due;
      }
    }
    d.queued_bytes += p.size();
    d.queue.push(Packet{due, (*seq)++, std::move(p)});
  }
}

static void Run(Link* link) {
  // Timers to the microsecond: the default 50 µs of slack would blur small delays and rates.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  // Named, so that /proc/<pid>/task/*/comm and top show what the thread is.
  pthread_setname_np(pthread_self(), "sockfd-link");
  uint64_t seq = 0;
  std::vector<uint8_t> buf(65536);
  while (!link->stop.load(std::memory_order_acquire)) {
    int64_t now = NowNs();
    int64_t next = -1;
    for (Direction& d : link->dir) {
      while (!d.queue.empty() && d.queue.top().due <= now) {
        const std::vector<uint8_t>& p = d.queue.top().data;
        ssize_t n = write(d.out, p.data(), p.size());
        if (n == static_cast<ssize_t>(p.size())) {
          Count(d, kForwarded);
          Count(d, kForwardedBytes, p.size());
        } else {
          Count(d, kWriteErrors);  // EIO when the far end is down; EINVAL for a mangled header
        }
        d.queued_bytes -= p.size();
        d.queue.pop();
        d.stats[kQueued].store(d.queue.size(), std::memory_order_release);
      }
      if (!d.queue.empty() && (next < 0 || d.queue.top().due < next)) next = d.queue.top().due;
    }
    // A device that is gone (its interface deleted) polls as an error for ever: it is read no
    // more, or the loop would spin. A negative fd is one ppoll skips.
    pollfd fds[3] = {{link->dir[0].gone ? -1 : link->dir[0].in, POLLIN, 0},
                     {link->dir[1].gone ? -1 : link->dir[1].in, POLLIN, 0},
                     {link->wake, POLLIN, 0}};
    timespec ts;
    timespec* timeout = nullptr;
    if (next >= 0) {
      int64_t wait = next - now;
      ts.tv_sec = wait / 1000000000;
      ts.tv_nsec = wait % 1000000000;
      timeout = &ts;
    }
    if (ppoll(fds, 3, timeout, nullptr) < 0) {
      // EINTR: look again. ENOMEM: wait a millisecond first rather than spin.
      if (errno != EINTR) {
        timespec ms = {0, 1000000};
        nanosleep(&ms, nullptr);
      }
      continue;
    }
    if (fds[2].revents & POLLIN) {
      uint64_t v;
      ssize_t ignored = read(link->wake, &v, sizeof v);
      (void)ignored;
    }
    // New impairments apply to every packet read after linkConfigure() returned: it raised the
    // flag before the sends that made those packets, so a check after each read sees it.
    auto configure = [link] {
      if (!link->pending_set.load(std::memory_order_acquire)) return;
      std::lock_guard<std::mutex> lock(link->mu);
      for (int i = 0; i < 2; i++) Configure(link->dir[i], link->pending[i], i);
      link->pending_set.store(false, std::memory_order_relaxed);
    };
    configure();
    now = NowNs();
    for (int i = 0; i < 2; i++) {
      if (fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) link->dir[i].gone = true;
      if (!(fds[i].revents & POLLIN)) continue;
      // A bounded batch, so one busy direction cannot starve the other or the timers.
      for (int n = 0; n < 64; n++) {
        ssize_t r = read(link->dir[i].in, buf.data(), buf.size());
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;  // drained
        if (r <= 0) {
          link->dir[i].gone = true;  // EBADFD: the device was deleted; it will not come back
          break;
        }
        configure();
        try {
          Enqueue(link->dir[i], std::vector<uint8_t>(buf.begin(), buf.begin() + r), now, &seq);
        } catch (const std::bad_alloc&) {
          Count(link->dir[i], kOverLimit);  // no memory for it: dropped, as a full queue drops
        }
      }
    }
  }
}

static std::mutex g_links_mu;
static std::unordered_map<int, Link*> g_links;  // every environment's, by id
static int g_next_id = 1;

static bool ReadImpair(napi_env env, napi_value v, Impair out[2]) {
  Bytes b;
  if (!ReadBytes(env, v, "params", &b)) return false;
  if (b.len != 2 * kParams * sizeof(double)) {
    ThrowRangeError(env, "ERR_OUT_OF_RANGE", "The \"params\" argument must hold 22 numbers");
    return false;
  }
  for (int i = 0; i < 2; i++) {
    double p[kParams];
    memcpy(p, static_cast<const char*>(b.data) + i * sizeof p, sizeof p);
    for (double x : p) {
      if (!(x >= -1 && x <= 9.007199254740992e15)) {
        ThrowRangeError(env, "ERR_OUT_OF_RANGE",
                        "The \"params\" argument holds a number out of range");
        return false;
      }
    }
    out[i] =
        Impair{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9] < 1 ? 1 : p[9], p[10]};
  }
  return true;
}

static void StopLink(Link* link) {
  link->stop.store(true, std::memory_order_release);
  uint64_t one = 1;
  ssize_t ignored = write(link->wake, &one, sizeof one);
  (void)ignored;
  link->thread.join();
  // Never retried: on Linux the fd is released even when close reports EINTR.
  close(link->dir[0].in);
  close(link->dir[1].in);
  close(link->wake);
  delete link;
}

// tunOpen(name) -> the fd of a new TUN interface `name` (IFF_TUN | IFF_NO_PI: IP packets with
// no extra header) in the calling thread's network namespace, or -errno; -errno - 4096 when
// /dev/net/tun itself did not open. The fd is owned by this environment from the moment it
// exists, so a worker terminated before linkStart() takes it cannot leak it; and it is not
// fs.openSync's, whose fds a worker's Node closes again at exit. TUNSETIFF, tuntap docs
static Napi::Value TunOpen(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!info[0].IsString()) {
    ThrowTypeError(env, "ERR_INVALID_ARG_TYPE", "The \"name\" argument must be of type string");
    return Napi::Value();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('\0') != std::string::npos) {
    ThrowRangeError(env, "ERR_OUT_OF_RANGE", "The \"name\" argument must be 1 to 15 bytes");
    return Napi::Value();
  }
  // Nonblocking from the start: the link's thread reads until EAGAIN.
  int fd = Retry([] { return open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK); });
  if (fd < 0) return Result(env, fd - 4096);
  ifreq req{};
  memcpy(req.ifr_name, name.data(), name.size());
  // IFF_TUN_EXCL: a new device, never one that exists (a persistent one someone else made).
  req.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_TUN_EXCL;
  if (ioctl(fd, TUNSETIFF, &req) < 0) {
    int err = errno;
    close(fd);
    return Result(env, -err);
  }
  OwnFd(env, fd);
  return Result(env, fd);
}

// linkStart(fdA, fdB, params: Float64Array(22)) -> id, or -errno. fdA and fdB must be TUN fds
// from this environment's tunOpen() (else -EBADF): the link takes them from the environment and
// closes them when it ends, so no other owner may hold them. Packets read from fdA are written
// to fdB and back, each direction impaired by its half of params. On failure the fds stay the
// environment's.
static Napi::Value LinkStart(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  int a, b;
  Impair impair[2];
  if (!ReadInt(env, info[0], "fdA", 0, INT32_MAX, &a) ||
      !ReadInt(env, info[1], "fdB", 0, INT32_MAX, &b) || !ReadImpair(env, info[2], impair)) {
    return Napi::Value();
  }
  if (a == b) return Result(info.Env(), -EINVAL);  // one fd would be closed twice
  EnvData* data = GetEnvData(env);
  for (int fd : {a, b}) {
    // Owned here, so no socket object or other environment closes it; a TUN device (which
    // tunOpen made nonblocking), so its reads end in EAGAIN rather than spin on a file's 0.
    ifreq req{};
    if (data->owned.count(fd) == 0 || ioctl(fd, TUNGETIFF, &req) < 0) {
      return Result(info.Env(), -EBADF);
    }
  }
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) return Result(info.Env(), -errno);
  auto* link = new (std::nothrow) Link();
  if (link == nullptr) {
    close(wake);
    return Result(info.Env(), -ENOMEM);
  }
  link->dir[0].in = a;
  link->dir[0].out = b;
  link->dir[1].in = b;
  link->dir[1].out = a;
  link->wake = wake;
  for (int i = 0; i < 2; i++) {
    link->dir[i].impair.seed = -2;  // differs from any seed, so Configure seeds
    Configure(link->dir[i], impair[i], i);
  }
  // The thread blocks every signal: they are the JavaScript threads' to handle.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    link->thread = std::thread(Run, link);
  } catch (const std::system_error&) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    close(wake);
    delete link;
    return Result(info.Env(), -EAGAIN);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  {
    std::lock_guard<std::mutex> lock(g_links_mu);
    link->id = g_next_id++;
    g_links[link->id] = link;
  }
  GetEnvData(env)->links.insert(link->id);
  // The link's now: the environment's teardown stops it, which closes them.
  DisownFd(env, a);
  DisownFd(env, b);
  return Napi::Number::New(env, link->id);
}

// The link `id` if this environment started it, taken out of the tables when `remove`.
static Link* Find(napi_env env, int id, bool remove) {
  EnvData* d = GetEnvData(env);
  if (d->links.count(id) == 0) return nullptr;
  std::lock_guard<std::mutex> lock(g_links_mu);
  auto it = g_links.find(id);
  if (it == g_links.end()) return nullptr;
  Link* link = it->second;
  if (remove) {
    g_links.erase(it);
    d->links.erase(id);
  }
  return link;
}

static bool ReadId(const Napi::CallbackInfo& info, int* id) {
  return ReadInt(info.Env(), info[0], "id", 1, INT32_MAX, id);
}

// linkConfigure(id, params) -> 0, or -ENOENT for a link that is not running.
static Napi::Value LinkConfigure(const Napi::CallbackInfo& info) {
  int id;
  Impair impair[2];
  if (!ReadId(info, &id) || !ReadImpair(info.Env(), info[1], impair)) return Napi::Value();
  Link* link = Find(info.Env(), id, false);
  if (link == nullptr) return Result(info.Env(), -ENOENT);
  {
    std::lock_guard<std::mutex> lock(link->mu);
    link->pending[0] = impair[0];
    link->pending[1] = impair[1];
    link->pending_set.store(true, std::memory_order_release);
  }
  uint64_t one = 1;
  ssize_t ignored = write(link->wake, &one, sizeof one);
  (void)ignored;
  return Result(info.Env(), 0);
}

// linkStats(id, out: Float64Array(22)) -> 0, or -ENOENT. Each direction's counters (Stat).
static Napi::Value LinkStats(const Napi::CallbackInfo& info) {
  int id;
  Bytes out;
  if (!ReadId(info, &id) || !ReadBytes(info.Env(), info[1], "out", &out)) return Napi::Value();
  if (out.len != 2 * kStats * sizeof(double)) {
    ThrowRangeError(info.Env(), "ERR_OUT_OF_RANGE", "The \"out\" argument must hold 22 numbers");
    return Napi::Value();
  }
  Link* link = Find(info.Env(), id, false);
  if (link == nullptr) return Result(info.Env(), -ENOENT);
  for (int i = 0; i < 2; i++) {
    // Received first, then the queue, each with acquire: every packet counted received has its
    // fate counted in what is read after it (Enqueue publishes in the opposite order).
    uint64_t v[kStats];
    v[kReceived] = link->dir[i].stats[kReceived].load(std::memory_order_acquire);
    v[kQueued] = link->dir[i].stats[kQueued].load(std::memory_order_acquire);
    for (int s = 0; s < kStats; s++) {
      if (s != kReceived && s != kQueued) {
        v[s] = link->dir[i].stats[s].load(std::memory_order_relaxed);
      }
      double d = static_cast<double>(v[s]);
      memcpy(static_cast<char*>(out.data) + (i * kStats + s) * sizeof d, &d, sizeof d);
    }
  }
  return Result(info.Env(), 0);
}

// linkStop(id) -> 0, or -ENOENT. Ends the thread, dropping what is still queued, and closes
// both fds.
static Napi::Value LinkStop(const Napi::CallbackInfo& info) {
  int id;
  if (!ReadId(info, &id)) return Napi::Value();
  Link* link = Find(info.Env(), id, true);
  if (link == nullptr) return Result(info.Env(), -ENOENT);
  StopLink(link);
  return Result(info.Env(), 0);
}

void StopLinks(EnvData* d) {
  for (int id : d->links) {
    Link* link = nullptr;
    {
      std::lock_guard<std::mutex> lock(g_links_mu);
      auto it = g_links.find(id);
      if (it == g_links.end()) continue;
      link = it->second;
      g_links.erase(it);
    }
    StopLink(link);
  }
  d->links.clear();
}

#else  // !__linux__: TUN devices are Linux's.

static Napi::Value NoLinks(const Napi::CallbackInfo& info) { return Result(info.Env(), -ENOSYS); }
static constexpr auto TunOpen = NoLinks, LinkStart = NoLinks, LinkConfigure = NoLinks,
                      LinkStats = NoLinks, LinkStop = NoLinks;
void StopLinks(EnvData* d) {}

#endif

void InitLink(Napi::Env env, Napi::Object exports) {
  exports.Set("tunOpen", Napi::Function::New(env, TunOpen, "tunOpen"));
  exports.Set("linkStart", Napi::Function::New(env, LinkStart, "linkStart"));
  exports.Set("linkConfigure", Napi::Function::New(env, LinkConfigure, "linkConfigure"));
  exports.Set("linkStats", Napi::Function::New(env, LinkStats, "linkStats"));
  exports.Set("linkStop", Napi::Function::New(env, LinkStop, "linkStop"));
}

}  // namespace sockfd
