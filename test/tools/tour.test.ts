// `npm start`: the tour runs and shows each socket type doing what it should.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

const tour = join(__dirname, '..', '..', 'dist', 'tools', 'tour.js');

describe('the tour', () => {
  it('walks every section and shows boundaries lost on streams and kept on messages', () => {
    const out = execFileSync(process.execPath, [tour], { encoding: 'utf8', timeout: 20_000 });
    expect(out).toMatch(/StreamSocket +SOCK_STREAM +\(TCP\) -> fd \d+/);
    expect(out).toMatch(/DatagramSocket +SOCK_DGRAM +\(UDP\) -> fd \d+/);
    expect(out).toMatch(/SeqPacketSocket +SOCK_SEQPACKET \(unix\) -> fd \d+/);
    expect(out).toContain('"onetwothree"');
    expect(out).toContain('three recvFrom calls returned: "one", "two", "three"');
    expect(out).toContain('recv until end of connection returned: "one", "two", "three"');
    // The raw section either shows the reply or says why it cannot.
    expect(out).toMatch(/reply from 127\.0\.0\.1|skipped: socket EPERM/);
    // The kernel's queues, seen filling, then the inspector's view of the receiver.
    expect(out).toMatch(/sent +8192: receiver's queue +\d+, sender's queue +\d+/);
    expect(out).toMatch(/then send\(\) -> EAGAIN[^]*queues +receive [1-9]\d* bytes \(SIOCINQ\)/);
    expect(out).toMatch(/a second socket on 127\.0\.0\.1:\d+: bind EADDRINUSE/);
    expect(out).toMatch(/SO_REUSEPORT on 127\.0\.0\.1:\d+; 30 senders land \d+ \+ \d+ \+ \d+/);
    expect(out).toMatch(
      /100 datagrams into a small receive buffer .*: (\d+) arrive, (\d+) dropped/,
    );
    expect(out).toContain('100000 bytes arrive');
    expect(out).toMatch(
      /sendmsg it \(SCM_RIGHTS\)[^]*child \d+: recvmsg on its fd 3 -> an fd numbered \d+; read [1-9]\d* bytes/,
    );
    expect(out).toMatch(/poll\(\) -> fd \d+ POLLIN, fd \d+ -, fd \d+ POLLIN/);
    expect(out).toMatch(/\d+ +socket +tcp +LISTEN +0 +0 +127\.0\.0\.1:\d+/);
    // Every section is numbered and says how to run it alone.
    expect(out.match(/^\d+\. .*\[npm start -- \w+\]$/gm)).toHaveLength(11);
  });

  it('loses datagrams only when they do not fit: the counts add up', () => {
    const out = execFileSync(process.execPath, [tour, 'loss'], { encoding: 'utf8' });
    const m = /(\d+) arrive, (\d+) dropped/.exec(out);
    expect(Number(m?.[1]) + Number(m?.[2])).toBe(100);
    expect(Number(m?.[2])).toBeGreaterThan(0);
  });

  it('runs one topic, and refuses an unknown one', () => {
    expect(execFileSync(process.execPath, [tour, 'dgram'], { encoding: 'utf8' })).not.toContain(
      'SOCK_STREAM',
    );
    expect(() => execFileSync(process.execPath, [tour, 'nope'], { stdio: 'pipe' })).toThrow(
      /unknown topic nope/,
    );
  });
});
