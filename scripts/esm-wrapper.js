#!/usr/bin/env node
// Writes dist/index.mjs and dist/index.d.mts, the ESM entry point, over the CommonJS build.
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

function main() {
  const dist = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'dist'));
  const entry = path.join(dist, 'index.js');
  if (!fs.existsSync(entry)) {
    console.error(`esm-wrapper: ${entry} not found; run tsc first`);
    process.exit(1);
  }
  const names = Object.keys(require(entry))
    .filter((name) => name !== 'default' && name !== '__esModule')
    .sort();

  // Plain names are destructured; any other name (a reserved word, say) is bound to a local
  // and exported under its own name, which ES2022 allows as a string.
  const plain = names.filter(isBindingName);
  const other = names.filter((name) => !isBindingName(name));
  let mjs = "import cjs from './index.js';\n";
  if (plain.length > 0) mjs += `export const { ${plain.join(', ')} } = cjs;\n`;
  other.forEach((name, i) => {
    const key = JSON.stringify(name);
    mjs += `const export${i} = cjs[${key}];\nexport { export${i} as ${key} };\n`;
  });
  mjs += 'export default cjs;\n';

  // Default-importing a CommonJS module from ESM yields module.exports, which is what
  // index.mjs exports as its default too.
  const dmts = "import cjs from './index.js';\nexport * from './index.js';\nexport default cjs;\n";

  fs.writeFileSync(path.join(dist, 'index.mjs'), mjs);
  fs.writeFileSync(path.join(dist, 'index.d.mts'), dmts);
  console.log(`esm-wrapper: wrote index.mjs and index.d.mts with ${names.length} named exports`);
}

main();
