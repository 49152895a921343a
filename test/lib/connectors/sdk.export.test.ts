/** Record action `export` in a connector written with the SDK (spec 2.4): the handler's copy, validated. */
import { defineConnector } from '../../../lib/connectors/sdk';
import { FIELDS, invocation, subject } from './fixtures';

const exporting = (id: string) => subject({ subjectRef: `ref-${id}`, subjectId: id, record: 'export', exportFields: [FIELDS.name] });
const ROWS: Record<string, string> = { user1: 'Astrid', user10: 'Bo' };

test('exportRecord gets the subject and its fields; each subject gets its own copy, counted', async () => {
  const seen: [string, string[]][] = [];
  const handler = defineConnector({
    deleteRecord: async () => ({}),
    async exportRecord(s, fields) {
      seen.push([s.subjectId, fields.map((f) => f.name)]);
      return { records: ROWS[s.subjectId] ? [{ source: `row ${s.subjectId}`, fields: { name: ROWS[s.subjectId] } }] : [] };
    },
  });
  const result = await handler(invocation([exporting('user1'), exporting('user10'), exporting('nobody')]));
  expect(seen).toEqual([
    ['user1', ['name']],
    ['user10', ['name']],
    ['nobody', ['name']],
  ]);
  expect(result.subjects).toEqual([
    {
      subjectRef: 'ref-user1',
      status: 'exported',
      counts: { records: 1, fields: 1, objects: 0 },
      export: { records: [{ source: 'row user1', fields: { name: 'Astrid' } }] },
    },
    {
      subjectRef: 'ref-user10',
      status: 'exported',
      counts: { records: 1, fields: 1, objects: 0 },
      export: { records: [{ source: 'row user10', fields: { name: 'Bo' } }] },
    },
    { subjectRef: 'ref-nobody', status: 'exported', counts: { records: 0, fields: 0, objects: 0 }, export: { records: [] } },
  ]);
});

test('without exportRecord, an export fails with a permanent error naming it', async () => {
  const handler = defineConnector({ deleteRecord: async () => ({}) });
  await expect(handler(invocation([exporting('user1')]))).rejects.toThrow(/does not implement exportRecord/);
});

test('a handler that returns a field not asked for is refused', async () => {
  const handler = defineConnector({
    deleteRecord: async () => ({}),
    exportRecord: async () => ({ records: [{ source: 'row', fields: { name: 'A', ssn: '19800101-1234' } }] }),
  });
  await expect(handler(invocation([exporting('user1')]))).rejects.toThrow(/has field "ssn"/);
});
