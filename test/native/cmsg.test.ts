// The control-message codec (native/cmsg.cc) on its own, without N-API: builds
// native/test/cmsg_test.cc with AddressSanitizer and UBSan and runs its unit tests and fuzzer,
// so any read past a control buffer fails here. Skipped, with the reason, without a C++
// compiler that has the sanitizers.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'sockfd-cmsg-native-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cxx = process.env.CXX ?? 'c++';
const exe = join(dir, 'cmsg_test');
const build = spawnSync(
  cxx,
  [
    ...['-std=c++17', '-g', '-O1', '-Wall', '-Wextra', '-D_GNU_SOURCE'],
    ...['-fsanitize=address,undefined', '-fno-sanitize-recover=all'],
    ...[join(root, 'native/cmsg.cc'), join(root, 'native/test/cmsg_test.cc'), '-o', exe],
  ],
  { encoding: 'utf8' },
);
const reason =
  build.error !== undefined
    ? `no C++ compiler (${cxx}): ${build.error.message}`
    : build.status !== 0 && /sanitize|asan|ubsan/i.test(build.stderr)
      ? `${cxx} cannot build with the sanitizers: ${build.stderr.split('\n')[0]}`
      : undefined;
if (reason) console.warn(`skipping the sanitized cmsg codec test: ${reason}`);

describe.skipIf(reason !== undefined)('cmsg codec under ASan and UBSan', () => {
  it('builds without warnings', () => {
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
  });

  it('round-trips, refuses what it cannot encode, and survives truncation and fuzzing', () => {
    // LeakSanitizer needs ptrace, which containers often forbid; leaks are not what this checks.
    const run = spawnSync(exe, [], {
      encoding: 'utf8',
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' },
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/all checks passed/);
    expect(run.status).toBe(0);
  });
});
