// 7. Passing an open file to another process. An fd is only a number in one process's table,
// so sending the number would mean nothing; the kernel has to copy the open file into the
// other table. Two ways: SCM_RIGHTS, a control message on a unix socket (the receiver gets a
// new number for the same open file), and pidfd_getfd, which takes a copy of another
// process's fd (it needs the right to trace that process).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  AF_UNIX,
  SOCK_STREAM,
  type RightsMessage,
  close,
  cmsgSpace,
  formatInspection,
  inspect,
  pidfd_getfd,
  pidfd_open,
  recvmsg,
  sendmsg,
  socketpair,
} from 'sockfd';

import { say } from './support/run.js';

function readAll(fd: number): string {
  const buf = Buffer.alloc(256);
  return buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0));
}

/** The receiving child of part 1: takes one fd from its fd 3 and reads the file. */
function receiver(): void {
  const m = recvmsg(3, { buffers: Buffer.alloc(1), controlLength: cmsgSpace(4) });
  const [fd] = m.control.find((x): x is RightsMessage => x.type === 'rights')?.fds ?? [];
  if (fd === undefined) throw new Error('no fd arrived');
  say(
    `  child ${process.pid}: recvmsg on its fd 3 -> 1 byte and an fd, numbered ${fd} in this process`,
  );
  say(`  the child read: "${readAll(fd)}"`);
  closeSync(fd);
}

/** The child of part 2: opens a file, writes to it, says which fd it is, and waits. */
function owner(dir: string): void {
  const fd = openSync(join(dir, 'owned-by-child'), 'w+');
  writeSync(fd, 'written by the child');
  process.stdout.write(`${fd}\n`);
  process.stdin.resume(); // Stay alive until the parent closes our stdin.
}

function parent(): void {
  const dir = mkdtempSync(join(tmpdir(), 'sockfd-fdpass-'));
  try {
    // --- 1. SCM_RIGHTS over a unix socket ---
    say('1. SCM_RIGHTS: a file handed to a child over a unix socket');
    const path = join(dir, 'secret');
    const file = openSync(path, 'w+');
    writeSync(file, 'a secret for the child');
    // The name goes; the open file stays, reachable only through fds that point at it.
    unlinkSync(path);
    const [here, there] = socketpair(AF_UNIX, SOCK_STREAM);
    sendmsg(here, { buffers: Buffer.from('x'), control: [{ type: 'rights', fds: [file] }] });
    say(`  parent: fd ${file} is a file whose name was deleted; sendmsg it with one byte`);
    closeSync(file); // The message in the socket holds the open file now.
    spawnSync(process.execPath, [__filename, 'receiver'], {
      stdio: ['ignore', 'inherit', 'inherit', there],
    });
    close(here);
    close(there);

    // --- 2. pidfd_getfd ---
    say('');
    say('2. pidfd_getfd: the parent takes a copy of a file the child opened');
    const child = spawn(process.execPath, [__filename, 'owner', dir], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.stdout.once('data', (line: Buffer) => {
      const theirs = Number(line.toString());
      const pidfd = pidfd_open(child.pid!);
      try {
        const mine = pidfd_getfd(pidfd, theirs);
        say(`  child ${child.pid} has the file open as fd ${theirs}`);
        say(`  pidfd_open(${child.pid}) -> ${pidfd}; pidfd_getfd(pidfd, ${theirs}) -> ${mine}`);
        say(`  read through the borrowed fd: "${readAll(mine)}"`);
        say(formatInspection(inspect(mine)).replace(/^/gm, '    '));
        closeSync(mine);
      } catch (e) {
        say(`  pidfd_getfd is not allowed here: ${(e as Error).message}`);
      } finally {
        close(pidfd);
        child.stdin.end();
      }
    });
    child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

if (process.argv[2] === 'receiver') receiver();
else if (process.argv[2] === 'owner') owner(process.argv[3]!);
else parent();
