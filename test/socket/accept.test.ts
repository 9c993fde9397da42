// A listener's connections() survives what a busy server meets: connections aborted before they
// were taken, and fds running out. Errors the kernel cannot be made to return on demand are
// injected into accept4 with strace.
import { spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { type ChildResult, runChild } from '../helpers/child.js';

const strace = spawnSync('strace', ['-V']).status === 0;
if (!strace)
  console.warn('accept error tests skipped: strace is not installed (apt-get install strace)');

/** The child's result, with `error` injected into its accept4 calls number `when`. */
async function underStrace(
  error: string,
  when: string,
  mode: 'report' | 'warn',
): Promise<ChildResult> {
  return runChild(
    'strace',
    [
      '-f',
      '-qq',
      '-o',
      '/dev/null',
      '-e',
      'trace=accept4',
      '-e',
      `inject=accept4:error=${error}:when=${when}`,
      process.execPath,
      'test/children/accept-errors.js',
      mode,
    ],
    { timeoutMs: 20_000 },
  );
}

function parse(r: ChildResult): { accepted: number; errors: string[]; ended: string } {
  expect(r.code, r.output).toBe(0);
  return JSON.parse(r.stdout) as { accepted: number; errors: string[]; ended: string };
}

describe.skipIf(!strace)('connections() under accept errors', () => {
  // accept4 call 1 finds the queue empty (EAGAIN); call 2 is the first connection's.
  it('skips a connection aborted before it was taken, and reports it', async () => {
    const r = parse(await underStrace('ECONNABORTED', '2', 'report'));
    expect(r).toEqual({ accepted: 3, errors: ['ECONNABORTED'], ended: 'closed' });
  });

  it('waits and tries again while fds run out, reporting each failure', async () => {
    const r = parse(await underStrace('EMFILE', '2..4', 'report'));
    expect(r).toEqual({ accepted: 3, errors: ['EMFILE', 'EMFILE', 'EMFILE'], ended: 'closed' });
  });

  it('without onError, says once in a process warning that fds ran out', async () => {
    const res = await underStrace('ENFILE', '2..3', 'warn');
    expect(parse(res)).toEqual({ accepted: 3, errors: [], ended: 'closed' });
    expect(res.stderr.match(/SOCKFD_ACCEPT_RETRY/g), res.stderr).toHaveLength(1);
    expect(res.stderr).toMatch(/accept ENFILE/);
  });

  it('ends by throwing on an error that persists', async () => {
    const r = parse(await underStrace('EINVAL', '2', 'report'));
    expect(r).toEqual({ accepted: 0, errors: [], ended: 'EINVAL' });
  });
});
