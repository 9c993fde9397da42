// 64-byte ping-pong in plain C over blocking fds: TCP on 127.0.0.1 (TCP_NODELAY) or an AF_UNIX
// SOCK_SEQPACKET pair. Both ends run in this one thread, in lockstep: the ping is queued at the
// far end by the time send() returns, so no receive waits and each round trip is exactly four
// syscalls, with no scheduler wake-ups to blur the comparison on a busy machine.
// Usage: pingpong tcp-pp|seq-pp COUNT; prints {"ns":…,"ops":…} for COUNT round trips.
#include "bench.h"

// A stream may hand over fewer bytes than were sent; a seqpacket record always comes whole.
static void recv_all(int fd, char* buf, size_t n) {
  for (size_t got = 0; got < n;) {
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r <= 0) die("recv");
    got += (size_t)r;
  }
}

static long long run(int a, int b, long count) {
  char ping[SIZE] = {0}, buf[SIZE];
  long long t0 = now_ns();
  for (long i = 0; i < count; i++) {
    if (send(a, ping, SIZE, 0) != SIZE) die("send");
    recv_all(b, buf, SIZE);
    if (send(b, buf, SIZE, 0) != SIZE) die("send");
    recv_all(a, buf, SIZE);
  }
  return now_ns() - t0;
}

int main(int argc, char** argv) {
  long count = arg_count(argc, argv, "tcp-pp|seq-pp");
  int a, b;
  if (strcmp(argv[1], "tcp-pp") == 0) {
    tcp_pair(&a, &b);
  } else if (strcmp(argv[1], "seq-pp") == 0) {
    seqpacket_pair(&a, &b);
  } else {
    unknown_case(argv[1]);
  }
  run(a, b, count / 10);  // warm-up
  long long ns = run(a, b, count);
  close(a);
  close(b);
  print_result(ns, count);
  return 0;
}
