/**
 * lib/local/start.ts: what a newcomer runs into is a clear error before anything starts (the integration tests
 * run the whole of local mode).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PolicyValidationError } from '../../../lib/policy/errors';
import { LocalModeError } from '../../../lib/local/errors';
import { prepareDataDir, startLocal } from '../../../lib/local/start';
import { tempDir } from '../../support/temp-dir';

const tmp = () => tempDir('lethe-start-');

test('an invalid policy is refused with every problem at file:line:column, before anything starts', async () => {
  const dir = tmp();
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, 'version: 1\ncontroller: { name: X, contact: x@example.se }\ntimezone: Europe/Stockhlm\n');
  const started = startLocal({ policyFile: file, dataDir: path.join(dir, 'data'), port: 0 });
  await expect(started).rejects.toThrow(PolicyValidationError);
  await expect(started).rejects.toThrow(
    new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:11: timezone: unknown IANA time zone`),
  );
});

test('a missing policy file is named', async () => {
  await expect(startLocal({ policyFile: '/nonexistent/policy.yaml', dataDir: tmp(), port: 0 })).rejects.toThrow(
    /\/nonexistent\/policy\.yaml/,
  );
});

test('a data directory that cannot be written is a LocalModeError naming it and what to do', () => {
  const dir = tmp();
  const file = path.join(dir, 'a-file');
  writeFileSync(file, 'x');
  expect(() => prepareDataDir(path.join(file, 'data'))).toThrow(LocalModeError);
  expect(() => prepareDataDir(path.join(file, 'data'))).toThrow(
    /the data directory .*a-file\/data cannot be written \(ENOTDIR\).*--data-dir/,
  );
});

test('a port out of range is refused before anything starts', async () => {
  await expect(startLocal({ dataDir: tmp(), port: 70000 })).rejects.toThrow('port must be a whole number from 0 to 65535, got 70000');
});
