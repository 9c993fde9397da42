// The signal storm the fault scripts run their calls under: a child process sends this one
// SIGUSR2 as fast as it can (kill() in a loop with a 50 us pause, until this process is gone),
// and a JS handler counts each signal, so every one interrupts whatever syscall is running.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

let handled = 0;

const STORM = `
  const pid = Number(process.argv[1]);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try { process.kill(pid, 'SIGUSR2'); } catch { process.exit(0); }
    Atomics.wait(pause, 0, 0, 0.05);
  }`;

/** How many SIGUSR2 the handler has counted so far. */
export function signalsHandled() {
  return handled;
}

/**
 * Installs the handler, starts the storm and resolves once its first signal has arrived;
 * `stop()` kills the sender.
 */
export async function startStorm() {
  process.on('SIGUSR2', () => {
    handled++;
  });
  const storm = spawn(process.execPath, ['-e', STORM, String(process.pid)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = () => storm.kill('SIGKILL');
  const started = performance.now();
  while (handled === 0) {
    if (performance.now() - started > 10_000) {
      stop();
      throw new Error('the storm never started');
    }
    await sleep(10);
  }
  return { stop };
}
