/**
 * The five example policies (one per real privacy policy the project was tried on), in version 2: they validate
 * without warnings, quote the policy above every rule, and give the expiries their policies promise for sample
 * holdings. The expectations files were computed by hand from the policies' sentences; each `promise` says the
 * arithmetic. Items (`ref`) are given where the purpose keeps a clock per item.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Temporal } from '@js-temporal/polyfill';
import { expiryToJson } from '../../lib/cli/main';
import { loadPolicyFile } from '../../lib/policy/load';
import type { Policy } from '../../lib/policy/model';
import { COLLECTED, REQUEST_HANDLED } from '../../lib/policy/schema';
import { computeExpiry, type HoldingFacts } from '../../lib/retention/expiry';

const ROOT = join(__dirname, '..', '..');
const examples = readdirSync(join(ROOT, 'examples'))
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

interface EventInput {
  readonly type: string;
  readonly at: string;
  readonly ref?: string;
  readonly purpose?: string;
}

interface Expectation {
  readonly promise: string;
  readonly purpose: string;
  readonly holding: { readonly collectedAt: string; readonly ref?: string; readonly events: readonly EventInput[] };
  readonly expected: { expiresAt: string | null; waitingFor?: string[]; indefinite?: true };
}

/** The holding of an expectation as the engine takes it; an event type the policy does not know is a typo. */
function holdingFacts(policy: Policy, holding: Expectation['holding']): HoldingFacts {
  for (const e of holding.events) {
    if (![...policy.events, COLLECTED, REQUEST_HANDLED].includes(e.type)) throw new Error(`unknown event type "${e.type}"`);
  }
  return {
    collectedAt: Temporal.Instant.from(holding.collectedAt),
    ...(holding.ref === undefined ? {} : { ref: holding.ref }),
    events: holding.events.map((e) => ({
      type: e.type,
      at: Temporal.Instant.from(e.at),
      ...(e.ref === undefined ? {} : { ref: e.ref }),
      ...(e.purpose === undefined ? {} : { purpose: e.purpose }),
    })),
  };
}

describe('example policies', () => {
  it('has one example per policy tried', () => {
    expect(examples).toEqual([
      'dh-solutions.yaml',
      'digmi-group.yaml',
      'diploma-group.yaml',
      'smartsign.yaml',
      'unnamed-work-tracking-saas.yaml',
    ]);
  });

  describe.each(examples)('%s', (file) => {
    const name = file.replace(/\.ya?ml$/, '');
    const text = readFileSync(join(ROOT, 'examples', file), 'utf8');
    const expectations: Expectation[] = JSON.parse(readFileSync(join(__dirname, `${name}.expectations.json`), 'utf8'));

    it('validates as version 2, without warnings', () => {
      const { policy, warnings } = loadPolicyFile(join(ROOT, 'examples', file));
      expect(policy.version).toBe(2);
      expect(warnings).toEqual([]);
    });

    it('quotes the policy above every retention rule', () => {
      const lines = text.split('\n');
      const rules = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s+retention:/.test(l));
      expect(rules.length).toBeGreaterThan(0);
      for (const [, i] of rules) {
        // the comment block directly above (skipping other keys of the purpose) contains a quotation
        const above = lines.slice(Math.max(0, i - 14), i).filter((l) => /^\s*#/.test(l));
        expect({ line: i + 1, above: above.join('\n') }).toEqual({ line: i + 1, above: expect.stringMatching(/"[^"]{10,}/) });
      }
    });

    it('cites the controller’s published policy, not a path outside the repository', () => {
      expect(text).not.toMatch(/shared\/seeds|\.\.\/shared/);
    });

    it('gives every event type a description that reads after "after" or "from"', () => {
      const { policy } = loadPolicyFile(join(ROOT, 'examples', file));
      for (const event of policy.events) {
        expect({ event, description: policy.eventDescriptions[event] }).toEqual({
          event,
          description: expect.stringMatching(/^the [a-z]/),
        });
      }
    });

    it('has sample holdings for several rules, with a ref wherever the purpose keeps a clock per item', () => {
      const { policy } = loadPolicyFile(join(ROOT, 'examples', file));
      expect(expectations.length).toBeGreaterThanOrEqual(3);
      for (const e of expectations) {
        expect({ purpose: e.purpose, ref: e.holding.ref !== undefined }).toEqual({
          purpose: e.purpose,
          ref: policy.purposes[e.purpose].per === 'item',
        });
      }
    });

    it.each(expectations.map((e) => [e.purpose, e.promise.slice(0, 80), e] as const))('%s: %s', (purpose, _promise, e) => {
      const { policy } = loadPolicyFile(join(ROOT, 'examples', file));
      const { explanation, purpose: _p, ...result } = expiryToJson(policy, computeExpiry(policy, purpose, holdingFacts(policy, e.holding)));
      expect(result).toEqual(e.expected);
      expect(explanation).toEqual(expect.any(String));
    });
  });
});
