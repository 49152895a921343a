// ESLint 9 flat config (`npm run lint`; a gate in .ci/run). TypeScript (every file tsconfig.json covers: bin, lib,
// lambdas, test) is linted with type information by typescript-eslint's strictTypeChecked and stylisticTypeChecked
// presets; the few plain JavaScript files (CommonJS build scripts and tool configs) with ESLint's recommended rules.
// Every rule turned off or adjusted below says why in one line.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import eslint from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig(
  // Generated output and local state: never linted.
  globalIgnores(['**/node_modules/', 'dist/', 'cdk.out/', '**/cdk.out*/', '.lethe/', 'coverage/', 'packages/*/dist/']),
  {
    linterOptions: {
      // An `eslint-disable` comment must name a rule that still fires there.
      reportUnusedDisableDirectives: 'error',
    },
  },
  eslint.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    rules: {},
  },
  {
    files: ['**/*.{js,cjs}'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
);
