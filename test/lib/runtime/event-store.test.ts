/**
 * lib/runtime/event-store.ts and the ledger's holdingsOf read every page of a subject's items (the SDK's
 * paginateQuery): DynamoDB answers a Query in pages of at most 1 MB, so a subject with many events or holdings
 * comes back in several. Mocked with aws-sdk-client-mock: each Query's answer depends on the ExclusiveStartKey it
 * carries.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { EventStore } from '../../../lib/runtime/event-store';
import { Ledger } from '../../../lib/runtime/ledger';
import { shopPolicy } from '../../helpers/shop-policy';

const documents = () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' }));

/**
 * A Query answered in `pages`: page n carries LastEvaluatedKey {page: n + 1} while more follow. Returns the
 * ExclusiveStartKey of each Query as it was sent (the paginator reuses one input object, so the mock's record of
 * the calls shows only its last state).
 */
function answerInPages(mock: ReturnType<typeof mockClient>, pages: readonly Record<string, unknown>[][]): unknown[] {
  const startKeys: unknown[] = [];
  mock.on(QueryCommand).callsFake((input: { ExclusiveStartKey?: { page: number } }) => {
    startKeys.push(input.ExclusiveStartKey && { ...input.ExclusiveStartKey });
    const n = input.ExclusiveStartKey?.page ?? 0;
    return { Items: pages[n], ...(n + 1 < pages.length ? { LastEvaluatedKey: { page: n + 1 } } : {}) };
  });
  return startKeys;
}

describe('reading every page', () => {
  const mock = mockClient(DynamoDBDocumentClient);
  afterEach(() => mock.reset());
  afterAll(() => mock.restore());

  const event = (n: number) => ({
    subjectRef: 'ref',
    eventKey: `2025-03-0${n}T10:00:00.000Z#signup#e${n}`,
    type: 'signup',
    at: `2025-03-0${n}T10:00:00.000Z`,
    eventId: `e${n}`,
    recordedAt: '2025-03-09T10:00:00.000Z',
  });

  it.each([1, 2, 3])('EventStore.list: the events of %i page(s), in order, each page read once, consistently', async (pageCount) => {
    // GIVEN a subject whose items come in `pageCount` pages of two events
    mock.on(GetCommand).resolves({ Item: { subjectRef: 'ref', eventKey: '#counter', seq: 2 * pageCount } });
    const pages = Array.from({ length: pageCount }, (_, p) => [event(2 * p + 1), event(2 * p + 2)]);
    const startKeys = answerInPages(mock, pages);
    // WHEN its events are listed
    const list = await new EventStore(documents(), 'lethe-events').list('ref');
    // THEN every event of every page, and one Query per page, each after the last page's key
    expect(list.map((e) => e.at.toString())).toEqual(pages.flat().map((e) => e.at.replace('.000', '')));
    expect(startKeys).toEqual(Array.from({ length: pageCount }, (_, p) => (p === 0 ? undefined : { page: p })));
    expect(mock.commandCalls(QueryCommand).every((c) => c.args[0].input.ConsistentRead === true)).toBe(true);
  });

  it('Ledger.holdingsOf: the holdings of every page, of every purpose', async () => {
    // GIVEN each purpose's table answers in two pages
    const holding = (system: string) => ({ subjectRef: 'ref', system, status: 'active' });
    answerInPages(mock, [[holding('crm')], [holding('orders')]]);
    const purposes = Object.keys(shopPolicy.purposes);
    const ledger = new Ledger(documents(), shopPolicy, Object.fromEntries(purposes.map((p) => [p, `lethe-ledger-${p}`])));
    // WHEN the subject's holdings are read
    const holdings = await ledger.holdingsOf('ref');
    // THEN both pages of each purpose, in policy purpose order, and two Queries per purpose
    expect(holdings.map((h) => `${h.purpose}/${h.system}`)).toEqual(purposes.flatMap((p) => [`${p}/crm`, `${p}/orders`]));
    expect(mock.commandCalls(QueryCommand)).toHaveLength(2 * purposes.length);
  });
});
