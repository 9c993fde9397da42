// Loading the addon when it was never built (install scripts off, or no compiler): the error
// says why and what to do, with bindings' own error as its cause. The package is a copy of
// dist/ and package.json with no build/, so bindings finds nothing; node_modules is linked.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { root, runNode } from '../helpers/child.js';

let pkg: string;
beforeAll(() => {
  pkg = mkdtempSync(join(tmpdir(), 'sockfd-unbuilt-'));
  cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
});
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

// Prints what a consumer would see: the error's code, message, and its cause's first line.
const report = `
  try { require(process.argv[1]); console.log('loaded'); }
  catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message,
    cause: e.cause && e.cause.message.split('\\n')[0], tries: e.cause && e.cause.tries.length })); }`;

async function load(env: NodeJS.ProcessEnv = process.env) {
  const r = await runNode(['-e', report, pkg], { env });
  expect(r.code, r.output).toBe(0);
  return JSON.parse(r.stdout) as { code: string; message: string; cause: string; tries: number };
}

describe('an addon that was never built', () => {
  it('says why it is missing and how to build it, with bindings’ error as the cause', async () => {
    const e = await load();
    expect(e.code).toBe('ERR_SOCKFD_ADDON_NOT_BUILT');
    expect(e.message).toContain(
      `the native addon is not built (no sockfd.node under ${pkg}/build)`,
    );
    expect(e.message).toContain('npm install --ignore-scripts; pnpm 10 runs them only');
    expect(e.message).toContain('npm rebuild sockfd');
    expect(e.message).toContain('pnpm approve-builds');
    expect(e.cause).toBe('Could not locate the bindings file. Tried:');
    expect(e.tries).toBeGreaterThan(0);
  });

  it('names the build tools that are not on PATH', async () => {
    const empty = join(pkg, 'empty-path');
    mkdirSync(empty, { recursive: true });
    const e = await load({ PATH: empty });
    expect(e.message).toContain('not on PATH: g++, make, python3');
    expect(e.message).toContain('apt-get install g++ make python3');
  });

  it('says when a build was started and did not finish', async () => {
    mkdirSync(join(pkg, 'build'), { recursive: true });
    writeFileSync(join(pkg, 'build', 'Makefile'), '');
    try {
      const e = await load();
      expect(e.message).toContain(`A build was started in ${pkg}/build and did not finish.`);
    } finally {
      rmSync(join(pkg, 'build'), { recursive: true });
    }
  });
});
