/**
 * Item records (spec 2.2) on fakes: a version 2 policy with a customer record in `crm` (table `customers`, keyed by
 * customerId) and orders kept per item in `orders` (table `orders`, keyed by orderId), both served by the real
 * DynamoDB connector on the in-memory DynamoDB, so a test sees what an erasure does to the bytes of every item.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbConnector } from '../../../../lib/connectors/dynamodb';
import { basePolicyDoc, policyFromDoc } from '../../../helpers/policy';
import { createWorld, type TestWorld } from './runtime';

export const itemsPolicy = policyFromDoc(
  basePolicyDoc({
    version: 2,
    events: {
      'account-closed': { description: 'the customer relationship ends' },
      'order-completed': { description: 'the order is delivered and paid' },
    },
    categories: {
      identity: { description: 'Name' },
      contact: { description: 'E-mail' },
      order: { description: 'Order lines and amounts' },
    },
    systems: {
      crm: {
        connector: 'dynamodb',
        location: 'eu-north-1',
        config: { tableName: 'customers', keyAttribute: 'customerId' },
        fields: { name: { category: 'identity' }, email: { category: 'contact' } },
      },
      orders: {
        connector: 'dynamodb',
        location: 'eu-north-1',
        config: { tableName: 'orders', keyAttribute: 'orderId' },
        fields: { lines: { category: 'order' }, buyer: { category: 'identity' } },
      },
    },
    purposes: {
      customer: {
        legalBasis: 'contract',
        categories: ['identity', 'contact'],
        systems: ['crm'],
        retention: { until: 'account-closed', keep: 'P1Y' },
      },
      order: {
        legalBasis: 'contract',
        per: 'item',
        categories: ['identity', 'order'],
        systems: ['orders'],
        retention: { until: 'order-completed', keep: 'P3Y' },
      },
    },
  }),
);

/** The application's own data: user1 (C-1, orders O-1 and O-10) and user10 (C-10, order O-2). */
export const DATA = {
  customers: [
    { customerId: 'C-1', name: 'Anna', email: 'anna@example.se' },
    { customerId: 'C-10', name: 'Bo', email: 'bo@example.se' },
  ],
  orders: [
    { orderId: 'O-1', buyer: 'Anna', lines: '2 x tea' },
    { orderId: 'O-10', buyer: 'Anna', lines: '1 x cup' },
    { orderId: 'O-2', buyer: 'Bo', lines: '3 x jam' },
  ],
} as const;

export const COLLECTED = '2025-01-10T12:00:00+01:00';

/** A world on `itemsPolicy` whose crm and orders tables hold DATA, served by the DynamoDB connector. */
export function itemsWorld(now = '2025-03-01T10:00:00Z'): TestWorld {
  const world = createWorld({ policy: itemsPolicy, now });
  world.ddb.createTable('customers', { partitionKey: 'customerId' });
  world.ddb.createTable('orders', { partitionKey: 'orderId' });
  for (const item of DATA.customers) world.ddb.seed('customers', { ...item });
  for (const item of DATA.orders) world.ddb.seed('orders', { ...item });
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' }));
  for (const system of ['crm', 'orders'] as const) {
    const { config } = itemsPolicy.systems[system] as unknown as { config: { tableName: string; keyAttribute: string } };
    const connector = new DynamoDbConnector(system, config, { client });
    world.connectors.on(system, (invocation) => connector.run(invocation));
  }
  return world;
}

/** The application's data as it is now: every item of both tables, as JSON (byte-for-byte comparison). */
export function appData(world: TestWorld): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of world.ddb.items('customers')) out[String(item.customerId)] = JSON.stringify(item);
  for (const item of world.ddb.items('orders')) out[String(item.orderId)] = JSON.stringify(item);
  return out;
}
