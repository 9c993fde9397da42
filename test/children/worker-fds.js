// A child: starts N workers, each with six sockets from the classes (some with pending reads),
// a socket from the syscall layer and one detached from a class, whose numbers it hands out.
// The workers end three ways: terminated, on their own, and by process.exit() mid-wait. Prints
// the socket fds of the process before and after, as JSON.
const { Worker } = require('node:worker_threads');
const { readdirSync, readlinkSync } = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist/index.js');

/** The socket inode of each open fd of the process: fd -> 'socket:[1234]'. */
function sockets() {
  const out = new Map();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      const link = readlinkSync(`/proc/self/fd/${name}`);
      if (link.startsWith('socket:')) out.set(Number(name), link);
    } catch {
      // The fd readdir itself used, closed since.
    }
  }
  return out;
}

const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const { readlinkSync } = require('node:fs');
const s = require(${JSON.stringify(dist)});
const socks = [];
const d = s.DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
d.recvFrom(Buffer.alloc(16)).catch(() => {});
const l = s.StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
l.accept().catch(() => {});
const [a, b] = s.SeqPacketSocket.pair();
b.recv(Buffer.alloc(4)).catch(() => {});
const closed = s.DatagramSocket.create('inet6');
closed.close();
socks.push(d, l, a, b, s.StreamSocket.create('inet'), s.DatagramSocket.create('unix'));
// Not the worker's to close: one from the syscall layer, one detached from a class.
const kept = [s.socket(s.constants.AF_INET, s.constants.SOCK_DGRAM), s.DatagramSocket.create().detach()];
parentPort.postMessage(kept.map((fd) => [fd, readlinkSync('/proc/self/fd/' + fd)]));
if (workerData === 'end') for (const x of socks) x.unref();
if (workerData === 'exit') setImmediate(() => process.exit(0));
`;

async function one(mode) {
  const w = new Worker(workerCode, { eval: true, workerData: mode });
  const exited = new Promise((resolve, reject) => {
    w.once('exit', resolve);
    w.once('error', reject);
  });
  const kept = await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  if (mode === 'terminate') await w.terminate();
  await exited;
  return kept;
}

async function main() {
  const n = Number(process.argv[2] || 30);
  const modes = ['terminate', 'end', 'exit'];
  const before = sockets();
  const kept = [];
  for (let i = 0; i < n; i += 6) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 6); j++) batch.push(one(modes[j % modes.length]));
    for (const k of await Promise.all(batch)) kept.push(...k);
  }
  const after = sockets();
  const keptOpen = kept.filter(([fd, link]) => after.get(fd) === link).length;
  for (const [fd] of kept) after.delete(fd);
  const left = [...after.keys()].filter((fd) => !before.has(fd)).length;
  console.log(
    JSON.stringify({ workers: n, before: before.size, left, kept: kept.length, keptOpen }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
