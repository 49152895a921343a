import { InputError } from '../../../lib/core/errors';
import { checkHolding, checkItemLocatable, checkMainRecordLocatable } from '../../../lib/runtime/validate';
import { basePolicyDoc, policyFromDoc } from '../../helpers/policy';
import { shopPolicyV2 } from '../../helpers/shop-policy-v2';

describe('checkHolding', () => {
  it('accepts a holding of a per-subject purpose in one of its systems', () => {
    expect(() => checkHolding(shopPolicyV2, 'customer', 'crm')).not.toThrow();
  });

  it.each([
    ['an item purpose (per: item) with its ref', 'order'],
    ['a per-subject purpose with a ref (spec 2.2: any holding may carry one)', 'customer'],
  ])('accepts a holding of %s', (_what, purpose) => {
    const system = purpose === 'order' ? 'orders' : 'crm';
    expect(() => checkHolding(shopPolicyV2, purpose, system, undefined, 'O-1')).not.toThrow();
  });

  it('refuses a ref with a control character, naming ref', () => {
    expect(() => checkHolding(shopPolicyV2, 'order', 'orders', undefined, 'O-1\n')).toThrow(expect.objectContaining({ path: 'ref' }));
  });

  it.each([
    ['a holding of an item purpose (per: item) without ref', 'order', 'orders', 'ref', /keeps a clock per item \(per: item\)/],
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

describe('checkItemLocatable: an item holding locates that item only', () => {
  const policy = policyFromDoc(
    basePolicyDoc({
      systems: {
        orders: { connector: 'dynamodb', location: 'eu-north-1', config: { tableName: 'orders', keyAttribute: 'orderId' }, fields: {} },
        lines: {
          connector: 'dynamodb',
          location: 'eu-north-1',
          config: { tableName: 'lines', keyAttribute: 'customerId', sortKeyAttribute: 'orderId' },
          fields: {},
        },
        files: { connector: 's3', location: 'eu-north-1', config: { bucket: 'b', prefix: 'orders/{orderId}/' }, fields: {} },
        home: { connector: 's3', location: 'eu-north-1', config: { bucket: 'b', prefix: 'customers/{subjectId}/' }, fields: {} },
      },
      purposes: {
        service: {
          legalBasis: 'contract',
          categories: ['identity'],
          systems: ['orders', 'lines', 'files', 'home'],
          retention: { keep: 'P1Y' },
        },
      },
    }),
  );

  it.each([
    ['a DynamoDB item without the table key in its locator', 'orders', { customerId: 'C-1' }, 'locator.orderId'],
    [
      'a DynamoDB table with a sort key, without it (the partition key alone takes the whole partition)',
      'lines',
      { customerId: 'C-1' },
      'locator.orderId',
    ],
    ['a DynamoDB table with a sort key, without the partition key', 'lines', { orderId: 'O-1' }, 'locator.customerId'],
    ['an S3 prefix the locator does not fill', 'files', {}, 'locator.orderId'],
    ["an S3 prefix that is the subject's own", 'home', { subjectId: 'u1' }, 'ref'],
  ])('refuses %s, naming the field', (_what, system, locator, path) => {
    expect(() => checkItemLocatable(policy, system, locator)).toThrow(expect.objectContaining({ path }));
  });

  it.each([
    ['a DynamoDB item by its key', 'orders', { orderId: 'O-1' }],
    ['a DynamoDB item by its full key, in a table with a sort key', 'lines', { customerId: 'C-1', orderId: 'O-1' }],
    ["an S3 prefix filled by the item's locator", 'files', { orderId: 'O-1' }],
  ])('accepts %s', (_what, system, locator) => {
    expect(() => checkItemLocatable(policy, system, locator)).not.toThrow();
  });
});

describe('checkMainRecordLocatable: a main record beside items in a partitioned table names its own sort key', () => {
  const lines = (config: Record<string, unknown>) => ({ connector: 'dynamodb', location: 'eu-north-1', config, fields: {} });
  const policy = policyFromDoc(
    basePolicyDoc({
      version: 2,
      systems: {
        // customer profile (orderId "profile") and her orders in one partition
        shop: lines({ tableName: 'shop', keyAttribute: 'customerId', sortKeyAttribute: 'orderId' }),
        // partitioned too, but no purpose keeps items there
        history: lines({ tableName: 'history', keyAttribute: 'customerId', sortKeyAttribute: 'at' }),
        orders: lines({ tableName: 'orders', keyAttribute: 'orderId' }),
      },
      purposes: {
        service: { legalBasis: 'contract', categories: ['identity'], systems: ['shop', 'history', 'orders'], retention: { keep: 'P1Y' } },
        order: { legalBasis: 'contract', per: 'item', categories: ['order'], systems: ['shop', 'orders'], retention: { keep: 'P1Y' } },
      },
    }),
  );

  it('refuses a main record without the sort key where items share the partition, naming locator.orderId and the item purpose', () => {
    // GIVEN the shop table keeps orders of the per: item purpose "order" WHEN a main-record holding names the partition only
    // THEN 400: erasing it would take every order of the partition
    expect(() => checkMainRecordLocatable(policy, 'shop', { customerId: 'C-1' })).toThrow(
      expect.objectContaining({ path: 'locator.orderId', message: expect.stringMatching(/purpose "order" is per: item/) }),
    );
  });

  it.each([
    ['with its own sort key value', 'shop', { customerId: 'C-1', orderId: 'profile' }],
    ['in a partitioned table that keeps no items (the whole partition is the main record, as before)', 'history', { customerId: 'C-1' }],
    ['in a table without a sort key', 'orders', {}],
  ])('accepts a main record %s', (_what, system, locator) => {
    expect(() => checkMainRecordLocatable(policy, system, locator)).not.toThrow();
  });
});
