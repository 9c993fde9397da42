// The short fuzz pass of `npm test`: fuzz/run.mjs calls every export of the package and of the
// addon with generated arguments in a child process and fails on a crash, a hang, or an
// outcome other than a return value, a coded TypeError/RangeError, or a SocketError.
// `npm run fuzz` is the long pass (1,000,000 calls). A new random seed each run widens what CI
// covers over time; a failure prints the seed and the input, and SOCKFD_FUZZ_SEED pins a seed.
import { expect, it } from 'vitest';

import { runNode } from './helpers/child.js';

const CALLS = 15_000;

it(`survives ${CALLS} fuzzed calls to every export`, async () => {
  const seed = process.env.SOCKFD_FUZZ_SEED ?? String(Math.floor(Math.random() * 0x7fffffff));
  const r = await runNode(
    ['fuzz/run.mjs', '--calls', String(CALLS), '--chunk', String(CALLS), '--seed', seed],
    { timeoutMs: 110_000 },
  );
  expect(r.code, r.output).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`fuzz: ${CALLS} calls`));
  process.stdout.write(`${r.stdout.trim().split('\n').pop()}\n`);
}, 120_000);
