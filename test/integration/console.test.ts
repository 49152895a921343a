/**
 * The DPO console end to end in a real browser (issue 18): headless Chromium (Debian's `chromium`, driven by
 * puppeteer-core) against local mode with the demo data, through the console server local mode starts. Each page is
 * opened and acted on (a deadline extended, a subject looked up), what it shows is checked, a screenshot of each at
 * 1280×800 is written to docs/console/<page>.png (docs/console.md shows them), and the console server's log is
 * checked for subject ids and personal values.
 *
 * Needs Java 17+ (DynamoDB Local) and Chromium; without Chromium the suite is skipped, saying how to install it.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import puppeteer, { type Browser, type HTTPRequest, type Page } from 'puppeteer-core';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type AuditEntry, AuditWriter, auditObjectKey } from '../../lib/audit';
import { runAsync } from '../../lib/cli/main';
import { DEMO_SUBJECTS, type LocalLethe, personalValuesOf, startLocal } from '../../lib/local';
import type { HoldingStates } from '../../lib/console/contract';
import { en } from '../../console/messages/en';

const ROOT = path.join(__dirname, '..', '..');
const SHOTS = path.join(ROOT, 'docs', 'console');
const INSTALL = 'sudo apt-get install -y chromium';
const CHROMIUM = [process.env.LETHE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (file): file is string => file !== undefined && file !== '' && existsSync(file),
);
if (!CHROMIUM) {
  console.warn(`test/integration/console.test.ts skipped: no Chromium found (/usr/bin/chromium). Install it: ${INSTALL}`);
}
const describeWithChromium = CHROMIUM ? describe : describe.skip;

jest.setTimeout(120_000);

describeWithChromium('the DPO console in Chromium, against local mode with the demo data', () => {
  let dataDir: string;
  let local: LocalLethe;
  let browser: Browser;
  let page: Page;
  const localLines: string[] = [];
  const consoleLines: string[] = [];
  let requestId: string;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist', 'console', 'index.html')))
      execFileSync(process.execPath, [path.join(ROOT, 'bin', 'build-console.js')]);
    dataDir = mkdtempSync(path.join(tmpdir(), 'lethe-console-it-'));
    const started = Date.now();
    // The newsletter's webhook answers 503 until released, and Step Functions waits 10 minutes before a retry: an
    // erasure request that reaches it stays open and running (the console offers to extend a running request).
    local = await startLocal({
      port: 0,
      dataDir,
      holdSystems: ['newsletter'],
      sweepEveryMs: false,
      deadlineMonitorEveryMs: false,
      streamPollMs: 250,
      retryIntervalMs: 600_000,
      log: (line) => localLines.push(line),
      consoleLog: (line) => consoleLines.push(line),
    });
    timings.localStartMs = Date.now() - started;
    const subject = DEMO_SUBJECTS.find((s) => s.subjectId === 'customer-1')!;
    const created = await local.api('POST', '/erasure-requests', {
      body: {
        subjectId: subject.subjectId,
        verification: { method: 'e-mail link', verifiedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') },
      },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(created.status).toBe(202);
    requestId = (created.body as { requestId: string }).requestId;
    const running = async () => ((await local.api('GET', `/erasure-requests/${requestId}`)).body as { status?: string }).status;
    for (let i = 0; i < 100 && (await running()) !== 'running'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await running()).toBe('running');
    const launched = Date.now();
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--lang=en-GB'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.emulateMediaFeatures([{ name: 'prefers-reduced-motion', value: 'reduce' }]);
    timings.browserStartMs = Date.now() - launched;
    mkdirSync(SHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await local?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    console.log(`console e2e timings: ${JSON.stringify(timings)}`);
  }, 60_000);

  /**
   * Opens a page of the console and waits until its text contains `text` and nothing on it is still loading (a page's
   * heading shows before its data: waiting for the heading alone raced the data under CI's load).
   */
  async function open(hash: string, text: string): Promise<string> {
    const t0 = Date.now();
    await page.goto(`${local.consoleUrl!}/${hash}`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(
      (expected: string, loading: string) =>
        document.body.innerText.includes(expected) &&
        ![...document.querySelectorAll('[role="status"]')].some((status) => status.textContent === loading),
      { timeout: 30_000 },
      text,
      en.loading,
    );
    timings[`${hash}Ms`] = Date.now() - t0;
    return page.evaluate(() => document.body.innerText);
  }

  /** docs/console/<name>.png: the page from its top, at 1280×800. */
  async function shot(name: string): Promise<void> {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  }

  it("local mode's banner prints the console's address, which serves the console", async () => {
    expect(local.consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(localLines.join('\n')).toContain(`  console     ${local.consoleUrl}`);
  });

  it('Requests: the open request is listed, with its deadline', async () => {
    const text = await open('#/requests', requestId);
    expect(text).toContain('Requests');
    await shot('requests');
  });

  it("A request: extending its deadline from the page, with a reason, changes the API's deadline", async () => {
    const before = (await local.api('GET', `/erasure-requests/${requestId}`)).body as { deadline: string; extension?: unknown };
    expect(before.extension).toBeUndefined();
    await open(`#/requests/erasure/${requestId}`, 'Extend deadline');
    await page.select('select[name="months"]', '2');
    await page.type('textarea[name="reason"]', 'The request is complex: a system needs more time.');
    await page.click('form button[type="submit"]');
    await page.waitForFunction(() => document.body.innerText.includes('Deadline extended to'), { timeout: 30_000 });
    const after = (await local.api('GET', `/erasure-requests/${requestId}`)).body as { deadline: string; extension?: { reason: string } };
    expect(after.extension?.reason).toBe('The request is complex: a system needs more time.');
    expect(Date.parse(after.deadline)).toBeGreaterThan(Date.parse(before.deadline));
    await shot('request');
  });

  it('Retention: every purpose of the policy with its clock, and its holdings by state as the API counts them', async () => {
    const text = await open('#/retention', 'Customer and partner relationships');
    for (const purpose of ['Invoicing and bookkeeping', '6 months after the end of the customer or partner relationship'])
      expect(text).toContain(purpose);
    // THEN each purpose's row shows the API's counts: waiting, counting, due, held, indefinite, needs attention. Local
    // mode's sweeps and the open request change holdings meanwhile, so the page and the API are read again (the page
    // reloaded) until one read of each agrees, for at most 30 s.
    const expectedNow = async () => {
      const states = (await local.api('GET', '/retention/holdings')).body as HoldingStates;
      return Object.fromEntries(
        Object.entries(states.purposes).map(([purpose, c]) => [
          purpose,
          [c.waiting, c.counting, c.due, c.held, c.indefinite, c.quarantined + c.nothingFound].map(String),
        ]),
      );
    };
    const shown = async () => {
      // The purposes' rows (a row header with the purpose id), not the calendar's, which loads first
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll('tbody tr')]
            .filter((row) => row.querySelector('th code'))
            .some((row) => [...row.querySelectorAll('td.number')].some((td) => td.textContent !== '–')),
        { timeout: 30_000 },
      );
      return page.$$eval('tbody tr', (rows) =>
        Object.fromEntries(
          rows
            .filter((row) => row.querySelector('th code'))
            .map((row) => [row.querySelector('th code')!.textContent, [...row.querySelectorAll('td.number')].map((td) => td.textContent)]),
        ),
      );
    };
    let [page1, api1] = [await shown(), await expectedNow()];
    for (const until = Date.now() + 30_000; JSON.stringify(page1) !== JSON.stringify(api1) && Date.now() < until;) {
      await page.reload({ waitUntil: 'domcontentloaded' });
      [page1, api1] = [await shown(), await expectedNow()];
    }
    expect(Object.values(api1).some((counts) => counts.some((n) => n !== '0'))).toBe(true);
    expect(page1).toEqual(api1);
    await shot('retention');
  });

  it('Register: the Art. 30 record of the policy, read once it has loaded (its answer held back 2 s, as under load)', async () => {
    // GIVEN the register's answer comes 2 s late, as it did under CI's load (the heading shows before it)
    const late = (request: HTTPRequest) => {
      if (request.isInterceptResolutionHandled()) return;
      if (new URL(request.url()).pathname === '/console-api/register') setTimeout(() => void request.continue(), 2_000);
      else void request.continue();
    };
    await page.setRequestInterception(true);
    page.on('request', late);
    try {
      // WHEN the page is opened THEN what is read is the record, not the loading message
      const text = await open('#/register', 'Record of processing activities');
      expect(text).not.toContain(en.loading);
      expect(text).toContain('DH Solutions AB');
    } finally {
      page.off('request', late);
      await page.setRequestInterception(false);
    }
    await shot('register');
  });

  it("Proof: the audit chain, verified intact, its end checked against the audit-chain table's head; the newest record removed: truncated", async () => {
    interface Answer {
      intact: boolean;
      records: number;
      head: { seq: number } | null;
      break?: { kind: string; seq: number };
    }
    const audit = async () => (await (await fetch(`${local.consoleUrl!}/console-api/audit`)).json()) as Answer;
    // Two records, written as the functions write them (ids and HMACs only), so that the chain has an end to check
    // however far the request got (its records may be written yet or not).
    const writer = new AuditWriter(local.clients.documents, local.clients.s3, {
      chainTable: 'lethe-local-audit-chain',
      bucket: 'lethe-local-audit',
    });
    const entry = (n: number): AuditEntry => ({
      at: new Date().toISOString(),
      kind: 'sweep',
      sweepId: `console-it-${n}`,
      purposes: ['customer-relationship'],
      system: 'crm',
      action: 'delete',
      outcome: 'nothing-found',
      counts: { records: 0, fields: 0, objects: 0 },
      subject: 'f'.repeat(64),
      policyHash: 'a'.repeat(64),
    });
    await writer.write(entry(1));
    const last = await writer.write(entry(2));
    const text = await open('#/proof', 'Intact:');
    const intact = await audit();
    // The request may write records meanwhile: the head read first may be behind them, never ahead.
    expect(intact).toMatchObject({ intact: true, head: { seq: expect.any(Number) } });
    expect(intact.head!.seq).toBeGreaterThanOrEqual(last.seq);
    expect(intact.head!.seq).toBeLessThanOrEqual(intact.records);
    expect(text).toContain(`Intact: ${intact.records} records verified`);
    expect(text).toMatch(/The end of the chain was checked against the head recorded in the audit-chain table, at record \d+\./);
    await shot('proof');
    // WHEN the newest record's object is removed THEN the chain is broken, truncated (the chain alone would look intact)
    const key = auditObjectKey(intact.head!.seq);
    const stored = await local.clients.s3.send(new GetObjectCommand({ Bucket: 'lethe-local-audit', Key: key }));
    const body = await stored.Body!.transformToString('utf8');
    await local.clients.s3.send(new DeleteObjectCommand({ Bucket: 'lethe-local-audit', Key: key }));
    try {
      expect(await audit()).toMatchObject({ intact: false, break: { kind: 'truncated', seq: intact.head!.seq } });
      // The page is at #/proof already: reloaded, it asks again.
      await page.reload({ waitUntil: 'domcontentloaded' });
      await page.waitForFunction(() => document.body.innerText.includes('Broken at'), { timeout: 30_000 });
      expect(await page.evaluate(() => document.body.innerText)).toMatch(/Broken at record \d+: truncated\./);
    } finally {
      await local.clients.s3.send(new PutObjectCommand({ Bucket: 'lethe-local-audit', Key: key, Body: body }));
    }
    expect((await audit()).intact).toBe(true);
  });

  it("lethe audit verify --chain-table, as local mode's banner prints it and docs/local-mode.md gives it: the chain reaches the head", async () => {
    const printed = localLines.flatMap((l) => l.split('\n')).find((l) => l.startsWith('npx lethe audit verify '));
    expect(printed).toBe(
      `npx lethe audit verify --bucket lethe-local-audit --endpoint-url ${local.endpoints.s3} --chain-table lethe-local-audit-chain --dynamodb-endpoint-url ${local.endpoints.dynamodb}`,
    );
    let stdout = '';
    let stderr = '';
    const code = await runAsync(printed!.split(' ').slice(2), { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/chain intact .*, reaches the head in lethe-local-audit-chain \(record \d+\)\n$/);
  });

  it("Subject lookup: a subject's holdings, the id kept nowhere in the browser", async () => {
    await open('#/subject', 'Subject lookup');
    await page.type('input[name="subject"]', 'customer-10');
    await page.click('form button[type="submit"]');
    await page.waitForFunction(() => document.body.innerText.includes('Holdings'), { timeout: 30_000 });
    const stored = await page.evaluate(() =>
      [location.href, JSON.stringify(localStorage), JSON.stringify(sessionStorage), document.cookie].join(' '),
    );
    expect(stored).not.toContain('customer-10');
    await shot('subject');
  });

  it("the console server's log: a line per call, and no subject id, personal value or request id in it", () => {
    expect(consoleLines.length).toBeGreaterThan(6);
    expect(consoleLines.some((l) => l.includes('POST /api/erasure-requests/{requestId}/extend 200'))).toBe(true);
    expect(consoleLines.some((l) => l.includes('GET /api/subjects/{subjectId} 200'))).toBe(true);
    const forbidden = [requestId, ...DEMO_SUBJECTS.flatMap((s) => [s.subjectId, ...personalValuesOf(s)])];
    const leaks = consoleLines.filter((line) => forbidden.some((value) => line.includes(value)));
    expect(leaks).toEqual([]);
  });
});
