// UDP 64-byte send+receive rate in plain C, on 127.0.0.1 between two unconnected sockets, the
// way a UDP server talks: sendto with the peer's address, recvfrom with the sender's.
//   udp COUNT        one sendto and one recvfrom per datagram, in windows of WINDOW datagrams
//   udp-batch COUNT  sendmmsg and recvmmsg of WINDOW datagrams per call
// Prints {"ns":…,"ops":…}: the time to move COUNT datagrams.
#define _GNU_SOURCE  // sendmmsg, recvmmsg
#include "bench.h"

static int bound_socket(struct sockaddr_in* addr) {
  int fd = udp_socket(addr);
  // A lost datagram would make a blocking receive wait forever; fail instead.
  struct timeval tv = {.tv_sec = 5};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) die("setsockopt");
  return fd;
}

static long long run_single(int tx, int rx, const struct sockaddr_in* to, long count) {
  char out[SIZE] = {0}, in[SIZE];
  long long t0 = now_ns();
  for (long done = 0; done < count; done += WINDOW) {
    for (int i = 0; i < WINDOW; i++) {
      if (sendto(tx, out, SIZE, 0, (const struct sockaddr*)to, sizeof(*to)) != SIZE) die("sendto");
    }
    for (int i = 0; i < WINDOW; i++) {
      struct sockaddr_storage from;
      socklen_t len = sizeof(from);
      if (recvfrom(rx, in, sizeof(in), 0, (struct sockaddr*)&from, &len) != SIZE) die("recvfrom");
    }
  }
  return now_ns() - t0;
}

static long long run_batch(int tx, int rx, struct sockaddr_in* to, long count) {
  static char out[WINDOW][SIZE], in[WINDOW][SIZE];
  struct iovec oiov[WINDOW], iiov[WINDOW];
  struct mmsghdr omsg[WINDOW], imsg[WINDOW];
  struct sockaddr_storage from[WINDOW];
  memset(omsg, 0, sizeof(omsg));
  memset(imsg, 0, sizeof(imsg));
  for (int i = 0; i < WINDOW; i++) {
    oiov[i] = (struct iovec){out[i], SIZE};
    iiov[i] = (struct iovec){in[i], SIZE};
    omsg[i].msg_hdr = (struct msghdr){
        .msg_name = to, .msg_namelen = sizeof(*to), .msg_iov = &oiov[i], .msg_iovlen = 1};
    imsg[i].msg_hdr.msg_iov = &iiov[i];
    imsg[i].msg_hdr.msg_iovlen = 1;
  }
  long long t0 = now_ns();
  for (long done = 0; done < count; done += WINDOW) {
    for (int sent = 0; sent < WINDOW;) {
      int r = sendmmsg(tx, omsg + sent, WINDOW - sent, 0);
      if (r <= 0) die("sendmmsg");
      sent += r;
    }
    for (int got = 0; got < WINDOW;) {
      for (int i = got; i < WINDOW; i++) {
        imsg[i].msg_hdr.msg_name = &from[i];
        imsg[i].msg_hdr.msg_namelen = sizeof(from[i]);
      }
      int r = recvmmsg(rx, imsg + got, WINDOW - got, MSG_WAITFORONE, NULL);
      if (r <= 0) die("recvmmsg");
      got += r;
    }
  }
  return now_ns() - t0;
}

int main(int argc, char** argv) {
  long count = round_up(arg_count(argc, argv, "udp|udp-batch"), WINDOW);
  struct sockaddr_in ta, ra;
  int tx = bound_socket(&ta), rx = bound_socket(&ra);
  long long ns;
  if (strcmp(argv[1], "udp") == 0) {
    run_single(tx, rx, &ra, count / 10);  // warm-up
    ns = run_single(tx, rx, &ra, count);
  } else if (strcmp(argv[1], "udp-batch") == 0) {
    run_batch(tx, rx, &ra, count / 10);
    ns = run_batch(tx, rx, &ra, count);
  } else {
    unknown_case(argv[1]);
  }
  close(tx);
  close(rx);
  print_result(ns, count);
  return 0;
}
