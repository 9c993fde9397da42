"""The bench suite's Python baselines: the same loops as the C programs, through the standard
socket module, with caller-owned buffers (recv_into, recvfrom_into) where Python offers them.

Usage: python3 cases.py CASE COUNT; prints {"ns": ..., "ops": ...} like the C programs.
"""

import json
import os
import socket
import struct
import sys
import time

SIZE = 64
BATCH = 64
WINDOW = 32
CHUNK = 65536
now = time.perf_counter_ns


def udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    # A lost datagram would make a blocking receive wait forever; fail instead.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 5, 0))
    return s


def getsockopt_case(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    get, level, name = s.getsockopt, socket.SOL_SOCKET, socket.SO_RCVBUF
    t0 = now()
    for _ in range(count):
        get(level, name)
    t = now() - t0
    s.close()
    return t


def recv_case(count, with_address):
    rx, tx = udp_socket(), udp_socket()
    tx.connect(rx.getsockname())
    out, buf = bytes(SIZE), bytearray(SIZE)
    recv = rx.recvfrom_into if with_address else rx.recv_into
    total = 0
    for _ in range(0, count, BATCH):
        for _ in range(BATCH):
            tx.send(out)
        t0 = now()
        for _ in range(BATCH):
            r = recv(buf)
            if (r[0] if with_address else r) != SIZE:
                raise RuntimeError("short datagram")
        total += now() - t0
    rx.close()
    tx.close()
    return total


def udp_case(count):
    rx, tx = udp_socket(), udp_socket()
    to = rx.getsockname()
    out, buf = bytes(SIZE), bytearray(SIZE)
    sendto, recvfrom_into = tx.sendto, rx.recvfrom_into
    t0 = now()
    for _ in range(0, count, WINDOW):
        for _ in range(WINDOW):
            sendto(out, to)
        for _ in range(WINDOW):
            if recvfrom_into(buf)[0] != SIZE:
                raise RuntimeError("short datagram")
    t = now() - t0
    rx.close()
    tx.close()
    return t


def tcp_pair():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    a = socket.create_connection(listener.getsockname())
    b, _ = listener.accept()
    listener.close()
    for s in (a, b):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return a, b


def recv_all(s, view):
    got = 0
    while got < SIZE:
        r = s.recv_into(view[got:])
        if r <= 0:
            raise RuntimeError("connection closed")
        got += r


def pingpong_case(count, kind):
    if kind == "tcp-pp":
        a, b = tcp_pair()
    else:
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ping, buf = bytes(SIZE), bytearray(SIZE)
    view = memoryview(buf)

    def run(n):
        t0 = now()
        for _ in range(n):
            a.send(ping)
            recv_all(b, view)
            b.send(buf)
            recv_all(a, view)
        return now() - t0

    run(count // 10)
    t = run(count)
    a.close()
    b.close()
    return t


def bulk_case(count):
    total = count * CHUNK
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    pid = os.fork()
    if pid == 0:
        r = socket.create_connection(listener.getsockname())
        r.send(b"R")
        buf = bytearray(CHUNK)
        got = 0
        while got < total:
            n = r.recv_into(buf)
            if n <= 0:
                os._exit(1)
            got += n
        r.send(b"A")
        r.close()
        os._exit(0)
    w, _ = listener.accept()
    listener.close()
    w.recv(1)
    chunk = bytes(CHUNK)
    t0 = now()
    for _ in range(count):
        w.sendall(chunk)
    w.recv(1)
    t = now() - t0
    w.close()
    os.waitpid(pid, 0)
    return t, total


def main():
    case, count = sys.argv[1], int(sys.argv[2])
    ops = count
    if case == "getsockopt":
        getsockopt_case(count // 10)
        ns = getsockopt_case(count)
    elif case in ("recv", "recvfrom"):
        count = (count + BATCH - 1) // BATCH * BATCH
        ops = count
        recv_case(count // 10, case == "recvfrom")
        ns = recv_case(count, case == "recvfrom")
    elif case == "udp":
        count = (count + WINDOW - 1) // WINDOW * WINDOW
        ops = count
        udp_case(count // 10)
        ns = udp_case(count)
    elif case in ("tcp-pp", "seq-pp"):
        ns = pingpong_case(count, case)
    elif case == "tcp-bulk":
        ns, ops = bulk_case(count)
    else:
        sys.exit(f"unknown case {case}")
    print(json.dumps({"ns": ns, "ops": ops}))


if __name__ == "__main__":
    main()
