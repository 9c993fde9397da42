// `sockfd lab -- <command>`: runs the command where sockfd/lab can make namespaces (as it is for
// root, in a new user namespace otherwise) and passes its exit status on.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { labSupport } from '../../../lib/tools/lab/index.js';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'tools', 'cli.js');
const labEntry = join(root, 'dist', 'tools', 'lab', 'index.js');

function sockfd(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

// Where neither this process nor unshare(1) may make the namespaces, the command must fail
// with the reason instead of running.
const userns = spawnSync('unshare', ['--user', '--map-root-user', '--net', '--', 'true']);
const possible = labSupport().ok || userns.status === 0;
if (!possible) console.warn('sockfd lab cannot run commands here: checking that it says why');

describe('sockfd lab', () => {
  it('runs the command where a lab may be made, and passes its exit status on', () => {
    const probe = `process.exit(require(${JSON.stringify(labEntry)}).labSupport().ok ? 7 : 9)`;
    const r = sockfd('lab', '--', process.execPath, '-e', probe);
    if (possible) {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(7);
    } else {
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/unshare/);
    }
  });

  it('the command finds loopback up, as in any namespace it would run in', () => {
    const probe =
      `const s = require('node:dgram').createSocket('udp4');` +
      `s.bind(0, '127.0.0.1', () => s.send('x', s.address().port, '127.0.0.1', (e) => process.exit(e ? 9 : 7)));`;
    const r = sockfd('lab', '--', process.execPath, '-e', probe);
    if (!possible) return; // The first test checks the refusal.
    expect(r.stderr).toBe('');
    expect(r.status).toBe(7);
  });

  it('without a command is a usage error', () => {
    const r = sockfd('lab', '--');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/lab needs a command/);
  });

  it('a command that cannot be started fails with its name', () => {
    const r = sockfd('lab', '--', '/nonexistent/sockfd-lab-command');
    expect(r.status).not.toBe(0);
    if (possible && labSupport().ok) expect(r.stderr).toMatch(/cannot run \/nonexistent/);
  });
});
