/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking is done once by `tsc` in `npm test`; ts-jest only transpiles (isolatedModules in tsconfig.json).
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // middy is ESM-only: its files are transpiled to CommonJS too (see transformIgnorePatterns).
    '^.+/node_modules/@middy/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  testPathIgnorePatterns: ['/node_modules/', '/cdk.out/', '/.lethe/'],
  setupFiles: ['<rootDir>/test/support/env.js'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
