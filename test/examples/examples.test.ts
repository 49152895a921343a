/**
 * The five example policies (one per seed in shared/seeds/) validate, and give the expiries their seeds
 * promise for sample subjects. The expectations files were computed by hand from the seeds' sentences.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expiryToJson } from '../../lib/cli/main';
import { parseHoldingFile } from '../../lib/inputs';
import { loadPolicyFile } from '../../lib/policy/load';
import { computeExpiry } from '../../lib/retention/expiry';

const ROOT = join(__dirname, '..', '..');
const examples = readdirSync(join(ROOT, 'examples'))
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

interface Expectation {
  readonly promise: string;
  readonly purpose: string;
  readonly holding: unknown;
  readonly expected: { expiresAt: string | null; waitingFor?: string[]; indefinite?: true };
}

describe('example policies', () => {
  it('has one example per seed', () => {
    expect(examples).toHaveLength(5);
  });

  describe.each(examples)('%s', (file) => {
    const name = file.replace(/\.ya?ml$/, '');
    const expectations: Expectation[] = JSON.parse(readFileSync(join(__dirname, `${name}.expectations.json`), 'utf8'));

    it('validates', () => {
      expect(() => loadPolicyFile(join(ROOT, 'examples', file))).not.toThrow();
    });

    it('quotes the seed sentence above every retention rule', () => {
      const lines = readFileSync(join(ROOT, 'examples', file), 'utf8').split('\n');
      const rules = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s+retention:/.test(l));
      expect(rules.length).toBeGreaterThan(0);
      for (const [, i] of rules) {
        // the comment block directly above (skipping other keys of the purpose) contains a quotation
        const above = lines.slice(Math.max(0, i - 12), i).filter((l) => /^\s*#/.test(l));
        expect(above.join('\n')).toMatch(/"[^"]{10,}/);
      }
    });

    it('has sample subjects for several rules', () => {
      expect(expectations.length).toBeGreaterThanOrEqual(3);
    });

    it.each(expectations.map((e) => [e.purpose, e.promise.slice(0, 80), e] as const))('%s: %s', (purpose, _promise, e) => {
      const { policy } = loadPolicyFile(join(ROOT, 'examples', file));
      const holding = parseHoldingFile(policy, e.holding);
      const { explanation, purpose: _p, ...result } = expiryToJson(policy, computeExpiry(policy, purpose, holding));
      expect(result).toEqual(e.expected);
      expect(explanation).toEqual(expect.any(String));
    });
  });
});
