// ESLint 9 flat config (`npm run lint`; a gate in .ci/run). TypeScript (every file tsconfig.json covers: bin, lib,
// lambdas, test; and the DPO console's, console/tsconfig.json) is linted with type information by typescript-eslint's
// strictTypeChecked and stylisticTypeChecked presets; the few plain JavaScript files (CommonJS build scripts and tool
// configs) with ESLint's recommended rules.
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
    files: ['**/*.{ts,tsx}'],
    extends: [tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    rules: {
      // Numbers (counts, ports, indexes) and `undefined` (an error message's "got undefined") print as meant;
      // objects, unknown and any still fail.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowNullish: true }],
      // `(x) => resolve(x)` and `.on('exit', () => done())`, the callback shorthand used throughout, are kept.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Off: without noUncheckedIndexedAccess a Record or array lookup is typed as always there, so the rule asks to
      // delete the checks of ids that come from input (`if (!policy.purposes[id]) throw ...`).
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Off: for the same reason `arr[i]` is unchecked already; the `!` marks the few spots (after a length check, a
      // Map.get after its set) that rely on the same, visibly; `arr[arr.length - 1]` instead would only hide them.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Off: `async` without `await` implements a Promise-returning interface (a service's start/stop, a connector's
      // hooks) so that a throw becomes a rejection; dropping `async` would change that. Floating promises still fail.
      '@typescript-eslint/require-await': 'off',
      // Off: String()/Number() on what comes from outside (Step Functions input, DynamoDB items, a connector's
      // config callbacks) are deliberate: the static type there is what should arrive, not what did.
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
      // Off: deleting a field the policy names from a record (`delete record[field.name]`) is what erasure does.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // The `_` prefix marks what is unused on purpose (as tsc's noUnusedParameters reads it); `const { a, ...rest }`
      // drops `a` from `rest`.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // A local service's start()/stop() with nothing to do implements the interface; each says why above it.
      '@typescript-eslint/no-empty-function': ['error', { allow: ['asyncMethods'] }],
      // `let { child, port } = ...` where only `child` is reassigned later stays one declaration.
      'prefer-const': ['error', { destructuring: 'all' }],
      // The SDK's public options type is an interface that extends one (a name of its own in the declarations).
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
    },
  },
  {
    // Tests: relaxed where they handle parsed JSON (any) and mutate documents to make them invalid on purpose.
    files: ['test/**/*.ts'],
    rules: {
      // Answers and files are read with JSON.parse (any) and checked by expect(); typing each one adds nothing.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Table tests break a valid document in place (`(d: any) => delete d.timezone`) to see it refused.
      '@typescript-eslint/no-explicit-any': 'off',
      // The generators of test ids split strings into code points on purpose (`[...id]`).
      '@typescript-eslint/no-misused-spread': 'off',
      // `.catch((e: Error) => e)` takes the rejection to assert on; a wrong type fails the assertion that follows.
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'off',
    },
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
