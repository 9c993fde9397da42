// A child: a ref'd wait keeps the process alive until a datagram arrives from a timer.
const { DatagramSocket } = require('../../dist/index.js');
const a = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
const b = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
a.recvFrom(Buffer.alloc(8)).then((m) => {
  console.log(`received ${m.bytes} bytes`);
  a.close();
  b.close();
});
console.log('waiting');
// An unref'd timer: only the pending recv keeps the process alive until it fires.
setTimeout(() => b.sendTo('hello', a.localAddress()), 200).unref();
