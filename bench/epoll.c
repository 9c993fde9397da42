// The async rows in plain C, in the topology sockfd runs them in: one process, one thread, one
// level-triggered epoll loop serving both ends, on nonblocking fds. Each end is a task that
// makes the syscalls sockfd's readiness engine makes, in the same order: writes are tried at
// once and wait for readiness on EAGAIN; reads follow the engine's rule (see struct end). A
// task that did not wait runs again only after the other ready tasks have had a turn, as an
// `await` does. Interest in an fd is added when a task waits on it and dropped when an event
// finds nobody waiting.
//   udp-async COUNT       sendto then recvfrom of 64 B datagrams, windows of WINDOW
//   tcp-pp-async COUNT    TCP 64 B ping-pong, the echo end reading into 64 KiB
//   seq-pp-async COUNT    AF_UNIX SOCK_SEQPACKET 64 B ping-pong
//   tcp-bulk-async COUNT  TCP writer of COUNT 64 KiB chunks and reader, with backpressure
// Prints {"ns":…,"ops":…}: datagrams, round trips, or bytes.
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "bench.h"

enum { READY, WAITING, DONE };

struct task {
  int (*step)(struct task*);
  struct task* next;  // in the ready queue
};

// One fd in the epoll set, and the task waiting on it in each direction.
struct watch {
  int fd;
  uint32_t interest;
  int added;
  struct task* reader;
  struct task* writer;
};

static int ep;
static struct task *head, *tail;  // the ready queue
static int live;                  // tasks of the current run not yet done

static void make_ready(struct task* t) {
  t->next = NULL;
  if (tail != NULL) {
    tail->next = t;
  } else {
    head = t;
  }
  tail = t;
}

static struct task* take_ready(void) {
  struct task* t = head;
  head = t->next;
  if (head == NULL) tail = NULL;
  return t;
}

static void watch_init(struct watch* w, int fd) {
  set_nonblocking(fd);
  *w = (struct watch){.fd = fd};
}

static void set_interest(struct watch* w, uint32_t interest) {
  struct epoll_event ev = {.events = interest, .data.ptr = w};
  if (epoll_ctl(ep, w->added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w->fd, &ev) < 0) die("epoll_ctl");
  w->added = 1;
  w->interest = interest;
}

// Parks `t` until `w` is readable (EPOLLIN) or writable (EPOLLOUT).
static int wait_for(struct task* t, struct watch* w, uint32_t events) {
  if (events == EPOLLIN) {
    w->reader = t;
  } else {
    w->writer = t;
  }
  if ((w->interest & events) == 0) set_interest(w, w->interest | events);
  return WAITING;
}

static void on_events(struct watch* w, uint32_t events) {
  // An error or hang-up wakes both directions; their calls report it.
  if (events & (EPOLLERR | EPOLLHUP)) events |= EPOLLIN | EPOLLOUT;
  uint32_t drop = 0;
  if (events & EPOLLIN) {
    if (w->reader != NULL) {
      make_ready(w->reader);
      w->reader = NULL;
    } else {
      drop |= EPOLLIN;
    }
  }
  if (events & EPOLLOUT) {
    if (w->writer != NULL) {
      make_ready(w->writer);
      w->writer = NULL;
    } else {
      drop |= EPOLLOUT;
    }
  }
  if (w->interest & drop) set_interest(w, w->interest & ~drop);
}

// Runs until the `n` tasks of `tasks` are done; `daemon`, if given, is started too but not
// waited for (an echo end, which serves every run).
static void run(struct task** tasks, int n, struct task* daemon) {
  live = n;
  if (daemon != NULL) make_ready(daemon);
  for (int i = 0; i < n; i++) make_ready(tasks[i]);
  for (;;) {
    while (head != NULL) {
      struct task* t = take_ready();
      int r = t->step(t);
      if (r == READY) {
        make_ready(t);
      } else if (r == DONE) {
        live--;
      }
    }
    if (live == 0) return;
    struct epoll_event evs[8];
    int k = epoll_wait(ep, evs, 8, -1);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) die("epoll_wait");
    for (int i = 0; i < k; i++) on_events(evs[i].data.ptr, evs[i].events);
  }
}

static int would_block(ssize_t r) { return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK); }

// ---------------------------------------------------------------------------------------------
// UDP: one task sends a window of datagrams with the receiver's address, then receives them
// with their sender's. Each receive finds its datagram queued (loopback delivers it within
// sendto), so it is tried at once, as sockfd's engine then does.

struct udp {
  struct task task;
  struct watch *tx, *rx;
  const struct sockaddr_in* to;
  long count, done;
  int sending, i;
};

static int udp_step(struct task* t) {
  struct udp* u = (struct udp*)t;
  static char out[SIZE], in[SIZE];
  if (u->sending) {
    ssize_t r = sendto(u->tx->fd, out, SIZE, 0, (const struct sockaddr*)u->to, sizeof(*u->to));
    if (would_block(r)) return wait_for(t, u->tx, EPOLLOUT);
    if (r != SIZE) die("sendto");
    if (++u->i == WINDOW) {
      u->i = 0;
      u->sending = 0;
    }
    return READY;
  }
  struct sockaddr_storage from;
  socklen_t len = sizeof(from);
  ssize_t r = recvfrom(u->rx->fd, in, sizeof(in), 0, (struct sockaddr*)&from, &len);
  if (would_block(r)) return wait_for(t, u->rx, EPOLLIN);
  if (r != SIZE) die("recvfrom");
  if (++u->i < WINDOW) return READY;
  u->i = 0;
  u->sending = 1;
  u->done += WINDOW;
  return u->done >= u->count ? DONE : READY;
}

static long long udp_run(struct watch* tx, struct watch* rx, const struct sockaddr_in* to,
                         long count) {
  struct udp u = {.task.step = udp_step, .tx = tx, .rx = rx, .to = to, .count = count};
  u.sending = 1;
  struct task* tasks[] = {&u.task};
  long long t0 = now_ns();
  run(tasks, 1, NULL);
  return now_ns() - t0;
}

static long long udp_case(long count) {
  struct sockaddr_in ta, ra;
  struct watch tx, rx;
  watch_init(&tx, udp_socket(&ta));
  watch_init(&rx, udp_socket(&ra));
  udp_run(&tx, &rx, &ra, count / 10);  // warm-up
  long long ns = udp_run(&tx, &rx, &ra, count);
  close(tx.fd);
  close(rx.fd);
  return ns;
}

// ---------------------------------------------------------------------------------------------
// Ping-pong: the client sends a ping and reads until the whole pong is in; the echo end writes
// back whatever it reads. Stream ends read into CHUNK bytes, as net's do.

struct end {
  struct task task;
  struct watch* w;
  int stream;
  // When a read tries its syscall before waiting: a stream read unless the last one came back
  // short (it emptied the receive queue); a message read unless the first try of the last one
  // found nothing, and then still every 16th, to notice when messages queue up again.
  int drained, wait_first, reading;
  unsigned receives;
  int sending;           // what the end does next: send (1) or receive (0)
  size_t n;              // echo: bytes to write back; client: bytes of the pong received
  size_t off;            // echo: bytes of them written
  long i, count;         // client: round trips done, and to do
  long long got, total;  // bulk reader: bytes received, and to receive
  char buf[CHUNK];
};

// One read, tried at once or after a wait as sockfd's engine decides: the bytes read, or -1
// when the end now waits for readiness.
static ssize_t end_read(struct end* e, size_t size) {
  int first = 0;
  if (!e->reading) {
    e->reading = 1;
    first = e->stream ? !e->drained : !e->wait_first || (++e->receives & 15) == 0;
    if (!first) {
      wait_for(&e->task, e->w, EPOLLIN);
      return -1;
    }
  }
  ssize_t r = recv(e->w->fd, e->buf, size, 0);
  if (first && !e->stream) e->wait_first = would_block(r);
  if (would_block(r)) {
    wait_for(&e->task, e->w, EPOLLIN);
    return -1;
  }
  if (r <= 0) die("recv");
  e->reading = 0;
  if (e->stream) e->drained = (size_t)r < size;
  return r;
}

static int client_step(struct task* t) {
  struct end* e = (struct end*)t;
  static const char ping[SIZE];
  if (e->sending) {
    ssize_t r = send(e->w->fd, ping, SIZE, MSG_NOSIGNAL);
    if (would_block(r)) return wait_for(t, e->w, EPOLLOUT);
    if (r != SIZE) die("send");
    e->sending = 0;
    e->n = 0;
    return READY;
  }
  ssize_t r = end_read(e, e->stream ? CHUNK : SIZE);
  if (r < 0) return WAITING;
  e->n += (size_t)r;
  if (e->n < SIZE) return READY;
  e->sending = 1;
  return ++e->i >= e->count ? DONE : READY;
}

static int echo_step(struct task* t) {
  struct end* e = (struct end*)t;
  if (e->sending) {
    while (e->off < e->n) {
      ssize_t r = send(e->w->fd, e->buf + e->off, e->n - e->off, MSG_NOSIGNAL);
      if (would_block(r)) return wait_for(t, e->w, EPOLLOUT);
      if (r < 0) die("send");
      e->off += (size_t)r;
    }
    e->sending = 0;
    return READY;
  }
  ssize_t r = end_read(e, e->stream ? CHUNK : SIZE);
  if (r < 0) return WAITING;
  e->n = (size_t)r;
  e->off = 0;
  e->sending = 1;
  return READY;
}

static long long pp_run(struct end* client, struct end* echo, long count, int first) {
  client->i = 0;
  client->count = count;
  client->sending = 1;
  struct task* tasks[] = {&client->task};
  long long t0 = now_ns();
  run(tasks, 1, first ? &echo->task : NULL);
  return now_ns() - t0;
}

static long long pp_case(int stream, long count) {
  static struct end client, echo;
  struct watch wa, wb;
  int a, b;
  if (stream) {
    tcp_pair(&a, &b);
  } else {
    seqpacket_pair(&a, &b);
  }
  watch_init(&wa, a);
  watch_init(&wb, b);
  client = (struct end){.task.step = client_step, .w = &wa, .stream = stream};
  echo = (struct end){.task.step = echo_step, .w = &wb, .stream = stream};
  pp_run(&client, &echo, count / 10, 1);  // warm-up
  long long ns = pp_run(&client, &echo, count, 0);
  close(a);
  close(b);
  return ns;
}

// ---------------------------------------------------------------------------------------------
// Bulk: a writer of 64 KiB chunks and a reader into 64 KiB, on the two ends of one connection.

struct writer {
  struct task task;
  struct watch* w;
  long i, count;
  size_t off;
};

static int writer_step(struct task* t) {
  struct writer* wr = (struct writer*)t;
  static const char chunk[CHUNK];
  while (wr->off < CHUNK) {
    ssize_t r = send(wr->w->fd, chunk + wr->off, CHUNK - wr->off, MSG_NOSIGNAL);
    if (would_block(r)) return wait_for(t, wr->w, EPOLLOUT);
    if (r <= 0) die("send");
    wr->off += (size_t)r;
  }
  wr->off = 0;
  return ++wr->i >= wr->count ? DONE : READY;
}

static int reader_step(struct task* t) {
  struct end* e = (struct end*)t;
  ssize_t r = end_read(e, CHUNK);
  if (r < 0) return WAITING;
  e->got += r;
  return e->got >= e->total ? DONE : READY;
}

static long long bulk_case(long count) {
  static struct end rd;
  struct writer wr;
  struct watch wa, wb;
  int a, b;
  tcp_pair(&a, &b);
  watch_init(&wa, a);
  watch_init(&wb, b);
  wr = (struct writer){.task.step = writer_step, .w = &wa, .count = count};
  rd = (struct end){.task.step = reader_step, .w = &wb, .stream = 1};
  rd.total = (long long)count * CHUNK;
  struct task* tasks[] = {&wr.task, &rd.task};
  long long t0 = now_ns();
  run(tasks, 2, NULL);
  long long ns = now_ns() - t0;
  close(a);
  close(b);
  return ns;
}

int main(int argc, char** argv) {
  long count = arg_count(argc, argv, "udp-async|tcp-pp-async|seq-pp-async|tcp-bulk-async");
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  if (strcmp(argv[1], "udp-async") == 0) {
    count = round_up(count, WINDOW);
    print_result(udp_case(count), count);
  } else if (strcmp(argv[1], "tcp-pp-async") == 0) {
    print_result(pp_case(1, count), count);
  } else if (strcmp(argv[1], "seq-pp-async") == 0) {
    print_result(pp_case(0, count), count);
  } else if (strcmp(argv[1], "tcp-bulk-async") == 0) {
    print_result(bulk_case(count), (long long)count * CHUNK);
  } else {
    unknown_case(argv[1]);
  }
  return 0;
}
