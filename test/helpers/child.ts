// Runs a script in a child process of its own: for harnesses that must own their process
// (a crash, a signal, RSS and /proc/self/fd are then theirs alone).
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const root = join(__dirname, '..', '..');

export interface ChildResult {
  /** The exit code, or null when a signal ended the child. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr, for assertion messages. */
  output: string;
}

/** Runs `file` with `args` (node flags first if any) from the package root. */
export function runChild(
  file: string,
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: root,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 0,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
        const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
        resolve({
          code,
          signal: e?.signal ?? null,
          stdout,
          stderr,
          output: `${stdout}${stderr}`,
        });
      },
    );
  });
}

/** Runs a node script with the current node. */
export function runNode(
  args: string[],
  options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<ChildResult> {
  return runChild(process.execPath, args, options);
}
