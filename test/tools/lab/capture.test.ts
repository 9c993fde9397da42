// Captures on lo against what the test sent: the own pcapng reader checks every capture, and
// tshark, where it is installed, reads the same file. AF_PACKET needs CAP_NET_RAW: without it
// the capture tests skip with the reason (the argument checks run everywhere).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import * as s from '../../../lib/index.js';
import {
  type BpfInstruction,
  Capture,
  capture,
  withCapture,
} from '../../../lib/tools/lab/capture.js';
import { type PcapngPacket, readPcapng } from '../../../lib/tools/lab/pcapng.js';
import { udpPair, waitFor } from '../../../lib/tools/lab/testing.js';
import { expectArgError } from '../../helpers/arg-errors.js';

const c = s.constants;

function packetSocketsAllowed(): { ok: true } | { ok: false; reason: string } {
  try {
    s.close(s.socket(c.AF_PACKET, c.SOCK_RAW, 0));
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `AF_PACKET needs CAP_NET_RAW: ${(e as Error).message}` };
  }
}
const packet = packetSocketsAllowed();
if (!packet.ok) console.warn(`skipping the capture tests: ${packet.reason}`);

const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
const tsharkReason =
  tshark.status === 0
    ? null
    : `tshark is not installed (${tshark.error?.message ?? tshark.stderr})`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sockfd-capture-'));
  dirs.push(d);
  return d;
}

interface Udp {
  packet: PcapngPacket;
  srcPort: number;
  dstPort: number;
  payload: string;
}

/** The UDP datagram an Ethernet frame carries in IPv4, if it carries one. */
function udpOf(p: PcapngPacket): Udp | null {
  const d = Buffer.from(p.data);
  if (d.length < 42 || d.readUInt16BE(12) !== 0x0800 || d[23] !== 17) return null;
  const udp = 14 + (d[14]! & 0xf) * 4;
  return {
    packet: p,
    srcPort: d.readUInt16BE(udp),
    dstPort: d.readUInt16BE(udp + 2),
    payload: d.toString('utf8', udp + 8),
  };
}

const withoutSanitizer = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'LD_PRELOAD' && k !== 'ASAN_OPTIONS'),
);
const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
const MS = 1_000_000n;

describe.skipIf(!packet.ok)('capture on lo', () => {
  it('holds each UDP datagram sent, outbound and inbound, with nanosecond times; tshark agrees', async () => {
    const dir = tempDir();
    const cap = capture('lo', { dir });
    using pair = await udpPair();
    const port = (pair.server.localAddress() as s.InetAddress).port;
    const payloads = [0, 1, 2].map((i) => `sockfd-capture-${process.pid}-${i}`);
    const before = nowNs() - MS;
    const buf = Buffer.alloc(64);
    for (const p of payloads) {
      await pair.client.send(p);
      await pair.server.recv(buf, waitFor(`datagram ${p}`));
    }
    const after = nowNs() + MS;
    const result = await cap.stop();
    expect(result.path).toMatch(new RegExp(`^${dir}/capture-lo-.*\\.pcapng$`));
    expect(readFileSync(result.path!).equals(result.bytes)).toBe(true);

    const file = readPcapng(result.bytes);
    expect(file.interfaces[0]).toMatchObject({ name: 'lo', linkType: 1 });
    const sent = file.packets.map(udpOf).filter((u) => u !== null && u.dstPort === port) as Udp[];
    // lo hands each frame to packet sockets twice: as it leaves (PACKET_OUTGOING) and arrives.
    expect(sent.map((u) => [u.payload, u.packet.direction])).toEqual(
      payloads.flatMap((p) => [
        [p, 'outbound'],
        [p, 'inbound'],
      ]),
    );
    for (const u of sent) {
      expect(file.interfaces[u.packet.interfaceId]!.name).toBe('lo');
      expect(u.packet.timestampNs).toBeGreaterThanOrEqual(before);
      expect(u.packet.timestampNs).toBeLessThanOrEqual(after);
    }
    // Nanoseconds, not microseconds scaled up: six stamps all on a whole microsecond would be
    // a one-in-10^18 chance.
    expect(sent.some((u) => u.packet.timestampNs % 1000n !== 0n)).toBe(true);

    if (tsharkReason !== null) {
      console.warn(`skipping the tshark check: ${tsharkReason}`);
      return;
    }
    const fields = ['frame.interface_name', 'frame.time_epoch', 'frame.packet_flags_direction'];
    const out = spawnSync(
      'tshark',
      [
        '-r',
        result.path!,
        '-Y',
        `udp.dstport == ${port}`,
        '-T',
        'fields',
        ...fields.flatMap((f) => ['-e', f]),
        '-e',
        'udp.payload',
      ],
      // tshark is not ours to sanitize: test:asan's preloaded runtime stays with node.
      { encoding: 'utf8', env: withoutSanitizer },
    );
    expect(out.status, out.stderr).toBe(0);
    const rows = out.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    const epoch = (ns: bigint): string =>
      `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
    expect(rows).toEqual(
      sent.map((u) => [
        'lo',
        epoch(u.packet.timestampNs),
        u.packet.direction === 'outbound' ? '0x00000002' : '0x00000001',
        Buffer.from(u.payload).toString('hex'),
      ]),
    );
  });

  it("'any' captures every interface, each named by its own block; in memory without a path", async () => {
    const cap = capture('any');
    using pair = await udpPair();
    await pair.client.send('over any');
    await pair.server.recv(Buffer.alloc(16), waitFor('the datagram'));
    const result = await cap.stop();
    expect(result.path).toBeNull();
    const file = readPcapng(result.bytes);
    const port = (pair.server.localAddress() as s.InetAddress).port;
    const ours = file.packets.map(udpOf).filter((u) => u?.dstPort === port) as Udp[];
    expect(ours).toHaveLength(2);
    for (const u of ours) expect(file.interfaces[u.packet.interfaceId]!.name).toBe('lo');
    expect(new Set(file.interfaces.map((i) => i.name)).size).toBe(file.interfaces.length);
    expect(await cap.stop()).toBe(result); // Stopping again returns the same.
  });

  it("makes its socket inside a host's run(), and names the file after the host", async () => {
    let made = 0;
    const host = {
      name: 'h1',
      run<T>(fn: () => T): T {
        const before = s.openSockets().length;
        const r = fn();
        made += s.openSockets().length - before;
        return r;
      },
    };
    const dir = tempDir();
    {
      await using cap = capture(host, { interface: 'lo', dir });
      expect(made).toBe(1);
      expect(cap.path).toMatch(/\/h1-lo-.*\.pcapng$/);
    }
    expect(s.openSockets()).toEqual([]);
    const [name] = readdirSync(dir);
    expect(readPcapng(readFileSync(join(dir, name!))).interfaces.map((i) => i.name)).toEqual([
      'lo',
    ]);
  });

  it('withCapture keeps the file and names it when the test fails, and deletes it otherwise', async () => {
    const dir = tempDir();
    const ok = await withCapture('lo', { dir }, () => 42);
    expect(ok.value).toBe(42);
    expect(existsSync(ok.capture.path!)).toBe(false);

    const err = await withCapture('lo', { dir }, () => {
      throw new Error('the assertion');
    }).catch((e: unknown) => e as Error & { capture: string });
    expect(err.message).toMatch(/^the assertion \(capture kept at .*\.pcapng\)$/);
    expect(existsSync(err.capture)).toBe(true);
    expect(readPcapng(readFileSync(err.capture)).interfaces[0]?.name).toBe('lo');
    expect(s.openSockets()).toEqual([]);
  });

  it('applies a classic BPF filter in the kernel', async () => {
    using pair = await udpPair();
    const port = (pair.server.localAddress() as s.InetAddress).port;
    // udp dst port <port> over IPv4 on Ethernet, as `tcpdump -d` compiles it.
    const filter: BpfInstruction[] = [
      { code: 0x28, jt: 0, jf: 0, k: 12 },
      { code: 0x15, jt: 0, jf: 8, k: 0x800 },
      { code: 0x30, jt: 0, jf: 0, k: 23 },
      { code: 0x15, jt: 0, jf: 6, k: 17 },
      { code: 0x28, jt: 0, jf: 0, k: 20 },
      { code: 0x45, jt: 4, jf: 0, k: 0x1fff },
      { code: 0xb1, jt: 0, jf: 0, k: 14 },
      { code: 0x48, jt: 0, jf: 0, k: 16 },
      { code: 0x15, jt: 0, jf: 1, k: port },
      { code: 0x06, jt: 0, jf: 0, k: 262144 },
      { code: 0x06, jt: 0, jf: 0, k: 0 },
    ];
    const cap = capture('lo', { filter });
    await pair.server.send('not to the port');
    await pair.client.send('to the port');
    await pair.server.recv(Buffer.alloc(16), waitFor('the datagram'));
    const file = readPcapng((await cap.stop()).bytes);
    expect(file.packets.map((p) => udpOf(p)?.payload)).toEqual(['to the port', 'to the port']);
  });
});

describe('capture as a plain user', () => {
  it('captures inside `unshare -rn`, where the user owns the namespace', () => {
    const script = join(__dirname, 'capture-child.js');
    const r = spawnSync(
      'unshare',
      ['-rn', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${script}"`],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (r.status !== 0 && /unshare|Operation not permitted/.test(r.stderr)) {
      console.warn(
        `skipping the namespace capture: unshare -rn is not available here (${r.stderr.trim()})`,
      );
      return;
    }
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { skip?: string; udp?: unknown[] };
    if (out.skip !== undefined) {
      // With an empty bounding set (test:unprivileged) even the namespace's root has no CAP_NET_RAW.
      console.warn(`skipping the namespace capture: ${out.skip}`);
      return;
    }
    expect(out.udp).toEqual(
      ['one', 'two'].flatMap((payload) => [
        { iface: 'lo', direction: 'outbound', payload },
        { iface: 'lo', direction: 'inbound', payload },
      ]),
    );
  });
});

describe('capture argument errors name the argument', () => {
  const host = { run: <T>(fn: () => T): T => fn() };
  it.each([
    ['target', () => capture(undefined as never), 'TypeError', 'ERR_INVALID_ARG_TYPE', /"target"/],
    [
      'options',
      () => capture('lo', null as never),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"options"/,
    ],
    [
      'snapLength',
      () => capture('lo', { snapLength: 1 }),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"options.snapLength"/,
    ],
    [
      'filter',
      () => capture('lo', { filter: {} as never }),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"options.filter"/,
    ],
    [
      'filter k',
      () => capture('lo', { filter: [{ code: 6, jt: 0, jf: 0, k: -1 }] }),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"options.filter\[0\].k"/,
    ],
    [
      'interface of a name target',
      () => capture('lo', { interface: 'lo' }),
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
      /'options.interface'/,
    ],
    [
      'interface of a host',
      () => capture(host, { interface: {} as never }),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"options.interface"/,
    ],
    [
      'path and dir',
      () => capture('lo', { path: '/tmp/x', dir: '/tmp' }),
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
      /'options.dir'/,
    ],
  ] as const)('%s', (_, call, type, code, names) => expectArgError(call, type, code, names));

  it('refuses to be constructed but by capture()', () => {
    const Ctor = Capture as unknown as new (...args: unknown[]) => unknown;
    expect(() => new Ctor(Symbol('capture'))).toThrow(/Illegal constructor: use capture\(\)/);
  });

  it('an unknown interface fails as if_nametoindex does', () => {
    expect(() => capture('no-such-if0')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
  });
});
