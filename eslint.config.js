// ESLint (flat config) with typescript-eslint. Type-aware rules are limited to the ones that catch
// real bugs in this codebase's kind of code (promises nobody awaits, promises passed where a
// callback's result is ignored, awaiting non-promises); style is Prettier's job (.prettierrc.json).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.run/', 'test/bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Product code never imports tests, the harness or development tools.
    files: ['src/**/*.ts', 'gateway/**/*.ts', 'operator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/test/**', '**/tools/**'], message: 'product code must not import test/ or tools/' }] },
      ],
    },
  },
  {
    // An object literal that starts with a spread and goes on (`{ ...event, metadata }`) is built by
    // V8's CloneObjectIC, and on Node 20 such clones are tenured: 1,000 a second made the gateway
    // promote ~300 KB/s and run full collections (each a pause on every event in flight). Build
    // them property by property, or start with a property, in the modules an event passes through.
    files: [
      'src/event/**/*.ts',
      'gateway/{ingest,ingress,log,wire,subscribers,federation,tracing}/**/*.ts',
      'gateway/forwarding/{forwarder,target-delivery,outgoing,http-sender,http-client,grpc-sender,grpc-batch-stream,batch-answers}.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ObjectExpression > SpreadElement:first-child:not(:last-child)',
          message: 'a literal that starts with a spread and adds more is tenured by V8 on Node 20: name the properties, or use Object.assign',
        },
      ],
    },
  },
  {
    // Unit tests stand alone: shared test helpers live in test/support, not among the e2e ones.
    files: ['test/unit/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/e2e/**'], message: 'unit tests must not import e2e helpers (move shared ones to test/support)' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The federation map's page runs in a browser.
    files: ['operator/federation-map/web/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
);
