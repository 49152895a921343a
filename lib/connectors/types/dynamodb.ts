/**
 * The dynamodb connector type: a table keyed by the subject (or by the locator), optionally with a sort key
 * (every item of the subject's partition) and an index to find the subject by an identifier.
 */
import { z } from 'zod';
import type { DynamoDbConnector } from '../dynamodb';
import { configName, defineConnectorType, type DemoRecord, type DemoSubject, type DemoSystemContext } from '../descriptor';

export const DynamoDbConnectorConfig = z.strictObject({
  tableName: configName('the table name'),
  /** Partition key attribute; its value is the locator's value for this attribute, or the subject id. */
  keyAttribute: configName('the partition key attribute'),
  /** Sort key attribute, when the table has one: every item of the subject under the partition is affected. */
  sortKeyAttribute: configName('the sort key attribute').optional(),
  /** A GSI to find the subject's items by an identifier (e.g. email) when no locator is given. */
  indexName: configName('the index name').optional(),
  /** The identifier attribute the index is keyed by; the request's identifiers[indexAttribute] is looked up. */
  indexAttribute: configName('the index attribute').optional(),
  /** The table's region, when it is not the stack's. */
  region: configName('a region').optional(),
  /**
   * Record action `restrict` (spec 2.4): the attribute set on each of the subject's items, a map
   * `{requestId, until?, at}`; `unrestrict` removes it. Applications stop processing an item that has it.
   * @default `lethe:restricted` (DEFAULT_RESTRICTED_ATTRIBUTE, lib/connectors/dynamodb.ts)
   */
  restrictedAttribute: configName('the restriction marker attribute').optional(),
});
export type DynamoDbConnectorConfig = z.output<typeof DynamoDbConnectorConfig>;

/** The DynamoDB actions of the dynamodb connector (lib/connectors/dynamodb.ts) on its table; its index gets dynamodb:Query only. */
export const DYNAMODB_CONNECTOR_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;

type Ctx = DemoSystemContext<DynamoDbConnectorConfig>;

/** The sort key value of a subject's item in a demo table with a sort key: its main record. */
const DEMO_SORT_KEY = 'profile';

/** The demo item's partition key: the locator's value for the key attribute, or the subject id. */
function demoKey(ctx: Ctx, subject: DemoSubject): { attribute: string; value: string } {
  const attribute = ctx.config.keyAttribute;
  return { attribute, value: ctx.locator(subject)[attribute] ?? subject.subjectId };
}

function demoItem(ctx: Ctx, subject: DemoSubject): DemoRecord {
  const { config } = ctx;
  const key = demoKey(ctx, subject);
  const item: DemoRecord = { ...ctx.standIns.record(subject), [key.attribute]: key.value };
  if (config.sortKeyAttribute) item[config.sortKeyAttribute] = DEMO_SORT_KEY;
  if (config.indexAttribute && typeof item[config.indexAttribute] !== 'string') item[config.indexAttribute] = subject.email;
  return item;
}

export const dynamodb = defineConnectorType({
  type: 'dynamodb',
  configSchema: DynamoDbConnectorConfig,
  create: (system, config, options) => {
    // Loaded here, not at the top: the policy validator reads this file and needs no SDK.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DynamoDbConnector: Class } = require('../dynamodb') as { DynamoDbConnector: typeof DynamoDbConnector };
    return new Class(system, config, options);
  },
  runtime: { kind: 'connector-function', entry: 'connectors/dynamodb.ts' },
  // Every erasure is checked by reading the store again (lib/connectors/dynamodb.ts, verifyRecord).
  verifies: () => true,
  grants: (config) => {
    const table = { service: 'dynamodb', region: config.region, resource: 'table', resourceName: config.tableName };
    return [
      { sid: 'OwnTableOnly', actions: DYNAMODB_CONNECTOR_ACTIONS, resources: [table] },
      ...(config.indexName
        ? [{ sid: 'OwnIndexOnly', actions: ['dynamodb:Query'], resources: [{ ...table, suffix: `/index/${config.indexName}` }] }]
        : []),
    ];
  },
  demo: {
    // The locator names the key unless the key is the subject id itself; with a sort key, the seeded item's too (the
    // subject's main record is that item: registration wants it where items share the partition, validate.ts).
    locator: (config, subject) => ({
      ...(config.keyAttribute && config.keyAttribute !== 'subjectId' ? { [config.keyAttribute]: subject.key } : {}),
      ...(config.sortKeyAttribute ? { [config.sortKeyAttribute]: DEMO_SORT_KEY } : {}),
    }),
    seed: async (ctx, subjects) => {
      const { config } = ctx;
      await ctx.standIns.createTable({
        table: config.tableName,
        key: config.keyAttribute,
        sortKey: config.sortKeyAttribute,
        index: config.indexName && config.indexAttribute ? { name: config.indexName, attribute: config.indexAttribute } : undefined,
      });
      for (const subject of subjects) await ctx.standIns.putItem(config.tableName, demoItem(ctx, subject));
      return `DynamoDB Local table ${config.tableName}`;
    },
    put: (ctx, subject) => ctx.standIns.putItem(ctx.config.tableName, demoItem(ctx, subject)),
    read: async (ctx, subject) => {
      const { config } = ctx;
      const key = demoKey(ctx, subject);
      const where = `DynamoDB Local table ${config.tableName}, ${key.attribute} = ${key.value}`;
      if (config.sortKeyAttribute) return { where, records: await ctx.standIns.queryItems(config.tableName, key.attribute, key.value) };
      const item = await ctx.standIns.getItem(config.tableName, { [key.attribute]: key.value });
      return { where, records: item ? [item] : [] };
    },
  },
});
