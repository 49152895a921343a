#!/usr/bin/env node
'use strict';
// The `lethe` command. `npm ci` builds it once (`prepare` runs `npm run build:cli`: lib/cli/main.ts bundled by
// esbuild into dist/cli.js), so that it starts without compiling TypeScript. The bundle is used only while it is
// current: dist/cli.inputs.json lists the source files it was built from, and if any of them is missing or newer
// than the bundle (a developer editing lib/), the command runs the sources through tsx instead, as it did before
// there was a bundle. It never runs stale code; `npm run build:cli` makes it fast again. LETHE_CLI_SOURCE=1 runs
// the sources whatever the state of dist/; `demo` always runs from the sources (see bundleFor).
// Lambda runs Node.js 22; the command also runs on 20 (README, "Quick start"), where the AWS SDK's reminder that
// its future versions need 22 is not news: it is silenced here, once, rather than printed by every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const fs = require('node:fs');
const path = require('node:path');

/**
 * `<root>/dist/cli.js` if it exists and none of the files listed in `<root>/dist/cli.inputs.json` (paths relative to
 * root) is missing or newer than it; otherwise undefined. About 250 `stat` calls: a few milliseconds.
 */
function currentBundle(root) {
  const bundle = path.join(root, 'dist', 'cli.js');
  try {
    const built = fs.statSync(bundle).mtimeMs;
    const inputs = JSON.parse(fs.readFileSync(path.join(root, 'dist', 'cli.inputs.json'), 'utf8'));
    if (!Array.isArray(inputs) || inputs.length === 0) return undefined;
    for (const input of inputs) if (fs.statSync(path.join(root, input)).mtimeMs > built) return undefined;
    return bundle;
  } catch {
    return undefined; // no bundle, no list, or a source gone: the sources decide
  }
}

/**
 * The bundle to run `args` with, or undefined to run the sources: the sources when LETHE_CLI_SOURCE is 1, when the
 * bundle is not current, and for `demo`. `demo` starts local mode, which finds its files next to its own sources
 * and so is not in the bundle; run from the bundle, its errors would be other classes than the bundle's (a bad
 * --policy reported as an internal error), and its start-up takes seconds anyway.
 */
function bundleFor(root, args, env) {
  if (env.LETHE_CLI_SOURCE === '1') return undefined;
  if (args.find((arg) => !arg.startsWith('-')) === 'demo') return undefined;
  return currentBundle(root);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const bundle = bundleFor(path.join(__dirname, '..'), args, process.env);
  if (!bundle) require('tsx/cjs');
  const cli = bundle ? require(bundle) : require('../lib/cli/main.ts');
  cli.runAsync(args).then((code) => (process.exitCode = code));
}
module.exports = { bundleFor, currentBundle };
