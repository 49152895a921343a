#!/usr/bin/env node
'use strict';
// The `lethe` command. Runs the TypeScript sources directly through tsx, so there is no build step:
// `npm ci` and then `npx lethe ...` works on a fresh clone.
// Lambda runs Node.js 22; the command also runs on 20 (README, "Quick start"), where the AWS SDK's reminder that
// its future versions need 22 is not news: it is silenced here, once, rather than printed by every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('../lib/cli/main.ts')
  .runAsync(process.argv.slice(2))
  .then((code) => (process.exitCode = code));
