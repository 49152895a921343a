/**
 * How `lethe console` finds a running local mode from its data directory (default `.lethe`): local mode writes
 * `<dataDir>/token` (its API token, each start; lib/local/data-dir-service.ts) and, once it is up,
 * `<dataDir>/endpoints.json` (its API URL, S3 endpoint, audit bucket and policy file; DynamoDB endpoint and audit-chain
 * table), removed again when it stops.
 * Written here and read here, so that the two sides agree; local mode calls {@link writeLocalEndpoints}.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ConsoleError } from './errors';

export const ENDPOINTS_FILE_NAME = 'endpoints.json';
export const TOKEN_FILE_NAME = 'token';

const LocalEndpointsShape = z.object({
  apiUrl: z.url(),
  s3Endpoint: z.url(),
  auditBucket: z.string().min(1),
  policyFile: z.string().min(1),
  /** DynamoDB Local's endpoint and the audit-chain table, for the proof page's head check (absent from an older local mode's file). */
  dynamodbEndpoint: z.url().optional(),
  auditChainTable: z.string().min(1).optional(),
});

/** What a running local mode says about itself. */
export type LocalEndpoints = z.infer<typeof LocalEndpointsShape>;

export const endpointsFile = (dataDir: string): string => path.join(dataDir, ENDPOINTS_FILE_NAME);
export const tokenFile = (dataDir: string): string => path.join(dataDir, TOKEN_FILE_NAME);

/** Written by local mode once it is up (owner-readable only, as the token is). */
export function writeLocalEndpoints(dataDir: string, endpoints: LocalEndpoints): void {
  writeFileSync(endpointsFile(dataDir), `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
}

/** Removed by local mode when it stops. */
export function removeLocalEndpoints(dataDir: string): void {
  rmSync(endpointsFile(dataDir), { force: true });
}

/** What local mode in `dataDir` wrote; a ConsoleError saying how to start it when it is not running there. */
export function readLocalEndpoints(dataDir: string): LocalEndpoints {
  const file = endpointsFile(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConsoleError(
      `no local mode is running with the data directory ${dataDir} (${file} is missing): start it with npm start, give its --data-dir, or give --api-url for a deployed API`,
      { cause: error },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConsoleError(`${file} is not JSON: restart local mode (npm start), which writes it again`, { cause: error });
  }
  const parsed = LocalEndpointsShape.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConsoleError(
      `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}; restart local mode (npm start), which writes it again`,
    );
  }
  return parsed.data;
}

/** The token local mode in `dataDir` wrote at its start (read on every call: a restart writes a new one). */
export function readLocalToken(dataDir: string): string {
  const file = tokenFile(dataDir);
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return token;
  } catch {
    // said below
  }
  throw new ConsoleError(`no API token in ${file}: is local mode running with this data directory? (npm start writes it)`);
}
