/**
 * Access exports in the exports bucket (issue 14, item 4): parts per record, the document and page with SSE-KMS,
 * presigned links valid 7 days (fresh on each read, refused after), and an audit entry with the hash, never the content.
 */
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Temporal } from '@js-temporal/polyfill';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { chainRecord, GENESIS_HASH } from '../../../lib/audit/record';
import { InputError } from '../../../lib/core/errors';
import { plan } from '../../../lib/planner/plan';
import { loadPolicyFile } from '../../../lib/policy/load';
import { buildExportDocument, renderExportHtml, type RecordExport } from '../../../lib/runtime/export-document';
import { EXPORT_LINK_SECONDS, ExportStore, exportAuditEntry, exportFieldsOf, produceExport } from '../../../lib/runtime/exports';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-north-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
const PRODUCED = new Date('2026-02-01T11:00:00Z');
const DAY = 24 * 3600 * 1000;

const policy = loadPolicyFile('examples/dh-solutions.yaml').policy;
const access = plan(
  policy,
  {
    subjectId: 'customer-4711',
    holdings: [{ purpose: 'customer-relationship', system: 'crm', collectedAt: Temporal.Instant.from('2025-03-01T09:00:00Z') }],
    events: [],
  },
  Temporal.Instant.from(PRODUCED.toISOString()),
  { type: 'access', receivedAt: Temporal.Instant.from('2026-01-30T08:00:00Z') },
).access!;
const CRM: RecordExport = {
  system: 'crm',
  export: { records: [{ source: 'table customers, customerId C-4711', fields: { email: 'astrid@example.se', phone: '+46 70 1' } }] },
};
const document = buildExportDocument({
  policy,
  requestId: 'req-42',
  generatedAt: Temporal.Instant.from(PRODUCED.toISOString()),
  lang: 'sv',
  access,
  exports: [CRM],
});

beforeEach(() => s3.reset());

describe('ExportStore', () => {
  test('publish writes the JSON and the HTML with SSE-KMS under exports/<requestId>/ and links them for 7 days', async () => {
    s3.on(PutObjectCommand).resolves({});
    const presigned: [string, number][] = [];
    const store = new ExportStore({
      client,
      bucket: 'lethe-exports',
      presign: async (_c, command, { expiresIn }) => {
        presigned.push([command.input.Key!, expiresIn]);
        return `https://signed.example/${command.input.Key}`;
      },
    });
    const html = renderExportHtml(document);
    const published = await store.publish(document, html, PRODUCED);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Bucket, p.Key, p.ContentType, p.ServerSideEncryption])).toEqual([
      ['lethe-exports', 'exports/req-42/export.json', 'application/json; charset=utf-8', 'aws:kms'],
      ['lethe-exports', 'exports/req-42/export.html', 'text/html; charset=utf-8', 'aws:kms'],
    ]);
    expect(JSON.parse(puts[0].Body as string)).toEqual(document);
    expect(puts[1].Body).toBe(html);
    expect(presigned).toEqual([
      ['exports/req-42/export.json', EXPORT_LINK_SECONDS],
      ['exports/req-42/export.html', EXPORT_LINK_SECONDS],
    ]);
    expect(published).toEqual({
      json: { key: 'exports/req-42/export.json', url: 'https://signed.example/exports/req-42/export.json' },
      html: { key: 'exports/req-42/export.html', url: 'https://signed.example/exports/req-42/export.html' },
      expiresAt: '2026-02-08T11:00:00.000Z',
      sha256: createHash('sha256')
        .update(puts[0].Body as string)
        .digest('hex'),
    });
  });

  test('the real presigner: a GET of the object, X-Amz-Expires 604800 (7 days), no SSE header needed to read', async () => {
    const store = new ExportStore({ client, bucket: 'lethe-exports' });
    const { html } = await store.links('req-42', PRODUCED, PRODUCED);
    const url = new URL(html.url);
    expect(url.hostname).toBe('lethe-exports.s3.eu-north-1.amazonaws.com');
    expect(url.pathname).toBe('/exports/req-42/export.html');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('604800');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
  });

  test.each([
    [0, EXPORT_LINK_SECONDS],
    [6.5 * DAY, 12 * 3600],
  ])('links read %s ms after production are valid for the rest of the 7 days (%s s)', async (after, seconds) => {
    const expiries: number[] = [];
    const store = new ExportStore({ client, bucket: 'b', presign: async (_c, _cmd, { expiresIn }) => (expiries.push(expiresIn), 'u') });
    const links = await store.links('req-42', PRODUCED, new Date(PRODUCED.getTime() + after));
    expect(expiries).toEqual([seconds, seconds]);
    expect(links.expiresAt).toBe('2026-02-08T11:00:00.000Z');
  });

  test('after 7 days no link is handed out', async () => {
    const store = new ExportStore({ client, bucket: 'b', presign: async () => 'u' });
    await expect(store.links('req-42', PRODUCED, new Date(PRODUCED.getTime() + 7 * DAY))).rejects.toThrow(/more than 7 days ago/);
  });

  test.each(['../other', 'a/b', '', 'x'.repeat(129)])('a request id %j that could leave its folder is refused', async (id) => {
    const store = new ExportStore({ client, bucket: 'b', presign: async () => 'u' });
    await expect(store.links(id, PRODUCED, PRODUCED)).rejects.toThrow(InputError);
    await expect(store.putPart(id, CRM)).rejects.toThrow(InputError);
    expect(s3.calls()).toHaveLength(0);
  });

  test("parts: one object per record under parts/, read back; another request's parts (req-420) not listed", async () => {
    const stored = new Map<string, string>();
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => void stored.set(input.Key, input.Body));
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
      Contents: [...stored.keys(), 'exports/req-420/parts/x.json'].filter((k) => k.startsWith(input.Prefix)).map((Key) => ({ Key })),
    }));
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => ({ Body: { transformToString: async () => stored.get(input.Key) } }));
    const store = new ExportStore({ client, bucket: 'b', kms: false });
    const item: RecordExport = { system: 'accounting', ref: 'INV-1001', export: { records: [] } };
    const key = await store.putPart('req-42', item);
    await store.putPart('req-42', CRM);
    expect(key).toMatch(/^exports\/req-42\/parts\/[0-9a-f]{64}\.json$/);
    expect(key).not.toContain('INV-1001');
    expect(s3.commandCalls(PutObjectCommand).every((c) => c.args[0].input.ServerSideEncryption === undefined)).toBe(true);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    const parts = await store.readParts('req-42');
    expect(s3.commandCalls(ListObjectsV2Command)[0].args[0].input.Prefix).toBe('exports/req-42/parts/');
    expect(parts).toHaveLength(2);
    expect(parts).toEqual(expect.arrayContaining([item, CRM]));
  });
});

describe('exportAuditEntry', () => {
  test('the request, the subject HMAC, counts and the hash; nothing of the content; it chains', () => {
    const entry = exportAuditEntry({
      requestId: 'req-42',
      subject: 'a'.repeat(64),
      policyHash: 'sha256:p',
      at: PRODUCED.toISOString(),
      document,
      sha256: 'b'.repeat(64),
    });
    expect(entry).toEqual({
      at: '2026-02-01T11:00:00.000Z',
      kind: 'access-request',
      requestId: 'req-42',
      purposes: ['customer-relationship'],
      system: '*',
      action: 'export',
      outcome: 'exported',
      counts: { records: 1, fields: 2, objects: 0 },
      subject: 'a'.repeat(64),
      policyHash: 'sha256:p',
      objectHash: 'b'.repeat(64),
    });
    expect(JSON.stringify(entry)).not.toMatch(/astrid|\+46|C-4711|customer-4711|email|phone/);
    expect(chainRecord(entry, 1, GENESIS_HASH).objectHash).toBe('b'.repeat(64));
  });

  test("another request's document is refused", () => {
    expect(() => exportAuditEntry({ requestId: 'req-43', subject: 's', policyHash: 'p', at: 'now', document, sha256: 'h' })).toThrow(
      InputError,
    );
  });
});

describe('exportFieldsOf', () => {
  test("the access entry's fields with the system's categories, in the system's order", () => {
    expect(exportFieldsOf(policy, { system: 'crm', purposes: [], categories: [], fields: ['email', 'contactName'] })).toEqual([
      { name: 'contactName', category: 'identity' },
      { name: 'email', category: 'contact' },
    ]);
  });

  test('an unknown system is an InputError', () => {
    expect(() => exportFieldsOf(policy, { system: 'nowhere', purposes: [], categories: [], fields: [] })).toThrow(InputError);
  });
});

describe('produceExport', () => {
  test('reads the parts, publishes document and page, then audits the hash; the links come back', async () => {
    const stored = new Map<string, string>();
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => void stored.set(input.Key, input.Body));
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
      Contents: [...stored.keys()].filter((k) => k.startsWith(input.Prefix)).map((Key) => ({ Key })),
    }));
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => getStored(stored, input.Key));
    const store = new ExportStore({ client, bucket: 'b', presign: async (_c, cmd) => `https://u/${cmd.input.Key}` });
    await store.putPart('req-42', CRM);
    const audited: unknown[] = [];
    const order: string[] = [];
    const published = await produceExport({
      store,
      audit: async (entry) => {
        order.push(`audit after ${stored.size} objects`);
        audited.push(entry);
      },
      policy,
      policyHash: 'sha256:p',
      requestId: 'req-42',
      access,
      lang: 'en',
      subject: 'c'.repeat(64),
      now: PRODUCED,
    });
    const json = stored.get('exports/req-42/export.json')!;
    expect(JSON.parse(json).purposes[0].records[0].records[0].values).toEqual({ email: 'astrid@example.se', phone: '+46 70 1' });
    expect(stored.get('exports/req-42/export.html')).toContain('<html lang="en">');
    expect(order).toEqual(['audit after 3 objects']); // the part, the document, the page (then the audit's mark)
    expect(audited).toEqual([
      expect.objectContaining({ requestId: 'req-42', objectHash: createHash('sha256').update(json).digest('hex') }),
    ]);
    expect(published.html.url).toBe('https://u/exports/req-42/export.html');
  });
});

/** An S3 bucket in a Map: GetObject of a key it does not hold fails as S3 does (NoSuchKey, 404). */
function getStored(stored: Map<string, string>, key: string) {
  const body = stored.get(key);
  if (body === undefined) throw new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' });
  return { Body: { transformToString: async () => body } };
}

describe('produceExport run again (the finish step re-run: a retry, a redrive)', () => {
  let stored: Map<string, string>;
  let puts: string[];
  let audited: { objectHash?: string; at: string }[];
  let store: ExportStore;
  beforeEach(async () => {
    stored = new Map();
    puts = [];
    audited = [];
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
      puts.push(input.Key);
      stored.set(input.Key, input.Body);
    });
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
      Contents: [...stored.keys()].filter((k) => k.startsWith(input.Prefix)).map((Key) => ({ Key })),
    }));
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => getStored(stored, input.Key));
    store = new ExportStore({
      client,
      bucket: 'b',
      presign: async (_c, cmd, { expiresIn }) => `https://u/${cmd.input.Key}?e=${expiresIn}`,
    });
    await store.putPart('req-42', CRM);
  });
  const produce = (now: Date, audit = async (entry: { objectHash?: string; at: string }) => void audited.push(entry)) =>
    produceExport({ store, audit, policy, policyHash: 'sha256:p', requestId: 'req-42', access, lang: 'en', subject: 'c'.repeat(64), now });

  test('GIVEN a produced export WHEN the finish runs again an hour later THEN the document is not published again and the export is audited once', async () => {
    const first = await produce(PRODUCED);
    const json = stored.get('exports/req-42/export.json');
    const documentPuts = () => puts.filter((k) => k.endsWith('export.json')).length;
    // WHEN it runs again
    const again = await produce(new Date(PRODUCED.getTime() + 3600_000));
    // THEN the JSON is the first one byte for byte (its generatedAt, its hash), written once; one audit record
    expect(stored.get('exports/req-42/export.json')).toBe(json);
    expect(documentPuts()).toBe(1);
    expect(audited).toHaveLength(1);
    expect(again.sha256).toBe(first.sha256);
    // AND the links still end 7 days after the first production, not the re-run
    expect(again.expiresAt).toBe(first.expiresAt);
  });

  test('GIVEN a first run that published and then failed to audit WHEN it runs again THEN the same document is audited, once', async () => {
    await expect(
      produce(PRODUCED, async () => {
        throw new Error('audit bucket unavailable');
      }),
    ).rejects.toThrow('audit bucket unavailable');
    const json = stored.get('exports/req-42/export.json')!;
    await produce(new Date(PRODUCED.getTime() + 60_000));
    await produce(new Date(PRODUCED.getTime() + 120_000));
    expect(stored.get('exports/req-42/export.json')).toBe(json);
    expect(audited.map((a) => a.objectHash)).toEqual([createHash('sha256').update(json).digest('hex')]);
  });

  test('GIVEN a first run that stopped after the document, before its page WHEN it runs again THEN the page is written from the stored document', async () => {
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
      if (input.Key.endsWith('export.html') && !stored.has('exports/req-42/export.html') && puts.includes('exports/req-42/export.json'))
        throw Object.assign(new Error('reset'), { name: 'ECONNRESET' });
      puts.push(input.Key);
      stored.set(input.Key, input.Body);
    });
    await expect(produce(PRODUCED)).rejects.toThrow();
    expect(stored.has('exports/req-42/export.html')).toBe(false);
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
      puts.push(input.Key);
      stored.set(input.Key, input.Body);
    });
    await produce(new Date(PRODUCED.getTime() + 60_000));
    const json = stored.get('exports/req-42/export.json')!;
    expect(stored.get('exports/req-42/export.html')).toBe(renderExportHtml(JSON.parse(json)));
    expect(audited).toHaveLength(1);
  });
});
