/**
 * lib/demo/systems.ts, the parts that need no local mode: which systems can keep an item apart (as the runtime's
 * item-locator check requires), the locator of an item, and a record without its restriction mark. Putting and
 * reading data runs against local mode (test/integration/scenarios/demo.ts).
 */
import { itemLocatable, itemLocator, restrictedAttributeOf, type SystemData, withoutMarks } from '../../../lib/demo/systems';
import { DEMO_RIGHTS } from '../../../lib/demo/rights';
import type { SystemSpec } from '../../../lib/policy/model';

const system = (connector: SystemSpec['connector'], config: Record<string, unknown>): SystemSpec => ({
  id: 'x',
  connector,
  location: 'eu-north-1',
  config,
  fields: [{ name: 'name', category: 'identity' }],
});

describe('itemLocatable', () => {
  it.each([
    ['s3, a per-request prefix', system('s3', { bucket: 'b', prefix: 'id-documents/{subjectId}/{requestId}/' }), true],
    ['s3, the subject prefix only', system('s3', { bucket: 'b', prefix: 'id-documents/{subjectId}/' }), false],
    ['s3, tagged', system('s3', { bucket: 'b', prefix: 'docs/{docId}/', tagKey: 't' }), false],
    ['dynamodb keyed by the item', system('dynamodb', { tableName: 't', keyAttribute: 'orderId' }), true],
    ['dynamodb keyed by subjectId', system('dynamodb', { tableName: 't', keyAttribute: 'subjectId' }), false],
    ['dynamodb with a sort key', system('dynamodb', { tableName: 't', keyAttribute: 'orderId', sortKeyAttribute: 'sk' }), false],
    ['http', system('http', { url: 'https://x.example/', secretName: 's' }), false],
    ['lambda', system('lambda', { functionName: 'f' }), false],
  ])('%s: %s', (_name, spec, expected) => {
    expect(itemLocatable(spec)).toBe(expected);
  });
});

describe('itemLocator', () => {
  it.each([
    [
      's3: the request placeholder is the ref',
      system('s3', { bucket: 'b', prefix: 'id-documents/{subjectId}/{requestId}/' }),
      { requestId: 'R-1' },
    ],
    ['dynamodb: the key is the ref', system('dynamodb', { tableName: 't', keyAttribute: 'orderId' }), { orderId: 'R-1' }],
  ])('%s', (_name, spec, expected) => {
    expect(itemLocator(spec, DEMO_RIGHTS, 'R-1')).toEqual(expected);
  });
});

describe('withoutMarks', () => {
  const data = (records: Record<string, unknown>[]): SystemData => ({ system: 'x', connector: 'dynamodb', where: 'w', records });

  it.each([
    ['the default attribute', system('dynamodb', { tableName: 't', keyAttribute: 'k' }), 'lethe:restricted'],
    ['a configured attribute', system('dynamodb', { tableName: 't', keyAttribute: 'k', restrictedAttribute: 'frozen' }), 'frozen'],
    ['a SaaS record (the receiver uses the default)', system('http', { url: 'https://x.example/', secretName: 's' }), 'lethe:restricted'],
  ])('drops %s and nothing else', (_name, spec, attribute) => {
    expect(restrictedAttributeOf(spec)).toBe(attribute);
    const marked = data([{ k: 'C-1', name: 'N', [attribute]: { requestId: 'r' } }]);
    expect(withoutMarks(marked, spec).records).toEqual([{ k: 'C-1', name: 'N' }]);
  });
});
