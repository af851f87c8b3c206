// One linter configuration for the whole tree: type-aware rules, and the layer rules that
// test/import-graph.test.ts also checks on the compiled graph.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const ELECTRON = { name: 'electron', message: 'Only electron/main and electron/preload import electron.' };
const OPENID = { name: 'openid-client', message: 'openid-client stays behind its adapter, electron/core/oauth/oidc.ts.' };
const layer = (...patterns) => patterns.map(([group, message]) => ({ group, message }));
/** The one rule every core layer shares. */
const NO_SURFACES = [['**/app/**', '**/cli/**', '**/main/**', '**/preload/**'], 'The core knows nothing of its surfaces.'];

export default tseslint.config(
  { ignores: ['dist/', 'release/', 'node_modules/', 'test-results/', 'renderer/vite.config.*', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test() and describe() return promises the runner awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // Handlers are async to fit their interfaces (and to turn a throw into a rejection).
      '@typescript-eslint/require-await': 'off',
      // The sanitizers match control characters on purpose.
      'no-control-regex': 'off',
      // Display code turns unknown values into text on purpose (String(x), shown escaped).
      '@typescript-eslint/no-base-to-string': 'off',
      // A rejection passes on what it was given (an error from below, translated later).
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      'no-useless-assignment': 'off',
    },
  },
  {
    // Tests read JSON answers loosely and pass assert's methods around.
    files: ['test/**/*.ts', 'test/**/*.cts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      'preserve-caught-error': 'off',
    },
  },
  {
    // Preloads of CLI processes are CommonJS (--require), where TypeScript's form of require is import = require().
    files: ['test/**/*.cts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // Electron's and electron-updater's methods are bound to their objects.
    files: ['electron/main/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    files: ['electron/main/**/*.ts', 'electron/preload/**/*.ts', 'test/**/*.ts', 'test/**/*.cts'],
    rules: { 'no-restricted-imports': ['error', { paths: [OPENID] }] },
  },
  {
    files: ['electron/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [ELECTRON, OPENID], patterns: layer(NO_SURFACES) }],
    },
  },
  {
    // The adapter itself.
    files: ['electron/core/oauth/oidc.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [ELECTRON], patterns: layer(NO_SURFACES) }],
    },
  },
  {
    // Storage keeps the generic pieces (secret stores, keychain items, files, locks, vault): no domain.
    files: ['electron/core/storage/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [ELECTRON],
          patterns: layer(NO_SURFACES, [
            ['**/accounts/**', '**/tokens/**', '**/oauth/**', '**/google/**', '**/agent/**', '**/integrations/**'],
            'Storage is below the accounts room and the rest of the core.',
          ]),
        },
      ],
    },
  },
  {
    // The accounts room is below the tokens room and everything that uses accounts.
    files: ['electron/core/accounts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [ELECTRON],
          patterns: layer(NO_SURFACES, [
            ['**/tokens/**', '**/agent/**', '**/integrations/**'],
            'The accounts room is below tokens, the agent and the integrations.',
          ]),
        },
      ],
    },
  },
  {
    files: ['electron/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [ELECTRON, OPENID], patterns: layer([['**/cli/**', '**/main/**', '**/preload/**'], 'app is desktop logic on the core only.']) },
      ],
    },
  },
  {
    files: ['electron/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [ELECTRON, OPENID], patterns: layer([['**/app/**', '**/main/**', '**/preload/**'], 'The CLI builds on the core only.']) },
      ],
    },
  },
  prettier,
);
