/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking is done once by `tsc` in `npm test`; ts-jest only transpiles.
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
  testPathIgnorePatterns: ['/node_modules/', '/cdk.out/', '/.lethe/'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
