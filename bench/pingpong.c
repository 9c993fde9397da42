// 64-byte ping-pong in plain C over blocking fds: TCP on 127.0.0.1 (TCP_NODELAY) or an AF_UNIX
// SOCK_SEQPACKET pair. Both ends run in this one thread, in lockstep: the ping is queued at the
// far end by the time send() returns, so no receive waits and each round trip is exactly four
// syscalls, with no scheduler wake-ups to blur the comparison on a busy machine.
// Usage: pingpong tcp-pp|seq-pp COUNT; prints {"ns":…,"ops":…} for COUNT round trips.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SIZE 64

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

static void tcp_pair(int* a, int* b) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(addr);
  int one = 1;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr*)&addr, sizeof(addr)) < 0 || listen(l, 1) < 0 ||
      getsockname(l, (struct sockaddr*)&addr, &len) < 0) {
    die("listen");
  }
  *a = socket(AF_INET, SOCK_STREAM, 0);
  if (*a < 0 || connect(*a, (struct sockaddr*)&addr, sizeof(addr)) < 0) die("connect");
  *b = accept(l, NULL, NULL);
  if (*b < 0) die("accept");
  close(l);
  setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

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
  if (argc != 3) {
    fprintf(stderr, "usage: %s tcp-pp|seq-pp COUNT\n", argv[0]);
    return 2;
  }
  long count = atol(argv[2]);
  int a, b;
  if (strcmp(argv[1], "tcp-pp") == 0) {
    tcp_pair(&a, &b);
  } else if (strcmp(argv[1], "seq-pp") == 0) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) die("socketpair");
    a = sv[0];
    b = sv[1];
  } else {
    fprintf(stderr, "unknown case %s\n", argv[1]);
    return 2;
  }
  run(a, b, count / 10);  // warm-up
  long long ns = run(a, b, count);
  close(a);
  close(b);
  printf("{\"ns\":%lld,\"ops\":%ld}\n", ns, count);
  return 0;
}
