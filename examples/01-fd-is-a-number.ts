// 1. A file descriptor is a small integer: an index into the process's table of open files,
// which the kernel fills from the lowest free slot. Sockets live in that table like any file.
import { spawnSync } from 'node:child_process';
import { readSync, readlinkSync, writeSync } from 'node:fs';

import {
  AF_INET,
  AF_UNIX,
  SOCK_DGRAM,
  SOCK_STREAM,
  close,
  dup,
  formatFdTable,
  listFds,
  recv,
  send,
  socket,
  socketpair,
} from 'sockfd';

import { say } from './support/run.js';

const tcp = socket(AF_INET, SOCK_STREAM);
const udp = socket(AF_INET, SOCK_DGRAM);
const [left, right] = socketpair(AF_UNIX, SOCK_STREAM);
say(`socket(AF_INET, SOCK_STREAM)  -> ${tcp}`);
say(`socket(AF_INET, SOCK_DGRAM)   -> ${udp}`);
say(`socketpair(AF_UNIX, SOCK_STREAM) -> [${left}, ${right}]`);
say('0, 1 and 2 are stdin, stdout and stderr; Node itself holds the next few.');

// The kernel always hands out the lowest free number, so a closed number comes straight back.
close(udp);
const again = socket(AF_INET, SOCK_DGRAM);
say(`close(${udp}), then socket() again -> ${again}: the lowest free number is reused`);

// An fd is an fd: the file calls work on a socket too.
const buf = Buffer.alloc(64);
writeSync(left, 'written with fs.writeSync');
let n = recv(right, buf);
say(`fs.writeSync(${left}, …) then recv(${right}) -> "${buf.toString('utf8', 0, n)}"`);
send(right, Buffer.from('sent with send()'));
n = readSync(left, buf);
say(`send(${right}, …) then fs.readSync(${left}) -> "${buf.toString('utf8', 0, n)}"`);

// dup() gives a second number for the same socket: both point at one kernel object.
const copy = dup(left);
say(
  `dup(${left}) -> ${copy}; /proc/self/fd says both are ${readlinkSync(`/proc/self/fd/${left}`)}`,
);
writeSync(copy, 'through the copy');
n = recv(right, buf);
say(`written on ${copy}, read on ${right}: "${buf.toString('utf8', 0, n)}"`);
close(copy);

// A child process can be given the socket: it arrives there as fd 3, whatever its number here.
const child = spawnSync(
  process.execPath,
  ['-e', "require('fs').writeSync(3, 'hello from child ' + process.pid + ' on its fd 3')"],
  { stdio: ['ignore', 'inherit', 'inherit', left] },
);
n = recv(right, buf);
say(`a child started with our fd ${left} as its fd 3 wrote: "${buf.toString('utf8', 0, n)}"`);
say(`(the child exited with ${child.status}; our fd ${left} is still open)`);

say('');
say('This process’s sockets, as the kernel lists them (sockfd fds):');
say(formatFdTable(listFds().filter((e) => e.kind === 'socket' && e.fd > 2)));

for (const fd of [tcp, again, left, right]) close(fd);
