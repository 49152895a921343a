/**
 * lib/local/demo-function.ts, local mode's stand-in for a `lambda` system (a connector written with the SDK over a
 * DynamoDB table): item records (spec 2.2, `ref`) are their own items, never the subject's main record, and record
 * action `export` answers a copy of the listed fields. Against the in-memory DynamoDB.
 */
import { DEMO_TABLE_ENV, handler } from '../../../lib/local/demo-function';
import { FakeDynamo } from '../runtime/support/fake-dynamodb';
import { invocation, subject } from '../connectors/fixtures';

let fake: FakeDynamo;
const TABLE = 'lethe-local-demo';
const saved = process.env[DEMO_TABLE_ENV];
beforeAll(() => (process.env[DEMO_TABLE_ENV] = TABLE));
afterAll(() => {
  if (saved === undefined) delete process.env[DEMO_TABLE_ENV];
  else process.env[DEMO_TABLE_ENV] = saved;
});
beforeEach(() => {
  fake = new FakeDynamo().createTable(TABLE, { partitionKey: 'subjectId' });
  fake.seed(TABLE, { subjectId: 'user1', name: 'Astrid', email: 'astrid@example.se', password: 'x' });
  fake.seed(TABLE, { subjectId: 'user1#item#O-1', lines: '2 x tea' });
  fake.seed(TABLE, { subjectId: 'user1#item#O-10', lines: '1 x cup' });
});
afterEach(() => fake.restore());

const keys = () =>
  fake
    .items(TABLE)
    .map((i) => String(i.subjectId))
    .sort();

test('an item record (ref O-1) is deleted alone: the main record and O-10 stay', async () => {
  const result = await handler(invocation([subject({ ref: 'O-1' })], { system: 'legacy' }));
  expect(result.subjects[0]).toMatchObject({ status: 'erased', counts: { records: 1 } });
  expect(keys()).toEqual(['user1', 'user1#item#O-10']);
});

test('an item the table does not hold is nothing-found, and nothing else is touched', async () => {
  const result = await handler(invocation([subject({ ref: 'O-2' })], { system: 'legacy' }));
  expect(result.subjects[0].status).toBe('nothing-found');
  expect(keys()).toEqual(['user1', 'user1#item#O-1', 'user1#item#O-10']);
});

test('export: the listed fields the record has, nothing else, and nothing changes', async () => {
  const fields = [
    { name: 'name', category: 'identity' },
    { name: 'phone', category: 'contact' },
  ];
  const result = await handler(invocation([subject({ record: 'export', exportFields: fields })], { system: 'legacy' }));
  expect(result.subjects[0]).toEqual({
    subjectRef: 'ref-user1',
    status: 'exported',
    counts: { records: 1, fields: 1, objects: 0 },
    export: { records: [{ source: `table ${TABLE}, subjectId user1`, fields: { name: 'Astrid' } }] },
  });
  expect(fake.item(TABLE, { subjectId: 'user1' })).toEqual({
    subjectId: 'user1',
    name: 'Astrid',
    email: 'astrid@example.se',
    password: 'x',
  });
});
