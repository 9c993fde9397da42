// A child: a socket whose wait was served by a readiness callback, then left open and idle,
// must not keep the process alive (its handle's unref, deferred to the callback's end, runs).
const { DatagramSocket } = require('../../dist/index.js');
const a = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
const b = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
a.recvFrom(Buffer.alloc(8)).then((m) => console.log(`received ${m.bytes} bytes`));
console.log('waiting');
setTimeout(() => b.sendTo('hello', a.localAddress()), 100).unref();
