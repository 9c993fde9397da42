// Bulk TCP throughput in plain C over blocking fds: this process writes COUNT chunks of 64 KiB
// on 127.0.0.1 while a forked child reads them with a 64 KiB buffer. The clock starts when the
// reader says it is ready and stops when it acknowledges the last byte.
// Usage: bulk tcp-bulk COUNT; prints {"ns":…,"ops":…} where ops is the bytes moved.
#include <sys/wait.h>

#include "bench.h"

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
  long count = arg_count(argc, argv, "tcp-bulk");
  if (strcmp(argv[1], "tcp-bulk") != 0) usage(argv[0], "tcp-bulk");
  long long total = (long long)count * CHUNK;
  struct sockaddr_in addr;
  int l = tcp_listener(&addr);
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
  print_result(ns, total);
  return 0;
}
