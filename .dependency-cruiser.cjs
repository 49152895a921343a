/**
 * Lethe's layers, enforced (issue 17, item 2): `npm run deps:check`, a gate in .ci/run. The layering and its
 * picture are in docs/architecture.md, "Layers" (the picture is generated from this code by `npm run deps:graph`).
 *
 *   core                          lib/core: contract, observability, subject-ref (key source), time (clock), errors
 *   domain                        lib/policy, retention, planner, anonymise, register, lib/inputs.ts: no AWS
 *   connectors                    lib/connectors
 *   audit, runtime                lib/audit, lib/runtime
 *   stack, local, demo, bench, cli, and the entry points bin/ and lambdas/
 *
 * Each layer imports only from the layers above it in this list (and itself). One rule per layer says what it may
 * not import and what to do instead; `no-circular` forbids cycles between files. Type-only imports count
 * (tsPreCompilationDeps): a type borrowed from a lower layer couples the layers as much as a value does.
 */
const CORE = '^lib/core/';
const DOMAIN = '^lib/(policy|retention|planner|anonymise|register)/|^lib/inputs\\.ts$';
const LETHE = '^(lib|bin|lambdas)/';
/** The connector registry and descriptors: what the policy validator reads (config schemas, type names). */
const CONNECTOR_SCHEMAS = '^lib/connectors/(registry|descriptor|config)\\.ts$|^lib/connectors/types/';
/** Packages that talk to AWS or build CloudFormation: not for the pure layers. */
const AWS_PACKAGES = '^node_modules/(@aws-sdk|@smithy|@aws-lambda-powertools|@middy|aws-cdk-lib|constructs|cdk-nag)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle between files through imports that run when a module loads: move what both need into the lower ' +
        'one, or into lib/core. Type-only imports are erased by the compiler and do not count.',
      from: {},
      to: {
        circular: true,
        dependencyTypesNot: ['type-only', 'require'],
        viaOnly: { dependencyTypesNot: ['type-only', 'require'] },
      },
    },
    {
      name: 'no-circular-through-lazy-require',
      severity: 'warn',
      comment:
        'A cycle closed by a `require` inside a function (a lazy load: it runs after both modules have loaded, so it ' +
        'works), still a cycle in the design. Warned, not failed, while the connector registry loads its ' +
        'implementations that way (docs/architecture.md, "Layers").',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'core-is-the-kernel',
      severity: 'error',
      comment:
        'lib/core imports nothing else of Lethe: everything else builds on it. Move the code it needs into lib/core, ' +
        'or pass it in (as subject-ref takes a KeySource).',
      from: { path: CORE },
      to: { path: LETHE, pathNot: CORE },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'policy, retention, planner, anonymise, register and inputs are the domain: they import only lib/core and ' +
        'each other. The policy validator may read connector config schemas (the registry and descriptors), nothing ' +
        'else of the connectors.',
      from: { path: DOMAIN },
      to: { path: LETHE, pathNot: [CORE, DOMAIN, CONNECTOR_SCHEMAS] },
    },
    {
      name: 'domain-without-aws',
      severity: 'error',
      comment: 'The domain runs without AWS (the CLI validates and plans offline): no AWS SDK, Powertools or CDK.',
      from: { path: DOMAIN },
      to: { path: AWS_PACKAGES },
    },
    {
      name: 'connectors-below-runtime',
      severity: 'error',
      comment:
        'Connectors build on lib/core (the contract, observability, the key source) and the domain; the runtime ' +
        'calls them, never the other way. Move what a connector needs from the runtime into lib/core.',
      from: { path: '^lib/connectors/' },
      to: { path: LETHE, pathNot: [CORE, DOMAIN, '^lib/connectors/'] },
    },
    {
      name: 'audit-below-runtime',
      severity: 'error',
      comment: 'The audit trail builds on lib/core (the record type, the chain table), never on the runtime.',
      from: { path: '^lib/audit/' },
      to: { path: LETHE, pathNot: [CORE, DOMAIN, '^lib/connectors/', '^lib/audit/'] },
    },
    {
      name: 'runtime-below-deployment',
      severity: 'error',
      comment:
        'The runtime runs in Lambda: it uses lib/core, the domain, the connectors and the audit trail, never the ' +
        'stack, local mode, the demo, the benchmark or the CLI.',
      from: { path: '^lib/runtime/' },
      to: { path: LETHE, pathNot: [CORE, DOMAIN, '^lib/(connectors|audit|runtime)/'] },
    },
    {
      name: 'lambdas-are-runtime-entries',
      severity: 'error',
      comment: 'A Lambda entry point wires the runtime or a connector; it never pulls in the CDK or local mode.',
      from: { path: '^lambdas/' },
      to: { path: ['^lib/(stack|local|demo|bench|cli|console)/', '^bin/', '^node_modules/(aws-cdk-lib|constructs|cdk-nag)/'] },
    },
    {
      name: 'stack-not-to-tools',
      severity: 'error',
      comment: 'The stack (CDK) deploys the runtime: it never imports local mode, the demo, the benchmark, the CLI or the console server.',
      from: { path: '^lib/stack/' },
      to: { path: '^lib/(local|demo|bench|cli|console)/' },
    },
    {
      name: 'local-mode-without-cdk',
      severity: 'error',
      comment:
        'Local mode runs the runtime on emulators; of the stack it reads only the table definitions ' +
        '(lib/stack/table-specs.ts, plain data), never a construct.',
      from: { path: '^lib/local/' },
      to: { path: ['^lib/(demo|bench|cli)/', '^lib/stack/(?!table-specs\\.ts$)', '^node_modules/(aws-cdk-lib|constructs|cdk-nag)/'] },
    },
    {
      name: 'local-mode-for-tools-only',
      severity: 'error',
      comment:
        'Local mode (emulators, a data directory, child processes) is used by the demo, the benchmark and `npm start` ' +
        '(bin/local.ts), not by the CLI, the stack, the runtime or a Lambda entry point.',
      from: { path: ['^lib/', '^lambdas/'], pathNot: '^lib/(local|demo|bench)/' },
      to: { path: '^lib/local/' },
    },
    {
      name: 'demo-and-bench-apart',
      severity: 'error',
      comment: 'The demo and the benchmark both drive local mode; neither imports the other or the CLI.',
      from: { path: '^lib/(demo|bench)/' },
      to: { path: ['^lib/cli/', '^lib/(demo|bench)/'], pathNot: '^lib/$1/' },
    },
    {
      name: 'deployed-code-not-to-dev-dependencies',
      severity: 'error',
      comment:
        'What runs in Lambda (lambdas/ and the layers they bundle) uses only dependencies: a devDependency is not ' +
        'installed with `npm ci --omit=dev`. Move the package to dependencies in package.json.',
      from: { path: ['^lambdas/', '^lib/(core|policy|retention|planner|anonymise|connectors|audit|runtime)/'] },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'lib-not-to-entry-points',
      severity: 'error',
      comment: 'bin/, lambdas/ and test/ use lib/, never the other way.',
      from: { path: '^lib/' },
      to: { path: '^(bin|lambdas|test)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|cdk\\.out|\\.lethe|packages/connector-sdk/dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
