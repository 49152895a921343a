/**
 * No personal data and no secret in logs, audit records or execution history (issue 7, item 5), after real
 * activity: the load run (1 250 subjects registered, 1 000 erased), then an erasure whose webhook fails twice and
 * is retried, with identifiers and a reason that hold personal data; requests the API refuses, carrying personal
 * data in the body and the path; a legal hold whose reason names the subject, placed and released; a restriction
 * that keeps the data, completed and lifted; an access request whose export is downloaded (issue 14, item 7); and a
 * sweep on a simulated clock that expires everyone else's holdings.
 *
 * Searched: (a) every function log line, in memory (local.logLines()) and in the log file, (b) every audit record,
 * (c) every Step Functions execution's input, output, error, cause and history events.
 * Searched for: every seeded subject's id, name (whole, and each part as a word), e-mail, phone and address, in the
 * forms they can take (support/leak-scanner.ts), the 1 250 load subjects and local mode's demo subjects; and every
 * secret of the data directory: the API token, the HMAC secret and the webhook secret of secrets.json, the local
 * KMS key, in every encoding and by every 16-character window.
 *
 * (d) The values of the access export (export.json, as downloaded) are searched for apart: they are in its
 * `exports/<requestId>/` objects (found there) and nowhere else: no other exports object, log line, audit record,
 * execution, nor item of Lethe's tables (requests, idempotency, audit chain, ledgers) as stored.
 *
 * The search is proved able to fail first: values planted in copies of the real texts are found.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { paginateScan } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { Temporal } from '@js-temporal/polyfill';
import { DEMO_SUBJECTS, type LocalLethe } from '../../../lib/local';
import { type Finding, LeakScanner, type Needle, personalNeedles, secretBytes, secretNeedles } from '../support/leak-scanner';
import { BYSTANDERS, ERASED, HTTP_SYSTEM, POPULATION } from '../support/population';
import { loadRun } from './load';

interface Corpus {
  readonly lines: readonly string[];
  readonly file: Buffer;
  readonly records: readonly string[];
  /** Per execution: its input, output, error, cause and every history event, as JSON texts. */
  readonly executions: readonly string[];
  readonly events: number;
}

interface Secret {
  readonly label: string;
  readonly stored: string;
}

export function defineLeakScenarios(current: () => LocalLethe): void {
  describe('no personal data and no secret in logs, audit records or execution history', () => {
    let scanner: LeakScanner;
    let secrets: Secret[];
    let corpus: Corpus;
    /** The restriction and access requests of the holds-restrictions-access test, and the values of its export.json. */
    const exported: { restrictionId?: string; requestId?: string; values: string[] } = { values: [] };

    beforeAll(() => {
      const local = current();
      // Every secret of the data directory, read from the files themselves
      const dir = local.dataDir;
      expect(readFileSync(path.join(dir, 'token'), 'utf8').trim()).toBe(local.token);
      const stored = JSON.parse(readFileSync(path.join(dir, 'secrets.json'), 'utf8')) as Record<string, string>;
      secrets = [
        { label: 'API token', stored: local.token },
        { label: 'local KMS key', stored: readFileSync(path.join(dir, 'kms-key'), 'utf8').trim() },
        ...Object.entries(stored).map(([name, value]) => ({ label: `secret ${name}`, stored: value })),
      ];
      const needles: Needle[] = [];
      for (const s of secrets) needles.push(...secretNeedles(s.stored, s.label));
      const nameParts = new Set<string>();
      for (const s of POPULATION) {
        needles.push(...personalNeedles(s.id, `id ${s.id}`, { boundary: true }));
        needles.push(...personalNeedles(s.name, `name of ${s.id}`));
        needles.push(...personalNeedles(s.email, `e-mail of ${s.id}`));
        needles.push(...personalNeedles(s.phone, `phone of ${s.id}`));
        needles.push(...personalNeedles(s.address, `address of ${s.id}`));
        for (const part of s.name.split(' ')) nameParts.add(part);
      }
      for (const d of DEMO_SUBJECTS) {
        needles.push(...personalNeedles(d.subjectId, `id ${d.subjectId}`, { boundary: true }));
        needles.push(...personalNeedles(d.key, `record key of ${d.subjectId}`, { boundary: true }));
        for (const v of [d.name, d.email, d.phone]) needles.push(...personalNeedles(v, `personal data of ${d.subjectId}`));
        for (const part of d.name.split(' ')) nameParts.add(part);
      }
      // Name parts as words (`boundary`): those of 5 characters or more (the demo's "Ek" and "Maja" are found
      // within the whole name).
      for (const part of nameParts) {
        if (part.length >= 5) needles.push(...personalNeedles(part, `name part ${part}`, { boundary: true }));
      }
      scanner = new LeakScanner(needles);
    });

    test('holds, restrictions and an access request: a hold whose reason names the subject, a kept restriction lifted, an export downloaded', async () => {
      const local = current();
      loadRun();
      const verification = { method: 'bankid', verifiedAt: Temporal.Now.instant().toString() };
      // WHEN a hold is placed with a reason that holds personal data (as a careless DPO would write it), then released
      const held = BYSTANDERS[2];
      const placed = await local.api('POST', `/subjects/${encodeURIComponent(held.id)}/holds`, {
        body: { reason: `${held.name} (${held.email}, ${held.phone}) disputes an invoice` },
        headers: { 'Idempotency-Key': randomUUID() },
      });
      expect(placed.status).toBe(201);
      const { holdId } = placed.body as { holdId: string };
      const released = await local.api('POST', `/subjects/${encodeURIComponent(held.id)}/holds/${holdId}/release`);
      // THEN both succeed
      expect(released.status).toBe(200);

      // WHEN a restriction that keeps the data is requested, completes, and is lifted
      const restricted = BYSTANDERS[3];
      const restriction = await local.api('POST', '/restriction-requests', {
        body: { subjectId: restricted.id, keep: true, verification },
        headers: { 'Idempotency-Key': randomUUID() },
      });
      expect(restriction.status).toBe(202);
      const restrictionId = (restriction.body as { requestId: string }).requestId;
      exported.restrictionId = restrictionId;
      const restrictionView = await settled(local, `/restriction-requests/${restrictionId}`);
      // THEN it completes, every record restricted, and the lift unrestricts them
      expect(restrictionView.status).toBe('completed');
      expect((restrictionView.systems as { status: string }[]).map((s) => s.status)).toEqual(['restricted', 'restricted', 'restricted']);
      const lift = await local.api('POST', `/restriction-requests/${restrictionId}/lift`);
      expect(lift.status).toBe(200);
      expect((lift.body as { unrestricted: { status: string }[] }).unrestricted.map((u) => u.status)).toEqual([
        'unrestricted',
        'unrestricted',
        'unrestricted',
      ]);

      // WHEN a subject asks for access, and the export is downloaded from its link
      const asking = BYSTANDERS[4];
      const access = await local.api('POST', '/access-requests', {
        body: { subjectId: asking.id, verification },
        headers: { 'Idempotency-Key': randomUUID() },
      });
      expect(access.status).toBe(202);
      exported.requestId = (access.body as { requestId: string }).requestId;
      const accessView = await settled(local, `/access-requests/${exported.requestId}`);
      expect(accessView.status).toBe('completed');
      const download = await fetch((accessView.export as { json: { url: string } }).json.url);
      expect(download.status).toBe(200);
      const document = JSON.parse(await download.text()) as {
        purposes: { records: { records?: { values: Record<string, unknown> }[] }[] }[];
      };
      exported.values = [
        ...new Set(
          document.purposes.flatMap((p) =>
            p.records.flatMap((r) => (r.records ?? []).flatMap((x) => Object.values(x.values).filter((v) => typeof v === 'string'))),
          ),
        ),
      ];
      // THEN it holds the subject's values (the scan (d) is not vacuous)
      expect(exported.values).toEqual(expect.arrayContaining([asking.name, asking.email, asking.phone, asking.address]));
    });

    test('more activity: a retried webhook, refused requests carrying personal data, a sweep that expires the rest', async () => {
      const local = current();
      loadRun(); // the load run is the bulk of what is scanned
      const sigrid = BYSTANDERS[0];
      // GIVEN the HTTP system failing twice (503, transient)
      local.receiver.fail(HTTP_SYSTEM, { status: 503, times: 2 });
      // WHEN a subject asks for erasure with identifiers and a reason that hold personal data
      const accepted = await local.api('POST', '/erasure-requests', {
        body: {
          subjectId: sigrid.id,
          verification: { method: 'e-mail confirmation', verifiedAt: Temporal.Now.instant().toString() },
          identifiers: { email: sigrid.email, phone: sigrid.phone },
          reason: `${sigrid.name} (${sigrid.address}) withdrew consent`,
        },
        headers: { 'Idempotency-Key': randomUUID() },
      });
      expect(accepted.status).toBe(202);
      const view = await local.waitForRequest((accepted.body as { requestId: string }).requestId, { timeoutMs: 60_000 });
      // THEN it completes after the retries
      expect(view.status).toBe('completed');
      const execution = local.executions().find((e) => e.name === view.requestId)!;
      expect(execution.history.filter((e) => e.type === 'StateRetried').length).toBeGreaterThanOrEqual(2);

      // WHEN requests the API refuses carry personal data in the body, the path and the headers
      const other = BYSTANDERS[1];
      const refused = [
        await local.api('POST', '/erasure-requests', {
          body: {
            subjectId: other.id,
            verification: { method: 'phone', verifiedAt: `called ${other.phone}` },
            identifiers: { email: other.email },
          },
          headers: { 'Idempotency-Key': randomUUID() },
        }),
        await local.api('POST', `/subjects/${encodeURIComponent(other.email)}/holdings`, {
          body: { purpose: `no-such-purpose-for-${other.name}`, system: 'profiles', collectedAt: '2025-01-01T00:00:00Z' },
        }),
        await local.api('POST', `/subjects/${encodeURIComponent(other.id)}/events`, { body: { type: other.address, at: 'yesterday' } }),
        await local.api('GET', `/erasure-requests/${encodeURIComponent(other.name)}`),
        await local.api('POST', '/erasure-requests', {
          body: { subjectId: other.id, verification: { method: 'x', verifiedAt: Temporal.Now.instant().toString() } },
          headers: { 'Idempotency-Key': 'x'.repeat(300) + other.email },
        }),
        await local.api('POST', '/erasure-requests', {
          rawBody: `{"subjectId": "${other.id}", "name": "${other.name}"`,
          headers: { 'Idempotency-Key': randomUUID() },
        }),
      ];
      // THEN each is a clear 4xx
      expect(refused.map((a) => a.status).filter((status) => status < 400 || status >= 500)).toEqual([]);

      // WHEN everyone else's holdings expire on a simulated clock three years ahead
      const later = Temporal.Now.instant().add({ hours: 24 * 365 * 3 });
      const sweeps = await local.runAllSweeps(later);
      // THEN the sweeps succeed and erase the 249 others and the demo subjects in every system
      expect(sweeps.map((s) => [s.purpose, s.status])).toEqual([
        ['account', 'SUCCEEDED'],
        ['newsletter', 'SUCCEEDED'],
      ]);
      expect(Object.keys(local.receiver.records(HTTP_SYSTEM))).toEqual([]);
      const sweepRecords = (await local.auditRecords()).filter((r) => r.kind === 'sweep');
      expect(sweepRecords.length).toBeGreaterThan(0);
    });

    describe('the search', () => {
      beforeAll(async () => {
        corpus = await collect(current());
      });

      test('finds what it looks for: values planted in copies of real log lines, audit records and history', () => {
        // GIVEN a real log line, audit record and execution history (JSON texts)
        const line = corpus.lines.find((l) => l.includes('"level"')) ?? corpus.lines[0];
        const record = corpus.records[0];
        const history = corpus.executions.find((e) => e.includes('StateRetried')) ?? corpus.executions[0];
        const plant = (text: string, value: string) => `${text.slice(0, -1)},"planted":"${value}"}`;
        const one = POPULATION[0]; // load-subject-1
        const ten = POPULATION[9]; // load-subject-10
        const planted: { value: string; label: string | RegExp }[] = [
          { value: one.id, label: `id ${one.id}` },
          { value: `users/${ten.id}/profile.json`, label: `id ${ten.id}` },
          { value: one.name, label: `name of ${one.id}` },
          { value: one.name.split(' ')[1], label: `name part ${one.name.split(' ')[1]}` },
          { value: encodeURIComponent(ten.email), label: `e-mail of ${ten.id}` },
          { value: ten.phone, label: `phone of ${ten.id}` },
          { value: ten.address, label: `address of ${ten.id}` },
          { value: DEMO_SUBJECTS[0].email, label: `personal data of ${DEMO_SUBJECTS[0].subjectId}` },
        ];
        for (const s of secrets) {
          for (const form of ['as stored', 'hex', 'base64', 'base64url']) {
            const needle = scanner.needles.find((n) => n.label === `${s.label} (${form})`);
            if (needle) planted.push({ value: needle.value, label: needle.label });
          }
          // half of the secret, as stored
          planted.push({
            value: s.stored.slice(0, Math.ceil(s.stored.length / 2)),
            label: new RegExp(`^${escape(s.label)} \\(as stored, chars 0-16\\)$`),
          });
        }
        for (const { value, label } of planted) {
          for (const [text, where] of [
            [line, 'log line'],
            [record, 'audit record'],
            [history, 'execution'],
          ] as const) {
            // WHEN the value is planted in a copy and the copy is searched
            const labels = scanner.scan(plant(text, value.replace(/"/g, '\\"')), where).map((f) => f.label);
            // THEN it is found, under its label
            expect(labels.some((l) => (typeof label === 'string' ? l === label : label.test(l)))).toBe(true);
          }
        }
        // ...an id is reported as itself, not as the ids it starts with (load-subject-10 is not load-subject-1)
        const idLabels = scanner.scan(plant(record, ten.id), 'audit record').map((f) => f.label);
        expect(idLabels).toContain(`id ${ten.id}`);
        expect(idLabels).not.toContain(`id ${one.id}`);
        // ...and a name part inside a longer word or a base64 run is not a finding
        const part = one.name.split(' ')[1];
        expect(scanner.scan(`"x":"Q${part}7a"`, 'text').filter((f) => f.label === `name part ${part}`)).toEqual([]);
        // The raw bytes of the KMS key are found in a binary file
        const kms = secrets.find((s) => s.label === 'local KMS key')!;
        const bytes = secretBytes(kms.stored)!;
        expect(bytes).toHaveLength(32);
        expect(Buffer.concat([corpus.file.subarray(0, 100), bytes, corpus.file.subarray(100, 200)]).indexOf(bytes)).toBe(100);
      });

      test('(a) no function log line holds personal data or a secret, in memory or in the log file', () => {
        // GIVEN every line the functions wrote during the load run and after it
        expect(corpus.lines.length).toBeGreaterThan(10 * ERASED.length);
        const { requests } = loadRun();
        // (the logs are about the requests: their ids are there)
        const text = corpus.file.toString('utf8');
        expect(requests.filter((r) => !text.includes((r.answer.body as { requestId: string }).requestId))).toEqual([]);
        // THEN none holds a seeded personal value or a secret...
        expect(summary(scanner.scanAll(corpus.lines, 'logLines'))).toEqual([]);
        expect(summary(scanner.scan(text, 'functions.log'))).toEqual([]);
        // ...nor the raw bytes of a secret
        for (const s of secrets) {
          const bytes = secretBytes(s.stored);
          if (bytes) expect({ secret: s.label, at: corpus.file.indexOf(bytes) }).toEqual({ secret: s.label, at: -1 });
        }
      });

      test('(b) no audit record holds personal data or a secret', () => {
        expect(corpus.records.length).toBeGreaterThan(3 * ERASED.length);
        expect(summary(scanner.scanAll(corpus.records, 'audit record'))).toEqual([]);
      });

      test('(c) no execution input, output or history event holds personal data or a secret', () => {
        expect(corpus.executions.length).toBeGreaterThan(ERASED.length);
        expect(corpus.events).toBeGreaterThan(20 * ERASED.length);
        expect(summary(scanner.scanAll(corpus.executions, 'execution'))).toEqual([]);
        console.log(
          `leak scan: ${scanner.needles.length} needles (${POPULATION.length + DEMO_SUBJECTS.length} subjects, ${secrets.length} secrets); ` +
            `${corpus.lines.length} log lines, log file ${corpus.file.length} bytes, ${corpus.records.length} audit records, ` +
            `${corpus.executions.length} executions with ${corpus.events} history events`,
        );
      });

      test('(d) the access export’s values are nowhere but in its exports/<requestId>/ objects', async () => {
        const local = current();
        const { requestId, values } = exported;
        // GIVEN the values of the export document downloaded above (the subject's name, e-mail, phone, address)
        expect(requestId).toBeDefined();
        expect(values.length).toBeGreaterThanOrEqual(4);
        const inExport = new LeakScanner(values.flatMap((v, i) => personalNeedles(v, `export value ${i}`)));
        // ...and every object of the exports bucket, its own request's apart from the others
        const own = `exports/${requestId}/`;
        const objects = await bucketObjects(local, local.names.exportsBucket);
        const mine = objects.filter((o) => o.key.startsWith(own));
        expect(mine.map((o) => o.key)).toEqual(expect.arrayContaining([`${own}export.json`, `${own}export.html`]));
        // THEN its own objects hold them (the search finds what it looks for)...
        const found = new Set(inExport.scan(mine.find((o) => o.key === `${own}export.json`)!.text, 'export.json').map((f) => f.label));
        expect([...found].sort()).toEqual(values.map((_, i) => `export value ${i}`).sort());
        // ...and no other object, log line, audit record, execution, nor Lethe's tables' items as stored
        const tables = [
          local.names.requestsTable,
          local.names.idempotencyTable,
          local.names.auditChainTable,
          ...Object.values(local.names.ledgerTables),
        ];
        const items: string[] = [];
        for (const table of tables) items.push(...(await tableItems(local, table)));
        expect(items.length).toBeGreaterThan(0);
        // (the restriction's and the access request's executions, audit records and log lines are in what is searched)
        for (const id of [exported.restrictionId!, requestId!]) {
          expect([id, corpus.executions.some((e) => e.includes(`"name":"${id}"`)), corpus.records.some((r) => r.includes(id))]).toEqual([
            id,
            true,
            true,
          ]);
          expect(corpus.file.includes(id)).toBe(true);
        }
        expect(
          summary(
            inExport.scanAll(
              objects.filter((o) => !o.key.startsWith(own)).map((o) => o.text),
              'exports object',
            ),
          ),
        ).toEqual([]);
        expect(summary(inExport.scanAll(corpus.lines, 'logLines'))).toEqual([]);
        expect(summary(inExport.scan(corpus.file.toString('utf8'), 'functions.log'))).toEqual([]);
        expect(summary(inExport.scanAll(corpus.records, 'audit record'))).toEqual([]);
        expect(summary(inExport.scanAll(corpus.executions, 'execution'))).toEqual([]);
        expect(summary(inExport.scanAll(items, 'table item'))).toEqual([]);
        console.log(
          `leak scan (d): ${values.length} export values; ${objects.length} exports objects (${mine.length} its own), ${items.length} items of ${tables.length} tables`,
        );
      });
    });
  });
}

async function collect(local: LocalLethe): Promise<Corpus> {
  const executions = local.executions();
  return {
    lines: local.logLines(),
    file: readFileSync(local.logFile),
    records: (await local.auditRecords()).map((r) => JSON.stringify(r)),
    executions: executions.map((e) =>
      JSON.stringify({ name: e.name, input: e.input, output: e.output, error: e.error, cause: e.cause, history: e.history }),
    ),
    events: executions.reduce((n, e) => n + e.history.length, 0),
  };
}

/** Findings grouped by label, a few places each: short enough to read when the test fails. */
function summary(findings: readonly Finding[]): string[] {
  const byLabel = new Map<string, Finding[]>();
  for (const f of findings) byLabel.set(f.label, [...(byLabel.get(f.label) ?? []), f]);
  return [...byLabel].map(
    ([label, list]) =>
      `${label}: ${list.length}x, e.g. ${list
        .slice(0, 2)
        .map((f) => `${f.where} …${f.context}…`)
        .join(' | ')}`,
  );
}

/** Polls a request's GET route until its workflow has ended; its body. */
async function settled(local: LocalLethe, route: string): Promise<Record<string, unknown>> {
  const until = Date.now() + 60_000;
  for (;;) {
    const answer = await local.api('GET', route);
    const body = answer.body as Record<string, unknown>;
    if (answer.status === 200 && (body.status === 'completed' || body.status === 'failed')) return body;
    if (Date.now() > until) throw new Error(`${route} did not end within 60 s: ${answer.status} ${JSON.stringify(body)}`);
    await sleep(250);
  }
}

/** Every object of a bucket, with its content as text. */
async function bucketObjects(local: LocalLethe, bucket: string): Promise<{ key: string; text: string }[]> {
  const objects: { key: string; text: string }[] = [];
  for await (const page of paginateListObjectsV2({ client: local.clients.s3 }, { Bucket: bucket })) {
    for (const { Key } of page.Contents ?? []) {
      const got = await local.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      objects.push({ key: Key!, text: (await got.Body?.transformToString('utf8')) ?? '' });
    }
  }
  return objects;
}

/** Every item of a table, as stored (its attribute values as JSON). */
async function tableItems(local: LocalLethe, table: string): Promise<string[]> {
  const items: string[] = [];
  for await (const page of paginateScan({ client: local.clients.dynamodb }, { TableName: table })) {
    for (const item of page.Items ?? []) items.push(JSON.stringify(item));
  }
  return items;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
