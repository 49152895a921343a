/**
 * A subject's data in the local stand-ins of a policy's systems, for `lethe demo`: putting a demo subject's
 * records there (as local mode seeds its own demo subjects, lib/local/demo.ts, whose record, locator and prefix
 * rules this reuses) and reading them back, to show what an erasure or a sweep changed.
 *
 * Per connector type, as its descriptor's `demo` does it (lib/connectors/types/*.ts): dynamodb, one item in
 * `config.tableName` (sort key "profile" when the table has one); s3, one JSON object under the subject's prefix
 * (or tagged with `tagKey`); http, the local receiver's record; lambda, the demo function's table.
 */
import { GetObjectTaggingCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DEFAULT_RESTRICTED_ATTRIBUTE } from '../connectors/dynamodb';
import { connectorRegistry, type ConnectorRegistry } from '../connectors/registry';
import { DEFAULT_RESTRICTED_TAG } from '../connectors/s3';
import { placeholders } from '../connectors/descriptor';
import { demoPrefix } from '../connectors/types/s3';
import { type DemoSubject, demoLocator, demoSystemContext } from '../local/demo';
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

/**
 * Whether the demo can keep one item of a `per: item` purpose apart from the subject's other data in `system`,
 * as the runtime requires of an item holding's locator (spec 2.2, lib/runtime/validate.ts checkItemLocatable):
 * - s3: a prefix with a placeholder other than {subjectId} (the item's own prefix, e.g. `{requestId}`), no tag;
 * - dynamodb: a table keyed by the item (key attribute other than subjectId, no sort key).
 * Webhooks and Lambda functions receive the item's ref and act on it themselves; their local stand-ins (the
 * receiver, the demo function) keep one record per subject, so the demo cannot show an item there.
 */
export function itemLocatable(system: SystemSpec): boolean {
  const config = system.config as { prefix?: unknown; tagKey?: unknown; keyAttribute?: unknown; sortKeyAttribute?: unknown };
  if (system.connector === 's3')
    return typeof config.prefix === 'string' && config.tagKey === undefined && placeholders(config.prefix).some((p) => p !== 'subjectId');
  if (system.connector === 'dynamodb')
    return typeof config.keyAttribute === 'string' && config.keyAttribute !== 'subjectId' && config.sortKeyAttribute === undefined;
  return false;
}

/**
 * One item of `subject` as the demo's stand-ins see it: the same person with the item's ref as the record key, so
 * that its record is the item's (a DynamoDB item keyed by the ref, an S3 prefix with the ref in its placeholders).
 */
export function itemSubject(subject: DemoSubject, ref: string): DemoSubject {
  return { ...subject, key: ref };
}

/** The locator an item holding of `subject` with `ref` is registered with (every item placeholder or key is the ref). */
export function itemLocator(system: SystemSpec, subject: DemoSubject, ref: string): Record<string, string> {
  return demoLocator(system, itemSubject(subject, ref));
}

/** A restriction mark as a system shows it: where, and its value (a request id, an until-date, when it was set). */
export interface RestrictionMark {
  readonly where: string;
  readonly value: unknown;
}

/**
 * The restriction marks (spec 2.4) on what `system` holds of `subject`: the record attribute `lethe:restricted`
 * (or the DynamoDB config's `restrictedAttribute`) of DynamoDB items and the receiver's and demo function's
 * records; the tag `lethe-restricted` (or `restrictedTag`) of each S3 object.
 */
export async function readRestrictionMarks(local: LocalLethe, system: SystemSpec, subject: DemoSubject): Promise<RestrictionMark[]> {
  const config = system.config as { bucket?: string; prefix?: string; restrictedTag?: string; restrictedAttribute?: string };
  if (system.connector === 's3') {
    if (!config.bucket || !config.prefix) return [];
    const prefix = demoPrefix(config.prefix, subject, demoLocator(system, subject));
    const tag = config.restrictedTag ?? DEFAULT_RESTRICTED_TAG;
    const s3 = local.clients.s3;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: prefix }));
    const marks: RestrictionMark[] = [];
    for (const object of listed.Contents ?? []) {
      const { TagSet } = await s3.send(new GetObjectTaggingCommand({ Bucket: config.bucket, Key: object.Key }));
      const found = TagSet?.find((t) => t.Key === tag);
      if (found) marks.push({ where: `tag ${tag} of ${object.Key}`, value: found.Value });
    }
    return marks;
  }
  const attribute = restrictedAttributeOf(system);
  const { records } = await readSubjectData(local, system, subject);
  return records.filter((r) => r[attribute] !== undefined).map((r) => ({ where: `attribute ${attribute}`, value: r[attribute] }));
}

/** The record attribute a restriction sets in `system` (DynamoDB's is configurable; the stand-ins use the default). */
export function restrictedAttributeOf(system: SystemSpec): string {
  const configured = (system.config as { restrictedAttribute?: unknown }).restrictedAttribute;
  return system.connector === 'dynamodb' && typeof configured === 'string' ? configured : DEFAULT_RESTRICTED_ATTRIBUTE;
}

/** A system's records without their restriction mark (to check that restricting changed nothing else). */
export function withoutMarks(data: SystemData, system: SystemSpec): SystemData {
  const attribute = restrictedAttributeOf(system);
  return { ...data, records: data.records.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== attribute))) };
}
