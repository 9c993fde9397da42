// A child run inside `unshare -rn` with IPv4 multicast routed over loopback and a veth pair
// v0-v1 for IPv6 (loopback does not carry IPv6 multicast): source-specific multicast joins let
// in the datagrams of the allowed source and no other. Two senders share the group and port and
// differ only in their source address. Prints one JSON line: for each way to join, which
// senders' datagrams arrived while joined, and which did after leaving.
const s = require('../../dist/index.js');

const { AF_INET, AF_INET6, SOCK_DGRAM, POLLIN } = s.constants;
const lo = s.if_nametoindex('lo');
const v0 = s.if_nametoindex('v0');
const v1 = s.if_nametoindex('v1');
const PORT = 5000;

// Whatever arrives within `ms`, as the senders' addresses.
function drain(fd, ms) {
  const got = [];
  const buf = Buffer.alloc(64);
  while (s.poll([{ fd, events: POLLIN }], ms)[0].revents & POLLIN) {
    got.push(s.recvfrom(fd, buf).address.address);
  }
  return got;
}

function run(v6, group, allowed, other, join, leave) {
  const af = v6 ? AF_INET6 : AF_INET;
  const family = v6 ? 'inet6' : 'inet';
  const rx = s.socket(af, SOCK_DGRAM);
  const senders = [allowed, other].map((address) => {
    const fd = s.socket(af, SOCK_DGRAM);
    s.bind(fd, { family, address, port: 0 });
    if (v6) s.setMulticastIfV6(fd, v0);
    else s.setMulticastIfV4(fd, address);
    return fd;
  });
  const send = () =>
    senders.forEach((fd) =>
      s.sendto(fd, Buffer.from('x'), 0, { family, address: group, port: PORT }),
    );
  try {
    s.bind(rx, { family, address: v6 ? '::' : '0.0.0.0', port: PORT });
    join(rx);
    send();
    const joined = drain(rx, 300);
    leave(rx);
    send();
    const left = drain(rx, 300);
    return { joined, left };
  } catch (e) {
    return { code: e.code, syscall: e.syscall, message: e.message };
  } finally {
    [rx, ...senders].forEach((fd) => s.close(fd));
  }
}

const g4 = '232.1.2.3';
const g6 = 'ff3e::1234';
console.log(
  JSON.stringify({
    // The control: a join of the whole group lets both senders in.
    anySource: run(
      false,
      g4,
      '127.0.0.1',
      '127.0.0.2',
      (fd) => s.joinMulticastV4(fd, g4, '127.0.0.1'),
      (fd) => s.leaveMulticastV4(fd, g4, '127.0.0.1'),
    ),
    ipMreqSource: run(
      false,
      g4,
      '127.0.0.1',
      '127.0.0.2',
      (fd) => s.joinSourceMulticastV4(fd, g4, '127.0.0.1', '127.0.0.1'),
      (fd) => s.leaveSourceMulticastV4(fd, g4, '127.0.0.1', '127.0.0.1'),
    ),
    groupSourceReq4: run(
      false,
      g4,
      '127.0.0.1',
      '127.0.0.2',
      (fd) => s.joinSourceGroup(fd, g4, '127.0.0.1', lo),
      (fd) => s.leaveSourceGroup(fd, g4, '127.0.0.1', lo),
    ),
    groupSourceReq6: run(
      true,
      g6,
      'fd00::1',
      'fd00::3',
      (fd) => s.joinSourceGroup(fd, g6, 'fd00::1', v1),
      (fd) => s.leaveSourceGroup(fd, g6, 'fd00::1', v1),
    ),
  }),
);
