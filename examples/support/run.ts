// What every example shares: printing, and skipping with a reason when the system does not
// allow what the example needs.
import { spawnSync } from 'node:child_process';

/** Prints one line of the example's output. */
export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Ends the example without failing it, saying why it cannot run here. */
export function skip(reason: string): never {
  say(`skipped: ${reason}`);
  process.exit(0);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const IN_NETNS = 'SOCKFD_EXAMPLE_NETNS';

/** Whether this process is the copy that runInPrivateNetns started. */
export function inPrivateNetns(): boolean {
  return process.env[IN_NETNS] === '1';
}

/**
 * Runs this same script again inside a private network namespace made by `unshare -rn` (a new
 * user namespace in which we are root, and a network namespace with only a loopback interface,
 * down), passes its exit code on, and does not return. Where unshare is not allowed it returns
 * the reason instead, so the caller can skip or carry on without one.
 */
export function runInPrivateNetns(script: string): string {
  const probe = spawnSync('unshare', ['-rn', 'true'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `unshare is not available (${probe.error.message})`;
  if (probe.status !== 0) return `unshare -rn is not allowed here: ${probe.stderr.trim()}`;
  const r = spawnSync('unshare', ['-rn', process.execPath, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [IN_NETNS]: '1' },
  });
  process.exit(r.status ?? 1);
}
