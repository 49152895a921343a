/**
 * Two projects, one run. `npm test` runs both; `npm run test:unit` (`jest --selectProjects unit`) runs the fast lane.
 * The lanes are split by one list of path patterns, so every test file is in exactly one of them:
 * - `integration`: the files that start local mode or one of its services (DynamoDB Local, s3rver, a child process of
 *   local mode), synthesize the CDK stack, run the benchmark locally, build the CLI bundle or run a tool (ESLint,
 *   dependency-cruiser) in a child process, and the full runs of the fast-check suites;
 * - `unit`: everything else, which must run in under a minute on the 2-core development machine (issue 17, item 7;
 *   README, "Development"; test/jest-config.test.ts checks the split).
 */
const HEAVY = [
  '/test/integration/',
  '/test/reliability/',
  // the stack's tests synthesize it; its errors' test does not
  '/test/lib/stack/(?!errors\\.test\\.ts$)',
  '/test/lib/bench/run-local\\.test\\.ts$',
  '/test/lib/local/start\\.test\\.ts$',
  '/test/lib/local/dynamodb-local\\.test\\.ts$',
  '/test/lib/local/s3rver\\.test\\.ts$',
  // local mode's function host (worker threads compiling the functions through tsx and esbuild, timed bursts), its
  // receiver and its AWS endpoint (HTTP servers on 127.0.0.1)
  '/test/lib/local/functions(?:\\.line|\\.compiler)?\\.test\\.ts$',
  '/test/lib/local/receiver\\.test\\.ts$',
  '/test/lib/local/aws-endpoint\\.test\\.ts$',
  '/test/lib/connectors/s3\\.s3rver\\.test\\.ts$',
  '/test/lib/runtime/exports\\.s3rver\\.test\\.ts$',
  '/test/lib/cli/audit-verify-local\\.test\\.ts$',
  // `npm start --`: local mode's entry (tsx bin/local.ts) in child processes
  '/test/bin/local\\.test\\.ts$',
  // builds the CLI bundle with esbuild, then runs it and the sources (tsx) as child processes, command by command
  '/test/lib/cli/bundle\\.test\\.ts$',
  // the `lethe` binary as a user runs it, a child process per command (bundle or sources through tsx)
  '/test/lib/cli/main\\.binary\\.test\\.ts$',
  // dependency-cruiser over the whole tree in a child process, as `npm run deps:graph`
  '/test/docs/layers\\.test\\.ts$',
  // ESLint and dependency-cruiser, each run in a child process over a scratch tree, to check the project's rules fire
  '/test/eslint-config\\.test\\.ts$',
  '/test/dependency-cruiser\\.test\\.ts$',
  // builds, packs and installs the connector SDK, then runs tsc in a scratch project
  '/test/packages/',
  // fast-check suites with every run: `x.full.test.ts` imports `x.test.ts`, which the unit lane runs with a fifth of
  // the runs (test/support/property-runs.ts)
  '\\.full\\.test\\.ts$',
];
const heavy = `(?:${HEAVY.join('|')})`;

/** What both projects share. */
const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // Type checking is done once by `tsc` in `npm test`; ts-jest only transpiles (isolatedModules in tsconfig.json).
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // middy and canonicalize are ESM-only: their files are transpiled to CommonJS too (see transformIgnorePatterns).
    '^.+/node_modules/(?:@middy|canonicalize)/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/|canonicalize/)'],
  testPathIgnorePatterns: ['/node_modules/', '/cdk.out/', '/.lethe/'],
  setupFiles: ['<rootDir>/test/support/env.js'],
  // Preact (the DPO console's front-end, console/) is ES modules only: test/support/esm-resolver.js gives Jest CommonJS copies.
  resolver: '<rootDir>/test/support/esm-resolver.js',
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testRegex: `^(?!.*${heavy}).*\\.test\\.ts$` },
    { ...common, displayName: 'integration', testRegex: `^(?=.*${heavy}).*\\.test\\.ts$` },
  ],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
