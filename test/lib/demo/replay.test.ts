/**
 * lib/demo/replay.ts: which copy the demo's restore-and-replay step restores, and how it compares two reads of a
 * table (by key, byte for byte). The step itself runs against local mode: test/integration/demo-default-policy.test.ts
 * and test/integration/scenarios/demo.ts.
 */
import { chooseCopy, compareItems, type TableCopy, type TableItem } from '../../../lib/demo/replay';

const copy = (system: string): TableCopy => ({ system, table: `t-${system}`, keys: ['id'], takenAt: '2026-12-04T00:00:00Z', items: [] });
const item = (id: string, name: string): TableItem => ({ id: { S: id }, name: { S: name } });

describe('chooseCopy', () => {
  const copies = [copy('surveys'), copy('profiles'), copy('orders')];
  it.each([
    ['an erased system before one with fields removed', { surveys: 'fields-removed', profiles: 'erased' }, 'profiles'],
    ['a system with fields removed when none is erased', { surveys: 'fields-removed', profiles: 'retained' }, 'surveys'],
    ['none when no DynamoDB system was erased or had fields removed', { surveys: 'anonymised', profiles: 'retained' }, undefined],
    ['none when the erasure had no DynamoDB system', {}, undefined],
  ])('GIVEN %s THEN it chooses that one', (_, statuses, expected) => {
    // WHEN the copy to restore is chosen by the request's statuses
    const chosen = chooseCopy(copies, new Map(Object.entries(statuses)));
    // THEN
    expect(chosen?.system).toBe(expected);
  });
});

describe('compareItems', () => {
  const before = [item('user1', 'A'), item('user10', 'B'), item('user2', 'C')];
  it.each([
    [
      'the same items in another order',
      [item('user2', 'C'), item('user1', 'A'), item('user10', 'B')],
      { changed: 0, unchanged: 3, added: 0 },
    ],
    [
      'user1 deleted: user10 (a longer key with the same start) untouched',
      [item('user10', 'B'), item('user2', 'C')],
      { changed: 1, unchanged: 2, added: 0 },
    ],
    ['one attribute changed', [item('user1', 'A'), item('user10', 'b'), item('user2', 'C')], { changed: 1, unchanged: 2, added: 0 }],
    [
      'an attribute added',
      [{ ...item('user1', 'A'), x: { S: '' } }, item('user10', 'B'), item('user2', 'C')],
      { changed: 1, unchanged: 2, added: 0 },
    ],
    ['an item added', [...before, item('user3', 'D')], { changed: 0, unchanged: 3, added: 1 }],
  ])('GIVEN %s THEN it counts what differs', (_, after, expected) => {
    // WHEN two reads of the table are compared
    const result = compareItems(['id'], before, after);
    // THEN
    expect(result).toEqual(expected);
  });

  it('compares composite keys by both attributes', () => {
    // GIVEN items keyed by a partition and a sort key, one sort key gone
    const a = { pk: { S: 'C-1' }, sk: { S: 'profile' } };
    const b = { pk: { S: 'C-1' }, sk: { S: 'order' } };
    // WHEN compared
    const result = compareItems(['pk', 'sk'], [a, b], [b]);
    // THEN the one gone is counted, the other is not
    expect(result).toEqual({ changed: 1, unchanged: 1, added: 0 });
  });
});
