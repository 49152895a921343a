/**
 * `lethe demo`'s scenario (lib/demo) on the tests' local Lethe and policy: it must run on any policy, check
 * itself, and report what the policy says. (`lethe demo` itself starts its own local mode; this runs the same
 * steps on the one already running, so that local mode starts once per test run.)
 */
import { DEMO_ERASED, runScenario } from '../../../lib/demo/scenario';
import type { Harness } from '../support/harness';

export function defineDemoScenarios(harness: () => Harness): void {
  describe('the demo scenario', () => {
    test('runs end to end on the test policy: erasure across systems, retention, a sweep at its end, the audit chain', async () => {
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
        billing: 'retained',
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
      expect(report.steps.map((s) => s.title)).toHaveLength(9);
      expect(lines.filter((l) => /^ ?\d\. |^\d\d\. /.test(l))).toHaveLength(9);
      expect(lines.filter((l) => /^ {4}done in \d+\.\d+ s$/.test(l))).toHaveLength(9);
      expect(lines.join('\n')).toContain('chain intact');
    });
  });
}
