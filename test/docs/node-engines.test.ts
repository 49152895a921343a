/**
 * README.md's Quick start names every package whose `engines` field makes `npm ci` warn EBADENGINE on Node 20 (the
 * oldest Node the README says works, here 20.20.2), with the version installed: read from package-lock.json, so a
 * dependency that adds such a floor, or drops it, fails this until the README says so (issue 20).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/* eslint-disable @typescript-eslint/no-require-imports -- semver (npm's own range rules) ships no types */
const { satisfies } = require('semver') as { satisfies: (version: string, range: string) => boolean };
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = join(__dirname, '..', '..');
const NODE_20 = '20.20.2';
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('```sh', readme.indexOf('## Quick start')));

interface LockEntry {
  readonly version?: string;
  readonly engines?: { readonly node?: string } | readonly string[];
}

/** `name version` of each installed package whose engines.node excludes `node`. */
function refusing(node: string): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => {
      const range = Array.isArray(entry.engines) ? undefined : (entry.engines as { node?: string } | undefined)?.node;
      return path !== '' && range !== undefined && !satisfies(node, range);
    })
    .map(([path, entry]) => `${path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)} ${entry.version}`)
    .sort();
}

describe('README.md: the EBADENGINE warnings of npm ci on Node 20', () => {
  it('reads the floors it should (a Node 18 is refused by more packages than Node 20, Node 22 by none)', () => {
    expect(refusing('18.20.0').length).toBeGreaterThan(refusing(NODE_20).length);
    expect(refusing('22.13.0')).toEqual([]);
  });

  it('names the Node 20 it was checked on', () => {
    expect(quickStart).toContain(`Node ${NODE_20}`);
  });

  it('names each package that declares a floor above Node 20, with its installed version, and no other', () => {
    const installed = refusing(NODE_20);
    expect(installed.length).toBeGreaterThan(0);
    const named = installed.filter((p) => quickStart.replace(/\s+/g, ' ').includes(p));
    expect(named).toEqual(installed);
    const counted = /warns `EBADENGINE` for (\w+)/.exec(quickStart)?.[1];
    expect(counted).toBe(['no', 'one', 'two', 'three', 'four'][installed.length]);
  });
});

describe('npm ci: no other warning (issue 20, "no warning the project could have silenced")', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { hasInstallScript?: boolean }>;
  };
  const withScripts = Object.entries(lock.packages)
    .filter(([, entry]) => entry.hasInstallScript === true)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));

  it('finds the packages with install scripts (esbuild has one)', () => {
    expect(withScripts).toContain('esbuild');
  });

  it('every dependency with an install script is reviewed in allowScripts (else npm 11 warns "not yet covered")', () => {
    // esbuild: denied; its postinstall only checks and links the binary its optional platform package already ships
    expect(withScripts.filter((name) => !(name in (pkg.allowScripts ?? {})))).toEqual([]);
  });
});
