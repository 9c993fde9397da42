// The signal storm the fault scripts run their calls under: a child process sends this one a
// signal as fast as it can (kill() in a loop with a 50 us pause, until this process is gone).
// By default that is SIGUSR2, which a JS handler counts, so every one interrupts whatever
// syscall is running and leaves a handler waiting for the event loop. `startStorm('SIGCHLD')`
// sends SIGCHLD instead, which only libuv's native handler takes: JavaScript listens to
// SIGUSR2 all the same (so blocking calls take their signal-aware path), but no handler of its
// ever waits; the sender counts what it sent in a file.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

let handled = 0;
let countFile = null;

const STORM = `
  const fs = require('fs');
  const [pid, signal, file] = process.argv.slice(1);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const fd = fs.openSync(file, 'w');
  for (let n = 1; ; n++) {
    try { process.kill(Number(pid), signal); } catch { process.exit(0); }
    if (n % 16 === 0) fs.writeSync(fd, String(n).padStart(12), 0);
    Atomics.wait(pause, 0, 0, 0.05);
  }`;

/** How many SIGUSR2 the handler has counted so far, or with SIGCHLD how many were sent. */
export function signalsHandled() {
  if (countFile === null) return handled;
  try {
    return Number(readFileSync(countFile, 'utf8').trim() || 0);
  } catch {
    return 0;
  }
}

/**
 * Installs the handler, starts the storm and resolves once its first signal has arrived;
 * `stop()` kills the sender.
 */
export async function startStorm(signal = 'SIGUSR2') {
  process.on('SIGUSR2', () => {
    handled++;
  });
  countFile = signal === 'SIGUSR2' ? null : join(tmpdir(), `sockfd-storm-${process.pid}`);
  const file = countFile ?? '/dev/null';
  const storm = spawn(process.execPath, ['-e', STORM, String(process.pid), signal, file], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = () => {
    storm.kill('SIGKILL');
    if (countFile !== null) rmSync(countFile, { force: true });
  };
  const started = performance.now();
  while (signalsHandled() === 0) {
    if (performance.now() - started > 10_000) {
      stop();
      throw new Error('the storm never started');
    }
    await sleep(10);
  }
  return { stop };
}
