// Tells the addon how many signal listeners JavaScript has (native/signals.h): while there are
// any, a blocking call waits in poll(2) so that a signal can end it with EINTR and the event
// loop can run the handler, instead of sleeping in a call the kernel restarts (SA_RESTART).
import { constants } from 'node:os';
import { isMainThread } from 'node:worker_threads';

const signalNames = new Set(Object.keys(constants.signals));

function isSignal(name: string | symbol): name is string {
  return typeof name === 'string' && signalNames.has(name);
}

// Counted afresh each time (listeners come and go rarely), so no event can make it drift.
function countListeners(): number {
  let n = 0;
  for (const name of process.eventNames()) if (isSignal(name)) n += process.listenerCount(name);
  return n;
}

/**
 * Keeps `report` told of the number of signal listeners on `process`. Only the main thread
 * receives signals in JavaScript: in a worker, `process.on('SIGINT')` starts no handler, so
 * its count stays 0 and its blocking calls behave as in C.
 */
export function trackSignalListeners(report: (count: number) => void): void {
  if (!isMainThread) return;
  report(countListeners());
  // 'newListener' is emitted before the listener is added, 'removeListener' after it is gone.
  process.on('newListener', (name: string | symbol) => {
    if (isSignal(name)) report(countListeners() + 1);
  });
  process.on('removeListener', (name: string | symbol) => {
    if (isSignal(name)) report(countListeners());
  });
}
