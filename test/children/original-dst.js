// A child run inside `unshare -rn` after an nftables rule redirects TCP port `to` to port
// `listen` on loopback: each connection sent to `to` is accepted on `listen`, and
// getOriginalDst reports where it was sent. Prints one JSON line: family -> what it read.
const s = require('../../dist/index.js');

const { AF_INET, AF_INET6, SOCK_STREAM } = s.constants;
const [listenPort, toPort] = process.argv.slice(2).map(Number);

// [case, listener family and host, client family and destination host]
const CASES = [
  ['inet', 'inet', '127.0.0.1', 'inet', '127.0.0.1'],
  ['inet6', 'inet6', '::1', 'inet6', '::1'],
  // A dual-stack listener takes an IPv4 connection as ::ffff:127.0.0.1.
  ['v4mapped', 'inet6', '::', 'inet', '127.0.0.1'],
];

const out = {};
for (const [name, lfam, lhost, cfam, chost] of CASES) {
  const af = (f) => (f === 'inet' ? AF_INET : AF_INET6);
  const l = s.socket(af(lfam), SOCK_STREAM);
  const c = s.socket(af(cfam), SOCK_STREAM);
  try {
    // The cases share the port, and the one before left a connection in TIME_WAIT there.
    s.setReuseAddress(l, true);
    if (lfam === 'inet6') s.setOnlyV6(l, lhost !== '::');
    s.bind(l, { family: lfam, address: lhost, port: listenPort });
    s.listen(l, 4);
    s.connect(c, { family: cfam, address: chost, port: toPort });
    const { fd } = s.accept(l);
    try {
      out[name] = { local: s.getsockname(fd), original: s.getOriginalDst(fd) };
    } finally {
      s.close(fd);
    }
  } catch (e) {
    out[name] = { code: e.code, syscall: e.syscall, message: e.message };
  } finally {
    s.close(c);
    s.close(l);
  }
}
console.log(JSON.stringify(out));
