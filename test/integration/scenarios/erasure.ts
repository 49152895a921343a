/**
 * Erasure requests end to end: across connector types, anonymise versus delete, shared data and a legal
 * obligation, and user1 versus user10. Every check reads the systems themselves.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Harness } from '../support/harness';
import {
  auditOf,
  dynamoRecord,
  erase,
  expectStatus,
  fileKey,
  fileObjects,
  hold,
  isoDaysFromNow,
  rawSnapshot,
  recordEvent,
  recordOf,
  seed,
  statusBySystem,
  testUser,
} from '../support/harness';

export function defineErasureScenarios(harness: () => Harness): void {
  describe('erasure requests', () => {
    test('an erasure across DynamoDB, S3 and an HTTP webhook deletes the subject in each system', async () => {
      const { local } = harness();
      // GIVEN Erik's records in profiles (dynamodb), files (s3) and mailer (http), and his holdings there
      const erik = testUser('it-erik', 'Erik Johansson');
      await seed(local, erik, ['profiles', 'files', 'mailer']);
      await hold(local, erik, 'account', 'profiles', isoDaysFromNow(-30));
      await hold(local, erik, 'account', 'files', isoDaysFromNow(-30));
      await hold(local, erik, 'newsletter', 'mailer', isoDaysFromNow(-30));
      expect(await dynamoRecord(local, 'profiles', erik)).toEqual(recordOf(erik, 'profiles'));
      expect(Object.keys(await fileObjects(local, erik))).toEqual([fileKey(erik)]);

      // WHEN he asks for erasure
      const view = await erase(local, erik);

      // THEN the request completes, every system reports erased...
      expect(view.status).toBe('completed');
      expect(statusBySystem(view)).toEqual({ profiles: 'erased', files: 'erased', mailer: 'erased' });
      expect(view.retained).toEqual([]);
      // ...and the data is really gone: the DynamoDB item, the S3 objects, the SaaS's record
      expect(await dynamoRecord(local, 'profiles', erik)).toBeUndefined();
      expect(await fileObjects(local, erik)).toEqual({});
      expect(local.receiver.records('mailer')[erik.id]).toBeUndefined();
      // The SaaS got one signed call, keyed by the operation, asking to delete exactly Erik
      const calls = local.receiver.received('mailer').filter((c) => c.idempotencyKey === `${view.requestId}:mailer`);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ status: 200, signatureValid: true, replayed: false });
      expect(calls[0].request?.subjects.map((s) => [s.subjectId, s.record])).toEqual([[erik.id, 'delete']]);
      // One audit record per system
      const audit = await auditOf(local, { requestId: view.requestId });
      expect(audit.map((r) => [r.system, r.action, r.outcome]).sort()).toEqual([
        ['files', 'delete', 'erased'],
        ['mailer', 'delete', 'erased'],
        ['profiles', 'delete', 'erased'],
      ]);
      expect(audit.find((r) => r.system === 'files')?.counts).toMatchObject({ objects: 1 });
    });

    test('anonymise versus delete: the research record is anonymised field by field, the account record deleted', async () => {
      const { local } = harness();
      // GIVEN Anna's profile (account: erase on request) and her survey answers (research: anonymise on request)
      const anna = testUser('it-anna', 'Anna Karlsson');
      await seed(local, anna, ['profiles', 'surveys']);
      await hold(local, anna, 'account', 'profiles', isoDaysFromNow(-30));
      await hold(local, anna, 'research', 'surveys', isoDaysFromNow(-30));

      // WHEN she asks for erasure
      const view = await erase(local, anna);

      // THEN the profile is deleted...
      expect(view.status).toBe('completed');
      expect(statusBySystem(view)).toEqual({ profiles: 'erased', surveys: 'anonymised' });
      expect(await dynamoRecord(local, 'profiles', anna)).toBeUndefined();
      // ...and the survey record stays, each field anonymised by its strategy
      const survey = await dynamoRecord(local, 'surveys', anna);
      expect(survey).toBeDefined();
      expect(survey!.respondentId).toBe(anna.id); // the key is not personal data the policy names
      expect(survey!.name).toBe('[erased]'); // redact
      expect(survey!.email).toMatch(/^[0-9a-f]{64}$/); // hmac
      expect(survey!.email).not.toBe(anna.email);
      expect(survey!.birthDate).toBe('1985'); // generalise-date to year
      expect(JSON.stringify(survey)).not.toContain('Karlsson');
      const audit = await auditOf(local, { requestId: view.requestId });
      expect(audit.map((r) => [r.system, r.action, r.outcome]).sort()).toEqual([
        ['profiles', 'delete', 'erased'],
        ['surveys', 'anonymise', 'anonymised'],
      ]);
    });

    test('shared data is protected and a legal obligation retains: only fields no staying purpose needs go', async () => {
      const { local } = harness();
      // GIVEN Sven, a customer (account: profiles, files) who was invoiced (bookkeeping: files, billing)
      const sven = testUser('it-sven', 'Sven Lindgren');
      await seed(local, sven, ['profiles', 'files', 'billing']);
      await hold(local, sven, 'account', 'profiles', isoDaysFromNow(-400));
      await hold(local, sven, 'account', 'files', isoDaysFromNow(-400));
      await hold(local, sven, 'bookkeeping', 'files', isoDaysFromNow(-400));
      await hold(local, sven, 'bookkeeping', 'billing', isoDaysFromNow(-400));
      await recordEvent(local, sven, 'invoiced', '2025-03-15T12:00:00+01:00');
      const billingBefore = local.receiver.records('billing')[sven.id];

      // WHEN he asks for erasure
      const view = await erase(local, sven);

      // THEN the request completes; bookkeeping is retained with its reason and its end (7 years after 2025)
      expect(view.status).toBe('completed');
      expect(view.retained).toEqual([
        {
          purpose: 'bookkeeping',
          reason: local.policy.purposes.bookkeeping.retainReason,
          until: '2033-01-01T00:00:00+01:00',
        },
      ]);
      expect(statusBySystem(view)).toEqual({ profiles: 'erased', files: 'fields-removed', billing: 'restricted' });
      expect(view.systems.find((s) => s.system === 'files')?.fields).toEqual(['address']);
      // files is shared: bookkeeping still needs identity and order, so only the contact field (address) went
      expect(await fileObjects(local, sven)).toEqual({ [fileKey(sven)]: { name: sven.name, orderRef: `ORD-${sven.id}` } });
      // billing only serves bookkeeping: retained, so only marked restricted (spec 2.4), every other field as it was
      const { 'lethe:restricted': mark, ...billingAfter } = local.receiver.records('billing')[sven.id] as Record<string, unknown>;
      expect(billingAfter).toEqual(billingBefore);
      expect(mark).toEqual({ requestId: view.requestId });
      expect(await dynamoRecord(local, 'profiles', sven)).toBeUndefined();
      const audit = await auditOf(local, { requestId: view.requestId });
      expect(audit.map((r) => [r.system, r.action, r.outcome, r.purposes]).sort()).toEqual([
        ['billing', 'retain', 'restricted', ['bookkeeping']],
        ['files', 'keep', 'fields-removed', ['account']],
        ['profiles', 'delete', 'erased', ['account']],
      ]);
    });

    test('user1 versus user10, O-1 versus O-10: erasing user1 leaves user10 and its order byte for byte unchanged', async () => {
      const { local } = harness();
      // GIVEN user1 and user10 (one id a prefix of the other) with records and holdings in every kind of system,
      // and an order each, held per item (spec 2.2): user1's O-1 and user10's O-10 (one ref a prefix of the other)
      const user1 = testUser('user1', 'Ulla Ett');
      const user10 = testUser('user10', 'Tio Tiosson');
      const orderOf = { [user1.id]: `${user1.id}-O-1`, [user10.id]: `${user1.id}-O-10` };
      for (const user of [user1, user10]) {
        await seed(local, user, ['profiles', 'surveys', 'files', 'mailer']);
        await hold(local, user, 'account', 'profiles', isoDaysFromNow(-30));
        await hold(local, user, 'account', 'files', isoDaysFromNow(-30));
        await hold(local, user, 'research', 'surveys', isoDaysFromNow(-30));
        await hold(local, user, 'newsletter', 'mailer', isoDaysFromNow(-30));
        const orderId = orderOf[user.id];
        await local.clients.documents.send(
          new PutCommand({ TableName: 'it-orders', Item: { orderId, buyer: user.name, lines: '2 x tea' } }),
        );
        const answer = await local.api('POST', `/subjects/${encodeURIComponent(user.id)}/holdings`, {
          body: { purpose: 'order', system: 'orders', ref: orderId, collectedAt: isoDaysFromNow(-30), locator: { orderId } },
        });
        expectStatus(answer, 201, `registering order ${orderId} for ${user.id}`);
      }
      const orderItem = async (orderId: string) =>
        (
          await local.clients.dynamodb.send(
            new GetItemCommand({ TableName: 'it-orders', Key: { orderId: { S: orderId } }, ConsistentRead: true }),
          )
        ).Item ?? null;
      const before = await rawSnapshot(local, user10);
      const orderBefore = await orderItem(orderOf[user10.id]);
      expect(orderBefore).not.toBeNull();

      // WHEN user1 is erased
      const view = await erase(local, user1);

      // THEN user1's data is gone or anonymised in every system...
      expect(view.status).toBe('completed');
      expect(statusBySystem(view)).toEqual({
        profiles: 'erased',
        files: 'erased',
        surveys: 'anonymised',
        mailer: 'erased',
        orders: 'erased',
      });
      expect(await dynamoRecord(local, 'profiles', user1)).toBeUndefined();
      expect(await orderItem(orderOf[user1.id])).toBeNull();
      expect(await fileObjects(local, user1)).toEqual({});
      expect((await dynamoRecord(local, 'surveys', user1))?.name).toBe('[erased]');
      expect(local.receiver.records('mailer')[user1.id]).toBeUndefined();
      // ...and user10's is exactly as it was: the same attribute values, the same bytes, the same object versions
      const after = await rawSnapshot(local, user10);
      expect(after).toEqual(before);
      expect(Object.keys(after.files as object)).toEqual([fileKey(user10)]);
      expect(after.profiles).not.toBeNull();
      // ...and so is user10's order O-10, whose id starts with user1's order's
      expect(await orderItem(orderOf[user10.id])).toEqual(orderBefore);
      // The order ids are in no audit record and no function log line (items are named by HMACs there)
      const audit = (await local.auditRecords()).map((r) => JSON.stringify(r));
      expect(audit.some((r) => r.includes('"item"'))).toBe(true);
      const leaked = [...audit, ...local.logLines()].filter((text) => Object.values(orderOf).some((id) => text.includes(id)));
      expect(leaked).toEqual([]);
    });
  });
}
