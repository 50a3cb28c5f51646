// Lint config: correctness rules plus the layering of DESIGN.md, enforced rather than hoped for.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The deterministic tier: takes time, randomness and I/O only through ports (src/ports).
const pureTier = ['core', 'ports', 'storage', 'raft', 'kv', 'tasks', 'placement', 'membership', 'node', 'sim', 'check'];
const edgeFolders = ['runtime', 'transport', 'server', 'api', 'client', 'cli', 'chaos', 'dashboard', 'metrics', 'worker'];

const nondeterministicGlobals = [
  'Date', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate',
  'process', 'Buffer', 'performance', 'require', 'global', 'fetch',
].map((name) => ({ name, message: 'The pure tier takes time, randomness and I/O through src/ports (DESIGN.md, principle 1).' }));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/out/**', 'bench/bullmq/**', 'src/worker/thread-bootstrap.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: pureTier.map((dir) => `src/${dir}/**/*.ts`),
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error', ...nondeterministicGlobals],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the injected Random port (core/prng).' },
        { object: 'Date', property: 'now', message: 'Use the injected Clock port.' },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'The pure tier imports no node:* module; add a port instead.' },
            { regex: '^(fs|net|os|path|crypto|child_process|worker_threads|timers|http|dgram)(/.*)?$', message: 'The pure tier imports no Node built-in.' },
            { regex: `(^|/)(${edgeFolders.join('|')})(/|$)`, message: 'The pure tier never depends on the edge tier.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // End-to-end tests read JSON bodies from the wire; asserting on them is their purpose.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
