// The cost of one call, in plain C: getsockopt(SO_RCVBUF), and recv/recvfrom of a 64-byte
// datagram that is already queued. The physical limit the sockfd rows are compared with.
// Usage: syscall getsockopt|recv|recvfrom COUNT; prints {"ns":…,"ops":…} for the timed calls.
#include "bench.h"

// Datagrams queued before each timed run of receives: well inside the default receive buffer,
// so none is dropped.
#define BATCH 64

// Two UDP sockets on 127.0.0.1, the first connected to the second.
static void udp_pair(int* tx, int* rx) {
  struct sockaddr_in a;
  *rx = udp_socket(&a);
  *tx = socket(AF_INET, SOCK_DGRAM, 0);
  if (*tx < 0) die("socket");
  if (connect(*tx, (struct sockaddr*)&a, sizeof(a)) < 0) die("connect");
}

static long long bench_getsockopt(long count) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  long long t0 = now_ns();
  for (long i = 0; i < count; i++) {
    int v;
    socklen_t len = sizeof(v);
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) < 0) die("getsockopt");
  }
  long long t = now_ns() - t0;
  close(fd);
  return t;
}

// Only the receives are timed; each run of BATCH receives finds every datagram queued.
static long long bench_recv(long count, int with_address) {
  int tx, rx;
  udp_pair(&tx, &rx);
  char out[SIZE] = {0}, in[SIZE];
  long long total = 0;
  for (long done = 0; done < count; done += BATCH) {
    for (int i = 0; i < BATCH; i++) {
      if (send(tx, out, SIZE, 0) != SIZE) die("send");
    }
    long long t0 = now_ns();
    for (int i = 0; i < BATCH; i++) {
      ssize_t r;
      if (with_address) {
        struct sockaddr_storage from;
        socklen_t len = sizeof(from);
        r = recvfrom(rx, in, sizeof(in), 0, (struct sockaddr*)&from, &len);
      } else {
        r = recv(rx, in, sizeof(in), 0);
      }
      if (r != SIZE) die("recv");
    }
    total += now_ns() - t0;
  }
  close(tx);
  close(rx);
  return total;
}

int main(int argc, char** argv) {
  long count = round_up(arg_count(argc, argv, "getsockopt|recv|recvfrom"), BATCH);
  long long ns;
  if (strcmp(argv[1], "getsockopt") == 0) {
    bench_getsockopt(count / 10);  // warm-up
    ns = bench_getsockopt(count);
  } else if (strcmp(argv[1], "recv") == 0 || strcmp(argv[1], "recvfrom") == 0) {
    int with_address = strcmp(argv[1], "recvfrom") == 0;
    bench_recv(count / 10, with_address);
    ns = bench_recv(count, with_address);
  } else {
    unknown_case(argv[1]);
  }
  print_result(ns, count);
  return 0;
}
