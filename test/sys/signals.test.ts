// What a blocking call does with a signal (native/signals.h): it fails with EINTR when
// JavaScript listens to the signal, so the event loop can run the handler; without a listener
// the default action applies (SIGINT kills, as in C); an EINTR that nothing in JavaScript waits
// for is retried, and the call gives its real result. Each case runs in a child of its own,
// bounded by a timeout, so a call that never returns fails the test instead of hanging it.
import { spawn, spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { root, runChild } from '../helpers/child.js';

const CHILD = 'test/children/blocking-signal.js';
const SIGNAL_AFTER_MS = 200; // after the child says it is about to block
const BOUND_MS = 10_000; // a child still alive then is killed, and the case fails

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

// Runs the child, sends it SIGINT SIGNAL_AFTER_MS after it printed 'ready', and waits for it.
function interrupt(call: string, listen: 'listen' | 'none'): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, call, listen], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    const bound = setTimeout(() => child.kill('SIGKILL'), BOUND_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (!stdout.includes('ready') && (stdout + d).includes('ready')) {
        setTimeout(() => child.kill('SIGINT'), SIGNAL_AFTER_MS);
      }
      stdout += d;
    });
    child.on('close', (code, signal) => {
      clearTimeout(bound);
      resolve({ code, signal, stdout });
    });
  });
}

describe('a blocking call and a signal JavaScript listens to', () => {
  it.each(['recv', 'accept', 'poll', 'epoll_wait'])(
    '%s with nothing to give throws EINTR, the handler runs, the process exits',
    async (call) => {
      const r = await interrupt(call, 'listen');
      expect(r.signal, r.stdout).toBeNull();
      expect(r.code, r.stdout).toBe(0);
      const syscall = call === 'epoll_wait' ? 'epoll_wait' : call;
      expect(r.stdout).toContain(`${call} threw EINTR errno -4 syscall ${syscall}`);
      expect(r.stdout).toContain('handler ran');
    },
    20_000,
  );
});

describe('a blocking call and a signal nothing in JavaScript listens to', () => {
  it.each(['recv', 'accept', 'epoll_wait'])(
    '%s: SIGINT kills the process (the default action)',
    async (call) => {
      const r = await interrupt(call, 'none');
      expect(r.signal, r.stdout).toBe('SIGINT');
      expect(r.stdout).not.toContain('threw');
    },
    20_000,
  );
});

const hasStrace = spawnSync('strace', ['-V']).status === 0;
if (!hasStrace) {
  console.warn(
    'skipping the injected-EINTR tests: strace is not installed (apt-get install strace)',
  );
}
const INJECTED = ['getsockopt', 'getsockname', 'getpeername', 'connect', 'accept4', 'recvfrom'];

describe('an EINTR no signal handler waits for (injected with strace)', () => {
  if (!hasStrace) {
    it.skip('needs strace (apt-get install strace): not installed', () => {});
    return;
  }
  it.each(['none', 'listen'])(
    'is retried by every call, with JavaScript listening to signals: %s',
    async (listen) => {
      const inject = INJECTED.flatMap((name) => ['-e', `inject=${name}:error=EINTR:when=1`]);
      const r = await runChild(
        'strace',
        [
          '-f',
          '-qq',
          '-e',
          `trace=${INJECTED.join(',')}`,
          ...inject,
          process.execPath,
          'test/children/eintr-retry.js',
          listen,
        ],
        { timeoutMs: BOUND_MS },
      );
      expect(r.code, r.output).toBe(0);
      // Each syscall was interrupted once (the first of its kind in the process is the child's).
      for (const name of INJECTED)
        expect(r.stderr).toMatch(new RegExp(`${name}\\(.*EINTR.*INJECTED`));
      expect(r.stdout).toBe(
        [
          'getsockopt: 1',
          'getsockname: unix',
          'getpeername: unix',
          'connect unix: peer unix',
          'accept: a connection',
          'recv: data',
          '',
        ].join('\n'),
      );
    },
    30_000,
  );
});
