#!/usr/bin/env node
// Writes the ESM entry points (dist/index.mjs and the subpaths' index.mjs, each with its .d.mts)
// over the CommonJS build.
// Re-exporting the one CommonJS instance (rather than compiling lib/ twice) means `import` and
// `require` share the same native addon, classes and constants.
// usage: node scripts/esm-wrapper.js [distDir]   (default: dist/ next to this script's parent)
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const RESERVED = new Set(
  (
    'await break case catch class const continue debugger default delete do else enum export ' +
    'extends false finally for function if implements import in instanceof interface let new ' +
    'null package private protected public return static super switch this throw true try ' +
    'typeof var void while with yield arguments eval'
  ).split(' '),
);

function isBindingName(name) {
  return /^[A-Za-z_$][\w$]*$/.test(name) && !RESERVED.has(name);
}

// The package's entry points, as package.json's exports map names them.
const ENTRIES = ['index', 'tools/packet/index', 'tools/inspect/index', 'tools/lab/index'];

function wrap(dist, entryName) {
  const entry = path.join(dist, `${entryName}.js`);
  if (!fs.existsSync(entry)) {
    console.error(`esm-wrapper: ${entry} not found; run tsc first`);
    process.exit(1);
  }
  const base = `./${path.basename(entryName)}.js`;
  const names = Object.keys(require(entry))
    .filter((name) => name !== 'default' && name !== '__esModule')
    .sort();

  // Plain names are destructured; any other name (a reserved word, say) is bound to a local
  // and exported under its own name, which ES2022 allows as a string.
  const plain = names.filter(isBindingName);
  const other = names.filter((name) => !isBindingName(name));
  let mjs = `import cjs from '${base}';\n`;
  if (plain.length > 0) mjs += `export const { ${plain.join(', ')} } = cjs;\n`;
  other.forEach((name, i) => {
    const key = JSON.stringify(name);
    mjs += `const export${i} = cjs[${key}];\nexport { export${i} as ${key} };\n`;
  });
  mjs += 'export default cjs;\n';

  // Default-importing a CommonJS module from ESM yields module.exports, which the .mjs exports
  // as its default too.
  const dmts = `import cjs from '${base}';\nexport * from '${base}';\nexport default cjs;\n`;

  fs.writeFileSync(path.join(dist, `${entryName}.mjs`), mjs);
  fs.writeFileSync(path.join(dist, `${entryName}.d.mts`), dmts);
  return names.length;
}

function main() {
  const dist = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'dist'));
  for (const entryName of ENTRIES) {
    const n = wrap(dist, entryName);
    console.log(
      `esm-wrapper: wrote ${entryName}.mjs and ${entryName}.d.mts with ${n} named exports`,
    );
  }
}

main();
