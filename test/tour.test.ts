// `npm start`: the tour runs and shows each socket type doing what it should.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

const tour = join(__dirname, '..', 'dist', 'tour.js');

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
