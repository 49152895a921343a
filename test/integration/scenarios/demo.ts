/**
 * `lethe demo`'s scenario (lib/demo) on the tests' local Lethe and policy: it must run on any policy, check
 * itself, and report what the policy says. (`lethe demo` itself starts its own local mode; this runs the same
 * steps on the one already running, so that local mode starts once per test run.)
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DEMO_HOLD_REASON, DEMO_RIGHTS } from '../../../lib/demo/rights';
import { DEMO_SUBJECTS } from '../../../lib/local/demo';
import { DEMO_ERASED, runScenario } from '../../../lib/demo/scenario';
import type { Harness } from '../support/harness';

export function defineDemoScenarios(harness: () => Harness): void {
  describe('the demo scenario', () => {
    test('runs end to end on the test policy: erasure across systems, retention, a sweep at its end, hold, restriction, access, an item, the audit chain', async () => {
      const { local } = harness();
      const lines: string[] = [];

      // WHEN the demo's steps run
      const report = await runScenario(local, (line) => lines.push(line));

      // THEN every system got what the policy says for a customer with every purpose's holdings
      expect(report.systems).toEqual({
        profiles: 'erased',
        surveys: 'anonymised',
        files: 'fields-removed',
        mailer: 'erased',
        // retained: kept for bookkeeping; with spec 2.4's restriction of retained records, its record is marked restricted
        billing: expect.stringMatching(/^(retained|restricted)$/),
        tickets: 'erased',
      });
      expect(report.retained).toEqual([
        {
          purpose: 'bookkeeping',
          reason: local.policy.purposes.bookkeeping.retainReason,
          until: expect.stringMatching(/^20\d\d-01-01T00:00:00\+01:00$/),
        },
      ]);
      // The retention ended on the simulated clock: the sweep read what was due and the retained data went
      expect(report.sweep).toMatchObject({ purpose: 'bookkeeping', now: report.retained[0].until, status: 'SUCCEEDED' });
      expect(report.sweep!.itemsRead).toBeGreaterThanOrEqual(2);
      expect(local.receiver.records('billing')[DEMO_ERASED.subjectId]).toBeUndefined();
      expect(report.auditRecords).toBeGreaterThan(0);
      // The output is numbered steps, each with its time
      expect(report.steps.map((s) => s.title)).toHaveLength(17);
      expect(lines.filter((l) => /^ ?\d\. |^\d\d\. /.test(l))).toHaveLength(17);
      expect(lines.filter((l) => /^ {4}done in \d+\.\d+ s$/.test(l))).toHaveLength(17);
      // the restore-and-replay step (issue 19, item 4): profiles restored, her record found again and erased again
      // (and any other profiles record erased or expired since the copy; the step checks that hers is among them)
      expect(report.replay).toMatchObject({ system: 'profiles', output: { system: 'profiles', failed: [] } });
      expect(report.replay!.output.foundAgain).toBeGreaterThanOrEqual(1);
      expect(lines.join('\n')).toContain('chain intact');

      // AND the rights steps (issue 14, item 6) did what they say, as the tables and the API show it themselves:
      const { rights } = report;
      const item = async (table: string, key: Record<string, string>) =>
        (await local.clients.documents.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
      // the legal hold kept research (surveys, P2Y) past its expiry, and after its release the sweep anonymised it
      expect(rights.hold).toMatchObject({ purpose: 'research', holdId: expect.any(String) });
      const holds = await local.api('GET', `/subjects/${DEMO_RIGHTS.subjectId}/holds`);
      expect((holds.body as { holds: unknown[] }).holds).toEqual([
        expect.objectContaining({ holdId: rights.hold!.holdId, reason: DEMO_HOLD_REASON, releasedAt: expect.any(String) }),
      ]);
      const survey = await item('it-surveys', { respondentId: DEMO_RIGHTS.key });
      expect(survey).toMatchObject({ name: '[erased]' });
      expect(JSON.stringify(survey)).not.toContain(DEMO_RIGHTS.email);
      // the restriction marked her profile (DynamoDB attribute lethe:restricted) and her files, and nothing of others
      expect(rights.restriction).toEqual({
        requestId: expect.any(String),
        purpose: 'account',
        systems: { profiles: 'restricted', files: 'restricted' },
      });
      // (the mark as the step read it from DynamoDB; the next step lifted it)
      const restrictionId = rights.restriction!.requestId;
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^ {4}profiles: restricted; attribute lethe:restricted = \\{"requestId":"${restrictionId}"`)),
      );
      const restriction = await local.api('GET', `/restriction-requests/${restrictionId}`);
      expect(restriction.body).toMatchObject({
        status: 'completed',
        systems: [
          { system: 'profiles', status: 'restricted' },
          { system: 'files', status: 'restricted' },
        ],
      });
      const profile = await item('it-profiles', { userId: DEMO_RIGHTS.key });
      // the lift removed the mark and nothing else
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ {4}POST /restriction-requests/${restrictionId}/lift: 200`)));
      expect(profile?.['lethe:restricted']).toBeUndefined();
      const neighbour = await item('it-profiles', { userId: DEMO_SUBJECTS[0].key });
      expect(neighbour).toBeDefined();
      expect(neighbour?.['lethe:restricted']).toBeUndefined();
      // the access request completed and its export lists only the account and research fields it showed
      const access = await local.api('GET', `/access-requests/${rights.access!.requestId}`);
      expect(access.body).toMatchObject({ status: 'completed', export: { json: { url: expect.any(String) } } });
      expect(rights.access!.scope).toEqual(['account', 'research']);
      expect(rights.access!.fields['account/profiles']).toEqual(expect.arrayContaining(['name', 'email']));
      // the item sweep removed order C-0009-O-1 only: C-0009-O-10 and her profile stay
      expect(rights.item).toMatchObject({ purpose: 'order', system: 'orders', erased: 'C-0009-O-1', kept: 'C-0009-O-10' });
      expect(await item('it-orders', { orderId: 'C-0009-O-1' })).toBeUndefined();
      expect(await item('it-orders', { orderId: 'C-0009-O-10' })).toMatchObject({ orderId: 'C-0009-O-10' });
      expect(profile).toMatchObject({ userId: DEMO_RIGHTS.key, email: DEMO_RIGHTS.email });
      // the printed output names her by her demo id only: no name, e-mail address or phone number of hers
      const printed = lines.join('\n');
      for (const value of [DEMO_RIGHTS.name, DEMO_RIGHTS.email, DEMO_RIGHTS.phone]) expect(printed).not.toContain(value);
    }, 300_000); // 16 steps with five workflows and five sweeps: 96 s alone at load 17, over 120 s beside another run
  });
}
