/**
 * lib/local/function-log.ts: local mode's functions.log holds one run; the run before it is kept as functions.log.1,
 * and nothing older.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FUNCTION_LOG_FILE, openFunctionLog } from '../../../lib/local/function-log';
import { tempDir } from '../../support/temp-dir';

/** One local-mode run: opens the log, writes its lines, closes it. */
async function run(dataDir: string, lines: readonly string[]): Promise<void> {
  const stream = openFunctionLog(dataDir);
  for (const line of lines) stream.write(`${line}\n`);
  await new Promise<void>((resolve) => stream.end(() => resolve()));
}

test('GIVEN a fresh data directory WHEN local mode runs THEN logs/functions.log holds its lines and nothing else is there', async () => {
  const dir = tempDir('lethe-fnlog-');
  await run(dir, ['first run']);
  expect(readFileSync(path.join(dir, 'logs', FUNCTION_LOG_FILE), 'utf8')).toBe('first run\n');
  expect(readdirSync(path.join(dir, 'logs'))).toEqual([FUNCTION_LOG_FILE]);
});

test('GIVEN three runs WHEN the third starts THEN functions.log holds the third, functions.log.1 the second, the first is gone', async () => {
  const dir = tempDir('lethe-fnlog-');
  await run(dir, ['run 1']);
  await run(dir, ['run 2', 'run 2 again']);
  await run(dir, ['run 3']);
  const logs = path.join(dir, 'logs');
  expect(readFileSync(path.join(logs, FUNCTION_LOG_FILE), 'utf8')).toBe('run 3\n');
  expect(readFileSync(path.join(logs, `${FUNCTION_LOG_FILE}.1`), 'utf8')).toBe('run 2\nrun 2 again\n');
  expect(readdirSync(logs).sort()).toEqual([FUNCTION_LOG_FILE, `${FUNCTION_LOG_FILE}.1`]);
  expect(existsSync(path.join(logs, `${FUNCTION_LOG_FILE}.2`))).toBe(false);
});
