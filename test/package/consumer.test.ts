// The package as a user gets it (test/helpers/packed.ts: `npm pack`, the tarball installed
// into a fresh project whose install script compiles the addon), then CommonJS, ESM and
// TypeScript consumers, the classes, and the `sockfd` command. Skipped, with the reason, where
// npm or the build tools are missing.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { packed, packedSkipReason, root, run as runIn, tsc } from '../helpers/packed.js';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

const reason = packedSkipReason;
if (reason) console.warn(`skipping the packed-package consumer test: ${reason}`);

let app: string;
let tarball: string;

function run(cmd: string, args: string[], cwd = app) {
  return runIn(cmd, args, cwd);
}

function json(cmd: string, args: string[]): unknown {
  return JSON.parse(run(cmd, args).stdout);
}

describe.skipIf(reason !== undefined)('the packed package in a fresh project', () => {
  beforeAll(async () => {
    ({ app, tarball } = await packed());
  }, 300_000);

  it('ships the built code, the native sources, the docs and a LICENSE; no sources maps, lib/ or tests', () => {
    const files = run('tar', ['tzf', tarball]).stdout.trim().split('\n');
    for (const f of ['LICENSE', 'README.md', 'binding.gyp', 'native/addon.cc', 'docs/guide.md']) {
      expect(files).toContain(`package/${f}`);
    }
    expect(files).toContain('package/dist/index.d.mts');
    expect(
      files.filter((f) => /\.map$|^package\/(lib|test|native\/test)\/|tsconfig/.test(f)),
    ).toEqual([]);
    // Every relative link of the README resolves inside the package.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\((?!https?:|#)([^)#]+)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(files).toContain(`package/${link}`);
  });

  it('built the addon at install', () => {
    expect(existsSync(join(app, 'node_modules/sockfd/build/Release/sockfd.node'))).toBe(true);
  });

  it('works from CommonJS: the syscall layer, StreamSocket and sockfd/packet', () => {
    writeFileSync(
      join(app, 'consumer.cjs'),
      `const { StreamSocket, socket, close, constants } = require('sockfd');
       const { internetChecksum } = require('sockfd/packet');
       (async () => {
         const fd = socket(constants.AF_INET, constants.SOCK_DGRAM);
         close(fd);
         const listener = StreamSocket.listen({ family: 'inet', address: '127.0.0.1', port: 0 });
         const [client, conn] = await Promise.all([
           StreamSocket.connect(listener.localAddress()), listener.accept()]);
         await client.write('cjs');
         const buf = Buffer.alloc(8);
         const n = await conn.read(buf);
         for (const s of [client, conn, listener]) s.close();
         console.log(JSON.stringify({ fd: typeof fd, got: buf.toString('utf8', 0, n),
           checksum: internetChecksum(Buffer.from([0xff, 0x00])) }));
       })();`,
    );
    expect(json(process.execPath, ['consumer.cjs'])).toEqual({
      fd: 'number',
      got: 'cjs',
      checksum: 0x00ff,
    });
  });

  it('works from ESM: named imports, DatagramSocket and sockfd/inspect', () => {
    writeFileSync(
      join(app, 'consumer.mjs'),
      `import { DatagramSocket, constants } from 'sockfd';
       import { inspect } from 'sockfd/inspect';
       import cjs from 'sockfd';
       const a = DatagramSocket.bound({ family: 'inet', address: '127.0.0.1', port: 0 });
       const b = DatagramSocket.create('inet');
       await b.sendTo(Buffer.from('esm'), a.localAddress());
       const buf = Buffer.alloc(8);
       const { bytes } = await a.recvFrom(buf);
       const info = inspect(a.fd);
       a.close();
       b.close();
       console.log(JSON.stringify({ got: buf.toString('utf8', 0, bytes), type: info.type,
         same: cjs.constants === constants }));`,
    );
    expect(json(process.execPath, ['consumer.mjs'])).toEqual({
      got: 'esm',
      type: 'SOCK_DGRAM',
      same: true,
    });
  });

  it('type-checks with tsc --strict (node16, no skipLibCheck) from .mts and .cts, and runs', () => {
    const code = (from: string) => `
      import { StreamSocket, SocketError, constants, socket, close, type SocketAddress } from 'sockfd';
      import { type IPv4Header } from 'sockfd/packet';
      import { listFds, type FdEntry } from 'sockfd/inspect';
      async function main(): Promise<void> {
        const fd: number = socket(constants.AF_UNIX, constants.SOCK_STREAM);
        close(fd);
        const address: SocketAddress = { family: 'unix', abstract: 'sockfd-consumer-${from}-' + process.pid };
        const listener = StreamSocket.listen(address);
        const [client, conn] = await Promise.all([StreamSocket.connect(address), listener.accept()]);
        await client.write('${from}');
        const buf = Buffer.alloc(8);
        const n: number | null = await conn.read(buf);
        const fds: FdEntry[] = listFds();
        const ttl: IPv4Header['ttl'] = 64;
        for (const s of [client, conn, listener]) s.close();
        console.log(JSON.stringify({ got: buf.toString('utf8', 0, n ?? 0), listed: fds.length > 0,
          ttl, error: new SocketError(-constants.EPERM!, 'bind').code }));
      }
      void main();`;
    writeFileSync(join(app, 'esm.mts'), code('mts'));
    writeFileSync(join(app, 'cjs.cts'), code('cts'));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'node16',
          moduleResolution: 'node16',
          strict: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          types: ['node'],
          outDir: 'out',
        },
        files: ['esm.mts', 'cjs.cts'],
      }),
    );
    run(process.execPath, [tsc, '-p', 'tsconfig.json']);
    const want = (got: string) => ({ got, listed: true, ttl: 64, error: 'EPERM' });
    expect(json(process.execPath, ['out/esm.mjs'])).toEqual(want('mts'));
    expect(json(process.execPath, ['out/cjs.cjs'])).toEqual(want('cts'));
  });

  it('runs the sockfd command: npx sockfd fds, and --version', () => {
    const out = run('npx', ['--no', 'sockfd', 'fds']).stdout;
    expect(out).toMatch(/^FD +KIND +PROTO +STATE/);
    expect(run(join(app, 'node_modules/.bin/sockfd'), ['--version']).stdout).toBe(
      `${pkg.version}\n`,
    );
  });
});
