/**
 * Local mode's function log, `<data dir>/logs/functions.log`: every function's lines of one run. It used to be
 * appended to across runs and grew for ever; each start now moves the previous run's log to functions.log.1
 * (replacing the one before) and starts an empty one.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, type WriteStream } from 'node:fs';
import * as path from 'node:path';

export const FUNCTION_LOG_FILE = 'functions.log';

/** Keeps the previous run's log as functions.log.1 and opens an empty functions.log for this run. */
export function openFunctionLog(dataDir: string): WriteStream {
  const dir = path.join(dataDir, 'logs');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, FUNCTION_LOG_FILE);
  if (existsSync(file)) renameSync(file, `${file}.1`);
  return createWriteStream(file, { flags: 'w' });
}
