// The short fuzz pass of `npm test`: fuzz/run.mjs calls every export of the package and of the
// addon with generated arguments in a child process and fails on a crash, a hang, or an
// outcome other than a return value, a coded TypeError/RangeError, or a SocketError.
// `npm run fuzz` is the long pass (1,000,000 calls). A new random seed each run widens what CI
// covers over time; a failure prints the seed and the input, and SOCKFD_FUZZ_SEED pins a seed.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

import { expect, it } from 'vitest';

const root = join(__dirname, '..');
const CALLS = 15_000;

it(`survives ${CALLS} fuzzed calls to every export`, async () => {
  const seed = process.env.SOCKFD_FUZZ_SEED ?? String(Math.floor(Math.random() * 0x7fffffff));
  const args = ['fuzz/run.mjs', '--calls', String(CALLS), '--chunk', String(CALLS), '--seed', seed];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: root, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err.code as number | null) ?? 1) : 0, output: stdout + stderr });
      },
    );
  });
  process.stdout.write(output.split('\n').slice(-2).join('\n'));
  expect(code, output).toBe(0);
  expect(output).toMatch(new RegExp(`fuzz: ${CALLS} calls`));
}, 120_000);
