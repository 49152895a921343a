'use strict';
/**
 * Runs ESLint's Node API for test/eslint-config.test.ts, in a process of its own: eslint.config.mjs is an ES module,
 * which ESLint loads with import(), and Jest's module system cannot. Reads one JSON request on stdin:
 *   { root, scratch, snippets: [{ code, file }], ignored: [file], rulesOf: [file] }
 * and writes one JSON answer on stdout:
 *   { snippets: [[{ ruleId, severity, message }]], ignored: [boolean], rulesOf: [{ rule: [severity, ...options] }] }
 * Snippets are linted as files of `scratch` (its own tsconfig.json) with the project's configuration file; the other
 * questions are about the project's own files.
 */
const path = require('node:path');
const { ESLint } = require('eslint');

async function main() {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const request = JSON.parse(text);
  const config = path.join(request.root, 'eslint.config.mjs');
  const snippets = new ESLint({
    cwd: request.scratch,
    overrideConfigFile: config,
    overrideConfig: { languageOptions: { parserOptions: { tsconfigRootDir: request.scratch } } },
  });
  const project = new ESLint({ cwd: request.root });
  const answer = { snippets: [], ignored: [], rulesOf: [] };
  for (const { code, file } of request.snippets) {
    const [result] = await snippets.lintText(code, { filePath: path.join(request.scratch, file) });
    answer.snippets.push(result.messages.map(({ ruleId, severity, message }) => ({ ruleId, severity, message })));
  }
  for (const file of request.ignored) answer.ignored.push(await project.isPathIgnored(path.join(request.root, file)));
  for (const file of request.rulesOf) answer.rulesOf.push((await project.calculateConfigForFile(path.join(request.root, file))).rules);
  process.stdout.write(JSON.stringify(answer));
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exitCode = 1;
});
