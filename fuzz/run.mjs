#!/usr/bin/env node
// Runs the fuzz workers (fuzz/worker.mjs) in child processes and watches them: a worker killed
// by a signal, one that exits with a failure, and one whose input log stops moving for
// --hang-ms are each reported with the input that was being called and the command that
// replays it. `npm run fuzz` runs 1,000,000 calls; `npm test` a short pass (test/reliability/fuzz.test.ts).
//
// usage: node fuzz/run.mjs [--calls N] [--seed N] [--chunk N] [--jobs N] [--hang-ms N]
//                          [--targets pkg,native] [--verbose]
//        node fuzz/run.mjs --replay '<a line of a worker's input log>'
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: String(Math.floor(Math.random() * 0x7fffffff)) },
    chunk: { type: 'string', default: '100000' },
    jobs: { type: 'string', default: '1' },
    'hang-ms': { type: 'string', default: '15000' },
    targets: { type: 'string', default: 'pkg,native' },
    replay: { type: 'string' },
    'keep-going': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});

const WORKER = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'worker.mjs');
const base = fs.mkdtempSync(join(tmpdir(), 'sockfd-fuzz-'));
const started = performance.now();

function readLastInput(log) {
  try {
    const text = fs.readFileSync(log, 'latin1');
    return text.slice(0, text.indexOf('\n') + 1 || undefined).trim();
  } catch {
    return '';
  }
}

/** Runs one worker to completion; resolves with { summary } or { failure }. */
function runWorker(k, seed, calls) {
  const dir = join(base, `w${k}`);
  fs.mkdirSync(dir);
  const log = join(dir, 'input.log');
  const args = [WORKER, '--seed', String(seed), '--calls', String(calls), '--dir', dir];
  args.push('--log', log, '--targets', opt.targets);
  if (opt.replay) args.push('--replay', opt.replay);
  if (opt['keep-going']) args.push('--keep-going');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => {
    err = (err + d).slice(-64 * 1024);
  });

  // The watchdog: the worker logs every input before calling it, so a log that stops changing
  // means one call has not returned.
  let last = '';
  let lastChange = performance.now();
  let hung = false;
  const hangMs = Number(opt['hang-ms']);
  const watchdog = setInterval(() => {
    const now = readLastInput(log);
    if (now !== last) {
      last = now;
      lastChange = performance.now();
    } else if (performance.now() - lastChange > hangMs) {
      hung = true;
      child.kill('SIGKILL');
    }
  }, 250);

  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearInterval(watchdog);
      // A failure the worker caught names its first failing input; a crash or hang, the log's.
      const reported = /^FUZZ-FAILURE (.*)$/m.exec(err)?.[1];
      const input = reported && reported !== 'null' ? reported : readLastInput(log);
      const summaryLine = out.split('\n').find((l) => l.startsWith('FUZZ-SUMMARY '));
      if (code === 0 && summaryLine && !hung) {
        const rest = out.replace(/^FUZZ-SUMMARY .*\n?/m, '');
        if (rest) process.stdout.write(rest);
        resolve({ summary: JSON.parse(summaryLine.slice('FUZZ-SUMMARY '.length)) });
        return;
      }
      const what = hung
        ? `hung: one call did not return within ${hangMs} ms`
        : signal
          ? `crashed: killed by ${signal}`
          : `failed: exit code ${code}`;
      resolve({
        failure: [
          `fuzz: worker ${k} (seed ${seed}) ${what}`,
          `last input: ${input || '(none logged)'}`,
          `replay that call alone: node fuzz/run.mjs --replay '${input.replace(/'/g, "'\\''")}'`,
          `rerun the worker: node fuzz/worker.mjs --seed ${seed} --calls ${calls} --targets ${opt.targets}`,
          err.trim() ? `worker stderr:\n${err.trim()}` : 'worker stderr: (empty)',
        ].join('\n'),
      });
    });
  });
}

async function main() {
  if (opt.replay) {
    const r = await runWorker(0, 0, 1);
    fs.rmSync(base, { recursive: true, force: true });
    if (r.failure) {
      console.error(r.failure);
      process.exit(1);
    }
    return;
  }

  const total = Number(opt.calls);
  const chunk = Number(opt.chunk);
  const seed = Number(opt.seed);
  const chunks = [];
  for (let done = 0, k = 0; done < total; done += chunk, k++) {
    chunks.push({ k, seed: (seed + k) % 0x7fffffff, calls: Math.min(chunk, total - done) });
  }
  console.log(
    `fuzz: ${total} calls in ${chunks.length} worker(s) of up to ${chunk}, seed ${seed}, ` +
      `${opt.jobs} at a time`,
  );

  const merged = new Map();
  let skipped = [];
  let covered = [];
  let calls = 0;
  let failure = null;
  const queue = [...chunks];
  const runNext = async () => {
    while (queue.length && !failure) {
      const { k, seed: s, calls: n } = queue.shift();
      const t0 = performance.now();
      const r = await runWorker(k, s, n);
      if (r.failure) {
        failure ??= r.failure;
        return;
      }
      calls += r.summary.calls;
      skipped = r.summary.skipped ?? [];
      covered = r.summary.covered ?? [];
      for (const [name, st] of Object.entries(r.summary.functions)) {
        const m = merged.get(name) ?? { calls: 0, generic: st.generic, outcomes: {} };
        m.calls += st.calls;
        for (const [o, n2] of Object.entries(st.outcomes))
          m.outcomes[o] = (m.outcomes[o] ?? 0) + n2;
        merged.set(name, m);
      }
      const secs = (performance.now() - t0) / 1000;
      console.log(
        `  worker ${k} (seed ${s}): ${r.summary.calls} calls in ${secs.toFixed(1)} s ` +
          `(${Math.round(r.summary.calls / secs)}/s)`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Number(opt.jobs)) }, runNext));
  fs.rmSync(base, { recursive: true, force: true });

  const secs = (performance.now() - started) / 1000;
  if (failure) {
    console.error(failure);
    console.error(`fuzz: FAILED after ${calls} completed calls, ${secs.toFixed(1)} s`);
    process.exit(1);
  }

  const generic = [...merged].filter(([, m]) => m.generic).map(([n]) => n);
  // A class's scenarios count as calls of the class; its methods' calls are keyed Class#method.
  const methods = [...merged].filter(([n]) => n.includes('#'));
  const classes = [...new Set(methods.map(([n]) => n.split('#')[0]))].sort();
  const methodCalls = methods.reduce((sum, [, m]) => sum + m.calls, 0);
  if (opt.verbose) {
    for (const [name, m] of [...merged].sort()) {
      const top = Object.entries(m.outcomes)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([o, n]) => `${o} ${n}`)
        .join(', ');
      console.log(`  ${name.padEnd(28)} ${String(m.calls).padStart(8)}  ${top}`);
    }
  }
  if (generic.length) {
    console.log(`fuzz: no table entry (generic arguments only): ${generic.join(', ')}`);
  }
  if (skipped.length) {
    console.log(`fuzz: not fuzzed (classes without a table entry): ${skipped.join(', ')}`);
  }
  if (covered.length)
    console.log(`fuzz: abstract, fuzzed through subclasses: ${covered.join(', ')}`);
  const perClass = classes.map((name) => {
    const scenarios = merged.get(name)?.calls ?? 0;
    const own = methods.filter(([n]) => n.startsWith(`${name}#`));
    const n = own.reduce((sum, [, m]) => sum + m.calls, 0);
    return `${name} ${scenarios} scenarios, ${n} calls to ${own.length} methods`;
  });
  if (perClass.length) console.log(`fuzz: classes: ${perClass.join('; ')}`);
  console.log(
    `fuzz: ${calls} calls to ${merged.size - methods.length - classes.length} functions and ` +
      `${classes.length} classes (${methodCalls} method calls) in ${secs.toFixed(1)} s: ` +
      `0 crashes, 0 hangs, 0 disallowed outcomes`,
  );
}

await main();
