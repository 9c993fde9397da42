// A child run inside `unshare -rn` with net.ipv4.ping_group_range opened to its group: an ICMP
// "ping" socket (SOCK_DGRAM + IPPROTO_ICMP) sends an echo request to 127.0.0.1 and gets the reply.
// The kernel sets the identifier and checksum; the reply arrives without an IP header.
const { DatagramSocket, constants } = require('../../dist/index.js');

async function main() {
  const sock = DatagramSocket.create('inet', constants.IPPROTO_ICMP);
  const req = Buffer.alloc(8 + 4);
  req[0] = constants.ICMP_ECHO;
  req.writeUInt16BE(3, 6); // sequence
  req.write('ping', 8);
  await sock.sendTo(req, { family: 'inet', address: '127.0.0.1', port: 0 });
  const buf = Buffer.alloc(64);
  const m = await sock.recvFrom(buf, { signal: AbortSignal.timeout(5000) });
  console.log(
    JSON.stringify({
      bytes: m.bytes,
      type: buf[0],
      seq: buf.readUInt16BE(6),
      payload: buf.toString('utf8', 8, m.bytes),
      from: m.address,
    }),
  );
  sock.close();
}
main().catch((e) => {
  console.log(JSON.stringify({ error: e.code, message: e.message }));
});
