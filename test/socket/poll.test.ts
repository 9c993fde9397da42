// The readiness engine on its own: what its failures name, and what close does to its waits.
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { PollDesc } from '../../lib/socket/poll.js';

const dir = mkdtempSync(join(tmpdir(), 'sockfd-poll-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// epoll(7): epoll_ctl(EPOLL_CTL_ADD) refuses a regular file with EPERM, and uv_poll_init
// makes that call to check the fd.
const EPOLL_REFUSES_REGULAR_FILES = 'EPERM';

describe('PollDesc', () => {
  it('a watch epoll refuses rejects naming uv_poll_init, the libuv call that failed', async () => {
    const fd = openSync(join(dir, 'regular'), 'w+');
    try {
      const poll = new PollDesc(fd);
      await expect(poll.wait('read', undefined)).rejects.toMatchObject({
        code: EPOLL_REFUSES_REGULAR_FILES,
        syscall: 'uv_poll_init',
      });
      poll.close();
    } finally {
      closeSync(fd);
    }
  });

  it.each([
    ['wait', (p: PollDesc) => p.wait('read', undefined)],
    ['io', (p: PollDesc) => p.io('read', undefined, () => -s.constants.EAGAIN)],
    ['sleep', (p: PollDesc) => p.sleep(60_000, undefined)],
  ])(
    'close rejects a pending %s, and one made after it, with ERR_SOCKET_CLOSED',
    async (_, call) => {
      const [a, b] = s.socketpair(s.constants.AF_UNIX, s.constants.SOCK_STREAM);
      try {
        s.setNonblocking(a, true);
        const poll = new PollDesc(a);
        const pending = call(poll);
        poll.close();
        await expect(pending).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
        await expect(call(poll)).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
      } finally {
        s.close(a);
        s.close(b);
      }
    },
  );
});
