// A child: a native watcher callback that throws must surface as an uncaught exception.
const { native } = require('../../dist/sys/native.js');
const s = require('../../dist/index.js');
const [a, b] = s.socketpair(
  s.constants.AF_UNIX,
  s.constants.SOCK_DGRAM | s.constants.SOCK_NONBLOCK,
);
const w = new native.Watcher(() => {
  throw new Error('boom from callback');
});
w.open(b);
w.start(native.watcherEvents.READABLE);
process.on('uncaughtException', (e) => {
  console.log(`uncaughtException: ${e.message}`);
  w.close();
  s.close(a);
  s.close(b);
});
s.send(a, Buffer.from('x'));
