/**
 * What the deployed bundles contain is what `npm audit --omit=dev` (the CI gate) audits: every package that
 * esbuild puts into a function's bundle is a production dependency in package-lock.json, never a development one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './synth';

jest.setTimeout(120_000);

const LAMBDAS = path.join(ROOT, 'lambdas');
const ENTRIES = [
  ...readdirSync(LAMBDAS).filter((f) => f.endsWith('.ts')),
  ...readdirSync(path.join(LAMBDAS, 'connectors'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `connectors/${f}`),
];

interface LockPackage {
  readonly dev?: boolean;
  readonly devOptional?: boolean;
}
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };

/** `node_modules/a/node_modules/@s/b/lib/x.js` → `node_modules/a/node_modules/@s/b`, the lock file's key. */
function packageKey(input: string): string | undefined {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

describe('the functions’ bundles', () => {
  it('hold only production dependencies, so the audit gate sees everything that deploys', async () => {
    // GIVEN every entry under lambdas/, bundled as LetheFunction bundles it (ESM first, the AWS SDK inside)
    const inBundles = new Map<string, string>();
    for (const entry of ENTRIES) {
      const result = await build({
        entryPoints: [path.join(LAMBDAS, entry)],
        absWorkingDir: ROOT,
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        mainFields: ['module', 'main'],
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      for (const input of Object.keys(result.metafile.inputs)) {
        const key = packageKey(input);
        if (key && !inBundles.has(key)) inBundles.set(key, entry);
      }
    }
    expect(inBundles.size).toBeGreaterThan(10);
    // WHEN each bundled package is looked up in package-lock.json THEN none is a development dependency
    const dev = [...inBundles]
      .filter(([key]) => lock.packages[key]?.dev === true || lock.packages[key]?.devOptional === true)
      .map(([key, entry]) => `${key} (in ${entry})`);
    expect(dev).toEqual([]);
    // and every bundled package is in the lock file at all
    expect([...inBundles.keys()].filter((key) => !lock.packages[key])).toEqual([]);
  });
});
