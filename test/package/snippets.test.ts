// The README and the guide compile and run as written. Every TypeScript and JavaScript block
// of README.md and docs/guide.md is written to a file in a project that installed the packed
// package (test/helpers/packed.ts), type-checked by tsc --strict under module node16 and
// nodenext with skipLibCheck off, and each README block is run: it must exit by itself, print
// nothing on stderr, and print on stdout exactly the lines its `// prints: …` comments show
// (`…` stands for any text). The conventions are in docs/architecture.md, "Code in the docs".
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { labSupport } from '../../lib/tools/lab/index.js';
import { rawSocketsAllowed } from '../helpers/fds.js';
import { packed, packedSkipReason, root, tsc } from '../helpers/packed.js';

/** One fenced code block of a document. */
interface Block {
  doc: string;
  /** The line of the opening fence, 1-based. */
  line: number;
  lang: 'ts' | 'js';
  /** The words after the language: `fragment`, `needs:CAP_NET_RAW`, `needs:TUN`. */
  tags: string[];
  code: string;
  /** The file it is written to, in the snippets project. */
  file: string;
}

const LANGS: Record<string, 'ts' | 'js'> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  javascript: 'js',
};

/** The TypeScript and JavaScript blocks of `doc` (a path relative to the repository). */
function blocksOf(doc: string): Block[] {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})\s*(\S*)\s*(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const [, fence, info, rest] = open as unknown as [string, string, string, string];
    // A closing fence is the same character, at least as many times, and nothing else.
    const closing = new RegExp(`^\\${fence[0]}{${fence.length},}\\s*$`);
    const end = lines.findIndex((l, j) => j > i && closing.test(l));
    if (end < 0) throw new Error(`${doc}:${i + 1}: a code block that is never closed`);
    const lang = LANGS[info];
    if (lang !== undefined) {
      // The guide's blocks are the examples, CommonJS programs as examples/ compiles them; the
      // README's are ES modules, free to await at the top level.
      const ext = doc === 'README.md' ? (lang === 'ts' ? 'mts' : 'mjs') : lang;
      out.push({
        doc,
        line: i + 1,
        lang,
        tags: rest.split(/\s+/).filter(Boolean),
        code: lines.slice(i + 1, end).join('\n') + '\n',
        file: `${doc.replace(/\W+/g, '-')}-${i + 1}.${ext}`,
      });
    }
    i = end;
  }
  return out;
}

/** The lines the block says it prints: its `// prints: …` comments, in order. */
function printed(code: string): string[] {
  return [...code.matchAll(/\/\/ prints: (.*)$/gm)].map((m) => m[1]!.trimEnd());
}

/** Whether `line` is what `want` shows, where `…` in `want` stands for any text. */
function matches(line: string, want: string): boolean {
  const pattern = want
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(line);
}

const blocks = [...blocksOf('README.md'), ...blocksOf('docs/guide.md')];
const checked = blocks.filter((b) => !b.tags.includes('fragment'));
const runnable = checked.filter((b) => b.doc === 'README.md');
const raw = rawSocketsAllowed();
const lab = labSupport();
const tun = labSupport('userspace');

const reason = packedSkipReason;
if (reason) console.warn(`skipping the doc snippets: ${reason}`);

let dir: string;

/** The tsc errors of the snippets under `module`, each at the document line it comes from. */
function typeErrors(module: 'node16' | 'nodenext', emit: boolean): string[] {
  const config = `tsconfig.${module}.json`;
  writeFileSync(
    join(dir, config),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'ESNext.Disposable'],
        module,
        moduleResolution: module,
        strict: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        allowJs: true,
        checkJs: true,
        types: ['node'],
        rootDir: '.',
        outDir: 'out',
        noEmit: !emit,
      },
      files: checked.map((b) => b.file),
    }),
  );
  const r = spawnSync(process.execPath, [tsc, '-p', config, '--pretty', 'false'], {
    cwd: dir,
    encoding: 'utf8',
  });
  const byFile = new Map(checked.map((b) => [b.file, b]));
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^([^(]+)\((\d+),(\d+)\): (.*)$/.exec(l);
      const b = m ? byFile.get(m[1]!) : undefined;
      return b ? `${b.doc}:${b.line + Number(m![2])}:${m![3]}: ${m![4]}` : l;
    });
}

describe.skipIf(reason !== undefined)('the code in README.md and docs/guide.md', () => {
  beforeAll(async () => {
    const { app } = await packed();
    dir = join(app, 'snippets');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    // The guide's examples import their helpers from ./support, shipped with the package.
    cpSync(join(app, 'node_modules/sockfd/examples/support'), join(dir, 'support'), {
      recursive: true,
    });
    for (const b of checked) writeFileSync(join(dir, b.file), b.code);
  }, 300_000);

  it('finds the blocks, and few of them are fragments', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(5);
    const examples = readFileSync(join(root, 'docs/guide.template.md'), 'utf8').match(
      /^<!-- example: /gm,
    );
    expect(checked.length - runnable.length).toBe(examples?.length); // one per example
    expect(blocks.length - checked.length).toBeLessThanOrEqual(2);
  });

  it.each(['node16', 'nodenext'] as const)(
    'type-checks with tsc --strict, module %s, skipLibCheck off',
    { timeout: 120_000 },
    (module) => {
      expect(typeErrors(module, module === 'node16')).toEqual([]);
    },
  );

  it.each(runnable.map((b) => [`${b.doc}:${b.line}`, b] as const))(
    '%s runs, exits and prints what it shows',
    { timeout: 60_000 },
    (_where, b) => {
      if (b.tags.includes('needs:CAP_NET_RAW') && !raw.ok) {
        console.warn(`skipping ${b.doc}:${b.line}: ${raw.reason}`);
        return;
      }
      if (b.tags.includes('needs:CAP_SYS_ADMIN') && !lab.ok) {
        console.warn(`skipping ${b.doc}:${b.line}: ${lab.reason}`);
        return;
      }
      if (b.tags.includes('needs:TUN') && !tun.ok) {
        console.warn(`skipping ${b.doc}:${b.line}: ${tun.reason}`);
        return;
      }
      const js = join(dir, 'out', b.file.replace(/\.mts$/, '.mjs'));
      const r = spawnSync(process.execPath, [js], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      expect(r.error, 'it should exit by itself').toBeUndefined();
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const got = r.stdout === '' ? [] : r.stdout.replace(/\n$/, '').split('\n');
      const want = printed(b.code);
      expect(got.length, `prints ${JSON.stringify(got)}; shows ${JSON.stringify(want)}`).toBe(
        want.length,
      );
      want.forEach((w, i) => {
        expect(matches(got[i]!, w), `line ${i + 1} is ${JSON.stringify(got[i])}`).toBe(true);
      });
    },
  );
});
