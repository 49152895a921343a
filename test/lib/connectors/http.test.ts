import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import ts from 'typescript';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ConnectorPermanentError, ConnectorTransientError } from '../../../lib/connectors/errors';
import { HttpConnector } from '../../../lib/connectors/http';
import { signWebhook, verifyWebhookSignature, type WebhookRequest, type WebhookSubject } from '../../../lib/connectors/webhook';
import { FIELDS, invocation, subject } from './fixtures';

const SECRET = 'whsec-test-only';
const NOW_MS = 1_750_000_000_123;

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A real HTTP server on 127.0.0.1, random port, answering with `respond`. */
let server: Server;
let url: string;
let received: Received[];
let respond: (request: Received, res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      respond(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lethe/erasure`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
  respond = answerAll('erased');
});

/** A receiver that answers every subject with `status`. */
function answerAll(status: string, counts: Record<string, number> = { records: 1 }) {
  return (request: Received, res: ServerResponse) => {
    const payload = JSON.parse(request.body) as WebhookRequest;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ subjects: payload.subjects.map((s) => ({ subjectRef: s.subjectRef, status, counts })) }));
  };
}
const status =
  (code: number, text = '') =>
  (_r: Received, res: ServerResponse) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(text);
  };

const connector = (overrides: Record<string, unknown> = {}) =>
  new HttpConnector(
    'billing',
    { url, secretName: 'lethe/billing-webhook', timeoutSeconds: 1, ...overrides },
    { signingKey: async () => SECRET, now: () => NOW_MS },
  );
const billing = (subjects = [subject({ locator: { customerId: 'C-1' }, identifiers: { email: 'ada@example.com' } })]) =>
  invocation(subjects, { system: 'billing', operationId: 'req-42:billing' });

describe('the request', () => {
  test('is a signed JSON POST with the Idempotency-Key, that a receiver can verify', async () => {
    const result = await connector().run(billing());
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['idempotency-key']).toBe('req-42:billing');
    const signature = request.headers['x-lethe-signature'] as string;
    expect(signature).toBe(signWebhook(SECRET, request.body, Math.floor(NOW_MS / 1000)));
    expect(signature).toMatch(/^t=1750000000,v1=[0-9a-f]{64}$/);
    // THEN a receiver verifies it with the shared secret, and only with it, and only for this body
    expect(verifyWebhookSignature(SECRET, request.body, signature, { nowSeconds: 1_750_000_010 })).toBe(true);
    expect(verifyWebhookSignature('another-secret', request.body, signature, { nowSeconds: 1_750_000_010 })).toBe(false);
    expect(verifyWebhookSignature(SECRET, request.body.replace('C-1', 'C-2'), signature, { nowSeconds: 1_750_000_010 })).toBe(false);
    expect(verifyWebhookSignature(SECRET, request.body, signature, { nowSeconds: 1_750_000_000 + 301 })).toBe(false); // too old: replay
    expect(JSON.parse(request.body)).toEqual({
      system: 'billing',
      operationId: 'req-42:billing',
      subjects: [
        {
          subjectRef: 'ref-user1',
          subjectId: 'user1',
          locator: { customerId: 'C-1' },
          identifiers: { email: 'ada@example.com' },
          record: 'delete',
          removeFields: [],
          anonymiseFields: [],
        },
      ],
    });
    expect(result).toEqual({
      system: 'billing',
      // Without config.verify the SaaS is not asked again: unverified (the verify operation: below).
      subjects: [{ subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, verification: 'unverified' }],
    });
  });

  test('a batch goes in one call, with field specs; outcomes come back in the invocation’s order', async () => {
    respond = (request, res) => {
      const payload = JSON.parse(request.body) as WebhookRequest;
      res.writeHead(200);
      res.end(
        JSON.stringify({
          subjects: [...payload.subjects]
            .reverse()
            .map((s) => ({ subjectRef: s.subjectRef, status: 'fields-removed', counts: { fields: 2 } })),
        }),
      );
    };
    const result = await connector().run(
      billing([
        subject({ record: 'keep', removeFields: [FIELDS.phone], anonymiseFields: [FIELDS.email] }),
        subject({ subjectRef: 'ref-user10', subjectId: 'user10', record: 'keep', removeFields: [FIELDS.phone] }),
      ]),
    );
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0].body).subjects[0].anonymiseFields).toEqual([FIELDS.email]);
    expect(result.subjects.map((s) => s.subjectRef)).toEqual(['ref-user1', 'ref-user10']);
    expect(result.subjects[0].counts).toEqual({ records: 0, fields: 2, objects: 0 });
  });

  test('an item record carries its ref (spec 2.2), a main record none, so the SaaS can act on the one item', async () => {
    // GIVEN order O-1 of user1 (an item record) and user10's main record in one batch
    const item = subject({ ref: 'O-1', locator: { customerId: 'C-1', orderId: 'O-1' }, record: 'delete' });
    const main = subject({ subjectRef: 'ref-user10', subjectId: 'user10', locator: { customerId: 'C-10' } });
    // WHEN the connector calls the webhook
    await connector().run(billing([item, main]));
    // THEN the item's entry has ref O-1 and its locator; the main record's has no ref key at all
    const sent = JSON.parse(received[0].body) as WebhookRequest;
    expect(sent.subjects[0]).toMatchObject({ subjectRef: 'ref-user1', ref: 'O-1', locator: { customerId: 'C-1', orderId: 'O-1' } });
    expect(sent.subjects[1]).not.toHaveProperty('ref');
    const typed: WebhookSubject = sent.subjects[0];
    expect(typed.ref).toBe('O-1');
  });

  test('no subjects: no call', async () => {
    expect(await connector().run(billing([]))).toEqual({ system: 'billing', subjects: [] });
    expect(received).toHaveLength(0);
  });

  test('the signing secret is read from Secrets Manager (config.secretName) and cached', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    try {
      const fromSecrets = new HttpConnector('billing', { url, secretName: 'lethe/billing-webhook' }, { now: () => NOW_MS });
      await fromSecrets.run(billing());
      await fromSecrets.run(billing());
      expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual(['lethe/billing-webhook']);
      expect(
        verifyWebhookSignature(SECRET, received[1].body, received[1].headers['x-lethe-signature'] as string, { nowSeconds: NOW_MS / 1000 }),
      ).toBe(true);
    } finally {
      sm.restore();
    }
  });
});

describe('classification of failures', () => {
  test.each([
    [429, ConnectorTransientError],
    [408, ConnectorTransientError],
    [500, ConnectorTransientError],
    [503, ConnectorTransientError],
    [400, ConnectorPermanentError],
    [401, ConnectorPermanentError],
    [404, ConnectorPermanentError],
    [302, ConnectorPermanentError], // a redirect is not followed with a signed body
  ] as const)('HTTP %i → %p, without the response body', async (code, expected) => {
    respond = status(code, '{"error":"customer ada@example.com unknown"}');
    const error = await connector()
      .run(billing())
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(expected);
    expect((error as Error).message).toBe(`http: POST to the webhook of system "billing" answered HTTP ${code}`);
  });

  test('no answer within timeoutSeconds → transient', async () => {
    respond = () => undefined; // never answers
    const started = Date.now();
    const error = await connector({ timeoutSeconds: 1 })
      .run(billing())
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(ConnectorTransientError);
    expect((error as Error).message).toMatch(/timed out after 1 s/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('connection refused → transient', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await connector({ url: `http://127.0.0.1:${port}/hook` })
      .run(billing())
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(ConnectorTransientError);
  });

  test.each([
    ['not JSON', 'OK', /the answer \(HTTP 200\) is not JSON/],
    ['no subjects key', '{}', /the answer is invalid: subjects: /],
    [
      'an unknown status',
      '{"subjects":[{"subjectRef":"ref-user1","status":"done"}]}',
      /subjects\[0\]\.status: expected status: erased \| anonymised/,
    ],
    [
      'a negative count',
      '{"subjects":[{"subjectRef":"ref-user1","status":"erased","counts":{"records":-1}}]}',
      /subjects\[0\]\.counts\.records/,
    ],
    ['a missing subject', '{"subjects":[]}', /no outcome for subject\(s\) ref-user1/],
    [
      'a subject not asked about',
      '{"subjects":[{"subjectRef":"ref-user1","status":"erased"},{"subjectRef":"ada@example.com","status":"erased"}]}',
      /answers for a subject that was not asked about/,
    ],
    [
      'a subject twice',
      '{"subjects":[{"subjectRef":"ref-user1","status":"erased"},{"subjectRef":"ref-user1","status":"erased"}]}',
      /answers twice/,
    ],
    [
      'a message as the error',
      '{"subjects":[],"failed":[{"subjectRef":"ref-user1","error":"ada@example.com unknown","transient":false}]}',
      /failed\[0\]\.error: expected error: an error name/,
    ],
    [
      'a subject in both lists',
      '{"subjects":[{"subjectRef":"ref-user1","status":"erased"}],"failed":[{"subjectRef":"ref-user1","error":"E","transient":true}]}',
      /answers twice for subject ref-user1/,
    ],
    [
      'a failure for a subject not asked about',
      '{"subjects":[{"subjectRef":"ref-user1","status":"erased"}],"failed":[{"subjectRef":"ada@example.com","error":"E","transient":true}]}',
      /answers for a subject that was not asked about/,
    ],
  ])('a bad answer (%s) is permanent', async (_what, text, message) => {
    respond = status(200, text);
    const error = await connector()
      .run(billing())
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(ConnectorPermanentError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('ada@example.com');
  });

  test('a batch done in part: the subjects the SaaS answers in failed are validated and passed on, in the invocation’s order', async () => {
    // GIVEN a SaaS that did user1 and user3 and could not do user10 (rate limited)
    respond = status(
      200,
      JSON.stringify({
        failed: [{ subjectRef: 'ref-user10', error: 'RateLimited', transient: true }],
        subjects: [
          { subjectRef: 'ref-user3', status: 'erased' },
          { subjectRef: 'ref-user1', status: 'erased', counts: { records: 2 } },
        ],
      }),
    );
    // WHEN a batch of three is sent
    const result = await connector().run(
      billing([
        subject(),
        subject({ subjectRef: 'ref-user10', subjectId: 'user10' }),
        subject({ subjectRef: 'ref-user3', subjectId: 'user3' }),
      ]),
    );
    // THEN one call; the outcomes of user1 and user3, and user10 as failed
    expect(received).toHaveLength(1);
    expect(result).toEqual({
      system: 'billing',
      subjects: [
        { subjectRef: 'ref-user1', status: 'erased', counts: { records: 2, fields: 0, objects: 0 }, verification: 'unverified' },
        { subjectRef: 'ref-user3', status: 'erased', counts: { records: 0, fields: 0, objects: 0 }, verification: 'unverified' },
      ],
      failed: [{ subjectRef: 'ref-user10', error: 'RateLimited', transient: true }],
    });
  });

  test('counts default to 0 and nothing-found is accepted', async () => {
    respond = status(200, '{"subjects":[{"subjectRef":"ref-user1","status":"nothing-found"}]}');
    expect((await connector().run(billing())).subjects[0]).toEqual({
      subjectRef: 'ref-user1',
      status: 'nothing-found',
      counts: { records: 0, fields: 0, objects: 0 },
      verification: 'unverified',
    });
  });
});

describe('verifyWebhookSignature', () => {
  test.each([undefined, '', 't=1,v1=zz', 'v1=abc,t=1', `t=1750000000,v1=${'0'.repeat(64)}`])('rejects %j', (header) => {
    expect(verifyWebhookSignature(SECRET, '{}', header, { nowSeconds: 1_750_000_000 })).toBe(false);
  });
});

test('the receiver snippet in docs/connectors.md verifies what the connector signs', () => {
  // GIVEN the TypeScript block of the docs that defines verify() WHEN it is compiled and run
  const docs = readFileSync(join(__dirname, '../../../docs/connectors.md'), 'utf8');
  const block = /```ts\n(import \{ createHmac, timingSafeEqual \}[\s\S]*?)```/.exec(docs)?.[1];
  expect(block).toBeDefined();
  const js = ts.transpileModule(block!, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const module = { exports: {} as { verify?: (secret: string, body: string, header: string | undefined) => boolean } };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- runs the docs' code block as a reader would
  new Function('require', 'exports', 'module', js)(require, module.exports, module);
  const verify = module.exports.verify as (secret: string, body: string, header: string | undefined) => boolean;
  // THEN it accepts a fresh signature of this body with this secret, and nothing else
  const body = JSON.stringify({ system: 'billing', subjects: [] });
  const header = signWebhook(SECRET, body, Math.floor(Date.now() / 1000));
  expect(verify(SECRET, body, header)).toBe(true);
  expect(verify(SECRET, body + ' ', header)).toBe(false);
  expect(verify('other', body, header)).toBe(false);
  expect(verify(SECRET, body, signWebhook(SECRET, body, Math.floor(Date.now() / 1000) - 3600))).toBe(false);
  expect(verify(SECRET, body, undefined)).toBe(false);
});

describe('record actions restrict and unrestrict (issue 14)', () => {
  const restriction = { requestId: 'req-1', until: '2027-01-04T23:00:00.000Z' };

  test.each([
    ['restrict', 'restricted'],
    ['unrestrict', 'unrestricted'],
  ] as const)('the webhook receives record "%s" with the restriction, and its answer %s is passed on', async (record, answer) => {
    respond = answerAll(answer);
    const result = await connector().run(billing([subject({ record, restriction })]));
    expect(result.subjects[0]).toMatchObject({ subjectRef: 'ref-user1', status: answer });
    const sent = JSON.parse(received[0].body) as WebhookRequest;
    expect(sent.subjects[0]).toMatchObject({ record, restriction, removeFields: [], anonymiseFields: [] });
  });

  test('a webhook that does not know restrict and answers erased fails the call, permanently, naming the action', async () => {
    respond = answerAll('erased');
    await expect(connector().run(billing([subject({ record: 'restrict', restriction })]))).rejects.toThrow(
      /does not implement record action "restrict"/,
    );
  });
});

describe('the verify operation (issue 19, config.verify)', () => {
  /** A SaaS that answers the action with `erased` and the verify call with `remaining` per subject. */
  const saas =
    (remaining: Record<string, number>, verifyStatus = 200) =>
    (request: Received, res: ServerResponse) => {
      const payload = JSON.parse(request.body) as WebhookRequest & { operation?: string };
      if (payload.operation !== 'verify') {
        answerAll('erased')(request, res);
        return;
      }
      if (verifyStatus !== 200) {
        status(verifyStatus)(request, res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ subjects: payload.subjects.map((s) => ({ subjectRef: s.subjectRef, remaining })) }));
    };

  test('after the action, a second signed call asks what is left: nothing → verified', async () => {
    // GIVEN a SaaS that erases and then finds nothing left
    respond = saas({ records: 0 });
    // WHEN the subject is erased through a connector with config.verify
    const result = await connector({ verify: true }).run(billing());
    // THEN two calls: the action, then the verify operation with the same subject, its own Idempotency-Key, signed
    expect(received).toHaveLength(2);
    const verify = received[1];
    expect(JSON.parse(verify.body)).toMatchObject({
      operation: 'verify',
      system: 'billing',
      operationId: 'req-42:billing:verify',
      subjects: [{ subjectRef: 'ref-user1', record: 'delete', locator: { customerId: 'C-1' } }],
    });
    expect(verify.headers['idempotency-key']).toBe('req-42:billing:verify');
    expect(verifyWebhookSignature(SECRET, verify.body, verify.headers['x-lethe-signature'] as string, { nowSeconds: NOW_MS / 1000 })).toBe(
      true,
    );
    expect(result.subjects).toEqual([
      { subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, verification: 'verified' },
    ]);
  });

  test('a SaaS that answers erased but still holds the record: the subject fails with ConnectorVerificationError', async () => {
    respond = saas({ records: 1 });
    const result = await connector({ verify: true }).run(billing());
    expect(result).toEqual({
      system: 'billing',
      subjects: [],
      failed: [{ subjectRef: 'ref-user1', error: 'ConnectorVerificationError', transient: false }],
    });
  });

  test('the verify call answers HTTP 400: the subject fails (ConnectorPermanentError), never verified', async () => {
    respond = saas({}, 400);
    const result = await connector({ verify: true }).run(billing());
    expect(result).toEqual({
      system: 'billing',
      subjects: [],
      failed: [{ subjectRef: 'ref-user1', error: 'ConnectorPermanentError', transient: false }],
    });
  });

  test('the verify call answers HTTP 503: the erasure stands, unverified (not run again: it would find nothing)', async () => {
    respond = saas({}, 503);
    const result = await connector({ verify: true }).run(billing());
    expect(result).toEqual({
      system: 'billing',
      subjects: [{ subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, verification: 'unverified' }],
    });
  });

  test('restrict is never verified: one call, no verification on the outcome', async () => {
    respond = answerAll('restricted');
    const result = await connector({ verify: true }).run(
      billing([subject({ locator: { customerId: 'C-1' }, record: 'restrict', restriction: { requestId: 'r-1' } })]),
    );
    expect(received).toHaveLength(1);
    expect(result.subjects[0].verification).toBeUndefined();
  });
});
