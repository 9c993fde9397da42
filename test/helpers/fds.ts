// Test helpers: every fd a test opens is registered here and closed after the test, so a
// failing assertion never leaks one into the next test.
import { afterEach } from 'vitest';

import * as sockfd from '../../lib/index.js';

const open = new Set<number>();

/** Registers `fd` to be closed after the current test and returns it. */
export function own(fd: number): number {
  open.add(fd);
  return fd;
}

/** Closes `fd` now and stops tracking it. */
export function release(fd: number): void {
  open.delete(fd);
  sockfd.close(fd);
}

afterEach(() => {
  for (const fd of open) {
    try {
      sockfd.close(fd);
    } catch {
      // Already closed by the test on purpose.
    }
  }
  open.clear();
});

/** A socket of `domain`/`type`, owned by the current test. */
export function sock(domain: number, type: number, protocol = 0): number {
  return own(sockfd.socket(domain, type, protocol));
}

/** A socketpair, both ends owned by the current test. */
export function pair(domain: number, type: number): [number, number] {
  const [a, b] = sockfd.socketpair(domain, type);
  return [own(a), own(b)];
}

/** A connected TCP pair on loopback: [client, server side of the accepted connection]. */
export function tcpPair(): { client: number; server: number; listener: number } {
  const { AF_INET, SOCK_STREAM } = sockfd.constants;
  const listener = sock(AF_INET, SOCK_STREAM);
  sockfd.bind(listener, { family: 'inet', address: '127.0.0.1', port: 0 });
  sockfd.listen(listener, 8);
  const client = sock(AF_INET, SOCK_STREAM);
  sockfd.connect(client, sockfd.getsockname(listener) as sockfd.InetAddress);
  const server = own(sockfd.accept(listener).fd);
  return { client, server, listener };
}

/** Whether this process may open raw sockets (CAP_NET_RAW), and why not when it may not. */
export function rawSocketsAllowed(): { ok: true } | { ok: false; reason: string } {
  const { AF_INET, SOCK_RAW, IPPROTO_ICMP } = sockfd.constants;
  try {
    sockfd.close(sockfd.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
    return { ok: true };
  } catch (e) {
    return {
      ok: false,
      reason: `raw sockets need CAP_NET_RAW: socket() failed with ${(e as Error).message}`,
    };
  }
}

/**
 * `[a, b]` where reading element 1 runs a getter that detaches `a`'s buffer first: a views
 * array that gives up memory in the middle of a native call reading it.
 */
export function viewsDetachingFirst(a: Uint8Array, b: Uint8Array): ArrayBufferView[] {
  const views: ArrayBufferView[] = [a];
  Object.defineProperty(views, 1, {
    enumerable: true,
    get() {
      structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
      return b;
    },
  });
  return views;
}
