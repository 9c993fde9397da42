// Moving a file's bytes to a socket inside the kernel, without copying them through the process.
import { check, validateFd, validateInt } from '../internal/errors.js';
import { native } from './native.js';

/** What {@link sendfile} did. */
export interface SendfileResult {
  /** Bytes sent (0 at the end of the file). */
  bytes: number;
  /** Where the next read starts: `offset + bytes`, or null when no offset was given. */
  offset: number | null;
}

/**
 * Sends up to `count` bytes of the file `inFd` to `outFd` (usually a socket), copied inside the
 * kernel. With an `offset` it reads from there and leaves the file position alone, and the
 * result says where to go on; with null it reads from the file position and advances it. A
 * nonblocking `outFd` that is full throws EAGAIN; a blocking one waits.
 * sendfile(2) — {@link https://man7.org/linux/man-pages/man2/sendfile.2.html}
 */
export function sendfile(
  outFd: number,
  inFd: number,
  offset: number | null,
  count: number,
): SendfileResult {
  validateFd(outFd, 'outFd');
  validateFd(inFd, 'inFd');
  if (offset !== null) validateInt(offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
  // The kernel sends at most 0x7ffff000 bytes a call (read(2)'s limit) whatever is asked.
  validateInt(count, 'count', 0, 0x7fffffff);
  const bytes = check(native.sendfile(outFd, inFd, offset ?? -1, count), 'sendfile');
  return { bytes, offset: offset === null ? null : offset + bytes };
}
