// The short fuzz pass of `npm test`: fuzz/run.mjs calls every export of the package and of the
// addon with generated arguments, and plays generated scenarios on instances of every class
// (fuzz/classes.mjs), in a child process, and fails on a crash, a hang, a leaked fd, a call
// still pending after its socket closed, or an outcome other than a return value, a coded
// TypeError/RangeError, a SocketError, or (for class methods) ERR_SOCKET_CLOSED and AbortError.
// `npm run fuzz` is the long pass (1,000,000 calls). A new random seed each run widens what CI
// covers over time; a failure prints the seed and the input, and SOCKFD_FUZZ_SEED pins a seed.
import { expect, it } from 'vitest';

import { runNode } from '../helpers/child.js';

const CALLS = 15_000;
const CLASSES = [
  'native.Watcher',
  'pkg.DatagramSocket',
  'pkg.MessageBatch',
  'pkg.RawSocket',
  'pkg.SeqPacketSocket',
  'pkg.StreamSocket',
];

it(`survives ${CALLS} fuzzed calls to every export and scenarios on every class`, async () => {
  const seed = process.env.SOCKFD_FUZZ_SEED ?? String(Math.floor(Math.random() * 0x7fffffff));
  const r = await runNode(
    ['fuzz/run.mjs', '--calls', String(CALLS), '--chunk', String(CALLS), '--seed', seed],
    { timeoutMs: 110_000 },
  );
  expect(r.code, r.output).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`fuzz: ${CALLS} calls`));
  expect(r.stdout).not.toMatch(/not fuzzed \(classes without a table entry\)/);
  // Every export has an entry of its own, so a new one must come with one. The one exception
  // registers a hook for the environment's life on each accepted call: its generic arguments
  // meet only its argument checks.
  const generic =
    /^fuzz: no table entry \(generic arguments only\): (.*)$/m.exec(r.stdout)?.[1] ?? '';
  expect(generic.split(', ').filter(Boolean)).toEqual(['native.watcherControl']);
  // Every class had scenarios, and they called its methods.
  const classes = /^fuzz: classes: (.*)$/m.exec(r.stdout)?.[1] ?? '';
  for (const name of CLASSES) {
    expect(classes, r.stdout).toMatch(new RegExp(`${name} [1-9]\\d* scenarios, [1-9]\\d* calls`));
  }
  process.stdout.write(`${r.stdout.trim().split('\n').slice(-2).join('\n')}\n`);
}, 120_000);
