#!/usr/bin/env node
// Checks (--check) or rewrites (--fix) the C and C++ sources with clang-format and .clang-format.
// Uses the binary shipped in the clang-format npm package so every machine formats alike,
// and falls back to a clang-format on PATH where that package has no binary.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const SOURCES = [
  { dir: 'native', exts: ['.cc', '.h', '.c'] },
  { dir: 'bench', exts: ['.c', '.h'] },
  { dir: 'fuzz/native', exts: ['.cc', '.h'] },
];

function usage(message) {
  console.error(`clang-format: ${message}\nusage: node scripts/clang-format.js --check | --fix`);
  process.exit(2);
}

// Every file under `dir` (recursively) whose extension is in `exts`, sorted, relative to ROOT.
function findSources(dir, exts) {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  const found = [];
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findSources(rel, exts));
    else if (entry.isFile() && exts.includes(path.extname(entry.name))) found.push(rel);
  }
  return found.sort();
}

function findBinary() {
  try {
    const pkgDir = path.dirname(require.resolve('clang-format/package.json'));
    const bundled = path.join(pkgDir, 'bin', `${process.platform}_${process.arch}`, 'clang-format');
    if (fs.existsSync(bundled)) return bundled;
  } catch {
    // The package is not installed; try PATH below.
  }
  const probe = spawnSync('clang-format', ['--version'], { encoding: 'utf8' });
  if (!probe.error && probe.status === 0) return 'clang-format';
  console.error(
    'clang-format: no binary found: run `npm ci` for the clang-format package, ' +
      'or put clang-format on PATH',
  );
  process.exit(2);
}

function run(binary, args) {
  const r = spawnSync(binary, ['--style=file', ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.error) {
    console.error(`clang-format: cannot run ${binary}: ${r.error.message}`);
    process.exit(2);
  }
  return r;
}

function main(argv) {
  if (argv.length !== 1 || !['--check', '--fix'].includes(argv[0])) usage('expected one mode');
  const fix = argv[0] === '--fix';
  const files = SOURCES.flatMap(({ dir, exts }) => findSources(dir, exts));
  if (files.length === 0) {
    console.log('clang-format: no C/C++ sources found');
    return;
  }
  const binary = findBinary();

  const changed = [];
  for (const file of files) {
    const abs = path.join(ROOT, file);
    if (fix) {
      const before = fs.readFileSync(abs, 'utf8');
      const r = run(binary, ['-i', file]);
      if (r.status !== 0) fail(file, r);
      if (fs.readFileSync(abs, 'utf8') !== before) changed.push(file);
    } else {
      const r = run(binary, ['--dry-run', '--Werror', file]);
      if (r.status === 0) continue;
      // A formatting difference is reported as -Wclang-format-violations; anything else
      // (a bad .clang-format, an unreadable file) is a real failure.
      if (!r.stderr.includes('clang-format-violations')) fail(file, r);
      changed.push(file);
    }
  }

  if (fix) {
    console.log(`clang-format: ${files.length} files checked, ${changed.length} reformatted`);
  } else if (changed.length === 0) {
    console.log(`clang-format: ${files.length} files checked, all formatted`);
  } else {
    console.error(`clang-format: ${changed.length} of ${files.length} files need formatting:`);
    for (const file of changed) console.error(`  ${file}`);
    console.error('Run `npm run format` to fix them.');
    process.exit(1);
  }
}

function fail(file, r) {
  console.error(`clang-format: failed on ${file} (exit ${r.status}):\n${r.stderr.trim()}`);
  process.exit(2);
}

main(process.argv.slice(2));
