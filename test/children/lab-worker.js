// A child: starts workers that each build a lab (two hosts, a veth link, a socket in each host
// with a read pending) and end five ways: terminated mid-await, terminated inside a host.run(),
// on their own with the lab still open, by process.exit() mid-await, and by closing the lab;
// each way once with Node's tracking of fs.open() fds (trackUnmanagedFds, on by default) and once
// without. Then says what they left behind, as JSON: the fds of the process that point at a
// network namespace beyond those it had before, the threads still in a worker's host
// namespaces, and the witness interfaces still present.
//
// A dead namespace has no inode to look up anywhere, so its end is observed through a witness:
// the main thread keeps a namespace w, and each worker makes a veth pair from w into each of its
// hosts. A namespace that goes deletes its veth ends and with them their peers in w, so an
// interface of w that stays means a host namespace that stayed.
const { Worker } = require('node:worker_threads');
const { readdirSync, readlinkSync } = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const { Lab } = require(`${dist}/tools/lab/index.js`);

const MODES = ['terminate', 'spin', 'end', 'exit', 'close'];

/** Each open fd of the process that points at a network namespace: fd -> 'net:[4026532…]'. */
function netnsFds() {
  const out = new Map();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      const link = readlinkSync(`/proc/self/fd/${name}`);
      if (link.startsWith('net:')) out.set(Number(name), link);
    } catch {
      // The fd readdir itself used, closed since.
    }
  }
  return out;
}

/** The network namespace of each thread of the process. */
function threadNamespaces() {
  const out = new Set();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.add(readlinkSync(`/proc/self/task/${tid}/ns/net`));
    } catch {
      // A thread that ended while we looked.
    }
  }
  return out;
}

const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const { readlinkSync } = require('node:fs');
const { Lab } = require(${JSON.stringify(`${dist}/tools/lab/index.js`)});
const { Rtnetlink } = require(${JSON.stringify(`${dist}/tools/lab/rtnetlink.js`)});
(async () => {
  const { mode, witness, tag } = workerData;
  const lab = await Lab.create();
  const a = await lab.host('a', { addresses: ['10.0.0.1/24'] });
  const b = await lab.host('b', { addresses: ['10.0.0.2/24'] });
  await lab.link(a, b);
  const rx = b.DatagramSocket.bound({ family: 'inet', address: '10.0.0.2', port: 9000 });
  const tx = a.DatagramSocket.bound({ family: 'inet', address: '10.0.0.1', port: 9000 });
  const nl = new Rtnetlink();
  try {
    nl.addVeth({ name: tag + 'a', netns: witness }, { name: 'witness', netns: a.netnsFd });
    nl.addVeth({ name: tag + 'b', netns: witness }, { name: 'witness', netns: b.netnsFd });
  } finally {
    nl.close();
  }
  const waits = [rx, tx].map((s) => s.recvFrom(Buffer.alloc(16)).catch(() => {}));
  const namespaces = [a, b].map((h) => readlinkSync('/proc/self/fd/' + h.netnsFd));
  if (mode === 'spin') {
    a.run(() => {
      parentPort.postMessage(namespaces);
      for (;;);
    });
  }
  parentPort.postMessage(namespaces);
  if (mode === 'end') for (const s of [rx, tx]) s.unref();
  if (mode === 'exit') setImmediate(() => process.exit(0));
  if (mode === 'close') await lab.close();
  await Promise.all(waits);
})();
`;

async function one(mode, track, witness, tag) {
  const w = new Worker(workerCode, {
    eval: true,
    workerData: { mode, witness, tag },
    trackUnmanagedFds: track,
  });
  const exited = new Promise((resolve, reject) => {
    w.once('exit', resolve);
    w.once('error', reject);
  });
  const namespaces = await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  if (mode === 'terminate' || mode === 'spin') await w.terminate();
  await exited;
  return namespaces;
}

async function main() {
  const n = Number(process.argv[2] || 2 * MODES.length);
  const witnessLab = await Lab.create();
  const w = await witnessLab.host('w');
  const before = netnsFds();
  const tags = [];
  const namespaces = new Set();
  for (let i = 0; i < n; i += 5) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 5); j++) {
      tags.push(`w${j}`);
      const track = Math.floor(j / MODES.length) % 2 === 0;
      batch.push(one(MODES[j % MODES.length], track, w.netnsFd, `w${j}`));
    }
    for (const list of await Promise.all(batch)) for (const ns of list) namespaces.add(ns);
  }
  const fdsLeft = [...netnsFds()].filter(([fd]) => !before.has(fd)).map(([, link]) => link);
  const threadsInHosts = [...threadNamespaces()].filter((ns) => namespaces.has(ns));
  // The kernel dismantles a namespace after its last reference goes, in a workqueue: wait.
  const names = tags.flatMap((t) => [`${t}a`, `${t}b`]);
  const present = () => names.filter((name) => w.run(() => exists(name)));
  const deadline = Date.now() + 10_000;
  while (present().length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const witnessesLeft = present();
  await witnessLab.close();
  console.log(
    JSON.stringify({
      workers: n,
      namespaces: namespaces.size,
      fdsLeft,
      threadsInHosts,
      witnesses: names.length,
      witnessesLeft,
    }),
  );
}

// Whether interface `name` exists in the calling thread's namespace: /sys/class/net would show
// the namespace of whoever mounted /sys, so ask the kernel with if_nametoindex(3).
function exists(name) {
  const { if_nametoindex } = require(`${dist}/index.js`);
  try {
    if_nametoindex(name);
    return true;
  } catch {
    return false;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
