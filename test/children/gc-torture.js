// A child run with --expose-gc: native watchers dropped while open (some started and stopped)
// and detached socket objects dropped after an aborted wait; collecting them closes their uv
// handles, never their fds, and nothing crashes.
const s = require('../../dist/index.js');
const { native } = require('../../dist/sys/native.js');

const fs = require('node:fs');
function sockets() {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  });
}

async function main() {
  // Sockets inherited from the parent (e.g. its IPC channel) are not ours to count.
  const inherited = new Set(sockets());
  const rounds = Number(process.argv[2] || 10000);
  const fds = [];
  for (let i = 0; i < rounds; i++) {
    const [a, b] = s.socketpair(
      s.constants.AF_UNIX,
      s.constants.SOCK_DGRAM | s.constants.SOCK_NONBLOCK,
    );
    fds.push(a, b);
    const w = new native.Watcher(() => {});
    w.open(b);
    if (i % 2 === 0) {
      w.start(native.watcherEvents.READABLE);
      w.stop();
    }
    // A socket object with an aborted wait, detached and dropped: it becomes garbage.
    const sock = s.DatagramSocket.create('unix');
    const ac = new AbortController();
    const p = sock.recvFrom(Buffer.alloc(1), { signal: ac.signal }).catch(() => {});
    ac.abort();
    await p;
    fds.push(sock.detach());
    if (i % 100 === 0) {
      global.gc();
      await new Promise((r) => setImmediate(r));
    }
    // Every fd stays open (the library never closes an fd from a finalizer): close them here.
    if (fds.length >= 200) for (const fd of fds.splice(0)) s.close(fd);
  }
  for (const fd of fds.splice(0)) s.close(fd);
  global.gc();
  await new Promise((r) => setImmediate(r));
  const open = sockets().filter((fd) => !inherited.has(fd));
  console.log(`gc torture: ${rounds} rounds, fds open afterwards: ${open.length}`);
}
main();
