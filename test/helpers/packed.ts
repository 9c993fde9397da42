// The package as a user gets it: `npm pack`, and the tarball installed into a fresh project,
// whose install script compiles the addon there from the shipped sources. The install is what
// takes time, so the test files that need it share one: keyed by the tarball's hash (npm pack
// is byte-for-byte reproducible), made by the first file to ask under
// node_modules/.cache/sockfd-packed/, waited for by the others, and reused by later runs while
// the tarball stays the same. Dependencies come from npm's cache when it has them
// (--prefer-offline); the build uses the local Node headers when there are some.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const root = join(__dirname, '..', '..');
export const tsc = join(root, 'node_modules/typescript/bin/tsc');
const typesNode = JSON.parse(
  readFileSync(join(root, 'node_modules/@types/node/package.json'), 'utf8'),
) as { version: string };
const cacheDir = join(root, 'node_modules/.cache/sockfd-packed');

export const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false' };
// node-gyp downloads the headers unless it is given a nodedir; the machine's own will do.
if (env.npm_config_nodedir === undefined && existsSync('/usr/include/node/node_api.h')) {
  env.npm_config_nodedir = '/usr';
}
env.JOBS ??= 'max'; // node-gyp: make -j<cores>
// The check is that the shipped sources build, not how fast the result runs: -O0 (the last -O
// wins; node-gyp's Makefile appends $CXXFLAGS after its -O3) halves the compile.
env.CXXFLAGS = `${env.CXXFLAGS ?? ''} -O0`.trim();

function has(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Why the packed package cannot be installed here, or undefined when it can. */
export const packedSkipReason: string | undefined = !existsSync(join(root, 'dist', 'index.js'))
  ? 'dist/ is not built (npm run build:ts)'
  : process.env.LD_PRELOAD?.includes('asan')
    ? 'the ASan pass: this check builds an addon of its own, and runs in the other passes'
    : !has('npm')
      ? 'npm is not on PATH'
      : !['g++', 'make', 'python3'].every(has)
        ? 'the install script needs g++, make and python3 to build the addon'
        : env.npm_config_nodedir === undefined
          ? 'no Node headers in /usr/include/node and no npm_config_nodedir: node-gyp would download them'
          : undefined;

/** Runs `cmd` in `cwd` with the install environment; throws with its output when it fails. */
export function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 150_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

export interface Packed {
  /** The project the tarball is installed in: node_modules/sockfd is the package. */
  app: string;
  /** The tarball npm pack made. */
  tarball: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function install(dir: string, packDir: string, name: string): void {
  const app = join(dir, 'app');
  mkdirSync(app, { recursive: true });
  renameSync(join(packDir, name), join(dir, name));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  run(
    'npm',
    [
      ...['install', '--prefer-offline', '--no-audit', '--no-fund'],
      ...[join(dir, name), `@types/node@${typesNode.version}`],
    ],
    app,
  );
}

/**
 * The packed package installed in a fresh project, shared by every test file that asks for
 * the same tarball. Callers write their own files in `app` under names of their own.
 */
export async function packed(): Promise<Packed> {
  // --ignore-scripts: dist/ is built already, and `prepare` would rebuild it under the other
  // test files that are using it.
  const packDir = mkdtempSync(join(tmpdir(), 'sockfd-pack-'));
  try {
    const name = run('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir], root)
      .stdout.trim()
      .split('\n')
      .pop()!;
    const hash = createHash('sha256')
      .update(readFileSync(join(packDir, name)))
      .update(`${process.version} @types/node@${typesNode.version}`)
      .digest('hex')
      .slice(0, 16);
    const dir = join(cacheDir, hash);
    const ready = join(dir, 'ready');
    const lock = `${dir}.lock`;
    const result = { app: join(dir, 'app'), tarball: join(dir, name) };
    mkdirSync(cacheDir, { recursive: true });
    for (const started = Date.now(); !existsSync(ready);) {
      try {
        mkdirSync(lock);
      } catch {
        // Another test file is installing it: wait, unless it died without finishing.
        let pid = 0;
        try {
          pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
        } catch {
          // Not written yet, or the lock has just gone.
        }
        if (pid > 0 && !alive(pid)) rmSync(lock, { recursive: true, force: true });
        else if (Date.now() - started > 280_000) throw new Error(`timed out waiting for ${lock}`);
        else await sleep(500);
        continue;
      }
      try {
        writeFileSync(join(lock, 'pid'), String(process.pid));
        if (existsSync(ready)) break;
        // The installs of other tarballs are stale: this worktree's package has changed.
        for (const old of readdirSync(cacheDir)) {
          if (!old.endsWith('.lock')) rmSync(join(cacheDir, old), { recursive: true, force: true });
        }
        install(dir, packDir, name);
        writeFileSync(ready, '');
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    }
    return result;
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }
}
