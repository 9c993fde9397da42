// The type guards that narrow an address the kernel returned (getsockname, recvfrom, accept:
// every family's type) to one family, as the syscall layer cannot know an fd's family.
import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { pair, sock } from '../helpers/fds.js';

const { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM } = s.constants;

describe('address type guards', () => {
  it.each([
    ['inet', () => sock(AF_INET, SOCK_DGRAM), [true, false, false]],
    ['inet6', () => sock(AF_INET6, SOCK_DGRAM), [false, true, false]],
    ['unix', () => pair(AF_UNIX, SOCK_DGRAM)[0], [false, false, true]],
  ] as const)('getsockname of an %s socket', (_family, open, want) => {
    const a = s.getsockname(open());
    expect([s.isInetAddress(a), s.isInet6Address(a), s.isUnixAddress(a)]).toEqual(want);
  });

  it('null and undefined are no address of any family', () => {
    for (const guard of [s.isInetAddress, s.isInet6Address, s.isUnixAddress]) {
      expect(guard(null)).toBe(false);
      expect(guard(undefined)).toBe(false);
    }
  });
});
