// A child run with --expose-gc: 1,000 socket objects, half of them with a wait started and
// aborted, are dropped without close(); after gc every fd must still be open (the library never
// closes an fd from a finalizer).
const s = require('../../dist/index.js');

async function main() {
  const fds = [];
  for (let i = 0; i < 1000; i++) {
    const sock = s.DatagramSocket.create('inet');
    fds.push(sock.fd);
    if (i % 2 === 0) {
      const ac = new AbortController();
      const p = sock.recvFrom(Buffer.alloc(1), { signal: ac.signal }).catch(() => {});
      ac.abort();
      await p;
    }
  }
  for (let i = 0; i < 5; i++) {
    global.gc();
    await new Promise((r) => setImmediate(r));
  }
  let open = 0;
  for (const fd of fds) {
    try {
      s.getsockopt(fd, s.constants.SOL_SOCKET, s.constants.SO_TYPE);
      open++;
    } catch {
      // closed
    }
  }
  console.log(`fds still open after gc: ${open} of ${fds.length}`);
  for (const fd of fds) s.close(fd);
}
main();
