/**
 * docs/policy-language.md: the policy its "Shape" section shows is valid version 2, so that an author who copies
 * it starts from a policy Lethe accepts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicyText } from '../../lib/policy/load';

const page = readFileSync(join(__dirname, '..', '..', 'docs', 'policy-language.md'), 'utf8');

describe('docs/policy-language.md', () => {
  it('shows a valid version 2 policy under "Shape"', () => {
    // GIVEN the first YAML block after the "Shape" heading
    const block = /## Shape\n\n```yaml\n([\s\S]*?)```/.exec(page);
    expect(block).not.toBeNull();
    // WHEN it is validated
    const { policy } = loadPolicyText(block![1], 'docs/policy-language.md');
    // THEN it is version 2 and uses the version 2 keys it describes
    expect(policy.version).toBe(2);
    expect(policy.purposes.bookkeeping).toMatchObject({ per: 'item', legalBases: ['contract', 'legal-obligation'] });
    expect(policy.controller.dpo).toEqual({ name: 'Dataskyddsombud', contact: 'dso@example.se' });
  });
});
