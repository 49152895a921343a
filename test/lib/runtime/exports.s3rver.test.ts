/**
 * Access exports against s3rver, local mode's S3 (integration lane): the document and page written without KMS
 * (s3rver has none) and opened from their presigned links, as a subject opens them in local mode.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { Temporal } from '@js-temporal/polyfill';
import { createS3Client } from '../../../lib/connectors/clients';
import { loadPolicyFile } from '../../../lib/policy/load';
import { buildExportDocument, renderExportHtml } from '../../../lib/runtime/export-document';
import { ExportStore, produceExport } from '../../../lib/runtime/exports';

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
// s3rver ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

let server: S3rverInstance;
let directory: string;
let client: S3Client;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'lethe-s3rver-'));
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  client = createS3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'eu-north-1' });
  await client.send(new CreateBucketCommand({ Bucket: 'lethe-local-exports' }));
});
afterAll(async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
  process.env.AWS_ACCESS_KEY_ID = saved.id;
  process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
});

test('the links open the page and the document, byte for byte; a link to another request is not the same object', async () => {
  const policy = loadPolicyFile('examples/dh-solutions.yaml').policy;
  const document = buildExportDocument({
    policy,
    requestId: 'req-local-1',
    generatedAt: Temporal.Instant.from('2026-02-01T11:00:00Z'),
    lang: 'en',
    access: [{ system: 'crm', purposes: ['customer-relationship'], categories: ['identity', 'contact'], fields: ['contactName', 'email'] }],
    exports: [
      { system: 'crm', export: { records: [{ source: 'table customers, customerId C-1', fields: { email: 'astrid@example.se' } }] } },
    ],
  });
  const html = renderExportHtml(document);
  const store = new ExportStore({ client, bucket: 'lethe-local-exports', kms: false });
  const now = new Date();
  const published = await store.publish(document, html, now);
  const page = await fetch(published.html.url);
  expect(page.status).toBe(200);
  expect(await page.text()).toBe(html);
  const json = await fetch(published.json.url);
  expect(JSON.parse(await json.text())).toEqual(document);
  // A link with its signature altered is refused.
  const tampered = new URL(published.html.url);
  tampered.pathname = tampered.pathname.replace('req-local-1', 'req-local-10');
  expect((await fetch(tampered)).status).toBeGreaterThanOrEqual(400);
});

test('produceExport run twice against s3rver: a missing document reads as absent, the second run publishes and audits nothing', async () => {
  // GIVEN one record's part of request req-local-2
  const policy = loadPolicyFile('examples/dh-solutions.yaml').policy;
  const store = new ExportStore({ client, bucket: 'lethe-local-exports', kms: false });
  await store.putPart('req-local-2', {
    system: 'crm',
    export: { records: [{ source: 'table customers, customerId C-2', fields: { email: 'bo@example.se' } }] },
  });
  expect(await store.readPublished('req-local-2')).toBeUndefined();
  const audited: unknown[] = [];
  const run = (now: Date) =>
    produceExport({
      store,
      audit: async (entry) => void audited.push(entry),
      policy,
      policyHash: 'sha256:p',
      requestId: 'req-local-2',
      access: [{ system: 'crm', purposes: ['customer-relationship'], categories: ['contact'], fields: ['email'] }],
      lang: 'en',
      subject: 'c'.repeat(64),
      now,
    });
  // WHEN the finish produces it, and runs again a minute later
  const first = await run(new Date('2026-02-01T11:00:00Z'));
  const again = await run(new Date('2026-02-01T11:01:00Z'));
  // THEN one audit record, the same document (hash), the same end of its links
  expect(audited).toHaveLength(1);
  expect(again.sha256).toBe(first.sha256);
  expect(again.expiresAt).toBe(first.expiresAt);
  expect((await store.readPublished('req-local-2'))?.sha256).toBe(first.sha256);
});
