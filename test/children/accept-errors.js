// Run under strace with an error injected into accept4: a listener's for-await loop takes three
// connections made one after another, and prints what it accepted, the errors its onError saw
// and how the loop ended. argv[2]: 'report' (with onError) or 'warn' (without).
const net = require('node:net');
const s = require('../../dist/index.js');

async function main() {
  const listener = s.StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
  const { port } = listener.localAddress();
  const errors = [];
  const options = process.argv[2] === 'report' ? { onError: (e) => errors.push(e.code) } : {};
  let accepted = 0;
  let ended = 'closed';
  const serving = (async () => {
    try {
      for await (const conn of listener.connections(options)) {
        conn.close();
        if (++accepted === 3) break;
      }
    } catch (e) {
      ended = e.code;
    }
  })();
  for (let i = 0; i < 3 && ended === 'closed'; i++) {
    const client = net.connect(port, '127.0.0.1');
    // Closed by the server once accepted; a loop that ended leaves it waiting.
    await Promise.race([
      new Promise((resolve) => client.on('close', resolve).on('error', () => {})),
      serving,
    ]);
    client.destroy();
  }
  listener.close();
  await serving;
  console.log(JSON.stringify({ accepted, errors, ended }));
}
main();
