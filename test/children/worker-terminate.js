// A child: starts N workers, one at a time, each opening sockets and waiting on them, and
// terminates each mid-wait. Then checks the main thread still does socket I/O.
const { Worker } = require('node:worker_threads');
const path = require('node:path');

const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatagramSocket, StreamSocket, SeqPacketSocket } = require(${JSON.stringify(path.join(__dirname, '../../dist/index.js'))});
const socks = [];
for (let i = 0; i < 20; i++) {
  const d = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
  d.recvFrom(Buffer.alloc(16)).catch(() => {});
  socks.push(d);
  const l = StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
  l.accept().catch(() => {});
  socks.push(l);
  const [a, b] = SeqPacketSocket.pair();
  b.recv(Buffer.alloc(4)).catch(() => {});
  a.send(Buffer.alloc(1 << 16)).catch(() => {});
  socks.push(a, b);
}
parentPort.postMessage('waiting');
// 'exit' mode: every socket unref'd, so the worker ends on its own with its waits still open.
if (workerData === 'exit') for (const s of socks) s.unref();
`;

async function main() {
  const n = Number(process.argv[2] || 30);
  for (let i = 0; i < n; i++) {
    const w = new Worker(workerCode, { eval: true });
    await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
  }
  console.log(`terminated ${n} workers`);
  for (let i = 0; i < n; i++) {
    const w = new Worker(workerCode, { eval: true, workerData: 'exit' });
    const code = await new Promise((resolve, reject) => {
      w.once('exit', resolve);
      w.once('error', reject);
    });
    if (code !== 0) throw new Error(`worker exited with ${code}`);
  }
  console.log(`${n} workers ended on their own with waits open`);
  const { SeqPacketSocket } = require('../../dist/index.js');
  const [a, b] = SeqPacketSocket.pair();
  await a.send('ok');
  const m = await b.recv(Buffer.alloc(4));
  if (m && m.bytes === 2) console.log('main thread still works');
  a.close();
  b.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
