#!/usr/bin/env node
// The `sockfd` command: a small ss/lsof for one process, built on listFds and inspect.
//   sockfd fds [pid] [--json]         the fd table of a process (this one by default)
//   sockfd inspect <pid> <fd> [--json] what the kernel knows about one fd of a process
import { formatFdTable, formatInspection, inspect, listFds } from './inspect/index.js';

const USAGE = `usage:
  sockfd fds [pid] [--json]           list a process's fds, sockets matched with /proc/net
  sockfd inspect <pid> <fd> [--json]  what the kernel knows about one fd of a process
                                      (borrows the fd with pidfd_getfd: needs ptrace access)`;

class UsageError extends Error {}

function number(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new UsageError(`${what}: not a number`);
  return Number(text);
}

function run(argv: string[]): void {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const print = (value: unknown, text: () => string): void => {
    process.stdout.write(`${json ? JSON.stringify(value, null, 2) : text()}\n`);
  };
  switch (args[0]) {
    case 'fds': {
      if (args.length > 2) throw new UsageError('fds takes at most one pid');
      const pid = args[1] === undefined ? process.pid : number(args[1], 'pid');
      const entries = listFds(pid);
      print(entries, () => formatFdTable(entries));
      return;
    }
    case 'inspect': {
      if (args.length !== 3) throw new UsageError('inspect takes a pid and an fd');
      const info = inspect(number(args[2], 'fd'), { pid: number(args[1], 'pid') });
      print(info, () => formatInspection(info));
      return;
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new UsageError(args[0] === undefined ? 'no command' : `unknown command ${args[0]}`);
  }
}

try {
  run(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`sockfd: ${e.message}\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`sockfd: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
