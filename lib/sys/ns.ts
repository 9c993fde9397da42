// Namespaces: the calling thread leaves its namespaces for new ones, or enters others by fd.
import { check, validateFd, validateInt } from '../internal/errors.js';
import { native } from './native.js';

/**
 * Moves the calling thread into new namespaces of the kinds in `flags` (CLONE_NEWNET,
 * CLONE_NEWUTS, …). Only the calling thread moves: in Node that is the main thread (or the
 * worker that calls it), and sockets made there afterwards belong to the new namespaces. A new
 * user namespace (CLONE_NEWUSER) fails with EINVAL in any process with more than one thread,
 * which every Node process has: start the process in one instead (`unshare --user` or
 * `npx sockfd lab -- <cmd>`).
 * unshare(2) — {@link https://man7.org/linux/man-pages/man2/unshare.2.html}
 */
export function unshare(flags: number): void {
  validateInt(flags, 'flags', 0, 0x7fffffff);
  check(native.unshare(flags), 'unshare');
}

/**
 * Moves the calling thread into the namespace that `fd` refers to (an fd of
 * `/proc/<pid>/ns/<kind>` or a pidfd). `nstype` is the kind `fd` must be (CLONE_NEWNET, …), or 0
 * for any. Entering a network namespace needs CAP_SYS_ADMIN in the user namespace that owns it.
 * setns(2) — {@link https://man7.org/linux/man-pages/man2/setns.2.html}
 */
export function setns(fd: number, nstype = 0): void {
  validateFd(fd);
  validateInt(nstype, 'nstype', 0, 0x7fffffff);
  check(native.setns(fd, nstype), 'setns');
}
