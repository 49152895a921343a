import { InputError } from '../../../lib/core/errors';
import { checkHolding } from '../../../lib/runtime/validate';
import { shopPolicyV2 } from '../../helpers/shop-policy-v2';

describe('checkHolding', () => {
  it('accepts a holding of a per-subject purpose in one of its systems', () => {
    expect(() => checkHolding(shopPolicyV2, 'customer', 'crm')).not.toThrow();
  });

  it.each([
    [
      'an item purpose (per: item), which the ledger cannot hold per item yet',
      'order',
      'orders',
      'ref',
      /keeps a clock per item \(per: item\)/,
    ],
    ['a system the purpose does not use', 'customer', 'orders', 'system', /does not hold data in system "orders"/],
    ['an unknown purpose', 'nope', 'crm', 'purpose', /unknown purpose "nope"/],
  ])('refuses %s, naming the field', (_what, purpose, system, path, message) => {
    // GIVEN the version 2 shop WHEN a holding is checked THEN the error names the field and says why
    let caught: unknown;
    try {
      checkHolding(shopPolicyV2, purpose, system);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).path).toBe(path);
    expect((caught as InputError).message).toMatch(message);
  });
});
