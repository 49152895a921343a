/**
 * lib/connectors/types/dynamodb.ts, the demo's locator (local mode's seed registers each subject's holdings with it): in
 * a table with a sort key the seeded item is the subject's `profile`, and the locator names it, so that the main record
 * is that item (issue 14 leftovers, item 2): registration refuses a main record without its sort key where a per: item
 * purpose keeps items in the same table (checkMainRecordLocatable), and local mode's seed must pass it.
 */
import { dynamodb } from '../../../../lib/connectors/types/dynamodb';
import { DEMO_SUBJECTS } from '../../../../lib/local/demo';
import { checkMainRecordLocatable } from '../../../../lib/runtime/validate';
import { basePolicyDoc, policyFromDoc } from '../../../helpers/policy';

const astrid = DEMO_SUBJECTS[0];

test.each([
  [{ tableName: 't', keyAttribute: 'customerId' }, { customerId: astrid.key }],
  [
    { tableName: 't', keyAttribute: 'customerId', sortKeyAttribute: 'sk' },
    { customerId: astrid.key, sk: 'profile' },
  ],
  [{ tableName: 't', keyAttribute: 'subjectId', sortKeyAttribute: 'sk' }, { sk: 'profile' }],
  [{ tableName: 't', keyAttribute: 'subjectId' }, {}],
])('the demo locator in %j is %j', (config, locator) => {
  expect(dynamodb.demo.locator?.(config, astrid)).toEqual(locator);
});

test('a seeded main record in a partitioned table that keeps items passes registration', () => {
  const config = { tableName: 'shop', keyAttribute: 'customerId', sortKeyAttribute: 'orderId' };
  const policy = policyFromDoc(
    basePolicyDoc({
      version: 2,
      systems: { shop: { connector: 'dynamodb', location: 'eu-north-1', config, fields: { name: { category: 'identity' } } } },
      purposes: {
        customer: { legalBasis: 'contract', categories: ['identity'], systems: ['shop'], retention: { keep: 'P1Y' } },
        order: { legalBasis: 'contract', per: 'item', categories: ['identity'], systems: ['shop'], retention: { keep: 'P1Y' } },
      },
    }),
  );
  expect(() => checkMainRecordLocatable(policy, 'shop', dynamodb.demo.locator?.(config, astrid))).not.toThrow();
});
