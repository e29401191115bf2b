// Lint rules that keep the layers honest (see CONTRIBUTING.md):
//   core (pure) <- platform <- store <- services <- transport; client is a member's SDK on core.
// Pure code imports no I/O, database, HTTP or MQTT; transports reach the store only through
// services; no file over 500 lines, no function over 100. Import cycles: .dependency-cruiser.cjs.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const IO_MODULES = ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'child_process', 'worker_threads', 'dgram', 'dns', 'tls', 'cluster', 'os', 'readline', 'process', 'module', 'url', 'path', 'v8', 'vm', 'perf_hooks', 'async_hooks', 'inspector'];
const EFFECT_PACKAGES = ['@prisma/*', 'prisma', 'better-sqlite3', 'pg', 'express', 'graphql-yoga', 'mqtt', 'aedes', 'aedes-persistence', 'pino', 'prom-client', '@nats-io/*'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'src/generated/**', 'web/dist/**', 'coverage/**', 'bench/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    files: ['**/*.ts', '**/*.mts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
    },
  },
  // Tests poke at untyped JSON answers.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/generated/**'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: 'tsconfig.json' }, node: true },
      'boundaries/elements': [
        { type: 'core', pattern: 'src/core/**' },
        { type: 'platform', pattern: 'src/platform/**' },
        { type: 'client', pattern: 'src/client/**' },
        { type: 'generated', pattern: 'src/generated/**' },
        { type: 'store', pattern: 'src/store/**' },
        { type: 'services', pattern: 'src/services/**' },
        { type: 'transport', pattern: 'src/transport/**' },
      ],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: [
            { from: { element: { type: 'core' } }, allow: { to: { element: { type: 'core' } } } },
            { from: { element: { type: 'platform' } }, allow: { to: { element: { types: { anyOf: ['core', 'platform'] } } } } },
            { from: { element: { type: 'client' } }, allow: { to: { element: { types: { anyOf: ['core', 'client'] } } } } },
            { from: { element: { type: 'store' } }, allow: { to: { element: { types: { anyOf: ['core', 'platform', 'generated', 'store'] } } } } },
            { from: { element: { type: 'services' } }, allow: { to: { element: { types: { anyOf: ['core', 'platform', 'store', 'services'] } } } } },
            {
              from: { element: { type: 'transport' } },
              allow: { to: { element: { types: { anyOf: ['core', 'platform', 'client', 'services', 'transport'] } } } },
            },
          ],
        },
      ],
      'max-lines': ['error', { max: 500, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: IO_MODULES.flatMap((m) => [
            { name: `node:${m}`, message: 'Pure code does no I/O: take the facts as arguments (see CONTRIBUTING.md).' },
            { name: m, message: 'Pure code does no I/O: take the facts as arguments (see CONTRIBUTING.md).' },
          ]),
          patterns: [{ group: EFFECT_PACKAGES, message: 'Pure code imports no database, HTTP, MQTT or logging library.' }],
        },
      ],
    },
  },
);
