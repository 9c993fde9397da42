// connect(fd, address, { timeout }): a nonblocking connect waited for with poll, its outcome
// from SO_ERROR, ETIMEDOUT at the deadline, the fd's mode as it was. A listener whose backlog is
// full never answers: Linux drops the SYN (and a unix connect would block), so that is the peer
// that times out, on loopback and in a namespace whose only route leads nowhere.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { expectArgError } from '../helpers/arg-errors.js';
import { root } from '../helpers/child.js';
import { sock } from '../helpers/fds.js';

const { AF_INET, AF_INET6, AF_UNIX, SOCK_STREAM, SOCK_NONBLOCK } = s.constants;
const LIMIT_MS = 250;
// poll(2) may wake up to a clock tick late, and a loaded machine later still.
const SLACK_MS = 1500;

// A listener with backlog 0 and the one connection that fills it.
function fullListener(domain: number): s.Address {
  const l = sock(domain, SOCK_STREAM);
  if (domain === AF_UNIX) s.bind(l, { family: 'unix' });
  else if (domain === AF_INET6) s.bind(l, { family: 'inet6', address: '::1', port: 0 });
  else s.bind(l, { family: 'inet', address: '127.0.0.1', port: 0 });
  s.listen(l, 0);
  const to = s.getsockname(l);
  s.connect(sock(domain, SOCK_STREAM), to as s.SocketAddress, { timeout: 5000 });
  return to;
}

function timesOut(fd: number, to: s.Address): number {
  const t0 = performance.now();
  let err: unknown;
  try {
    s.connect(fd, to as s.SocketAddress, { timeout: LIMIT_MS });
  } catch (e) {
    err = e;
  }
  const took = performance.now() - t0;
  expect(err).toBeInstanceOf(s.SocketError);
  expect(err).toMatchObject({
    code: 'ETIMEDOUT',
    errno: -s.constants.ETIMEDOUT,
    syscall: 'connect',
  });
  expect(took).toBeGreaterThanOrEqual(LIMIT_MS - 1);
  expect(took).toBeLessThan(LIMIT_MS + SLACK_MS);
  return took;
}

describe('connect with a time limit', () => {
  it.each([
    ['IPv4', AF_INET],
    ['IPv6', AF_INET6],
    ['unix', AF_UNIX],
  ])('%s: a listener whose backlog is full times out with ETIMEDOUT', (_name, domain) => {
    timesOut(sock(domain, SOCK_STREAM), fullListener(domain));
  });

  it('leaves a blocking fd blocking and a nonblocking one nonblocking, timed out or not', () => {
    const to = fullListener(AF_INET);
    const blocking = sock(AF_INET, SOCK_STREAM);
    const nonblocking = sock(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
    timesOut(blocking, to);
    timesOut(nonblocking, to);
    expect(s.getNonblocking(blocking)).toBe(false);
    expect(s.getNonblocking(nonblocking)).toBe(true);

    const l = sock(AF_INET, SOCK_STREAM);
    s.bind(l, { family: 'inet', address: '127.0.0.1', port: 0 });
    s.listen(l, 4);
    const ok = sock(AF_INET, SOCK_STREAM);
    s.connect(ok, s.getsockname(l) as s.InetAddress, { timeout: 5000 });
    expect(s.getpeername(ok)).toEqual(s.getsockname(l));
    expect(s.getNonblocking(ok)).toBe(false);
  });

  it('drops the attempt that timed out, so the fd can connect again', () => {
    const l = sock(AF_INET, SOCK_STREAM);
    s.bind(l, { family: 'inet', address: '127.0.0.1', port: 0 });
    s.listen(l, 0);
    const to = s.getsockname(l) as s.InetAddress;
    s.connect(sock(AF_INET, SOCK_STREAM), to);
    const fd = sock(AF_INET, SOCK_STREAM);
    timesOut(fd, to);
    expect(() => s.getpeername(fd)).toThrow(expect.objectContaining({ code: 'ENOTCONN' }));
    s.close(s.accept(l).fd);
    s.connect(fd, to, { timeout: 5000 });
    expect(s.getpeername(fd)).toEqual(to);
  });

  it('reports a refusal from SO_ERROR as connect would', () => {
    const closed = sock(AF_INET, SOCK_STREAM);
    s.bind(closed, { family: 'inet', address: '127.0.0.1', port: 0 });
    const to = s.getsockname(closed) as s.InetAddress; // bound, never listening
    expect(() => s.connect(sock(AF_INET, SOCK_STREAM), to, { timeout: 5000 })).toThrow(
      expect.objectContaining({ code: 'ECONNREFUSED', syscall: 'connect', port: to.port }),
    );
  });

  it('times out where the only route leads nowhere, in a namespace of its own', () => {
    // A veth link where nobody answers for 10.99.0.2: its address never resolves, and the SYN
    // waits for it until the limit.
    const script = `
      const s = require('./dist/index.js');
      const fd = s.socket(s.constants.AF_INET, s.constants.SOCK_STREAM);
      const t0 = Date.now();
      try { s.connect(fd, { family: 'inet', address: '10.99.0.2', port: 80 }, { timeout: ${LIMIT_MS} }); console.log('connected'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, syscall: e.syscall, ms: Date.now() - t0 })); }`;
    const setup =
      'ip link add v0 type veth peer name v1 && ip link set v0 up && ip link set v1 up && ' +
      'ip addr add 10.99.0.1/24 dev v0';
    const r = spawnSync(
      'unshare',
      ['-rn', 'sh', '-c', `${setup} && exec "${process.execPath}" -e "$0"`, script],
      { cwd: root, encoding: 'utf8', timeout: 15_000 },
    );
    if (
      r.status !== 0 &&
      /unshare|Operation not permitted|RTNETLINK|Unknown device/.test(r.stderr)
    ) {
      console.warn(
        `skipping the namespace case: a veth pair is not available here (${r.stderr.trim()})`,
      );
      return;
    }
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { code: string; syscall: string; ms: number };
    expect(out).toMatchObject({ code: 'ETIMEDOUT', syscall: 'connect' });
    expect(out.ms).toBeGreaterThanOrEqual(LIMIT_MS - 1);
    expect(out.ms).toBeLessThan(LIMIT_MS + SLACK_MS);
  });

  it.each(['connect', 'connectUnix'])(
    '%s: a signal JavaScript listens to ends the wait with EINTR, long before the limit',
    async (call) => {
      const r = await new Promise<{ code: number | null; stdout: string; ms: number }>(
        (resolve) => {
          const child = spawn(
            process.execPath,
            [join('test', 'children', 'blocking-signal.js'), call, 'listen'],
            {
              cwd: root,
              stdio: ['ignore', 'pipe', 'inherit'],
            },
          );
          let stdout = '';
          let sent = 0;
          const bound = setTimeout(() => child.kill('SIGKILL'), 20_000);
          child.stdout.setEncoding('utf8').on('data', (d: string) => {
            stdout += d;
            if (sent === 0 && stdout.includes('ready')) {
              sent = performance.now() + 300;
              setTimeout(() => child.kill('SIGINT'), 300);
            }
          });
          child.on('close', (code) => {
            clearTimeout(bound);
            resolve({ code, stdout, ms: performance.now() - sent });
          });
        },
      );
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toContain(`${call} threw EINTR errno -4 syscall connect`);
      expect(r.stdout).toContain('handler ran');
      expect(r.ms).toBeLessThan(10_000);
    },
    30_000,
  );

  it('refuses bad options before any syscall', () => {
    const to = { family: 'inet', address: '127.0.0.1', port: 1 } as const;
    expectArgError(
      () => s.connect(0x7fffffff, to, { timeout: -1 }),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /options\.timeout/,
    );
    expectArgError(
      () => s.connect(0x7fffffff, to, { timeout: 1.5 }),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /options\.timeout/,
    );
    expectArgError(
      () => s.connect(0x7fffffff, to, { timeout: 2 ** 31 }),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /options\.timeout/,
    );
    expectArgError(
      () => s.connect(0x7fffffff, to, { timeout: '5' as never }),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /options\.timeout/,
    );
    expectArgError(
      () => s.connect(0x7fffffff, to, 5 as never),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /options/,
    );
    expect(() => s.connect(0x7fffffff, to, { timeout: 5 })).toThrow(
      expect.objectContaining({ code: 'EBADF', syscall: 'connect' }),
    );
  });
});
