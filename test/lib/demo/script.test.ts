/**
 * lib/demo/script.ts: how `lethe demo` prints its numbered steps, and its words for an expiry and for what changed
 * in a system (field names only, never a value other than an anonymised one).
 */
import { describeChange, expiryWords, sameData, Script } from '../../../lib/demo/script';
import type { SystemData } from '../../../lib/demo/systems';

const data = (...records: Record<string, unknown>[]): SystemData => ({ system: 's', connector: 'dynamodb', where: 'w', records });

describe('describeChange', () => {
  it.each([
    ['gone', data({ a: 1 }), data(), 'gone (1 record(s) deleted)'],
    ['held nothing', data(), data(), 'held nothing'],
    ['unchanged', data({ a: 1 }), data({ a: 1 }), 'unchanged (1 record(s) kept)'],
    ['a field removed', data({ a: 1, b: 2 }), data({ a: 1 }), 'record kept; removed: b; unchanged: a'],
    ['a field anonymised', data({ a: 1, b: 'x' }), data({ a: 1, b: '[erased]' }), 'record kept; anonymised: b = "[erased]"; unchanged: a'],
  ])('%s', (_name, before, after, words) => {
    expect(describeChange(before, after)).toBe(words);
    expect(sameData(before, after)).toBe(words.startsWith('unchanged') || words === 'held nothing');
  });
});

describe('expiryWords', () => {
  it.each([
    [{ expiresAt: '2027-01-01T00:00:00+01:00' }, 'expires 2027-01-01T00:00:00+01:00'],
    [{ expiresAt: null, indefinite: true as const }, 'kept indefinitely'],
    [{ expiresAt: null, waitingFor: ['invoiced', 'closed'] }, 'waiting for invoiced or closed'],
    [{ expiresAt: null }, 'waiting for an event'],
  ])('%j: %s', (answer, words) => {
    expect(expiryWords(answer)).toBe(words);
  });
});

describe('Script', () => {
  it('numbers the steps, indents their lines, times them, and says when one failed', async () => {
    // GIVEN a script writing to a list
    const lines: string[] = [];
    const script = new Script((line) => lines.push(line));
    // WHEN one step passes and the next throws
    await expect(
      script.step('first', async (say) => {
        say('a line');
        return 'its result';
      }),
    ).resolves.toBe('its result');
    await expect(
      script.step('second', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    // THEN both are numbered, the passed one is recorded with its time, the failed one says so and is not recorded
    expect(lines[0]).toBe(' 1. first');
    expect(lines[1]).toBe('    a line');
    expect(lines[2]).toMatch(/^ {4}done in \d+\.\d\d s$/);
    expect(lines[3]).toBe(' 2. second');
    expect(lines[4]).toMatch(/^ {4}failed after \d+\.\d\d s$/);
    expect(script.steps.map((s) => s.title)).toEqual(['first']);
  });
});
