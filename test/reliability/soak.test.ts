// The short soak of `npm test`: bench/soak.mjs opens and closes 5,000 sockets and 500 loopback
// TCP connections in a child process of its own (so RSS and /proc/self/fd are its alone) and
// fails if RSS or the fd count grows past its bound. `npm run soak` is the full 100,000 and
// 10,000.
import { expect, it } from 'vitest';

import { runNode } from '../helpers/child.js';

it('opens and closes 5,000 sockets and 500 connections with RSS and fds flat', async () => {
  const r = await runNode(
    ['--expose-gc', 'bench/soak.mjs', '--sockets', '5000', '--connections', '500'],
    { timeoutMs: 50_000 },
  );
  expect(r.code, r.output).toBe(0);
  const summary = r.stdout.split('\n').find((l) => l.includes('opened and closed in'));
  expect(summary, r.output).toBeDefined();
  process.stdout.write(`${summary}\n`);
}, 60_000);
