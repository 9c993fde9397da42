// `npm run bench -- --quick`: the bench suite builds its C baselines, runs every row on tiny
// counts and prints each with a verdict. The numbers of a smoke run mean nothing; only that
// every row ran is checked. The full suite stays out of `npm test`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { rows } from '../../bench/rows.js';

const ROOT = join(__dirname, '..', '..');

describe('the bench suite, quick mode', () => {
  it('prints every row with a verdict', () => {
    const out = execFileSync('npm', ['run', '--silent', 'bench', '--', '--quick'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 150_000,
    });
    const lines = out.split('\n');
    for (const row of rows) {
      const line = lines.find((l) => l.startsWith(`| ${row.title} |`));
      expect(line, row.title).toBeDefined();
      // A row either ran (MET, MISSED, or info when the issue sets no target) or says why it
      // cannot run in this build; it never fails.
      expect(line, row.title).toMatch(
        /\| (MET|MISSED|info|n\/a: [^|]+)( \(met in \d+ of \d+ repetitions; [^|]+\))? \|$/,
      );
    }
    expect(out).toMatch(/^targets met: \d+, missed: \d+$/m);
    // The Node-API floor ran beside sockfd wherever node's headers are (as on this machine).
    expect(out).toMatch(/^\| row \| sockfd \| C \| Node-API floor \|/m);
    if (existsSync(join(dirname(process.execPath), '..', 'include', 'node', 'node_api.h'))) {
      const getsockopt = lines.find((l) => l.startsWith('| one call: getsockopt'));
      expect(getsockopt).toMatch(/\d\.\d\d× floor time/);
      // The floor's own figure carries its ratio to C.
      expect(getsockopt).toMatch(/ \(\d+\.\d\d× C time\) \|/);
      // And the summary counts the rows that stay near the floor.
      expect(out).toMatch(/^Against the Node-API floor \(sockfd's own cost\): \d+ of 6 rows/m);
    }
  }, 160_000);
});
