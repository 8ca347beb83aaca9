// Lint for the canvas TypeScript (src/), its unit tests (tests/ts/) and the build
// scripts. Formatting is Prettier's job (`prettier --check` in `npm run lint`), so
// eslint-config-prettier switches off the stylistic rules that would disagree with it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/', 'labextension/', 'orcheo_jupyter/', 'node_modules/', 'build/', '.jp/', '.venv/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'tests/ts/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } }
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.mjs', 'vitest.config.mts'],
    languageOptions: { globals: { ...globals.node } }
  },
  {
    rules: {
      // `_name` marks a deliberately unused binding (destructuring something away).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error'
    }
  },
  prettier
);
