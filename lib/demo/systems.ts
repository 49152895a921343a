/**
 * A subject's data in the local stand-ins of a policy's systems, for `lethe demo`: putting a demo subject's
 * records there (as local mode seeds its own demo subjects, lib/local/demo.ts, whose record, locator and prefix
 * rules this reuses) and reading them back, to show what an erasure or a sweep changed.
 *
 * Per connector type, as its descriptor's `demo` does it (lib/connectors/types/*.ts): dynamodb, one item in
 * `config.tableName` (sort key "profile" when the table has one); s3, one JSON object under the subject's prefix
 * (or tagged with `tagKey`); http, the local receiver's record; lambda, the demo function's table.
 */
import { connectorRegistry, type ConnectorRegistry } from '../connectors/registry';
import { type DemoSubject, demoSystemContext } from '../local/demo';
import type { LocalLethe } from '../local';
import type { SystemSpec } from '../policy/model';

export type SubjectData = Record<string, unknown>;

/** What a system holds of a subject: its records (items, objects, webhook records), each a field → value map. */
export interface SystemData {
  readonly system: string;
  readonly connector: SystemSpec['connector'];
  /** Where the data is, in words: "DynamoDB Local table x, customerId = C-7". */
  readonly where: string;
  readonly records: readonly SubjectData[];
}

function contextOf(local: LocalLethe, system: SystemSpec, connectors: ConnectorRegistry) {
  const { dynamodb: ddb, documents, s3 } = local.clients;
  return demoSystemContext({ ddb, documents, s3, receiver: local.receiver }, system, connectors);
}

/** Puts `subject`'s record into the stand-in of `system` (its table or bucket exists: local mode created it). */
export async function putSubjectData(
  local: LocalLethe,
  system: SystemSpec,
  subject: DemoSubject,
  connectors: ConnectorRegistry = connectorRegistry,
): Promise<void> {
  await connectors.get(system.connector).demo.put(contextOf(local, system, connectors), subject);
}

/** Reads back what `system` holds of `subject`. */
export async function readSubjectData(
  local: LocalLethe,
  system: SystemSpec,
  subject: DemoSubject,
  connectors: ConnectorRegistry = connectorRegistry,
): Promise<SystemData> {
  const { where, records } = await connectors.get(system.connector).demo.read(contextOf(local, system, connectors), subject);
  return { system: system.id, connector: system.connector, where, records };
}
