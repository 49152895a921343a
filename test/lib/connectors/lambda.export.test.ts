/**
 * Record action `export` through the user's own function (spec 2.4): the invocation carries exportFields, and the
 * answer's shape, fields and size are validated; each subject's copy stays with that subject (user1 vs user10).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ConnectorPermanentError } from '../../../lib/connectors/errors';
import { LambdaFunctionConnector } from '../../../lib/connectors/lambda';
import { EXPORT_LIMITS } from '../../../lib/core/contract';
import { FIELDS, invocation, subject } from './fixtures';

const lambda = mockClient(LambdaClient);
const client = new LambdaClient({ region: 'eu-north-1' });
const connector = () => new LambdaFunctionConnector('legacy', { functionName: 'my-legacy-eraser' }, { client });
const exporting = (id: string) => subject({ subjectRef: `ref-${id}`, subjectId: id, record: 'export', exportFields: [FIELDS.name] });
const legacy = () => invocation([exporting('user1'), exporting('user10')], { system: 'legacy' });
const payload = (data: unknown) => Buffer.from(JSON.stringify(data)) as never;
const exported = (ref: string, fields: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  subjectRef: ref,
  status: 'exported',
  counts: { records: 1, fields: Object.keys(fields).length, objects: 0 },
  export: { records: [{ source: `legacy ${ref}`, fields }] },
  ...extra,
});

beforeEach(() => lambda.reset());

test('sends exportFields and returns each subject its own copy', async () => {
  const answer = { system: 'legacy', subjects: [exported('ref-user1', { name: 'Astrid' }), exported('ref-user10', { name: 'Bo' })] };
  lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(answer) });
  const result = await connector().run(legacy());
  const sent = JSON.parse(Buffer.from(lambda.commandCalls(InvokeCommand)[0].args[0].input.Payload as Uint8Array).toString('utf8'));
  expect(sent.subjects.map((s: { exportFields: unknown }) => s.exportFields)).toEqual([[FIELDS.name], [FIELDS.name]]);
  expect(result.subjects.map((s) => [s.subjectRef, s.export?.records[0].fields])).toEqual([
    ['ref-user1', { name: 'Astrid' }],
    ['ref-user10', { name: 'Bo' }],
  ]);
});

test.each([
  [
    'a field the invocation does not list',
    [exported('ref-user1', { name: 'A', password: 'p' }), exported('ref-user10', {})],
    /has field "password", which the invocation's exportFields do not list/,
  ],
  [
    'exported without export',
    [{ ...exported('ref-user1', {}), export: undefined }, exported('ref-user10', {})],
    /"exported" without export/,
  ],
  [
    'an export on another status',
    [exported('ref-user1', {}, { status: 'erased' }), exported('ref-user10', {})],
    /asked to export its record and the answer is "erased"/,
  ],
  [
    'records that are not a list',
    [exported('ref-user1', {}, { export: { records: 'all' } }), exported('ref-user10', {})],
    /export.records: a list of \{source, fields\}/,
  ],
  [
    'more than EXPORT_LIMITS.maxBytes',
    [exported('ref-user1', { name: 'x'.repeat(EXPORT_LIMITS.maxBytes) }), exported('ref-user10', {})],
    /more than the 4194304 allowed/,
  ],
])('an answer with %s is refused, naming it', async (_what, subjects, message) => {
  lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ system: 'legacy', subjects }) });
  const run = connector().run(legacy());
  await expect(run).rejects.toThrow(ConnectorPermanentError);
  await expect(run).rejects.toThrow(message);
});
