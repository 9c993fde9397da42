// The package as a user imports it: from CommonJS and from ESM, with types, through the built
// dist/ and the package.json exports map.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const out = join(root, 'build', 'fixtures');

describe('package entry points', () => {
  it('type-checks and runs an ESM and a CommonJS consumer, with the sockfd/packet, sockfd/inspect and sockfd/lab subpaths', () => {
    // tsc exits non-zero (and execFileSync throws with its output) on any type error.
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'test/fixtures/tsconfig.json'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
    const esm = execFileSync(process.execPath, [join(out, 'consumer.mjs')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(JSON.parse(esm)).toEqual({
      got: 'esm',
      same: true,
      family: 'unix',
      kind: 'socket',
      ttl: 64,
      packet: true,
      inspect: true,
      lab: true,
    });
    const cjs = execFileSync(process.execPath, [join(out, 'consumer.cjs')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(JSON.parse(cjs)).toEqual({ got: 'cjs', checksum: 0xbaff });
  }, 120_000); // tsc twice and two node processes: slow under ASan on a loaded machine

  it('exposes the constants both as one object and as named exports', () => {
    const code = `import * as m from 'sockfd'; console.log(JSON.stringify([m.constants.SOCK_SEQPACKET, m.SOCK_SEQPACKET, typeof m.socket]));`;
    const r = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: root,
      encoding: 'utf8',
    });
    const [obj, named, fn] = JSON.parse(r) as [number, number, string];
    expect(obj).toBe(named);
    expect(obj).toBeGreaterThan(0);
    expect(fn).toBe('function');
  });

  it("sockfd/lab's published types show Host and Lab without their internals", () => {
    const dts = readFileSync(join(root, 'dist', 'tools', 'lab', 'lab.d.ts'), 'utf8');
    // What Lab and Host use of each other: a member declared under any of these names leaks it.
    const internals = [
      'enter',
      'rtnl',
      'inside',
      'track',
      'nextInterfaceName',
      'takePendingAddresses',
      'closeNetns',
    ];
    for (const name of internals) expect(dts).not.toMatch(new RegExp(`^\\s*${name}\\s*[<(]`, 'm'));
    expect(dts).not.toContain('@internal');
    expect(dts).not.toContain('Rtnetlink');
    // Neither class can be constructed by users, nor do their types say with what.
    expect(dts.match(/constructor\(.*\)/g)).toEqual(['constructor()', 'constructor()']);
  });
});
