// A child run under strace with EINTR injected into the first call of each syscall below
// (test/sys/signals.test.ts): no signal arrived, so nothing waits to handle one and every
// call must be retried and give its real result. With 'listen' JavaScript listens to SIGUSR2
// (never sent), so the calls take the path that waits in poll(2).
const s = require('../../dist/index.js');
const c = s.constants;

if (process.argv[2] === 'listen') process.on('SIGUSR2', () => {});

function attempt(name, fn) {
  try {
    console.log(`${name}: ${fn()}`);
  } catch (e) {
    console.log(`${name}: threw ${e.code}`);
  }
}

const [a, b] = s.socketpair(c.AF_UNIX, c.SOCK_STREAM);
// The getters first: a send on the poll path reads SO_SNDTIMEO with getsockopt.
attempt('getsockopt', () => s.getsockopt(a, c.SOL_SOCKET, c.SO_TYPE));
attempt('getsockname', () => s.getsockname(a).family);
attempt('getpeername', () => s.getpeername(a).family);

// An AF_UNIX connect whose first try is interrupted before it began: a real connection, or
// an error, never a success on a socket that is not connected.
const path = `\0sockfd-eintr-${process.pid}`;
const l = s.socket(c.AF_UNIX, c.SOCK_STREAM);
s.bind(l, { family: 'unix', abstract: Buffer.from(path.slice(1)) });
s.listen(l, 4);
const u = s.socket(c.AF_UNIX, c.SOCK_STREAM);
attempt('connect unix', () => {
  s.connect(u, { family: 'unix', abstract: Buffer.from(path.slice(1)) });
  return `peer ${s.getpeername(u).family}`;
});
attempt('accept', () => {
  const fd = s.accept(l).fd;
  s.close(fd);
  return 'a connection';
});

s.send(b, Buffer.from('data'));
const buf = Buffer.alloc(16);
attempt('recv', () => buf.toString('utf8', 0, s.recv(a, buf)));
for (const fd of [a, b, l, u]) s.close(fd);
