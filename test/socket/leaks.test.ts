// Sockets never closed: openSockets() lists them, and SOCKFD_LEAK_REPORT=1 prints them with
// where they were made when the process exits. Nothing ever closes them behind the user's back.
import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { runNode } from '../helpers/child.js';

describe('sockets never closed', () => {
  it('openSockets() lists the objects that own an open fd, until close or detach', () => {
    const a = s.DatagramSocket.create('inet');
    const b = s.StreamSocket.create('inet');
    const mine = (): s.OpenSocket[] =>
      s.openSockets().filter((o) => o.fd === a.fd || o.fd === b.fd);
    expect(mine()).toEqual([
      { fd: a.fd, type: 'DatagramSocket' },
      { fd: b.fd, type: 'StreamSocket' },
    ]);
    a.close();
    s.close(b.detach());
    expect(mine()).toEqual([]);
  });

  it('SOCKFD_LEAK_REPORT=1 lists each socket left open at exit, with its creation stack', async () => {
    const r = await runNode(['test/children/leak-report.js'], {
      env: { ...process.env, SOCKFD_LEAK_REPORT: '1' },
      timeoutMs: 20_000,
    });
    expect(r.code, r.output).toBe(0);
    const { listener, dgram } = JSON.parse(r.stdout) as { listener: number; dgram: number };
    expect(r.stderr).toContain('sockfd: 2 socket(s) never closed:');
    expect(r.stderr).toContain(`fd ${listener} StreamSocket, created`);
    expect(r.stderr).toContain(`fd ${dgram} DatagramSocket, created`);
    // The stack starts at the caller's frames: the function that made the listener is named.
    expect(r.stderr).toMatch(/at openTheListener \(.*leak-report\.js:\d+/);
    expect(r.stderr).not.toMatch(/lib[/\\]socket|dist[/\\]socket|internal[/\\]owners/);
  });

  it('prints nothing without SOCKFD_LEAK_REPORT', async () => {
    const env = { ...process.env };
    delete env.SOCKFD_LEAK_REPORT;
    const r = await runNode(['test/children/leak-report.js'], { env, timeoutMs: 20_000 });
    expect(r.code, r.output).toBe(0);
    expect(r.stderr).toBe('');
  });
});
