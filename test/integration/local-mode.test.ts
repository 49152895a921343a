/**
 * Integration tests against local mode (issue 5): ONE local Lethe for the whole run (DynamoDB Local, s3rver, the
 * state machines, every function in its worker, the webhook receiver; all on 127.0.0.1), started here once and
 * shared by the scenarios, which run in the order below. The scan for personal data in logs and audit records
 * runs last, over everything the others did.
 *
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import { defineApiInputScenarios } from './scenarios/api-inputs';
import { defineAuditScenarios } from './scenarios/audit';
import { defineDemoScenarios } from './scenarios/demo';
import { defineErasureScenarios } from './scenarios/erasure';
import { defineExpiryScenarios } from './scenarios/expiry';
import { defineFailureScenarios } from './scenarios/failures';
import { type Harness, startHarness } from './support/harness';

jest.setTimeout(120_000);

let harness: Harness | undefined;
const current = (): Harness => {
  if (!harness) throw new Error('local mode did not start (see the error of beforeAll)');
  return harness;
};

beforeAll(async () => {
  harness = await startHarness();
}, 180_000);

afterAll(async () => {
  await harness?.stop();
}, 60_000);

defineErasureScenarios(current);
defineFailureScenarios(current);
defineExpiryScenarios(current);
defineApiInputScenarios(current);
defineDemoScenarios(current);
defineAuditScenarios(current);
