/**
 * lib/local/start.ts as a composition of services (local-mode.ts), with the real services: a start that fails part
 * way stops what it had started (the data directory's lock is released, so the next start gets in), and with
 * `persist` the receiver's records are saved at stop and put back at the next start.
 *
 * Needs Java 17+ (DynamoDB Local) for the second test, as local mode does.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { type LocalLethe, type LocalOptions, startLocal } from '../../lib/local';
import { LocalModeError } from '../../lib/local/errors';
import { LOCK_FILE_NAME } from '../../lib/local/data-dir-lock';
import { tempDir } from '../support/temp-dir';

jest.setTimeout(240_000);

/** Quiet, no timers, no seeding: only what the test asks for runs. */
const QUIET: LocalOptions = {
  port: 0,
  seedDemo: false,
  banner: false,
  sweepEveryMs: false,
  streamPollMs: false,
  deadlineMonitorEveryMs: false,
};

let running: LocalLethe | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

test('a port in use: startLocal rejects with the API service error, cause kept, and releases the data directory', async () => {
  // GIVEN a port taken by something else
  const taken = http.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
  const port = (taken.address() as AddressInfo).port;
  const dataDir = tempDir('lethe-services-');
  try {
    // WHEN local mode starts on it
    const error = await startLocal({ ...QUIET, port, dataDir }).catch((e: unknown) => e);

    // THEN the API service's own error, naming the port, with the listen error as its cause
    expect(error).toBeInstanceOf(LocalModeError);
    expect((error as Error).message).toMatch(new RegExp(`^port ${port} on 127\\.0\\.0\\.1 is already in use`));
    expect((error as Error).cause).toMatchObject({ code: 'EADDRINUSE' });
    // AND the services started before it were stopped: the lock is gone, the function log closed
    expect(existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(false);
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
});

test('persist: the receiver records are saved at stop and put back at the next start', async () => {
  // GIVEN a persisted local mode whose receiver holds a record for an http system
  const dataDir = tempDir('lethe-services-');
  running = await startLocal({ ...QUIET, dataDir, persist: true });
  running.receiver.put('accounting', 'services-subject-1', { invoice: 'INV-1', amount: 12 });
  const before = running.receiver.records('accounting');

  // WHEN it stops and starts again on the same data directory
  await running.stop();
  running = undefined;
  const saved = JSON.parse(readFileSync(path.join(dataDir, 'receiver.json'), 'utf8')) as Record<string, unknown>;
  running = await startLocal({ ...QUIET, dataDir, persist: true });

  // THEN the file held the receiver's records at stop, and the receiver has them again
  expect(saved).toMatchObject({ accounting: { 'services-subject-1': { invoice: 'INV-1', amount: 12 } } });
  expect(running.receiver.records('accounting')).toEqual(before);
});
