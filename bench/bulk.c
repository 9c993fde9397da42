// Bulk TCP throughput in plain C over blocking fds: this process writes COUNT chunks of 64 KiB
// on 127.0.0.1 while a forked child reads them with a 64 KiB buffer. The clock starts when the
// reader says it is ready and stops when it acknowledges the last byte.
// Usage: bulk tcp-bulk COUNT; prints {"ns":…,"ops":…} where ops is the bytes moved.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

static void reader(const struct sockaddr_in* addr, long long total) {
  static char buf[CHUNK];
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (const struct sockaddr*)addr, sizeof(*addr)) < 0) die("connect");
  if (send(fd, "R", 1, 0) != 1) die("send");
  for (long long got = 0; got < total;) {
    ssize_t r = recv(fd, buf, sizeof(buf), 0);
    if (r <= 0) die("recv");
    got += r;
  }
  if (send(fd, "A", 1, 0) != 1) die("send");
  close(fd);
  _exit(0);
}

int main(int argc, char** argv) {
  if (argc != 3 || strcmp(argv[1], "tcp-bulk") != 0) {
    fprintf(stderr, "usage: %s tcp-bulk COUNT\n", argv[0]);
    return 2;
  }
  long count = atol(argv[2]);
  long long total = (long long)count * CHUNK;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(addr);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr*)&addr, sizeof(addr)) < 0 || listen(l, 1) < 0 ||
      getsockname(l, (struct sockaddr*)&addr, &len) < 0) {
    die("listen");
  }
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) reader(&addr, total);
  int fd = accept(l, NULL, NULL);
  if (fd < 0) die("accept");
  close(l);
  static char chunk[CHUNK];
  char byte;
  if (recv(fd, &byte, 1, 0) != 1) die("recv");
  long long t0 = now_ns();
  for (long i = 0; i < count; i++) {
    for (size_t off = 0; off < CHUNK;) {
      ssize_t r = send(fd, chunk + off, CHUNK - off, 0);
      if (r <= 0) die("send");
      off += (size_t)r;
    }
  }
  if (recv(fd, &byte, 1, 0) != 1) die("recv");
  long long ns = now_ns() - t0;
  close(fd);
  waitpid(pid, NULL, 0);
  printf("{\"ns\":%lld,\"ops\":%lld}\n", ns, total);
  return 0;
}
