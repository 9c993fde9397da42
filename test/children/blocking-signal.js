// A child: one blocking call on a socket with nothing to give, to be interrupted from outside.
// argv: the call (recv | accept | poll | epoll_wait | connect | connectUnix: a connect with a
// one-minute limit to a listener whose backlog is full) and whether JavaScript listens to SIGINT (listen |
// none). Prints 'ready' just before the call, then what the call did; with a listener, the
// handler prints 'handler ran' on the event loop's next turn, and then nothing keeps the
// process alive.
const s = require('../../dist/index.js');
const c = s.constants;

const [call, listen] = process.argv.slice(2);
if (listen === 'listen') process.on('SIGINT', () => console.log('handler ran'));

const fds = [];
function run() {
  if (call === 'recv') {
    const [a, b] = s.socketpair(c.AF_UNIX, c.SOCK_STREAM);
    fds.push(a, b);
    return s.recv(a, Buffer.alloc(16));
  }
  if (call === 'accept') {
    const l = s.socket(c.AF_INET, c.SOCK_STREAM);
    fds.push(l);
    s.bind(l, { family: 'inet', address: '127.0.0.1', port: 0 });
    s.listen(l, 1);
    return s.accept(l).fd;
  }
  if (call === 'connect' || call === 'connectUnix') {
    const unix = call === 'connectUnix';
    const l = s.socket(unix ? c.AF_UNIX : c.AF_INET, c.SOCK_STREAM);
    fds.push(l);
    s.bind(l, unix ? { family: 'unix' } : { family: 'inet', address: '127.0.0.1', port: 0 });
    // Backlog 0 holds one connection: the first fills it, the second waits.
    s.listen(l, 0);
    const to = s.getsockname(l);
    for (let i = 0; i < 2; i++) {
      fds.push(s.socket(unix ? c.AF_UNIX : c.AF_INET, c.SOCK_STREAM));
      s.connect(fds.at(-1), to, { timeout: i === 0 ? 5000 : 60_000 });
    }
    return 'connected';
  }
  const [a, b] = s.socketpair(c.AF_UNIX, c.SOCK_STREAM);
  fds.push(a, b);
  if (call === 'epoll_wait') {
    const ep = s.epoll_create1();
    fds.push(ep);
    s.epoll_ctl(ep, c.EPOLL_CTL_ADD, a, c.EPOLLIN);
    return s.epoll_wait(ep, 1, -1).length;
  }
  return s.poll([{ fd: a, events: c.POLLIN }], -1)[0].revents;
}

console.log('ready');
try {
  console.log(`${call} returned ${run()}`);
} catch (e) {
  console.log(`${call} threw ${e.code} errno ${e.errno} syscall ${e.syscall}`);
} finally {
  for (const fd of fds) s.close(fd);
}
// Signal handles do not keep the loop alive: one more turn lets a handler that waits run.
setImmediate(() => {});
