#!/usr/bin/env node
'use strict';
// The `lethe` command. Runs the TypeScript sources directly through tsx, so there is no build step:
// `npm ci` and then `npx lethe ...` works on a fresh clone.
require('tsx/cjs');
require('../lib/cli/main.ts')
  .runAsync(process.argv.slice(2))
  .then((code) => (process.exitCode = code));
