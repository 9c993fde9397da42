// Running a command where a lab may make its namespaces. A process with threads cannot enter a
// new user namespace (unshare(2): EINVAL), and Node has threads from its start, so the command
// is started in one by util-linux unshare(1) rather than by this process.
import { spawnSync } from 'node:child_process';
import { constants as os } from 'node:os';
import { join } from 'node:path';

import { invalidArgType } from '../../internal/errors.js';
import { if_nametoindex } from '../../sys/syscalls.js';
import { labSupport } from './lab.js';
import { Rtnetlink } from './rtnetlink.js';

// The sockfd command, run again inside the new namespaces to bring their loopback up: unshare(1)
// makes a network namespace whose lo is down, and tests expect 127.0.0.1 to work.
const CLI = join(__dirname, '..', 'cli.js');

/**
 * Runs `command` (a program and its arguments) where a {@link Lab} can make namespaces and
 * returns its exit status (128 + the signal's number when a signal ended it). When this process
 * may already (root, or inside a user namespace) the command runs as it is; otherwise under
 * `unshare --user --map-root-user --net --`, as root of a new user namespace with a network
 * namespace of its own. Either way loopback is up first. Throws when unshare(1) is missing or may not make the namespaces, with
 * the reason. unshare(1), user_namespaces(7)
 */
export function runWithLabPrivilege(command: readonly string[]): number {
  if (
    !Array.isArray(command) ||
    command.length === 0 ||
    command.some((a) => typeof a !== 'string')
  ) {
    throw invalidArgType('command', 'a non-empty array of strings', command);
  }
  const [program, ...args] = command as [string, ...string[]];
  if (labSupport().ok) {
    loopbackUp();
    return status(spawnSync(program, args, { stdio: 'inherit' }), program);
  }
  const probe = spawnSync('unshare', ['--user', '--map-root-user', '--net', '--', 'true'], {
    encoding: 'utf8',
  });
  if (probe.error !== undefined) {
    throw new Error(
      `a lab needs root or a user namespace, and unshare(1) from util-linux is not available to make one (${probe.error.message})`,
    );
  }
  if (probe.status !== 0) {
    throw new Error(
      `unshare --user --map-root-user --net is not allowed here (${probe.stderr.trim()}); ` +
        'unprivileged user namespaces may be off: on Ubuntu 24.04 ' +
        '`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, elsewhere ' +
        '`sysctl user.max_user_namespaces` must be above 0',
    );
  }
  return status(
    spawnSync(
      'unshare',
      [
        '--user',
        '--map-root-user',
        '--net',
        '--',
        process.execPath,
        CLI,
        'lab',
        '--',
        program,
        ...args,
      ],
      { stdio: 'inherit' },
    ),
    program,
  );
}

// Sets IFF_UP on lo; where it is up already (root's own namespace) nothing changes.
function loopbackUp(): void {
  const nl = new Rtnetlink();
  try {
    nl.linkUp(if_nametoindex('lo'));
  } finally {
    nl.close();
  }
}

function status(r: ReturnType<typeof spawnSync>, program: string): number {
  if (r.error !== undefined) throw new Error(`cannot run ${program}: ${r.error.message}`);
  if (r.signal !== null) return 128 + (os.signals[r.signal] ?? 0);
  return r.status ?? 1;
}
