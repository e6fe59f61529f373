// ESLint (flat config): typescript-eslint's strict, type-aware rules over every TypeScript file;
// formatting is Prettier's (eslint-config-prettier turns off the rules that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'artifacts/**',
      '.fleet/**',
      '.scratch/**',
      'packages/contracts/src/generated.ts',
      'packages/api-client/src/schema.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  prettier,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // A leading underscore names what a signature needs but the body does not (express's error handler's `next`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Prettier wraps code at 120 but not strings, templates or SQL: those are wrapped by hand, at 140 at most.
      'max-len': ['error', { code: 140 }],
    },
  },
);
