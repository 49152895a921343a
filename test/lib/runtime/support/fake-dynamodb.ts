/**
 * An in-memory DynamoDB behind aws-sdk-client-mock: both the document client (lib-dynamodb, what Lethe's
 * stores use) and the low-level client (what Powertools Idempotency uses) read and write the same tables.
 * Supports Get/Put/Update/Delete with condition expressions, Query on tables and GSIs (sparse: an item without
 * the index keys is not in the index) with Limit/ExclusiveStartKey/Select COUNT, and a log of every call.
 * `gate` lets a test pause any call before it runs, to interleave two code paths deterministically.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { compile, type Item, validation } from './expressions';

export interface KeyDef {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export interface TableDef extends KeyDef {
  readonly indexes?: Readonly<Record<string, KeyDef>>;
}

interface Table {
  readonly def: TableDef;
  readonly items: Map<string, Item>;
}

export interface Call {
  readonly command: string;
  readonly table: string;
  readonly input: Record<string, unknown>;
}

const keyString = (def: KeyDef, key: Item): string => JSON.stringify([key[def.partitionKey], def.sortKey ? key[def.sortKey] : null]);

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export class FakeDynamo {
  private readonly tables = new Map<string, Table>();
  public readonly calls: Call[] = [];
  /** Called before each write: throw from it to simulate a failure. */
  public beforeWrite?: (call: Call) => void;
  /** Awaited before every call runs (reads included): a test pauses a code path here and runs another. */
  public gate?: (call: Call) => Promise<void>;
  public readonly docMock = mockClient(DynamoDBDocumentClient);
  public readonly rawMock = mockClient(DynamoDBClient);

  public constructor() {
    this.docMock.on(GetCommand).callsFake((input) => this.get(input));
    this.docMock.on(PutCommand).callsFake((input) => this.put(input));
    this.docMock.on(UpdateCommand).callsFake((input) => this.update(input));
    this.docMock.on(DeleteCommand).callsFake((input) => this.delete(input));
    this.docMock.on(QueryCommand).callsFake((input) => this.query(input));
    const values = (v: Record<string, unknown> | undefined) => (v ? unmarshall(v as never) : undefined);
    this.rawMock.on(GetItemCommand).callsFake(async (input) => {
      const out = await this.get({ ...input, Key: unmarshall(input.Key) });
      return { Item: out.Item ? marshall(out.Item) : undefined };
    });
    this.rawMock
      .on(PutItemCommand)
      .callsFake((input) =>
        this.put({ ...input, Item: unmarshall(input.Item), ExpressionAttributeValues: values(input.ExpressionAttributeValues) }, true),
      );
    this.rawMock
      .on(UpdateItemCommand)
      .callsFake((input) =>
        this.update({ ...input, Key: unmarshall(input.Key), ExpressionAttributeValues: values(input.ExpressionAttributeValues) }),
      );
    this.rawMock.on(DeleteItemCommand).callsFake((input) => this.delete({ ...input, Key: unmarshall(input.Key) }));
  }

  public createTable(name: string, def: TableDef): this {
    this.tables.set(name, { def, items: new Map() });
    return this;
  }

  public restore(): void {
    this.docMock.restore();
    this.rawMock.restore();
  }

  /** A copy of every item of a table. */
  public items(name: string): Item[] {
    return [...this.table(name).items.values()].map((i) => structuredClone(i));
  }

  public item(name: string, key: Item): Item | undefined {
    const table = this.table(name);
    const found = table.items.get(keyString(table.def, key));
    return found && structuredClone(found);
  }

  /** Writes an item directly (test setup). */
  public seed(name: string, item: Item): void {
    const table = this.table(name);
    table.items.set(keyString(table.def, item), structuredClone(item));
  }

  /** Removes an item directly (what TTL does), returning it. */
  public remove(name: string, key: Item): Item | undefined {
    const table = this.table(name);
    const k = keyString(table.def, key);
    const item = table.items.get(k);
    table.items.delete(k);
    return item;
  }

  public callsOf(command: string, table?: string): Call[] {
    return this.calls.filter((c) => c.command === command && (table === undefined || c.table === table));
  }

  private table(name: unknown): Table {
    const table = this.tables.get(String(name));
    if (!table) {
      const error = new Error(`Requested resource not found: table ${String(name)}`);
      error.name = 'ResourceNotFoundException';
      throw error;
    }
    return table;
  }

  private async pass(command: string, input: Record<string, unknown>): Promise<void> {
    if (this.gate) await this.gate({ command, table: String(input.TableName), input });
  }

  private record(command: string, input: Record<string, unknown>, write: boolean): Table {
    const call = { command, table: String(input.TableName), input: structuredClone(input) };
    this.calls.push(call);
    const table = this.table(input.TableName);
    if (write) this.beforeWrite?.(call);
    return table;
  }

  private checkKey(def: KeyDef, key: Item): void {
    if (key[def.partitionKey] === undefined || (def.sortKey && key[def.sortKey] === undefined)) {
      throw validation('The provided key element does not match the schema');
    }
  }

  private conditionFailed(existing: Item | undefined, returnOld: boolean): never {
    throw new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
      ...(returnOld && existing ? { Item: marshall(existing) } : {}),
    });
  }

  private async get(input: Record<string, unknown>) {
    await this.pass('Get', input);
    const table = this.record('Get', input, false);
    const key = input.Key as Item;
    this.checkKey(table.def, key);
    const item = table.items.get(keyString(table.def, key));
    const { project } = compile({
      projection: input.ProjectionExpression as string | undefined,
      names: input.ExpressionAttributeNames as Record<string, string> | undefined,
    });
    return { Item: item && (project ? project(item) : structuredClone(item)) };
  }

  private async put(input: Record<string, unknown>, raw = false) {
    await this.pass('Put', input);
    const table = this.record('Put', input, true);
    const item = structuredClone(input.Item as Item);
    this.checkKey(table.def, item);
    for (const [k, v] of Object.entries(item)) if (v === undefined) throw validation(`attribute ${k} is undefined`);
    const k = keyString(table.def, item);
    const existing = table.items.get(k);
    const { condition } = compile({
      condition: input.ConditionExpression as string | undefined,
      names: input.ExpressionAttributeNames as Record<string, string> | undefined,
      values: input.ExpressionAttributeValues as Record<string, unknown> | undefined,
    });
    if (condition && !condition(existing)) this.conditionFailed(existing, raw && input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD');
    table.items.set(k, item);
    return {};
  }

  private async update(input: Record<string, unknown>) {
    await this.pass('Update', input);
    const table = this.record('Update', input, true);
    const key = input.Key as Item;
    this.checkKey(table.def, key);
    const k = keyString(table.def, key);
    const existing = table.items.get(k);
    const { condition, update } = compile({
      condition: input.ConditionExpression as string | undefined,
      update: input.UpdateExpression as string,
      names: input.ExpressionAttributeNames as Record<string, string> | undefined,
      values: input.ExpressionAttributeValues as Record<string, unknown> | undefined,
    });
    if (condition && !condition(existing)) this.conditionFailed(existing, false);
    const item = structuredClone(existing ?? { ...key });
    update?.(item);
    table.items.set(k, item);
    return {};
  }

  private async delete(input: Record<string, unknown>) {
    await this.pass('Delete', input);
    const table = this.record('Delete', input, true);
    const key = input.Key as Item;
    const k = keyString(table.def, key);
    const existing = table.items.get(k);
    const { condition } = compile({
      condition: input.ConditionExpression as string | undefined,
      names: input.ExpressionAttributeNames as Record<string, string> | undefined,
      values: input.ExpressionAttributeValues as Record<string, unknown> | undefined,
    });
    if (condition && !condition(existing)) this.conditionFailed(existing, false);
    table.items.delete(k);
    // ReturnValues ALL_OLD: the item as it was, when there was one (as DynamoDB answers).
    return input.ReturnValues === 'ALL_OLD' && existing ? { Attributes: structuredClone(existing) } : {};
  }

  private async query(input: Record<string, unknown>) {
    await this.pass('Query', input);
    const table = this.record('Query', input, false);
    const indexName = input.IndexName as string | undefined;
    if (indexName && input.ConsistentRead) throw validation('Consistent reads are not supported on global secondary indexes');
    const keys: KeyDef = indexName
      ? (table.def.indexes?.[indexName] ??
        (() => {
          throw validation(`no index ${indexName}`);
        })())
      : table.def;
    const { key, filter, project } = compile({
      key: input.KeyConditionExpression as string,
      filter: input.FilterExpression as string | undefined,
      projection: input.ProjectionExpression as string | undefined,
      names: input.ExpressionAttributeNames as Record<string, string> | undefined,
      values: input.ExpressionAttributeValues as Record<string, unknown> | undefined,
    });
    let candidates = [...table.items.values()]
      .filter((i) => i[keys.partitionKey] !== undefined && (!keys.sortKey || i[keys.sortKey] !== undefined))
      .filter((i) => key!(i));
    // Order: by the sort key, then (for an index) by the table's key, as DynamoDB's order is stable.
    candidates.sort(
      (a, b) =>
        (keys.sortKey ? compareValues(a[keys.sortKey], b[keys.sortKey]) : 0) ||
        compareValues(keyString(table.def, a), keyString(table.def, b)),
    );
    if (input.ScanIndexForward === false) candidates.reverse();
    const start = input.ExclusiveStartKey as Item | undefined;
    if (start) {
      const at = candidates.findIndex((i) => keyString(table.def, i) === keyString(table.def, start));
      if (at === -1) throw validation('ExclusiveStartKey does not match an item in this query');
      candidates = candidates.slice(at + 1);
    }
    const limit = input.Limit as number | undefined;
    const page = limit !== undefined ? candidates.slice(0, limit) : candidates;
    const more = limit !== undefined && candidates.length > limit;
    const last = page[page.length - 1];
    const lastKey =
      more && last
        ? Object.fromEntries(
            [table.def.partitionKey, table.def.sortKey, keys.partitionKey, keys.sortKey]
              .filter((k): k is string => !!k)
              .map((k) => [k, last[k]]),
          )
        : undefined;
    const items = page.filter((i) => !filter || filter(i)).map((i) => (project ? project(i) : structuredClone(i)));
    if (input.Select === 'COUNT') return { Count: items.length, ScannedCount: page.length, LastEvaluatedKey: lastKey };
    return { Items: items, Count: items.length, ScannedCount: page.length, LastEvaluatedKey: lastKey };
  }
}
