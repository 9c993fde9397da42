// Run with SOCKFD_LEAK_REPORT=1 (or without, to see that nothing is printed): leaves one socket
// of each kind open, closes and detaches others, and exits.
const s = require('../../dist/index.js');

function openTheListener() {
  return s.StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
}

const listener = openTheListener();
const dgram = s.DatagramSocket.create('inet');
s.DatagramSocket.create('inet').close();
const detached = s.SeqPacketSocket.create('unix').detach();
s.close(detached);
console.log(JSON.stringify({ listener: listener.fd, dgram: dgram.fd }));
