/**
 * How many runs a fast-check property gets (issue 17, item 7). The unit lane (`npm run test:unit`, which must stay under
 * a minute) runs a fifth of each property's runs; the suite's `*.full.test.ts` twin, in the integration lane (see
 * jest.config.js), imports the same suite and runs every run. So `npm test` still runs each property in full, and a
 * change gets a quick sample of the same properties first.
 */

/** The unit lane runs one run in this many (rounded up). */
export const UNIT_SHARE = 5;

/** The twin that runs a suite in full: `x.test.ts` -> `x.full.test.ts`. */
export const FULL_SUFFIX = '.full.test.ts';

/** `{ numRuns }` for a property of `full` runs: all of them in a `*.full.test.ts` file, a fifth elsewhere. */
export function propertyRuns(full: number, testPath: string = expect.getState().testPath ?? ''): { numRuns: number } {
  return { numRuns: testPath.endsWith(FULL_SUFFIX) ? full : Math.ceil(full / UNIT_SHARE) };
}
