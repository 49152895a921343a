/**
 * The demo function local mode runs for a `lambda` system (whose real function is the controller's own): a connector
 * written with the connector SDK (`defineConnector`), as a controller would write one, over a local store: a DynamoDB
 * Local table (LETHE_DEMO_TABLE) with one item per subject, keyed `subjectId` (the locator's `subjectId` when it names
 * one); an item record (spec 2.2, the invocation's `ref`) is an item of its own, keyed `<that>#item#<ref>`, so an item
 * call never touches the subject's main record or another item. It answers every record action, `export` included (a
 * copy of the listed fields), and verifies its erasures (`verifyRecord`, issue 19). It runs in its own worker like
 * every local function and is invoked by the system's `config.functionName`, so nothing leaves the machine.
 */
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { createDynamoDbDocumentClient } from '../connectors/clients';
import { type ConnectorContext, defineConnector, type InvocationField, type InvocationSubject } from '../connectors/sdk';

/** The environment variable naming the demo table. */
export const DEMO_TABLE_ENV = 'LETHE_DEMO_TABLE';
/** The demo table's partition key. */
export const DEMO_KEY = 'subjectId';

const documents = createDynamoDbDocumentClient();

function table(): string {
  const name = process.env[DEMO_TABLE_ENV];
  if (!name) throw new Error(`${DEMO_TABLE_ENV} is not set`);
  return name;
}

const keyOf = (subject: InvocationSubject) => {
  const base = subject.locator[DEMO_KEY] ?? subject.subjectId;
  return { [DEMO_KEY]: subject.ref === undefined ? base : `${base}#item#${subject.ref}` };
};

async function itemOf(subject: InvocationSubject): Promise<Record<string, unknown> | undefined> {
  const { Item } = await documents.send(new GetCommand({ TableName: table(), Key: keyOf(subject), ConsistentRead: true }));
  return Item;
}

/** Removes and sets attributes by name only through ExpressionAttributeNames/Values; only if the item still exists. */
async function change(subject: InvocationSubject, remove: string[], set: Record<string, unknown>): Promise<void> {
  const names: Record<string, string> = { '#key': DEMO_KEY };
  const values: Record<string, unknown> = {};
  const removeParts = remove.map((name, i) => {
    names[`#r${i}`] = name;
    return `#r${i}`;
  });
  const setParts = Object.entries(set).map(([name, value], i) => {
    names[`#s${i}`] = name;
    values[`:s${i}`] = value;
    return `#s${i} = :s${i}`;
  });
  const expression = [setParts.length ? `SET ${setParts.join(', ')}` : '', removeParts.length ? `REMOVE ${removeParts.join(', ')}` : '']
    .filter(Boolean)
    .join(' ');
  if (!expression) return;
  await documents.send(
    new UpdateCommand({
      TableName: table(),
      Key: keyOf(subject),
      UpdateExpression: expression,
      ConditionExpression: 'attribute_exists(#key)',
      ExpressionAttributeNames: names,
      ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
    }),
  );
}

export const handler = defineConnector({
  async deleteRecord(subject) {
    const { Attributes } = await documents.send(new DeleteCommand({ TableName: table(), Key: keyOf(subject), ReturnValues: 'ALL_OLD' }));
    return { records: Attributes ? 1 : 0 };
  },
  async removeFields(subject, fields) {
    const item = await itemOf(subject);
    const present = fields.map((f) => f.name).filter((name) => item && name in item);
    if (!item || present.length === 0) return { records: 0, fields: 0 };
    await change(subject, present, {});
    return { records: 1, fields: present.length };
  },
  async anonymiseFields(subject: InvocationSubject, fields: readonly InvocationField[], context: ConnectorContext) {
    const item = await itemOf(subject);
    if (!item) return { records: 0, fields: 0 };
    const remove: string[] = [];
    const set: Record<string, unknown> = {};
    for (const field of fields) {
      if (!(field.name in item)) continue;
      const result = await context.anonymise(field, item[field.name]);
      if (result.remove) remove.push(field.name);
      else set[field.name] = result.value;
    }
    const changed = remove.length + Object.keys(set).length;
    if (changed === 0) return { records: 0, fields: 0 };
    await change(subject, remove, set);
    return { records: 1, fields: changed };
  },
  // Restriction (spec 2.4): the item gets the attribute `lethe:restricted`, as the DynamoDB connector sets it.
  async restrictRecord(subject, restriction) {
    if (!(await itemOf(subject))) return { records: 0 };
    await change(subject, [], { 'lethe:restricted': { ...restriction, at: new Date().toISOString() } });
    return { records: 1 };
  },
  async unrestrictRecord(subject, restriction) {
    const mark = (await itemOf(subject))?.['lethe:restricted'] as { requestId?: unknown } | undefined;
    if (mark?.requestId !== restriction.requestId) return { records: 0 };
    await change(subject, ['lethe:restricted'], {});
    return { records: 1 };
  },
  // Verification (issue 19): after delete, anonymise or keep with fields, the item is read again (strongly consistent):
  // a delete leaves no item; a field action leaves no field to remove, and no field to anonymise whose strategy would
  // still change it (each strategy but random leaves its own output as it is).
  async verifyRecord(subject, context) {
    const item = await itemOf(subject);
    if (!item) return {};
    if (subject.record === 'delete') return { records: 1 };
    let fields = subject.removeFields.filter((f) => Object.hasOwn(item, f.name)).length;
    for (const field of subject.anonymiseFields) {
      if (!Object.hasOwn(item, field.name) || field.anonymise?.strategy === 'random') continue;
      const again = await context.anonymise(field, item[field.name]);
      if (again.remove || !isDeepStrictEqual(again.value, item[field.name])) fields++;
    }
    return { records: fields > 0 ? 1 : 0, fields };
  },
  // Export (spec 2.4, an access request): the listed fields the item has, and no other; nothing changes.
  async exportRecord(subject, fields) {
    const item = await itemOf(subject);
    if (!item) return { records: [] };
    const names = fields.map((f) => f.name).filter((name) => name !== DEMO_KEY && Object.hasOwn(item, name));
    const key = keyOf(subject)[DEMO_KEY];
    return { records: [{ source: `table ${table()}, ${DEMO_KEY} ${key}`, fields: Object.fromEntries(names.map((n) => [n, item[n]])) }] };
  },
});
