/**
 * The DynamoDB connector. Finds the subject's items and deletes them, or removes and anonymises fields in
 * them.
 *
 * Finding the items (config: `DynamoDbConnectorConfig`):
 * 1. by key: the partition key value is `locator[keyAttribute]`, or the subject id when the locator does not
 *    name it. Without a sort key that is one item (GetItem / DeleteItem); with `sortKeyAttribute`, the one item
 *    `locator[sortKeyAttribute]` names when the locator names it, else every item of the partition (Query, strongly
 *    consistent, all pages).
 *    An item record (spec 2.2, `ref`) must name its full key in the locator (partition key, and sort key if any):
 *    order O-1 is that item only, never O-10 or the subject's main record. A locator that does not is refused.
 * 2. through an index: when the locator does not name the key and `indexName`/`indexAttribute` are set, the
 *    items whose `indexAttribute` equals `identifiers[indexAttribute]` (or `locator[indexAttribute]`) are
 *    found with a Query of that index, all pages.
 * Every lookup is an equality on the whole value: `user1` never matches `user10`.
 *
 * Changing the items: DeleteItem (conditional on the item existing: that is how it is counted), or GetItem of the
 * fields to change and UpdateItem with `REMOVE` for removed fields and `SET` for anonymised ones. No other attribute
 * of an item is ever read.
 * Field names and values are untrusted: they go into `ExpressionAttributeNames`/`ExpressionAttributeValues`
 * only, never into an expression's text, and a field name is a top-level attribute name taken literally
 * (`a.b` is the attribute named "a.b", not a path). Every update is conditional on the item still existing,
 * so a record deleted in the meantime is never re-created.
 *
 * Restriction (spec 2.4): `restrict` sets one attribute on each of the subject's items (config
 * `restrictedAttribute`, default `lethe:restricted`) to `{requestId, until?, at}` with one conditional UpdateItem
 * (`SET` of that attribute only: every other attribute stays as it was, byte for byte); `unrestrict` removes it,
 * only where it is the same request's (a later restriction's mark stays). Neither reads the item.
 *
 * Export (spec 2.4, Art. 15): the subject's items found as above, each read with one strongly consistent GetItem that
 * projects the key attributes and the listed fields only (no other attribute is read); one record per item that
 * exists, `source` naming the table and the item's key, `fields` the listed fields it has. Sets come out as lists,
 * binary values as base64. Items past EXPORT_LIMITS.maxBytes are left out and `truncated` is set.
 *
 * Verification (issue 19, `verifyRecord`): after `delete`, `anonymise` or `keep` with fields, the subject's items are
 * looked up again the same way (by key, or through the locator's index: the index is eventually consistent, so each
 * item it lists is read again from the table with a strongly consistent GetItem, and an item the index still lists
 * after its deletion is not counted), each read with a strongly consistent GetItem that projects the key attributes and
 * the fields of the action only. `delete`: any item still there is counted; a field action: `fieldsRemaining`. The
 * lookup is the action's, never wider: `user1` never counts `user10`'s item, and an item the index does not list yet
 * (written within the index's propagation delay) is not seen.
 *
 * Idempotent: a second run finds nothing to delete, no field left to remove, and anonymised values that the
 * strategies leave as they are (`random` excepted: it draws new text each time).
 */
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { isConditionFailure } from '../core/dynamodb-errors';
import { EXPORT_LIMITS, type ConnectorExport, type ConnectorExportRecord, type ConnectorRestriction } from '../core/contract';
import type { DynamoDbConnectorConfig } from './config';
import { createDynamoDbDocumentClient } from './clients';
import {
  CONNECTOR_SUBJECTS_AT_ONCE,
  fieldsRemaining,
  SubjectConnector,
  type ConnectorContext,
  type ConnectorOptions,
  type Counts,
  type FieldChanges,
  type InvocationField,
  type InvocationSubject,
} from './connector';
import { ConnectorPermanentError, toConnectorError } from './errors';

export interface DynamoDbConnectorOptions extends ConnectorOptions {
  /** @default a document client for `config.region` (or the function's region) */
  readonly client?: DynamoDBDocumentClient;
}

type Key = Record<string, unknown>;
type Lookup = { readonly by: 'key'; readonly value: string } | { readonly by: 'index'; readonly value: string };

/** The attribute `restrict` sets on a restricted item, unless the config's `restrictedAttribute` names another. */
export const DEFAULT_RESTRICTED_ATTRIBUTE = 'lethe:restricted';

export class DynamoDbConnector extends SubjectConnector<DynamoDbConnectorConfig> {
  /** Subjects of a sweep page at once (issue 16): every call is by the subject's own key, so they cannot meet. */
  protected override readonly subjectsAtOnce = CONNECTOR_SUBJECTS_AT_ONCE;

  public readonly type = 'dynamodb';
  private readonly client: DynamoDBDocumentClient;

  public constructor(system: string, config: DynamoDbConnectorConfig, options: DynamoDbConnectorOptions = {}) {
    super(system, config, options);
    if ((config.indexName === undefined) !== (config.indexAttribute === undefined)) {
      throw new ConnectorPermanentError(`system "${system}": DynamoDB config needs both indexName and indexAttribute, or neither`);
    }
    this.client = options.client ?? createDynamoDbDocumentClient({ region: config.region });
  }

  protected override validateSubject(subject: InvocationSubject, index: number): void {
    const keys = [this.config.keyAttribute, this.config.sortKeyAttribute].filter((k): k is string => k !== undefined);
    for (const field of [...subject.removeFields, ...subject.anonymiseFields]) {
      if (keys.includes(field.name)) {
        throw new ConnectorPermanentError(
          `subjects[${index}]: field "${field.name}" is a key attribute of table "${this.config.tableName}"; a key cannot be removed or anonymised, only the whole record deleted`,
        );
      }
    }
    if (this.lookup(subject).value === '') {
      throw new ConnectorPermanentError(`subjects[${index}]: the value to look the subject up by is empty`);
    }
    const { sortKeyAttribute } = this.config;
    if (sortKeyAttribute !== undefined && subject.locator[sortKeyAttribute] === '') {
      throw new ConnectorPermanentError(`subjects[${index}]: locator.${sortKeyAttribute}, the item's sort key value, is empty`);
    }
    // An item record (spec 2.2) is located by its full key, never by the subject: else the subject id (the main record)
    // or the partition (every item of the subject) would be acted on. Registration refuses such a holding already.
    if (subject.ref !== undefined) {
      const missing = keys.find((name) => subject.locator[name] === undefined);
      if (missing !== undefined) {
        throw new ConnectorPermanentError(
          `subjects[${index}]: an item record (ref) in table "${this.config.tableName}" needs locator.${missing}, its key there; ` +
            `without it Lethe would act on ${missing === sortKeyAttribute ? 'every item of the partition' : "the subject's main record"}`,
        );
      }
    }
  }

  protected override deleteRecord(subject: InvocationSubject): Promise<Counts> {
    // Whether the item was there is the condition's answer, not its old attributes: those are never read, so a number
    // the document client cannot convert (e.g. 123456789012345678901234.5) cannot fail the call after the item is
    // already deleted.
    return this.conditionalWritePerKey(subject, 'DeleteItem', (key) =>
      this.client.send(
        new DeleteCommand({
          TableName: this.config.tableName,
          Key: key,
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': this.config.keyAttribute },
        }),
      ),
    );
  }

  protected override restrictRecord(subject: InvocationSubject, restriction: ConnectorRestriction): Promise<Counts> {
    const mark = {
      requestId: restriction.requestId,
      ...(restriction.until === undefined ? {} : { until: restriction.until }),
      at: new Date().toISOString(),
    };
    return this.conditionalWritePerKey(
      subject,
      'UpdateItem',
      (key) =>
        this.client.send(
          new UpdateCommand({
            TableName: this.config.tableName,
            Key: key,
            UpdateExpression: 'SET #mark = :mark',
            // Never re-creates a deleted item; a mark already there for the same request is left as it is.
            ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#mark) OR #mark.#rid <> :rid)',
            ExpressionAttributeNames: { '#pk': this.config.keyAttribute, '#mark': this.restrictedAttribute, '#rid': 'requestId' },
            ExpressionAttributeValues: { ':mark': mark, ':rid': restriction.requestId },
          }),
        ),
      // Gone, or marked by this request already (a re-run): counted only if it is there and marked.
      (key) => this.markedBy(key, restriction.requestId),
    );
  }

  protected override unrestrictRecord(subject: InvocationSubject, restriction: ConnectorRestriction): Promise<Counts> {
    // A failed condition: gone, not marked, or marked by another restriction: nothing of this one to remove.
    return this.conditionalWritePerKey(subject, 'UpdateItem', (key) =>
      this.client.send(
        new UpdateCommand({
          TableName: this.config.tableName,
          Key: key,
          UpdateExpression: 'REMOVE #mark',
          ConditionExpression: 'attribute_exists(#pk) AND #mark.#rid = :rid',
          ExpressionAttributeNames: { '#pk': this.config.keyAttribute, '#mark': this.restrictedAttribute, '#rid': 'requestId' },
          ExpressionAttributeValues: { ':rid': restriction.requestId },
        }),
      ),
    );
  }

  /**
   * One conditional write per key of the subject's items, in turn; counts the items written. A failed condition is
   * not an error: the item is gone, or already as the write would leave it; `countsAnyway` says whether such an item
   * counts all the same (by default it does not). Any other error ends the loop (as a connector error).
   */
  private async conditionalWritePerKey(
    subject: InvocationSubject,
    operation: 'DeleteItem' | 'UpdateItem',
    write: (key: Key) => Promise<unknown>,
    countsAnyway: (key: Key) => Promise<boolean> = async () => false,
  ): Promise<Counts> {
    let records = 0;
    for (const key of await this.keysOf(subject)) {
      try {
        await this.send(operation, () => write(key));
        records++;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        if (await countsAnyway(key)) records++;
      }
    }
    return { records };
  }

  protected override async exportRecord(subject: InvocationSubject, fields: readonly InvocationField[]): Promise<ConnectorExport> {
    const { tableName, keyAttribute, sortKeyAttribute } = this.config;
    const keyNames = [keyAttribute, ...(sortKeyAttribute ? [sortKeyAttribute] : [])];
    const listed = [...new Set(fields.map((f) => f.name))];
    // The key attributes are read too, so that an item with none of the listed fields is still found (and named).
    const projected = [...new Set([...keyNames, ...listed])];
    const records: ConnectorExportRecord[] = [];
    let bytes = 0;
    for (const key of await this.keysOf(subject)) {
      const { Item: item } = await this.readItem(key, projected);
      if (!item) continue;
      const record: ConnectorExportRecord = {
        source: `table ${tableName}, ${keyNames.map((name) => `${name} ${String(plainValue(item[name]))}`).join(', ')}`,
        fields: Object.fromEntries(listed.filter((name) => Object.hasOwn(item, name)).map((name) => [name, plainValue(item[name])])),
      };
      bytes += Buffer.byteLength(JSON.stringify(record), 'utf8');
      // Room is left for the export's own keys; what does not fit is left out, and said to be.
      if (bytes > EXPORT_LIMITS.maxBytes - 1024) return { records, truncated: true };
      records.push(record);
    }
    return { records };
  }

  protected override async verifyRecord(
    subject: InvocationSubject,
    changes: FieldChanges,
    context: ConnectorContext,
  ): Promise<Counts | undefined> {
    const { keyAttribute, sortKeyAttribute } = this.config;
    const deleting = subject.record === 'delete';
    const fields = deleting ? [] : [...new Set([...changes.remove, ...changes.anonymise].map((f) => f.name))];
    const projected = [...new Set([keyAttribute, ...(sortKeyAttribute ? [sortKeyAttribute] : []), ...fields])];
    let records = 0;
    let changed = 0;
    let unknown = false;
    for (const key of await this.keysOf(subject)) {
      const { Item: item } = await this.readItem(key, projected);
      if (!item) continue;
      if (deleting) {
        records++;
        continue;
      }
      const left = await fieldsRemaining(item, changes, context);
      unknown ||= left.unknown;
      if (left.fields > 0) {
        records++;
        changed += left.fields;
      }
    }
    if (records === 0 && unknown) return undefined;
    return { records, fields: changed };
  }

  /**
   * One item by its key, strongly consistent, with only the attributes `names` (never another attribute: what is not
   * needed is not unmarshalled); `Item` undefined when it is gone. The export, the field actions and the verification
   * read items this way.
   */
  private readItem(key: Key, names: readonly string[]): Promise<{ readonly Item?: Record<string, unknown> }> {
    return this.send('GetItem', () =>
      this.client.send(
        new GetCommand({
          TableName: this.config.tableName,
          Key: key,
          ConsistentRead: true,
          ProjectionExpression: names.map((_, i) => `#p${i}`).join(', '),
          ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#p${i}`, name])),
        }),
      ),
    );
  }

  private get restrictedAttribute(): string {
    return this.config.restrictedAttribute ?? DEFAULT_RESTRICTED_ATTRIBUTE;
  }

  /** Whether the item exists and carries this request's mark (only the mark's request id is read). */
  private async markedBy(key: Key, requestId: string): Promise<boolean> {
    const { Item } = await this.send('GetItem', () =>
      this.client.send(
        new GetCommand({
          TableName: this.config.tableName,
          Key: key,
          ConsistentRead: true,
          ProjectionExpression: '#mark.#rid',
          ExpressionAttributeNames: { '#mark': this.restrictedAttribute, '#rid': 'requestId' },
        }),
      ),
    );
    const mark = Item?.[this.restrictedAttribute] as { requestId?: unknown } | undefined;
    return mark?.requestId === requestId;
  }

  protected override async changeFields(subject: InvocationSubject, changes: FieldChanges, context: ConnectorContext): Promise<Counts> {
    let records = 0;
    let fields = 0;
    for (const key of await this.keysOf(subject)) {
      const changed = await this.changeItem(key, changes, context);
      if (changed > 0) {
        records++;
        fields += changed;
      }
    }
    return { records, fields };
  }

  /** Removes and anonymises the fields of one item; returns how many fields changed (0: none, or the item is gone). */
  private async changeItem(key: Key, changes: FieldChanges, context: ConnectorContext): Promise<number> {
    // Only the fields to change are read: another attribute is never unmarshalled (see deleteRecord).
    const fields = [...new Set([...changes.remove, ...changes.anonymise].map((f) => f.name))];
    if (fields.length === 0) return 0;
    const { Item: item } = await this.readItem(key, fields);
    if (!item) return 0;

    const removed = changes.remove.map((f) => f.name).filter((name) => Object.hasOwn(item, name));
    const set: [string, unknown][] = [];
    const removedByName = new Set(changes.remove.map((f) => f.name));
    for (const field of changes.anonymise) {
      // Erasure wins: a field both to remove and to anonymise is removed.
      if (removedByName.has(field.name) || !Object.hasOwn(item, field.name)) continue;
      const result = await context.anonymise(field, item[field.name]);
      if (result.remove) removed.push(field.name);
      else if (!isDeepStrictEqual(result.value, item[field.name])) set.push([field.name, result.value]);
    }
    const names = [...new Set(removed)];
    if (names.length + set.length === 0) return 0;

    const update = buildUpdate(this.config.keyAttribute, names, set);
    try {
      await this.send('UpdateItem', () => this.client.send(new UpdateCommand({ TableName: this.config.tableName, Key: key, ...update })));
    } catch (error) {
      // The item was deleted between read and write: nothing of it is left to change.
      if (isConditionFailure(error)) return 0;
      throw error;
    }
    return names.length + set.length;
  }

  /** How this subject is found: by key, or through the index. */
  private lookup(subject: InvocationSubject): Lookup {
    const { keyAttribute, indexName, indexAttribute } = this.config;
    const byKey = subject.locator[keyAttribute];
    if (byKey !== undefined) return { by: 'key', value: byKey };
    if (indexName !== undefined && indexAttribute !== undefined) {
      const byIndex = subject.identifiers[indexAttribute] ?? subject.locator[indexAttribute];
      if (byIndex !== undefined) return { by: 'index', value: byIndex };
    }
    return { by: 'key', value: subject.subjectId };
  }

  /**
   * The primary keys of the subject's items: without a sort key, the one key, whether or not the item exists; with one,
   * the one full key when the locator names the sort key value (an item record), else every item of the partition.
   */
  private async keysOf(subject: InvocationSubject): Promise<Key[]> {
    const { tableName, keyAttribute, sortKeyAttribute, indexName, indexAttribute } = this.config;
    const lookup = this.lookup(subject);
    if (lookup.by === 'key' && sortKeyAttribute === undefined) return [{ [keyAttribute]: lookup.value }];
    // A locator that names the sort key too names one item (an item record, or a main record with its own sort key).
    const sortKey = sortKeyAttribute === undefined ? undefined : subject.locator[sortKeyAttribute];
    if (lookup.by === 'key' && sortKey !== undefined) return [{ [keyAttribute]: lookup.value, [sortKeyAttribute!]: sortKey }];

    const attribute = lookup.by === 'key' ? keyAttribute : indexAttribute!;
    const projected = [keyAttribute, ...(sortKeyAttribute ? [sortKeyAttribute] : [])];
    const names: Record<string, string> = { '#match': attribute };
    projected.forEach((name, i) => (names[`#key${i}`] = name));
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: tableName,
        ...(lookup.by === 'index' ? { IndexName: indexName } : { ConsistentRead: true }),
        KeyConditionExpression: '#match = :match',
        ProjectionExpression: projected.map((_, i) => `#key${i}`).join(', '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':match': lookup.value },
      },
    );
    const keys: Key[] = [];
    try {
      for await (const page of pages) {
        for (const item of page.Items ?? []) keys.push(Object.fromEntries(projected.map((name) => [name, item[name]])));
      }
    } catch (error) {
      throw toConnectorError(error, `dynamodb: Query of table "${tableName}"${lookup.by === 'index' ? ` index "${indexName}"` : ''}`);
    }
    // An index may list an item twice while it is being written; act on each item once (and, when the locator names
    // the sort key, only on the item with that sort key value).
    return keys.filter(
      (key, i) =>
        keys.findIndex((other) => isDeepStrictEqual(other, key)) === i && (sortKey === undefined || key[sortKeyAttribute!] === sortKey),
    );
  }

  private async send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw toConnectorError(error, `dynamodb: ${operation} on table "${this.config.tableName}"`);
    }
  }
}

/** A value as the export document holds it: a set as a list, binary as base64, the rest as it is. */
export function plainValue(value: unknown): unknown {
  if (value instanceof Set) return [...(value as Set<unknown>)].map(plainValue);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, plainValue(v)]));
  return value;
}

/**
 * `REMOVE #r0, #r1 SET #s0 = :s0`, with every name and value as a placeholder, conditional on the item
 * existing (its partition key attribute is present).
 */
export function buildUpdate(
  partitionKey: string,
  remove: readonly string[],
  set: readonly (readonly [string, unknown])[],
): {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  const names: Record<string, string> = { '#pk': partitionKey };
  const values: Record<string, unknown> = {};
  const clauses: string[] = [];
  if (remove.length > 0) {
    remove.forEach((name, i) => (names[`#r${i}`] = name));
    clauses.push(`REMOVE ${remove.map((_, i) => `#r${i}`).join(', ')}`);
  }
  if (set.length > 0) {
    set.forEach(([name, value], i) => {
      names[`#s${i}`] = name;
      values[`:s${i}`] = value;
    });
    clauses.push(`SET ${set.map((_, i) => `#s${i} = :s${i}`).join(', ')}`);
  }
  return {
    UpdateExpression: clauses.join(' '),
    ConditionExpression: 'attribute_exists(#pk)',
    ExpressionAttributeNames: names,
    ...(set.length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}
