// The abort signals of waiting calls: checked as Node checks its own, and listened to in a way
// that a broken or hostile signal cannot leave a call unsettled.
import { invalidArgType } from '../internal/errors.js';

/** Options of every call that waits. */
export interface WaitOptions {
  /** Aborting rejects the pending call with the signal's reason; the socket stays usable. */
  signal?: AbortSignal;
}

/**
 * The signal of a waiting call's options, checked as Node checks its own: the options are
 * undefined or an object, and their signal undefined or an AbortSignal. Like Node's own
 * validateAbortSignal it goes by shape, not `instanceof`: a signal of another realm (a vm
 * context, a test environment's DOM) or of an AbortController polyfill works too, as long as it
 * has `aborted` and the two listener methods this layer calls.
 */
export function waitSignal(options: unknown): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw invalidArgType('options', 'of type object', options);
  }
  const { signal } = options as WaitOptions;
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  const like = signal as Partial<Record<keyof AbortSignal, unknown>> | null;
  if (
    typeof like === 'object' &&
    like !== null &&
    'aborted' in like &&
    typeof like.addEventListener === 'function' &&
    typeof like.removeEventListener === 'function'
  ) {
    return signal;
  }
  throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
}

/**
 * What an aborted signal rejects with: its reason, or for a signal without one (a polyfill's)
 * an AbortError as Node's own signals give.
 */
export function abortReason(signal: AbortSignal): unknown {
  let reason: unknown;
  try {
    reason = signal.reason;
  } catch (e) {
    // A getter that throws (a hostile or broken polyfill): what it threw is the reason. Never
    // thrown from here, so a waiting call cannot be left unsettled by its own abort.
    return e;
  }
  return reason !== undefined
    ? reason
    : new DOMException('This operation was aborted', 'AbortError');
}

/** signal.throwIfAborted(), for any signal waitSignal accepts. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortReason(signal);
}

/**
 * Removes an abort listener. A signal whose removeEventListener throws keeps the listener, and
 * the call it belonged to still settles: every listener checks that its call is still waiting.
 */
export function unlisten(signal: AbortSignal | undefined, listener: () => void): void {
  try {
    signal?.removeEventListener('abort', listener);
  } catch {
    // The signal's own failure; nothing of the socket's depends on it.
  }
}
