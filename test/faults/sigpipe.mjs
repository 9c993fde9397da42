// Sends to a closed peer with SIGPIPE at its default action, which kills a process that writes
// to a broken pipe or socket without MSG_NOSIGNAL. Node ignores SIGPIPE at startup whatever its
// parent set (`sh -c 'trap - PIPE; exec node'` is not enough), so this script resets it itself:
// adding and removing a listener makes libuv restore SIG_DFL. It then checks
// /proc/self/status before it goes on.
//
// usage: node test/faults/sigpipe.mjs send     every send path gets EPIPE; prints a summary
//        node test/faults/sigpipe.mjs class    the same through the classes' awaited sends
//        node test/faults/sigpipe.mjs control  fs.writeSync to a closed peer: SIGPIPE kills it
// Run by test/reliability/faults.test.ts.
import { readFileSync, writeSync } from 'node:fs';
import { constants as os } from 'node:os';
import { createRequire } from 'node:module';
import { setImmediate as tick } from 'node:timers/promises';

const s = createRequire(import.meta.url)('sockfd');
const c = s.constants;
const SIGPIPE_BIT = 1n << BigInt(os.signals.SIGPIPE - 1);

function disposition() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const mask = (name) => BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)`, 'm').exec(status)[1]}`);
  if (mask('SigIgn') & SIGPIPE_BIT) return 'ignored';
  if (mask('SigCgt') & SIGPIPE_BIT) return 'caught';
  return 'default';
}

function expectEpipe(what, fn) {
  try {
    fn();
  } catch (e) {
    if (e.code === 'EPIPE') return;
    throw new Error(`${what}: expected EPIPE, got ${e.code ?? e}`);
  }
  throw new Error(`${what}: expected EPIPE, the send succeeded`);
}

async function expectEpipeAsync(what, fn) {
  try {
    await fn();
  } catch (e) {
    if (e.code === 'EPIPE') return;
    throw new Error(`${what}: expected EPIPE, got ${e.code ?? e}`);
  }
  throw new Error(`${what}: expected EPIPE, the send succeeded`);
}

// The class sends: StreamSocket's write/send/sendMsg, SeqPacketSocket's send/sendMsg, on
// sockets whose peer is gone, after shutdown('write'), and on TCP after the peer's reset.
async function classSends() {
  const x = Buffer.from('x');
  const streams = s.socketpair(c.AF_UNIX, c.SOCK_STREAM).map((fd) => s.StreamSocket.from(fd));
  streams[1].close();
  const a = streams[0];
  const [sp1, sp2] = s.SeqPacketSocket.pair();
  sp2.close();
  const [w1, w2] = s.socketpair(c.AF_UNIX, c.SOCK_STREAM).map((fd) => s.StreamSocket.from(fd));
  w1.shutdown('write');
  const tcp = s.StreamSocket.from(brokenTcp());
  const checks = [
    ['StreamSocket.write to a closed peer', () => a.write(x)],
    ['StreamSocket.send to a closed peer', () => a.send(x)],
    ['StreamSocket.write of a string', () => a.write('a string')],
    ['StreamSocket.write of 1 MiB', () => a.write(Buffer.alloc(2 ** 20))],
    ['StreamSocket.sendMsg to a closed peer', () => a.sendMsg({ buffers: [x, x] })],
    ['SeqPacketSocket.send to a closed peer', () => sp1.send(x)],
    ['SeqPacketSocket.sendMsg to a closed peer', () => sp1.sendMsg({ buffers: [x] })],
    ["StreamSocket.write after shutdown('write')", () => w1.write(x)],
    ['StreamSocket.write on TCP after the peer reset', () => tcp.write(x)],
    ['StreamSocket.sendMsg on TCP after the peer reset', () => tcp.sendMsg({ buffers: [x] })],
  ];
  for (const [what, fn] of checks) await expectEpipeAsync(what, fn);
  for (const sock of [a, sp1, w1, w2, tcp]) sock.close();
  console.log(
    `sigpipe: ${checks.length} class sends to a closed peer rejected with EPIPE; the process lives`,
  );
}

// A connected TCP pair on loopback whose server side has been closed: the first send draws an
// RST, every send after that EPIPE.
function brokenTcp() {
  const l = s.socket(c.AF_INET, c.SOCK_STREAM);
  s.bind(l, { family: 'inet', address: '127.0.0.1', port: 0 });
  s.listen(l, 1);
  const client = s.socket(c.AF_INET, c.SOCK_STREAM);
  s.connect(client, s.getsockname(l));
  s.close(s.accept(l).fd);
  s.close(l);
  try {
    s.send(client, Buffer.from('x'));
  } catch {
    // EPIPE or ECONNRESET already
  }
  s.poll([{ fd: client, events: c.POLLIN }], 1000); // the RST has arrived once readable
  // The first call after the RST reports ECONNRESET; reading SO_ERROR takes that error, so
  // every send from here on meets the closed connection itself.
  s.getsockopt(client, c.SOL_SOCKET, c.SO_ERROR);
  return client;
}

async function main() {
  const mode = process.argv[2];
  const noop = () => {};
  process.on('SIGPIPE', noop);
  process.off('SIGPIPE', noop);
  await tick();
  const before = disposition();
  if (before !== 'default') {
    console.error(`sigpipe: SIGPIPE is ${before}, not at its default action`);
    process.exit(3);
  }
  console.log('sigpipe: SIGPIPE is at its default action (SigIgn and SigCgt clear)');

  if (mode === 'class') {
    await classSends();
    return;
  }

  const [a, b] = s.socketpair(c.AF_UNIX, c.SOCK_STREAM);
  s.close(b);
  if (mode === 'control') {
    // write(2) has no MSG_NOSIGNAL: this raises SIGPIPE, which kills the process here.
    writeSync(a, 'x');
    console.error('sigpipe: survived a write to a closed peer: SIGPIPE did not kill it');
    process.exit(4);
  }

  const checks = [
    ['send on a unix stream pair', () => s.send(a, Buffer.from('x'))],
    ['send with MSG_DONTWAIT', () => s.send(a, Buffer.from('x'), c.MSG_DONTWAIT)],
    ['send of 0 bytes', () => s.send(a, Buffer.alloc(0))],
  ];
  const [sp1, sp2] = s.socketpair(c.AF_UNIX, c.SOCK_SEQPACKET);
  s.close(sp2);
  checks.push(['send on a seqpacket pair', () => s.send(sp1, Buffer.from('x'))]);
  const [w1, w2] = s.socketpair(c.AF_UNIX, c.SOCK_STREAM);
  s.shutdown(w1, c.SHUT_WR);
  checks.push(['send after shutdown(SHUT_WR)', () => s.send(w1, Buffer.from('x'))]);
  const tcp = brokenTcp();
  checks.push(['send on TCP after the peer reset', () => s.send(tcp, Buffer.from('x'))]);
  // TCP ignores sendto's address on a connected socket (tcp(7)), so this is a send too.
  const to = { family: 'inet', address: '127.0.0.1', port: 9 };
  checks.push(['sendto on TCP after the peer reset', () => s.sendto(tcp, Buffer.from('x'), 0, to)]);

  for (const [what, fn] of checks) expectEpipe(what, fn);
  for (const fd of [a, sp1, w1, w2, tcp]) s.close(fd);
  console.log(`sigpipe: ${checks.length} sends to a closed peer threw EPIPE; the process lives`);
}

await main();
