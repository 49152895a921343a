/**
 * A subject's data in the local stand-ins of a policy's systems, for `lethe demo`: putting a demo subject's
 * records there (as local mode seeds its own demo subjects, lib/local/demo.ts, whose record, locator and prefix
 * rules this reuses) and reading them back, to show what an erasure or a sweep changed.
 *
 * Per connector type: dynamodb, one item in `config.tableName` (sort key "profile" when the table has one);
 * s3, one JSON object under the subject's prefix (or tagged with `tagKey`); http, the local receiver's record;
 * lambda, the demo function's table.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DEMO_KEY } from '../local/demo-function';
import { type DemoSubject, demoFunctionName, demoLocator, demoPrefix, demoRecord } from '../local/demo';
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

type Config = Record<string, string | undefined>;

const S3_DEMO_OBJECT = 'record.json';

function s3KeyOf(system: SystemSpec, subject: DemoSubject): { prefix: string; key?: string } {
  const config = system.config as Config;
  if (config.prefix) return { prefix: demoPrefix(config.prefix, subject, demoLocator(system, subject)) };
  return { prefix: 'demo/', key: `demo/${subject.key}.json` };
}

function dynamoKeyOf(system: SystemSpec, subject: DemoSubject): { attribute: string; value: string } {
  const config = system.config as Config;
  const attribute = config.keyAttribute!;
  return { attribute, value: demoLocator(system, subject)[attribute] ?? subject.subjectId };
}

/** Puts `subject`'s record into the stand-in of `system` (its table or bucket exists: local mode created it). */
export async function putSubjectData(local: LocalLethe, system: SystemSpec, subject: DemoSubject): Promise<void> {
  const config = system.config as Config;
  const record = demoRecord(system, subject);
  const { documents, s3 } = local.clients;
  switch (system.connector) {
    case 'dynamodb': {
      const key = dynamoKeyOf(system, subject);
      const item: SubjectData = { ...record, [key.attribute]: key.value };
      if (config.sortKeyAttribute) item[config.sortKeyAttribute] = 'profile';
      if (config.indexAttribute && typeof item[config.indexAttribute] !== 'string') item[config.indexAttribute] = subject.email;
      await documents.send(new PutCommand({ TableName: config.tableName, Item: item }));
      return;
    }
    case 's3': {
      const { prefix, key } = s3KeyOf(system, subject);
      await s3.send(
        new PutObjectCommand({
          Bucket: config.bucket,
          Key: key ?? `${prefix}${S3_DEMO_OBJECT}`,
          Body: JSON.stringify(record),
          ContentType: 'application/json',
          ...(key ? { Tagging: `${encodeURIComponent(config.tagKey!)}=${encodeURIComponent(subject.subjectId)}` } : {}),
        }),
      );
      return;
    }
    case 'http':
      local.receiver.put(system.id, subject.subjectId, record);
      return;
    case 'lambda':
      await documents.send(new PutCommand({ TableName: demoFunctionName(system), Item: { ...record, [DEMO_KEY]: subject.subjectId } }));
      return;
  }
}

/** Reads back what `system` holds of `subject`. */
export async function readSubjectData(local: LocalLethe, system: SystemSpec, subject: DemoSubject): Promise<SystemData> {
  const config = system.config as Config;
  const { documents, s3 } = local.clients;
  const base = { system: system.id, connector: system.connector };
  switch (system.connector) {
    case 'dynamodb': {
      const key = dynamoKeyOf(system, subject);
      const where = `DynamoDB Local table ${config.tableName}, ${key.attribute} = ${key.value}`;
      if (config.sortKeyAttribute) {
        const { Items } = await documents.send(
          new QueryCommand({
            TableName: config.tableName,
            KeyConditionExpression: '#k = :v',
            ExpressionAttributeNames: { '#k': key.attribute },
            ExpressionAttributeValues: { ':v': key.value },
            ConsistentRead: true,
          }),
        );
        return { ...base, where, records: Items ?? [] };
      }
      const { Item } = await documents.send(
        new GetCommand({ TableName: config.tableName, Key: { [key.attribute]: key.value }, ConsistentRead: true }),
      );
      return { ...base, where, records: Item ? [Item] : [] };
    }
    case 's3': {
      const { prefix, key } = s3KeyOf(system, subject);
      const where = `s3rver bucket ${config.bucket}, ${key ?? prefix}`;
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: key ?? prefix }));
      const records: SubjectData[] = [];
      for (const object of listed.Contents ?? []) {
        const { Body } = await s3.send(new GetObjectCommand({ Bucket: config.bucket, Key: object.Key }));
        const value = JSON.parse((await Body?.transformToString('utf8')) ?? 'null') as unknown;
        for (const r of Array.isArray(value) ? value : [value]) records.push(r as SubjectData);
      }
      return { ...base, where, records };
    }
    case 'http': {
      const record = local.receiver.records(system.id)[subject.subjectId];
      return { ...base, where: `the local receiver (the SaaS behind ${system.id})`, records: record ? [record] : [] };
    }
    case 'lambda': {
      const table = demoFunctionName(system);
      const { Item } = await documents.send(
        new GetCommand({ TableName: table, Key: { [DEMO_KEY]: subject.subjectId }, ConsistentRead: true }),
      );
      return { ...base, where: `the demo function's table ${table}`, records: Item ? [Item] : [] };
    }
  }
}
