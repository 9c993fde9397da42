// What the bench's C programs share: the clock, the error exit, the command line, the printed
// result, and the sockets they set up. Each program is `NAME CASE COUNT` and prints one line,
// {"ns":…,"ops":…}, for the runner (bench/run.ts) to read.
#ifndef SOCKFD_BENCH_H
#define SOCKFD_BENCH_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

// Bytes per datagram or ping.
#define SIZE 64
// Datagrams in flight per window (the UDP rate rows), and per sendmmsg/recvmmsg call.
#define WINDOW 32
// Bytes per write in the bulk rows.
#define CHUNK 65536

static inline long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

__attribute__((noreturn)) static inline void die(const char* what) {
  perror(what);
  exit(1);
}

__attribute__((noreturn)) static inline void usage(const char* argv0, const char* cases) {
  fprintf(stderr, "usage: %s %s COUNT\n", argv0, cases);
  exit(2);
}

__attribute__((noreturn)) static inline void unknown_case(const char* name) {
  fprintf(stderr, "unknown case %s\n", name);
  exit(2);
}

// The COUNT of `argv0 CASE COUNT`; any other command line prints the usage and exits 2.
static inline long arg_count(int argc, char** argv, const char* cases) {
  if (argc != 3) usage(argv[0], cases);
  return atol(argv[2]);
}

static inline long round_up(long n, long to) { return (n + to - 1) / to * to; }

static inline void print_result(long long ns, long long ops) {
  printf("{\"ns\":%lld,\"ops\":%lld}\n", ns, ops);
}

static inline struct sockaddr_in loopback(void) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  return a;
}

// A UDP socket bound to an ephemeral port of 127.0.0.1, whose address is stored in `addr`.
static inline int udp_socket(struct sockaddr_in* addr) {
  struct sockaddr_in a = loopback();
  socklen_t len = sizeof(a);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (bind(fd, (struct sockaddr*)&a, sizeof(a)) < 0) die("bind");
  if (getsockname(fd, (struct sockaddr*)&a, &len) < 0) die("getsockname");
  *addr = a;
  return fd;
}

// A TCP listener on an ephemeral port of 127.0.0.1, whose address is stored in `addr`.
static inline int tcp_listener(struct sockaddr_in* addr) {
  struct sockaddr_in a = loopback();
  socklen_t len = sizeof(a);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr*)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
      getsockname(l, (struct sockaddr*)&a, &len) < 0) {
    die("listen");
  }
  *addr = a;
  return l;
}

// Both ends of one TCP connection on 127.0.0.1, with TCP_NODELAY so no 64-byte write waits
// for Nagle's algorithm.
static inline void tcp_pair(int* a, int* b) {
  struct sockaddr_in addr;
  int one = 1;
  int l = tcp_listener(&addr);
  *a = socket(AF_INET, SOCK_STREAM, 0);
  if (*a < 0 || connect(*a, (struct sockaddr*)&addr, sizeof(addr)) < 0) die("connect");
  *b = accept(l, NULL, NULL);
  if (*b < 0) die("accept");
  close(l);
  setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static inline void seqpacket_pair(int* a, int* b) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) die("socketpair");
  *a = sv[0];
  *b = sv[1];
}

static inline void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl");
}

#endif  // SOCKFD_BENCH_H
