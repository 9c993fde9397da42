// Which sockfd object owns which fd in this thread. An fd has at most one owning object, so it
// is closed exactly once; close(fd) on an owned fd goes through its owner, which stops the
// owner's watcher before the fd is released.
//
// An owner that is never closed keeps its fd for the life of its thread: closing it from a
// finalizer could hit whatever file was given that number since. When a worker's environment
// ends, native/owners.cc closes the fds still owned, since no code can reach them afterwards. SOCKFD_LEAK_REPORT makes the
// leak visible instead: each owner's creation stack is kept, and at exit the ones still open
// are listed on stderr.

/** What the registry needs from an owning object. */
export interface FdOwner {
  close(): void;
}

/** Whether creation stacks are kept and a report is printed at exit (SOCKFD_LEAK_REPORT). */
export const leakReport = /^(1|true|yes|on)$/i.test(process.env.SOCKFD_LEAK_REPORT ?? '');

const stacks = new Map<number, string>();

class Owners extends Map<number, FdOwner> {
  override set(fd: number, owner: FdOwner): this {
    if (leakReport) stacks.set(fd, creationStack());
    return super.set(fd, owner);
  }

  override delete(fd: number): boolean {
    stacks.delete(fd);
    return super.delete(fd);
  }
}

export const owners: Map<number, FdOwner> = new Owners();

// The caller's frames, without the registry's and the socket constructors' own.
function creationStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30; // room for the library's own frames, which are dropped
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const lines = stack.split('\n').slice(1);
  const own = /[/\\]lib[/\\](internal|socket)[/\\]|[/\\]dist[/\\](internal|socket)[/\\]/;
  return lines
    .filter((line) => !own.test(line))
    .join('\n')
    .trimEnd();
}

/** One socket object that owns an open fd. */
export interface OpenSocket {
  fd: number;
  /** The class: 'StreamSocket', 'DatagramSocket', … */
  type: string;
  /** Where it was created, when SOCKFD_LEAK_REPORT is set. */
  stack?: string;
}

/**
 * The socket objects of this thread that own an open fd: those created or adopted and not yet
 * closed or detached. A test can assert that none are left; SOCKFD_LEAK_REPORT=1 adds where
 * each was created, and lists the ones still open when the process (or worker) exits.
 */
export function openSockets(): OpenSocket[] {
  return [...owners].map(([fd, owner]) => {
    const entry: OpenSocket = { fd, type: owner.constructor.name };
    const stack = stacks.get(fd);
    if (stack !== undefined) entry.stack = stack;
    return entry;
  });
}

function report(): void {
  const open = openSockets();
  if (open.length === 0) return;
  const lines = [`sockfd: ${open.length} socket(s) never closed:`];
  for (const s of open) {
    lines.push(`  fd ${s.fd} ${s.type}, created`);
    if (s.stack) lines.push(s.stack.replace(/^\s*/gm, '      '));
  }
  process.stderr.write(lines.join('\n') + '\n');
}

if (leakReport) process.on('exit', report);
