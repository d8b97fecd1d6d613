// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'bin/',
      '.cluster/',
      '.cluster-bench/',
      // The suite's cluster: its real node unpacks the operator image (dist/ JavaScript) there.
      '.cluster-e2e/',
      'bench/results/',
      'bench/.dist/',
      'helm/',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Kubernetes objects are open-ended JSON; template literals with numbers are fine.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // node:test's test() returns a promise the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      // client-node's models are classes, but its serializer takes plain objects: the idiomatic
      // way to write a Pod is an object literal.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    // node:assert's assertions narrow types as a test goes on, so an optional chain that was
    // needed before an assert.equal is "unnecessary" after it: the rule would make tests
    // order-dependent puzzles. Source code keeps it.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-unnecessary-condition': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
