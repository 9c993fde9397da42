// ESLint flat config: recommended rules for all JavaScript, type-checked rules for TypeScript.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Node's globals, listed by hand so the config depends only on eslint and typescript-eslint.
const nodeGlobals = {
  AbortController: 'readonly',
  AbortSignal: 'readonly',
  Buffer: 'readonly',
  clearImmediate: 'readonly',
  clearInterval: 'readonly',
  clearTimeout: 'readonly',
  console: 'readonly',
  performance: 'readonly',
  process: 'readonly',
  queueMicrotask: 'readonly',
  setImmediate: 'readonly',
  setInterval: 'readonly',
  setTimeout: 'readonly',
  structuredClone: 'readonly',
  TextDecoder: 'readonly',
  TextEncoder: 'readonly',
  URL: 'readonly',
  URLSearchParams: 'readonly',
};

// A syscall binding has callbacks and out-parameters whose signature is fixed by the API;
// `_name` marks one that is deliberately unused.
const unusedVars = [
  'error',
  { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
];

export default defineConfig([
  // test/fixtures/ is type-checked by its own tsconfig in test/module.test.ts.
  globalIgnores([
    'build/',
    'build-bench/',
    'dist/',
    'coverage/',
    'docs/api/',
    'lib/sys/constants.generated.ts',
    'lib/sys/options.generated.ts',
    'lib/socket/base-accessors.generated.ts',
    'lib/socket/accessors.generated.ts',
    'test/fixtures/',
  ]),

  js.configs.recommended,
  { rules: { 'no-unused-vars': unusedVars } },

  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { ...nodeGlobals, __dirname: 'readonly', __filename: 'readonly' },
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: nodeGlobals },
  },

  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // tsconfig.json covers lib/ only; tsconfig.eslint.json adds test/, bench/, examples/.
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': unusedVars,
    },
  },
  {
    // The one module that loads the addon: a .node file can only be loaded with require().
    files: ['lib/sys/native.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
]);
