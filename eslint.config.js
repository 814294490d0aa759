// Lint: typescript-eslint's recommended rules, plus the package arrows of docs/architecture.md
// (DESIGN §2) enforced with no-restricted-imports. test/arrows.test.ts checks package.json too.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Which workspace packages each package's src/ may import (the arrows). */
export const ARROWS = {
  core: [],
  'registry-client': ['core'],
  runtime: ['core'],
  builder: ['core'],
  engine: ['core', 'registry-client', 'runtime', 'builder'],
  cli: ['core'],
};
const ALL = ['core', 'registry-client', 'runtime', 'builder', 'engine', 'cli', 'testkit'];

function arrowRule(pkg, allowTestkit) {
  const allowed = new Set([...ARROWS[pkg], ...(allowTestkit ? ['testkit'] : [])]);
  const forbidden = ALL.filter((p) => p !== pkg && !allowed.has(p));
  return {
    'no-restricted-imports': ['error', {
      patterns: [
        ...(forbidden.length ? [{ group: forbidden.map((p) => `@tdock/${p}`), message: `DESIGN §2: ${pkg} may not import this package` }] : []),
        { group: ['@tdock/*/*', '!@tdock/runtime/sys'], message: 'no deep imports across packages (use the package index)' },
        { group: ['../../*/src/*', '../../../packages/*'], message: 'import other packages by name, not by path' },
      ],
    }],
  };
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.d.ts', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.mocha } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...Object.keys(ARROWS).flatMap((pkg) => [
    { files: [`packages/${pkg}/src/**/*.ts`, `packages/${pkg}/src/**/*.cts`], rules: arrowRule(pkg, false) },
    { files: [`packages/${pkg}/test/**/*.ts`], rules: arrowRule(pkg, true) },
  ]),
  {
    files: ['**/*.cjs', '**/*.cts'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
