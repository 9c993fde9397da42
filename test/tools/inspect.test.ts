// The inspector: inspect(fd) for sockets of each kind and for other fds, listFds for the fd
// table of a process, and the `sockfd` command on a child process.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { own, pair, sock, tcpPair } from '../helpers/fds.js';

const c = s.constants;
const cli = join(__dirname, '..', '..', 'dist', 'tools', 'cli.js');
const loopback = { family: 'inet', address: '127.0.0.1', port: 0 } as const;

function socketInfo(fd: number, pid?: number): s.SocketInspection {
  const info = s.inspect(fd, pid === undefined ? {} : { pid });
  if (info.kind !== 'socket') throw new Error(`fd ${fd} is a ${info.kind}`);
  return info;
}

// Each child's stdio sockets close only once it has exited and 'close' has fired: wait for
// that, or the fd guard sees them.
const children: { ch: ChildProcess; closed: Promise<unknown> }[] = [];
function track<T extends ChildProcess>(ch: T): T {
  children.push({ ch, closed: new Promise((resolve) => ch.once('close', resolve)) });
  return ch;
}
afterEach(async () => {
  const all = children.splice(0);
  for (const { ch } of all) ch.kill();
  await Promise.all(all.map((x) => x.closed));
});

/** A child node process running `code`, once it has printed its first line. */
async function child(code: string): Promise<ChildProcess & { pid: number; line: string }> {
  const ch = spawn(process.execPath, ['-e', code], {
    cwd: join(__dirname, '..', '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  track(ch);
  const line = await new Promise<string>((resolve, reject) => {
    ch.stdout.once('data', (d: Buffer) => resolve(d.toString()));
    ch.once('exit', (status) => reject(new Error(`child exited with ${status}`)));
  });
  return Object.assign(ch, { pid: ch.pid!, line });
}

describe('inspect(fd)', () => {
  it('a TCP connection: addresses, state, and the bytes waiting in the receive queue', () => {
    const { client, server } = tcpPair();
    const sent = s.send(client, Buffer.alloc(1000, 'x'));
    const seen = (): number => socketInfo(server).recvQueue ?? -1;
    // Loopback delivers within the send call, so the bytes are already queued.
    expect(seen()).toBe(sent);
    const info = socketInfo(server);
    expect(info).toMatchObject({
      kind: 'socket',
      family: 'inet',
      type: 'SOCK_STREAM',
      protocol: 'tcp',
      listening: false,
      cloexec: true,
      nonblocking: false,
      localAddress: s.getsockname(server),
      remoteAddress: s.getsockname(client),
    });
    expect(info.tcp?.stateName).toBe('ESTABLISHED');
    expect(info.tcp?.sndMss).toBeGreaterThan(0);
    expect(socketInfo(client).tcp?.bytesAcked).toBeGreaterThanOrEqual(sent);
    expect(info.recvBufferSize).toBe(s.getsockopt(server, c.SOL_SOCKET, c.SO_RCVBUF));
    // Reading empties the queue.
    s.recv(server, Buffer.alloc(4096));
    expect(socketInfo(server).recvQueue).toBe(0);
    expect(s.formatInspection(info)).toMatch(/receive 1000 bytes \(SIOCINQ\)/);
  });

  it('a listener: SO_ACCEPTCONN, its backlog, and the connections waiting for accept()', () => {
    const l = sock(c.AF_INET, c.SOCK_STREAM);
    s.bind(l, loopback);
    s.listen(l, 7);
    const a = sock(c.AF_INET, c.SOCK_STREAM);
    s.connect(a, s.getsockname(l) as s.InetAddress);
    const info = socketInfo(l);
    expect(info.listening).toBe(true);
    expect(info.remoteAddress).toBeNull();
    expect(info.recvQueue).toBeNull();
    expect(info.acceptQueue).toEqual({ waiting: 1, backlog: 7 });
    expect(info.tcp?.stateName).toBe('LISTEN');
    expect(s.formatInspection(info)).toContain('1 waiting for accept(), backlog 7');
  });

  it('a unix socketpair: no protocol, unnamed addresses, SIOCINQ and SIOCOUTQ', () => {
    const [a, b] = pair(c.AF_UNIX, c.SOCK_STREAM);
    s.send(a, Buffer.from('twelve bytes'));
    const info = socketInfo(b);
    expect(info).toMatchObject({
      family: 'unix',
      type: 'SOCK_STREAM',
      protocol: '',
      localAddress: { family: 'unix' },
      remoteAddress: { family: 'unix' },
      recvQueue: 12,
    });
    expect(info.tcp).toBeUndefined();
    // A unix socket's send queue is the memory its unread messages take at the peer.
    expect(socketInfo(a).sendQueue).toBeGreaterThan(0);
  });

  it('a UDP socket: SIOCINQ is the size of the next datagram only, and drops are counted', () => {
    const u = sock(c.AF_INET, c.SOCK_DGRAM);
    s.bind(u, loopback);
    const to = s.getsockname(u) as s.InetAddress;
    const tx = sock(c.AF_INET, c.SOCK_DGRAM);
    s.sendto(tx, Buffer.alloc(5), 0, to);
    s.sendto(tx, Buffer.alloc(700), 0, to);
    const info = socketInfo(u);
    expect(info).toMatchObject({ family: 'inet', type: 'SOCK_DGRAM', protocol: 'udp' });
    expect(info.recvQueue).toBe(5);
    expect(info.drops).toBe(0);
    expect((info.localAddress as s.InetAddress).port).toBe(to.port);
  });

  it('another process’s fd, borrowed with pidfd_getfd: Node’s stdio "pipe" is a socketpair', async () => {
    // The child never reads its stdin, so what we write stays queued in the kernel.
    const ch = await child(`process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`);
    await new Promise((resolve) => ch.stdin!.write('ten bytes!', resolve));
    expect(s.inspect(0, { pid: ch.pid })).toMatchObject({
      fd: 0,
      kind: 'socket',
      family: 'unix',
      type: 'SOCK_STREAM',
      recvQueue: 10,
    });
  });

  it('a pipe, and the bytes waiting in it', async () => {
    // Node has no pipe(); python3 is there wherever node-gyp builds the addon.
    const py = spawn(
      'python3',
      [
        '-c',
        'import os,time; r,w=os.pipe(); os.write(w,b"ten bytes!"); print(r, flush=True); time.sleep(30)',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    track(py);
    const fd = await new Promise<number>((resolve) => {
      py.stdout.once('data', (d: Buffer) => resolve(Number(d.toString())));
    });
    const info = s.inspect(fd, { pid: py.pid! });
    expect(info).toMatchObject({ kind: 'pipe', recvQueue: 10 });
    expect(info.target).toMatch(/^pipe:\[\d+\]$/);
  });

  it('/dev/null and a regular file', () => {
    const fd = own(openSync('/dev/null', 'r'));
    expect(s.inspect(fd)).toMatchObject({
      fd,
      kind: 'character device',
      target: '/dev/null',
      cloexec: true,
    });
    const dir = mkdtempSync(join(tmpdir(), 'sockfd-inspect-'));
    try {
      const f = openSync(join(dir, 'f'), 'w');
      writeSync(f, 'hello');
      const info = s.inspect(f);
      closeSync(f);
      expect(info).toMatchObject({ kind: 'file', size: 5, position: 5 });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('a closed fd is EBADF, and another process’s closed fd too', async () => {
    expect(() => s.inspect(999_999)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    const ch = await child(`process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`);
    expect(() => s.inspect(999_999, { pid: ch.pid })).toThrow(
      expect.objectContaining({ code: 'EBADF', syscall: 'pidfd_getfd' }),
    );
  });

  it('formats every kind without throwing', () => {
    const { client, listener } = tcpPair();
    const [a] = pair(c.AF_UNIX, c.SOCK_DGRAM);
    for (const fd of [client, listener, a, 0]) {
      expect(s.formatInspection(s.inspect(fd))).toMatch(new RegExp(`^fd +${fd}: `));
    }
  });
});

describe('listFds(pid)', () => {
  it('finds this process’s sockets with their protocol, local port and state', () => {
    const l = sock(c.AF_INET, c.SOCK_STREAM);
    s.bind(l, loopback);
    s.listen(l, 4);
    const { port } = s.getsockname(l) as s.InetAddress;
    const u6 = sock(c.AF_INET6, c.SOCK_DGRAM);
    s.bind(u6, { family: 'inet6', address: '::1', port: 0 });
    const [ua] = pair(c.AF_UNIX, c.SOCK_SEQPACKET);
    const fds = s.listFds();
    const byFd = new Map(fds.map((e) => [e.fd, e]));
    expect(byFd.get(l)).toMatchObject({
      kind: 'socket',
      protocol: 'tcp',
      socket: { localAddress: `127.0.0.1:${port}`, state: 'LISTEN', remoteAddress: '*' },
    });
    const { port: p6 } = s.getsockname(u6) as s.InetAddress;
    expect(byFd.get(u6)?.socket).toMatchObject({ table: 'udp6', localAddress: `[::1]:${p6}` });
    expect(byFd.get(ua)?.socket).toMatchObject({ table: 'unix', type: 'SOCK_SEQPACKET' });
    expect(s.formatFdTable(fds)).toMatch(
      new RegExp(`\\n${l} +socket +tcp +LISTEN .*127\\.0\\.0\\.1:${port}`),
    );
  });

  it('shows a connection’s queued bytes as ss does', () => {
    const { client, server } = tcpPair();
    s.send(client, Buffer.alloc(321));
    const e = s.listFds().find((x) => x.fd === server);
    expect(e?.socket).toMatchObject({ table: 'tcp', state: 'ESTABLISHED', recvQueue: 321 });
  });
});

describe('the sockfd command', () => {
  // A child node process that holds a listening socket and prints its fd and port.
  const holder = `
    const s = require('./dist/index.js');
    const fd = s.socket(s.AF_INET, s.SOCK_STREAM);
    s.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
    s.listen(fd, 3);
    process.stdout.write(JSON.stringify({ fd, port: s.getsockname(fd).port }) + '\\n');
    setInterval(() => {}, 1000);`;

  async function holderChild(): Promise<{ pid: number; fd: number; port: number }> {
    const ch = await child(holder);
    return { pid: ch.pid, ...(JSON.parse(ch.line) as { fd: number; port: number }) };
  }

  it('`sockfd fds <pid>` lists a child’s listening socket with its address', async () => {
    const { pid, fd, port } = await holderChild();
    const out = execFileSync(process.execPath, [cli, 'fds', String(pid)], { encoding: 'utf8' });
    expect(out).toMatch(/^FD +KIND +PROTO +STATE +RECV-Q +SEND-Q +LOCAL +PEER/);
    expect(out).toMatch(new RegExp(`\\n${fd} +socket +tcp +LISTEN +0 +0 +127\\.0\\.0\\.1:${port}`));
    const json = JSON.parse(
      execFileSync(process.execPath, [cli, 'fds', String(pid), '--json'], { encoding: 'utf8' }),
    ) as s.FdEntry[];
    expect(json.find((e) => e.fd === fd)?.socket?.localAddress).toBe(`127.0.0.1:${port}`);
  });

  it('`sockfd inspect <pid> <fd>` shows the listener’s backlog', async () => {
    const { pid, fd, port } = await holderChild();
    const out = execFileSync(process.execPath, [cli, 'inspect', String(pid), String(fd)], {
      encoding: 'utf8',
    });
    expect(out).toContain(`local      127.0.0.1:${port}`);
    expect(out).toContain('0 waiting for accept(), backlog 3');
  });

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

  it.each([
    [['inspect', 'x', '3'], 'pid must be a number >= 1, not x'],
    [['inspect', 'x'], 'inspect takes a pid and an fd'],
    [['inspect', '1', 'x'], 'fd must be a number >= 0, not x'],
    [['fds', '0'], 'pid must be a number >= 1, not 0'],
    [['fds', '1', '2'], 'fds takes at most one pid'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['fds', '--json=yes'], "Option '--json' does not take an argument"],
    [[], 'no command'],
    [['listen'], 'unknown command listen'],
  ])('exits 2 with its usage on a bad command line: %j', (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`sockfd: ${message}\n${run('--help').stdout}`);
  });

  it('prints its usage with --help, -h and help, and its version with --version and -V', () => {
    const usage = run('--help');
    expect(usage.status).toBe(0);
    expect(usage.stdout).toMatch(/^usage:\n {2}sockfd fds /);
    expect(run('-h').stdout).toBe(usage.stdout);
    expect(run('help').stdout).toBe(usage.stdout);
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(run('--version')).toMatchObject({ status: 0, stdout: `${version}\n` });
    expect(run('-V').stdout).toBe(`${version}\n`);
  });

  // No process has this pid: pid_max is at most 2^22 (proc(5)).
  const NO_SUCH_PID = '2147483647';

  it.each([
    [
      ['fds', NO_SUCH_PID],
      `no such process ${NO_SUCH_PID} (scandir ENOENT /proc/${NO_SUCH_PID}/fd)`,
    ],
    [['inspect', NO_SUCH_PID, '0'], `no such process ${NO_SUCH_PID} (pidfd_open ESRCH)`],
  ])('says a failed call in words, the errno beside them: %j', (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`sockfd: ${message}\n`);
  });

  it('says when the process has no such fd', async () => {
    const { pid } = await holderChild();
    const r = run('inspect', String(pid), '999');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`sockfd: process ${pid} has no fd 999 (pidfd_getfd EBADF)\n`);
  });

  // Another user's process: as root the command runs as nobody (setpriv), with no capabilities,
  // against a child of ours; as anyone else, against init, which is root's.
  it('says when it needs ptrace access', async (ctx) => {
    const skip = (why: string) => {
      console.warn(`skipping the ptrace message test: ${why}`);
      ctx.skip(why);
    };
    let argv: string[];
    let pid: number;
    if (process.getuid?.() === 0) {
      const drop = ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'];
      const probe = spawnSync('setpriv', [...drop, 'true'], { encoding: 'utf8' });
      if (probe.error !== undefined) return skip('setpriv (util-linux) is not installed');
      // uid 0 without CAP_SETUID (npm run test:unprivileged) cannot become another user.
      if (probe.status !== 0) return skip(`cannot switch to uid 65534: ${probe.stderr.trim()}`);
      const { pid: held } = await holderChild();
      pid = held;
      argv = ['setpriv', ...drop, '--bounding-set=-all', process.execPath, cli];
    } else {
      if (statSync('/proc/1').uid === process.getuid?.()) {
        return skip('this user owns pid 1 (a container of its own)');
      }
      pid = 1;
      argv = [process.execPath, cli];
    }
    const cmd = (...args: string[]) =>
      spawnSync(argv[0]!, [...argv.slice(1), ...args], { encoding: 'utf8' });
    const ptrace = `needs ptrace access to process ${pid}, as its user or with CAP_SYS_PTRACE`;
    const inspected = cmd('inspect', String(pid), '0');
    expect(inspected.stderr).toBe(`sockfd: ${ptrace} (pidfd_getfd EPERM)\n`);
    expect(inspected.status).toBe(1);
    const listed = cmd('fds', String(pid));
    expect(listed.stderr).toBe(`sockfd: ${ptrace} (scandir EACCES /proc/${pid}/fd)\n`);
    expect(listed.status).toBe(1);
  });
});
