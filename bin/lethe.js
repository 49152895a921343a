#!/usr/bin/env node
'use strict';
// The `lethe` command. Runs the TypeScript sources directly through tsx, so there is no build step:
// `npm ci` and then `npx lethe ...` works on a fresh clone.
require('tsx/cjs');
process.exitCode = require('../lib/cli/main.ts').run(process.argv.slice(2));
