// The fuzz worker: calls every exported function of the package (and every raw function of the
// addon) with generated arguments, and plays scenarios on instances of every class
// (fuzz/classes.mjs), in this process, which fuzz/run.mjs watches from outside. Before each
// call or scenario it writes the input to the log, so a crash or a hang that kills this
// process still names the input that caused it.
//
// usage: node fuzz/worker.mjs --seed N --calls N --dir DIR --log FILE [--targets pkg,native]
//        node fuzz/worker.mjs --dir DIR --log FILE --replay '<a line from the log>'
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs, types } from 'node:util';

import fc from 'fast-check';

import { classTable } from './classes.mjs';
import { CallContext, FuzzTrap, Pool } from './pool.mjs';
import * as S from './specs.mjs';
import { byteLength, nativeTable, packageTable } from './table.mjs';

const require = createRequire(import.meta.url);
// The package as users get it, through its own exports map, and the raw addon functions.
const pkg = require('sockfd');
const { native } = require('../dist/sys/native.js');

const { values: opt } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    calls: { type: 'string', default: '10000' },
    dir: { type: 'string' },
    log: { type: 'string' },
    targets: { type: 'string', default: 'pkg,native' },
    replay: { type: 'string' },
    refresh: { type: 'string', default: '2000' },
    'keep-going': { type: 'boolean', default: false },
    // Prints every call of one function and its outcome: for tuning that function's entry.
    trace: { type: 'string' },
  },
});

const REFRESH_EVERY = Number(opt.refresh);

/** Every function to call: [{ target, name, fn, entry }], the generic fallback where no entry. */
function targets() {
  const list = [];
  const classes = classTable(pkg, native, pkg.constants);
  const add = (target, object, table) => {
    for (const [name, fn] of Object.entries(object)) {
      if (typeof fn !== 'function') continue; // constants and the constants object
      // A class needs an entry that builds an instance, calls its methods and disposes of it
      // (closing its fd, awaiting its teardown); called bare it would only test `new`.
      if (!table[name] && isClass(fn)) {
        const entry = classes[name];
        if (entry?.via) covered.push(`${target}.${name} (through ${entry.via})`);
        else if (entry) list.push({ target, name, fn, entry, generic: false });
        else skipped.push(`${target}.${name}`);
        continue;
      }
      const entry = table[name] ?? genericEntry(fn);
      list.push({ target, name, fn, entry, generic: !table[name] });
    }
  };
  const wanted = new Set(opt.targets.split(','));
  if (wanted.has('pkg')) add('pkg', pkg, packageTable(pkg.constants, pkg));
  if (wanted.has('native')) add('native', native, nativeTable(pkg.constants, native));
  return list;
}
const skipped = [];
const covered = [];

// A JavaScript class, or a native one (node-addon-api's ObjectWrap): its prototype has methods.
function isClass(fn) {
  if (/^class\b/.test(Function.prototype.toString.call(fn))) return true;
  return typeof fn.prototype === 'object' && Object.getOwnPropertyNames(fn.prototype).length > 1;
}

// An export without a table entry: up to a few more arguments than it declares, of any kind,
// every one of them treated as an fd the call may change.
function genericEntry(fn) {
  const n = Math.max(4, fn.length + 2);
  return {
    args: Array.from({ length: n }, () => ['generic', S.anything]),
    heal: true,
    generic: true,
  };
}

// An argument is its entry's generator nine times in ten and anything at all the tenth; one
// call in twenty drops trailing arguments or adds extra ones. A class scenario (fuzz/classes.mjs)
// makes its own arguments, and is picked as often as CLASS_WEIGHT functions are.
const CLASS_WEIGHT = 6;
const pickArb = fc.integer({ min: 0, max: 0xffff }).map((n) => n / 0x10000);

function callArbitrary(list) {
  return fc.oneof(
    ...list.map((t, f) => {
      if (t.entry.scenario) {
        return {
          weight: CLASS_WEIGHT,
          arbitrary: fc
            .record({ scenario: t.entry.scenario, pick: pickArb })
            .map(({ scenario, pick }) => ({ f, scenario, pick })),
        };
      }
      const gens = t.entry.args.map(([, arb]) =>
        fc.oneof({ arbitrary: arb, weight: 9 }, { arbitrary: S.anything, weight: 1 }),
      );
      const keep = t.entry.keep ?? 0;
      return fc
        .record({
          args: fc.tuple(...gens),
          arity: fc.integer({ min: 0, max: 39 }),
          extra: fc.array(S.anything, { maxLength: 2 }),
          // A number in [0, 1) for the choices a spec leaves open (which closed fd number).
          pick: fc.integer({ min: 0, max: 0xffff }).map((n) => n / 0x10000),
        })
        .map(({ args, arity, extra, pick }) => {
          // Each argument keeps its role; a native address group spreads over five.
          let a = [];
          let roles = [];
          args.forEach((spec, k) => {
            const role = t.entry.args[k][0];
            if (role === 'naddr' && Array.isArray(spec)) {
              a.push(...spec);
              roles.push('naddr', 'any', 'any', 'any', 'any');
            } else if (role === 'spread' && Array.isArray(spec)) {
              a.push(...spec);
              roles.push(...spec.map(() => 'any'));
            } else {
              a.push(spec);
              roles.push(role === 'naddr' || role === 'spread' ? 'any' : role);
            }
          });
          if (arity === 0) {
            a = a.concat(extra);
            roles = roles.concat(extra.map(() => 'any'));
          } else if (arity === 1) {
            const n = Math.max(keep, Math.floor(pick * a.length));
            a = a.slice(0, n);
            roles = roles.slice(0, n);
          }
          return { f, args: a, roles, pick };
        });
    }),
  );
}

// Errors of the library's own that a class method may throw: a call on a closed socket, and
// from() of an fd another object owns.
const LIBRARY_CODES = new Set(['ERR_SOCKET_CLOSED', 'ERR_SOCKFD_FD_OWNED']);

// JSON for the log: NaN, the infinities and -0 keep their identity as specs.
function encode(value) {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v !== 'number' || (Number.isFinite(v) && !Object.is(v, -0))) return v;
    return { $: 'num', v: Object.is(v, -0) ? '-0' : String(v) };
  });
}

function describe(v) {
  if (types.isProxy(v)) return 'Proxy';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol' || typeof v === 'function') return typeof v;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${byteLength(v)} bytes)`;
  try {
    const text = encode(v) ?? String(v);
    return text.length > 120 ? `${text.slice(0, 100)}...(${text.length} chars)` : text;
  } catch {
    return 'an object with a throwing getter';
  }
}

/** Why an error is not one of the allowed outcomes, or null when it is. */
function disallowed(e, target) {
  if (e instanceof FuzzTrap) return null; // thrown by the caller's own getter
  if (target === 'pkg' && e instanceof pkg.SocketError) {
    if (typeof e.code !== 'string' || !/^E[A-Z0-9]+$/.test(e.code))
      return `SocketError code ${e.code}`;
    if (!Number.isInteger(e.errno) || e.errno >= 0) return `SocketError errno ${e.errno}`;
    if (typeof e.syscall !== 'string' || e.syscall === '') return 'SocketError without syscall';
    return null;
  }
  if (e instanceof TypeError || e instanceof RangeError) {
    if (typeof e.code === 'string' && e.code.startsWith('ERR_')) return null;
    return `${e.constructor.name} without a code: ${e.message}`;
  }
  const name = e?.constructor?.name ?? typeof e;
  return `${name} is not an allowed outcome: ${e?.message ?? String(e)}`;
}

// A failed syscall in the native layer is a number -errno; anything else negative is a bug.
const RETURNS_ERRNO = new Set([
  'socket',
  'bind',
  'listen',
  'connect',
  'connectTimed',
  'setSourceMembership4',
  'setGroupSourceReq',
  'getsockoptAddress',
  'getsockoptUint64',
  'shutdown',
  'close',
  'send',
  'sendto',
  'sendtoSlot',
  'recv',
  'sendmsg',
  'sendmmsg',
  'recvmmsg',
  'sendmmsgSlab',
  'recvmmsgSlab',
  'getsockoptTimeval',
  'setsockoptTimeval',
  'getLinger',
  'setLinger',
  'setMembership4',
  'setMembership6',
  'setMulticastIf4',
  'setsockoptName',
  'setsockoptInt',
  'setsockoptBytes',
  'fcntlGetfl',
  'fcntlSetfl',
  'fcntlGetfd',
  'fcntlSetfd',
  'dup',
  'poll',
  'ifNameToIndex',
]);

function checkNative(name, r) {
  if (RETURNS_ERRNO.has(name) && typeof r === 'number' && (r < -4095 || !Number.isInteger(r))) {
    return `returned ${r}, which is neither a result nor -errno`;
  }
  return null;
}

class Stats {
  constructor() {
    this.by = new Map();
  }
  add(t, outcome) {
    this.addKey(`${t.target}.${t.name}`, outcome, t.generic);
  }
  addKey(key, outcome, generic = false) {
    let s = this.by.get(key);
    if (!s) this.by.set(key, (s = { calls: 0, generic, outcomes: {} }));
    s.calls++;
    s.outcomes[outcome] = (s.outcomes[outcome] ?? 0) + 1;
  }
}

async function main() {
  // run.mjs gives each worker a directory and removes it; one started by hand makes its own
  // and removes it on the way out, whatever the outcome.
  const dir = opt.dir ?? fs.mkdtempSync('/tmp/sockfd-fuzz-');
  if (!opt.dir) process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  process.chdir(dir); // relative unix paths land here
  const logFd = fs.openSync(opt.log ?? `${dir}/input.log`, 'w');
  const pool = new Pool(pkg, native, dir);
  const list = targets();
  const stats = new Stats();
  const c = pkg.constants;
  let index = 0;
  let sinceRefresh = 0;
  let firstFailure = null;
  const distinct = new Map(); // with --keep-going: one failure per function and reason

  // A class scenario: logged whole before it starts, its method calls counted one by one.
  const runScenario = async (t, scenario, pick) => {
    const line = Buffer.from(
      `${encode({ i: index, target: t.target, fn: t.name, scenario, pick })}\n`,
    );
    fs.writeSync(logFd, line, 0, line.length, 0);
    const stray = pool.unknownFds();
    const failures = [];
    const world = {
      pool,
      pick,
      record(key, error) {
        let outcome = 'returned';
        if (error instanceof pkg.SocketError) outcome = error.code;
        else if (error instanceof FuzzTrap) outcome = 'FuzzTrap';
        else if (error?.name === 'AbortError') outcome = 'AbortError';
        else if (error !== null) outcome = error?.code ?? error?.constructor?.name ?? typeof error;
        stats.addKey(key, outcome);
        if (error === null) return null;
        if (error instanceof Error && LIBRARY_CODES.has(error.code)) return null;
        if (error?.name === 'AbortError') return null; // a wait its signal ended
        return disallowed(error, t.target);
      },
      fail(why) {
        failures.push(why);
      },
    };
    await t.entry.run(scenario, world);
    stats.add(t, failures.length ? 'failed' : 'returned');
    if (opt.trace === t.name) process.stderr.write(`${t.name} ${line}`);
    if (stray.length) failures.unshift(`fds an earlier call opened: ${stray.join(', ')}`);
    for (const why of failures) {
      const message = `${t.target}.${t.name} scenario: ${why}`;
      firstFailure ??= line.toString().trim();
      if (opt['keep-going']) {
        const key = `${t.target}.${t.name}: ${why.replace(/\d+/g, 'N')}`;
        if (!distinct.has(key)) distinct.set(key, `${message}\n  input: ${line}`);
      } else {
        throw new Error(`${message}\n  input: ${line}`);
      }
    }
    afterCall();
  };

  const afterCall = () => {
    if (++sinceRefresh >= REFRESH_EVERY) {
      sinceRefresh = 0;
      const leaked = pool.leaked();
      if (leaked.length) {
        throw new Error(`fds opened by no call that reported them: ${leaked.join(', ')}`);
      }
      pool.refresh();
    }
  };

  const runOne = ({ f, args: specs, roles, pick, scenario }) => {
    const t = list[f];
    index++;
    if (scenario) return runScenario(t, scenario, pick);
    const line = Buffer.from(
      `${encode({ i: index, target: t.target, fn: t.name, args: specs, roles, pick })}\n`,
    );
    fs.writeSync(logFd, line, 0, line.length, 0);

    const ctx = new CallContext(pool, pick);
    const args = specs.map((s) => ctx.value(s));
    roles.forEach((role, k) => {
      if (role === 'fd' || role === 'generic') args[k] = ctx.guardFd(args[k]);
      if (role === 'generic' && typeof args[k] === 'string') args[k] = ctx.safeHost(args[k]);
      if (
        role === 'timeout' &&
        (args[k] === undefined ||
          (Number.isInteger(args[k]) && args[k] !== 0 && args[k] !== 1 && args[k] >= -1))
      ) {
        args[k] = 0;
      }
      if (role === 'naddr') ctx.safeNativeAddress(args, k);
    });
    t.entry.prepare?.(args, c, native);
    // A call that may open fds it does not return: whatever the runtime and the pool do not
    // own after it, it opened. Before it, there must be none (an earlier call's leak).
    const scan = t.entry.generic || t.entry.scanFds?.(args);
    const stray = scan ? pool.unknownFds() : [];

    let result;
    let error;
    let threw = false;
    try {
      result = t.entry.construct ? new t.fn(...args) : t.fn(...args);
    } catch (e) {
      threw = true;
      error = e;
    }

    // Close whatever the call opened before anything can fail, so a report leaks nothing.
    const made = threw ? [] : (t.entry.creates?.(result, args) ?? []);
    if (scan) made.push(...pool.unknownFds().filter((fd) => !stray.includes(fd)));
    for (const fd of new Set(made)) pool.closeQuietly(fd);
    if (t.entry.heal) pool.heal();

    const fail = (why) => {
      const message = `${t.target}.${t.name}(${args.map(describe).join(', ')}): ${why}`;
      firstFailure ??= line.toString().trim();
      if (opt['keep-going']) {
        const key = `${t.target}.${t.name}: ${why.replace(/\d+/g, 'N')}`;
        if (!distinct.has(key)) distinct.set(key, `${message}\n  input: ${line}`);
        return;
      }
      throw new Error(`${message}\n  input: ${line}`);
    };
    if (opt.trace === t.name) {
      const outcome = threw ? `threw ${error?.constructor?.name}: ${error?.message}` : 'returned';
      process.stderr.write(`${t.target}.${t.name}(${args.map(describe).join(', ')}) ${outcome}\n`);
    }
    if (stray.length) fail(`fds an earlier call opened and did not report: ${stray.join(', ')}`);
    const broken = ctx.brokenGuards();
    if (broken) fail(`wrote outside the buffer it was given: ${broken}`);
    if (threw) {
      const why = disallowed(error, t.target);
      if (why) fail(why);
      stats.add(t, error instanceof pkg.SocketError ? error.code : error.constructor.name);
    } else {
      const why =
        (t.target === 'native' ? checkNative(t.name, result) : null) ??
        t.entry.check?.(result, args);
      if (why) fail(why);
      if (!types.isProxy(result) && typeof result?.then === 'function') {
        result.then(undefined, (e) => {
          const late = disallowed(e, t.target);
          if (late) {
            process.stderr.write(`${t.target}.${t.name} rejected: ${late}\n  input: ${line}`);
            process.exitCode = 1;
          }
        });
      }
      stats.add(t, 'returned');
    }

    return afterCall();
  };

  if (opt.replay) {
    const call = JSON.parse(opt.replay);
    const f = list.findIndex((t) => t.target === call.target && t.name === call.fn);
    if (f < 0) throw new Error(`no function ${call.target}.${call.fn}`);
    if (call.scenario) {
      await runOne({ f, scenario: call.scenario, pick: call.pick ?? 0 });
    } else {
      const roles = call.roles ?? call.args.map((_, k) => list[f].entry.args[k]?.[0] ?? 'generic');
      runOne({ f, args: call.args, roles, pick: call.pick ?? 0 });
    }
    process.stdout.write('replay: the call completed with an allowed outcome\n');
  } else {
    try {
      // Async for the class scenarios; a function call still runs synchronously in its turn.
      await fc.assert(fc.asyncProperty(callArbitrary(list), runOne), {
        seed: Number(opt.seed),
        numRuns: Number(opt.calls),
      });
    } catch (e) {
      // The first failing input, before shrinking: what run.mjs reports and replays.
      process.stderr.write(
        `FUZZ-FAILURE ${firstFailure}\n${e.stack}\ncause: ${e.cause?.stack ?? e.cause}\n`,
      );
      process.exit(1);
    }
    if (distinct.size) {
      process.stderr.write(`${[...distinct.values()].join('\n')}\n`);
      process.stderr.write(`FUZZ-FAILURE ${firstFailure}\n`);
      process.exit(1);
    }
  }

  for (const fd of pool.fds.values()) pool.closeQuietly(fd);
  const summary = { calls: index, functions: Object.fromEntries(stats.by), skipped, covered };
  process.stdout.write(`FUZZ-SUMMARY ${JSON.stringify(summary)}\n`);
  fs.closeSync(logFd);
}

await main();
