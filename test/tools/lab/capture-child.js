// A child run inside `unshare -rn`, where a plain user holds CAP_NET_RAW over its own network
// namespace: it captures on that namespace's lo while a UDP pair talks, and prints what the
// capture holds as JSON (or why it could not capture).
const { capture, readPcapng, udpPair, waitFor } = require('../../../dist/tools/lab/index.js');

async function main() {
  let cap;
  try {
    cap = capture('lo');
  } catch (e) {
    console.log(JSON.stringify({ skip: `capture('lo') failed: ${e.message}` }));
    return;
  }
  const pair = await udpPair();
  const port = pair.server.localAddress().port;
  for (const payload of ['one', 'two']) {
    await pair.client.send(payload);
    await pair.server.recv(Buffer.alloc(8), waitFor(`datagram ${payload}`));
  }
  pair.close();
  const file = readPcapng((await cap.stop()).bytes);
  const udp = file.packets
    .map((p) => ({ p, d: Buffer.from(p.data) }))
    .filter(({ d }) => d.readUInt16BE(12) === 0x0800 && d[23] === 17 && d.readUInt16BE(36) === port)
    .map(({ p, d }) => ({
      iface: file.interfaces[p.interfaceId].name,
      direction: p.direction,
      payload: d.toString('utf8', 42),
    }));
  console.log(JSON.stringify({ udp }));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
