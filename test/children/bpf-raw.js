// A child run inside `unshare -rn` (root of its own network namespace, lo up): classic BPF
// filters from the builders on an IPv4 raw socket (data from the IP header) and on AF_PACKET
// sockets (data from the Ethernet header). Sends a UDP datagram to port A, one to port B and an
// ICMP echo, and prints as JSON what each socket kept.
const s = require('../../dist/index.js');

const c = s.constants;
const NB = c.SOCK_NONBLOCK;
const htons = (v) => ((v & 0xff) << 8) | (v >> 8);

const fds = [];
const open = (fd) => (fds.push(fd), fd);

function udp() {
  const fd = open(s.socket(c.AF_INET, c.SOCK_DGRAM | NB));
  s.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
  return fd;
}

function drain(fd) {
  const out = [];
  for (;;) {
    const buf = Buffer.alloc(2048);
    try {
      out.push(buf.subarray(0, s.recv(fd, buf)));
    } catch (e) {
      if (e.code === 'EAGAIN') return out;
      throw e;
    }
  }
}

// The IPv4 packet inside what a socket read, and what it says.
function ipPacket(bytes, link) {
  const ip = link === 'ethernet' ? bytes.subarray(14) : bytes;
  const ihl = (ip[0] & 0xf) * 4;
  return { protocol: ip[9], payload: ip.subarray(ihl + 8).toString('latin1') };
}

function udpPayloads(packets, link) {
  const seen = packets.map((p) => ipPacket(p, link)).filter((p) => p.protocol === c.IPPROTO_UDP);
  // A packet socket on lo sees each frame twice, going out and coming in.
  return [...new Set(seen.map((p) => p.payload))].sort();
}

function protocols(packets) {
  const seen = new Set(packets.map((p) => ipPacket(p, 'ethernet').protocol));
  return { udp: seen.has(c.IPPROTO_UDP), icmp: seen.has(c.IPPROTO_ICMP) };
}

try {
  const a = udp();
  const b = udp();
  const portA = s.getsockname(a).port;
  const portB = s.getsockname(b).port;

  const rawAll = open(s.socket(c.AF_INET, c.SOCK_RAW | NB, c.IPPROTO_UDP));
  const rawPort = open(s.socket(c.AF_INET, c.SOCK_RAW | NB, c.IPPROTO_UDP));
  s.attachFilter(rawPort, s.bpfDestinationPort(c.IPPROTO_UDP, portA));
  const packet = (program) => {
    const fd = open(s.socket(c.AF_PACKET, c.SOCK_RAW | NB, htons(c.ETH_P_ALL)));
    s.attachFilter(fd, program);
    return fd;
  };
  const packetPort = packet(s.bpfDestinationPort(c.IPPROTO_UDP, portA, 'ethernet'));
  const packetUdp = packet(s.bpfIpProtocol(c.IPPROTO_UDP, 'ethernet'));
  const packetIcmp = packet(s.bpfIpProtocol(c.IPPROTO_ICMP, 'ethernet'));

  const tx = udp();
  const to = (port) => ({ family: 'inet', address: '127.0.0.1', port });
  s.sendto(tx, Buffer.from('A'), 0, to(portA));
  s.sendto(tx, Buffer.from('B'), 0, to(portB));
  const icmp = open(s.socket(c.AF_INET, c.SOCK_RAW, c.IPPROTO_ICMP));
  const echo = Buffer.from([8, 0, 0xf7, 0xff, 0, 0, 0, 0]); // type 8, checksum of the rest
  s.sendto(icmp, echo, 0, to(0));
  s.poll([], 50);

  console.log(
    JSON.stringify({
      rawUnfiltered: udpPayloads(drain(rawAll), 'ip'),
      rawByPort: udpPayloads(drain(rawPort), 'ip'),
      packetByPort: udpPayloads(drain(packetPort), 'ethernet'),
      packetByProtocol: protocols(drain(packetUdp)),
      packetIcmp: protocols(drain(packetIcmp)),
    }),
  );
} finally {
  for (const fd of fds) s.close(fd);
}
