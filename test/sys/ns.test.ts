// unshare and setns: the calling thread leaves its network namespace and comes back by fd. Needs
// CAP_SYS_ADMIN over the current network namespace (root, or a user namespace); skipped with
// the reason otherwise. Argument errors need nothing.
import { closeSync, openSync, readlinkSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { type ArgErrorCase, expectArgError } from '../helpers/arg-errors.js';

const { CLONE_NEWNET, CLONE_NEWUSER, CLONE_NEWUTS } = s.constants;
const netns = (): string => readlinkSync('/proc/thread-self/ns/net');

/** Whether unshare(CLONE_NEWNET) is allowed here, probed in a namespace we leave at once. */
function namespacesAllowed(): { ok: true } | { ok: false; reason: string } {
  const home = openSync('/proc/thread-self/ns/net', 'r');
  try {
    s.unshare(CLONE_NEWNET);
    s.setns(home, CLONE_NEWNET);
    return { ok: true };
  } catch (e) {
    return {
      ok: false,
      reason: `unshare(CLONE_NEWNET) needs CAP_SYS_ADMIN: ${(e as Error).message}`,
    };
  } finally {
    closeSync(home);
  }
}
const allowed = namespacesAllowed();
if (!allowed.ok) console.warn(`skipping unshare/setns tests: ${allowed.reason}`);
const nsIt = allowed.ok ? it : it.skip;

describe('unshare and setns', () => {
  nsIt('unshare(CLONE_NEWNET) moves this thread to a new namespace; setns comes back by fd', () => {
    const before = netns();
    const name = { family: 'unix', abstract: `sockfd-ns-test-${process.pid}` } as const;
    const outside = s.socket(s.constants.AF_UNIX, s.constants.SOCK_DGRAM);
    s.bind(outside, name);
    const home = openSync('/proc/thread-self/ns/net', 'r');
    try {
      s.unshare(CLONE_NEWNET);
      const inside = netns();
      expect(inside).not.toBe(before);
      // Abstract unix names are per network namespace: the name taken outside is free here.
      const fd = s.socket(s.constants.AF_UNIX, s.constants.SOCK_DGRAM);
      try {
        s.bind(fd, name);
      } finally {
        s.close(fd);
      }
    } finally {
      s.setns(home, CLONE_NEWNET);
      closeSync(home);
      s.close(outside);
    }
    expect(netns()).toBe(before);
  });

  nsIt('setns refuses an fd of another kind of namespace than nstype asks', () => {
    const uts = openSync('/proc/thread-self/ns/uts', 'r');
    try {
      expect(() => s.setns(uts, CLONE_NEWNET)).toThrow(
        expect.objectContaining({ code: 'EINVAL', syscall: 'setns' }),
      );
    } finally {
      closeSync(uts);
    }
  });

  it('a new user namespace is refused to a process with threads, as Node is', () => {
    // unshare(2): CLONE_NEWUSER requires a single-threaded caller. Without privilege a kernel
    // that restricts user namespaces may say EPERM first.
    let err: unknown;
    try {
      s.unshare(CLONE_NEWUSER);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ syscall: 'unshare' });
    expect(['EINVAL', 'EPERM']).toContain((err as s.SocketError).code);
  });

  it('setns on an fd that is not a namespace fails with EINVAL', () => {
    const [a, b] = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_STREAM);
    try {
      expect(() => s.setns(a, CLONE_NEWUTS)).toThrow(
        expect.objectContaining({ code: 'EINVAL', syscall: 'setns' }),
      );
    } finally {
      s.close(a);
      s.close(b);
    }
  });
});

const argCases: ArgErrorCase[] = [
  [
    'unshare flags not a number',
    () => s.unshare('net' as never),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"flags"/,
  ],
  ['unshare flags negative', () => s.unshare(-1), 'RangeError', 'ERR_OUT_OF_RANGE', /"flags"/],
  [
    'setns fd not a number',
    () => s.setns('3' as never),
    'TypeError',
    'ERR_INVALID_ARG_TYPE',
    /"fd"/,
  ],
  ['setns fd negative', () => s.setns(-1), 'RangeError', 'ERR_OUT_OF_RANGE', /"fd"/],
  ['setns nstype a fraction', () => s.setns(0, 0.5), 'RangeError', 'ERR_OUT_OF_RANGE', /"nstype"/],
];

describe('unshare and setns argument errors', () => {
  it.each(argCases)('%s', (_, call, type, code, names) => expectArgError(call, type, code, names));
});
