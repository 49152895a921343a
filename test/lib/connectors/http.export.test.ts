/**
 * Record action `export` through a webhook (spec 2.4): the request carries exportFields, the SaaS answers each
 * subject's copy in `export`, validated (shape, fields, size) before Lethe uses it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectorPermanentError } from '../../../lib/connectors/errors';
import { HttpConnector } from '../../../lib/connectors/http';
import type { WebhookRequest } from '../../../lib/connectors/webhook';
import { FIELDS, invocation, subject } from './fixtures';

/** The SaaS's records: two customers whose ids share a prefix. */
const SAAS: Record<string, Record<string, unknown>> = {
  user1: { name: 'Astrid', email: 'astrid@example.se', notes: 'internal' },
  user10: { name: 'Bo', email: 'bo@example.se', notes: 'internal' },
};
let server: Server;
let url: string;
let requests: WebhookRequest[];
let leak = false;

beforeAll(async () => {
  // A SaaS that answers each subject with the listed fields of its own record (or every field, when it leaks).
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookRequest;
      requests.push(request);
      const subjects = request.subjects.map((s) => {
        const record = SAAS[s.subjectId] ?? {};
        const names = leak ? Object.keys(record) : (s.exportFields ?? []).map((f) => f.name);
        const fields = Object.fromEntries(names.filter((n) => n in record).map((n) => [n, record[n]]));
        return { subjectRef: s.subjectRef, status: 'exported', export: { records: [{ source: `crm customer ${s.subjectId}`, fields }] } };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ subjects }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lethe`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  requests = [];
  leak = false;
});

const connector = () => new HttpConnector('crm', { url, secretName: 'whsec' }, { signingKey: async () => 'secret' });
const exporting = (id: string) =>
  subject({ subjectRef: `ref-${id}`, subjectId: id, record: 'export', exportFields: [FIELDS.name, FIELDS.email] });

test('sends exportFields and passes on each subject its own copy (user1 vs user10)', async () => {
  const result = await connector().run(invocation([exporting('user1'), exporting('user10')]));
  expect(requests[0].subjects.map((s) => s.exportFields?.map((f) => f.name))).toEqual([
    ['name', 'email'],
    ['name', 'email'],
  ]);
  expect(result.subjects).toEqual([
    {
      subjectRef: 'ref-user1',
      status: 'exported',
      counts: { records: 0, fields: 0, objects: 0 },
      export: { records: [{ source: 'crm customer user1', fields: { name: 'Astrid', email: 'astrid@example.se' } }] },
    },
    {
      subjectRef: 'ref-user10',
      status: 'exported',
      counts: { records: 0, fields: 0, objects: 0 },
      export: { records: [{ source: 'crm customer user10', fields: { name: 'Bo', email: 'bo@example.se' } }] },
    },
  ]);
});

test('a SaaS that answers a field not listed is refused, naming the field', async () => {
  leak = true;
  const run = connector().run(invocation([exporting('user1')]));
  await expect(run).rejects.toThrow(ConnectorPermanentError);
  await expect(run).rejects.toThrow(/has field "notes", which the invocation's exportFields do not list/);
});
