#!/usr/bin/env node
// The `sockfd` command: a small ss/lsof for one process, built on listFds and inspect.
//   sockfd fds [pid] [--json]         the fd table of a process (this one by default)
//   sockfd inspect <pid> <fd> [--json] what the kernel knows about one fd of a process
//   sockfd lab -- <command...>        runs a command where sockfd/lab can make namespaces
// Exit status: 0 done, 1 the call failed (the message says why), 2 a bad command line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { SocketError } from '../internal/errors.js';
import { formatFdTable, formatInspection, inspect, listFds } from './inspect/index.js';
import { runWithLabPrivilege } from './lab/userns.js';

const USAGE = `usage:
  sockfd fds [pid] [--json]           list a process's fds, sockets matched with /proc/net
                                      (this process's by default)
  sockfd inspect <pid> <fd> [--json]  what the kernel knows about one fd of a process
                                      (borrows the fd with pidfd_getfd: needs ptrace access)
  sockfd lab -- <command...>          runs a command where sockfd/lab may make network
                                      namespaces: as it is for root, else as root of a new
                                      user namespace (unshare --user --map-root-user --net)
  sockfd --help | --version`;

class UsageError extends Error {}

// Both lib/tools/cli.ts and dist/tools/cli.js are two levels below package.json.
function version(): string {
  const pkg = readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8');
  return (JSON.parse(pkg) as { version: string }).version;
}

function number(text: string | undefined, what: string, min: number): number {
  const n = text !== undefined && /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= 0x7fffffff)) {
    throw new UsageError(`${what} must be a number >= ${min}, not ${text ?? 'nothing'}`);
  }
  return n;
}

function parse(argv: string[]): ReturnType<typeof parseCommandLine> {
  try {
    return parseCommandLine(argv);
  } catch (e) {
    // parseArgs reports an unknown option or a value where none belongs with an ERR_PARSE_ARGS_* code.
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      // The first sentence: the rest is about positionals that start with '-', which none do.
      throw new UsageError((e as Error).message.replace(/\. .*/s, ''));
    }
    throw e;
  }
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
}

// What a failed call means for the command's arguments, in words; the syscall and errno name
// follow in parentheses for a search or a bug report.
function explain(e: SocketError, pid: number, fd?: number): string {
  const ptrace = `needs ptrace access to process ${pid}, as its user or with CAP_SYS_PTRACE`;
  const words: Record<string, string | undefined> = {
    'scandir ENOENT': `no such process ${pid}`,
    'scandir EACCES': ptrace,
    'pidfd_open ESRCH': `no such process ${pid}`,
    'pidfd_open ENOSYS': 'this kernel has no pidfd_open (Linux 5.3 or later)',
    'pidfd_getfd EBADF': `process ${pid} has no fd ${fd}`,
    'pidfd_getfd EPERM': ptrace,
    'pidfd_getfd ESRCH': `process ${pid} exited`,
    'pidfd_getfd ENOSYS': 'this kernel has no pidfd_getfd (Linux 5.6 or later)',
  };
  const said = words[`${e.syscall} ${e.code}`];
  return said === undefined ? e.message : `${said} (${e.message})`;
}

function run(argv: string[]): void {
  // Everything after `lab` is the command's own, options included: parseArgs must not see it.
  if (argv[0] === 'lab') {
    const command = argv[1] === '--' ? argv.slice(2) : argv.slice(1);
    if (command.length === 0) throw new UsageError('lab needs a command to run');
    process.exitCode = runWithLabPrivilege(command);
    return;
  }
  const { values, positionals: args } = parse(argv);
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.version === true) {
    process.stdout.write(`${version()}\n`);
    return;
  }
  const print = (value: unknown, text: () => string): void => {
    process.stdout.write(`${values.json === true ? JSON.stringify(value, null, 2) : text()}\n`);
  };
  switch (args[0]) {
    case 'fds': {
      if (args.length > 2) throw new UsageError('fds takes at most one pid');
      const pid = args[1] === undefined ? process.pid : number(args[1], 'pid', 1);
      let entries;
      try {
        entries = listFds(pid);
      } catch (e) {
        throw e instanceof SocketError ? new Error(explain(e, pid)) : e;
      }
      print(entries, () => formatFdTable(entries));
      return;
    }
    case 'inspect': {
      if (args.length !== 3) throw new UsageError('inspect takes a pid and an fd');
      const pid = number(args[1], 'pid', 1);
      const fd = number(args[2], 'fd', 0);
      let info;
      try {
        info = inspect(fd, { pid });
      } catch (e) {
        throw e instanceof SocketError ? new Error(explain(e, pid, fd)) : e;
      }
      print(info, () => formatInspection(info));
      return;
    }
    case 'help':
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
