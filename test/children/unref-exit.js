// A child: its only socket waits for a datagram that never comes, unref'd; the process must exit.
const { DatagramSocket } = require('../../dist/index.js');
const sock = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
sock.unref();
sock.recvFrom(Buffer.alloc(8)).then(() => console.log('unexpected datagram'));
console.log('waiting');
