// A child run with --expose-gc: what a finished wait was given (its buffer, its abort signal,
// its promise) is collectable while the socket stays open and keeps its watcher. The watcher's
// callback once shared the scope of the first wait, and kept all three alive until close().
const s = require('../../dist/index.js');

const LOOPBACK = { family: 'inet', address: '127.0.0.1', port: 0 };

async function main() {
  const sock = s.DatagramSocket.bound(LOOPBACK);
  const refs = [];
  // The first wait creates the watcher: an aborted receive.
  await (async () => {
    const buf = Buffer.alloc(65536);
    const ac = new AbortController();
    const p = sock.recvFrom(buf, { signal: ac.signal });
    refs.push(['aborted receive buffer', new WeakRef(buf)], ['its signal', new WeakRef(ac.signal)]);
    refs.push(['its promise', new WeakRef(p)]);
    ac.abort();
    await p.catch(() => undefined);
  })();
  // A wait that completes.
  await (async () => {
    const buf = Buffer.alloc(65536);
    const p = sock.recvFrom(buf);
    refs.push(['received buffer', new WeakRef(buf)], ['its promise too', new WeakRef(p)]);
    s.sendto(sock.fd, Buffer.from('x'), 0, sock.localAddress());
    await p;
  })();
  for (let i = 0; i < 5; i++) {
    global.gc();
    await new Promise((r) => setImmediate(r));
  }
  for (const [what, ref] of refs)
    console.log(`${what}: ${ref.deref() === undefined ? 'collected' : 'alive'}`);
  console.log(`socket open: ${!sock.closed}`);
  sock.close();
}
main();
