/** console/format.ts: days left to a deadline and how urgent it is; date arithmetic on plain days. */
import { addDays, dateTime, deadlineState, plusDays } from '../../console/format';

const NOW = new Date('2026-12-04T12:00:00Z');

describe('deadlineState', () => {
  it.each([
    ['2027-01-04T12:00:00Z', 'received', 'later', 31],
    ['2026-12-11T12:00:01Z', 'running', 'later', 8],
    ['2026-12-11T12:00:00Z', 'running', 'due-soon', 7],
    ['2026-12-05T18:00:00Z', 'received', 'due-soon', 2],
    ['2026-12-04T12:00:00Z', 'received', 'due-soon', 0],
    ['2026-12-04T11:00:00Z', 'received', 'overdue', -1],
    ['2026-12-01T12:00:00Z', 'running', 'overdue', -3],
    ['2026-12-01T12:00:00Z', 'completed', 'closed', -3],
    ['2026-12-05T12:00:00Z', 'failed', 'closed', 1],
  ])('GIVEN the deadline %s of a %s request at 2026-12-04T12:00Z THEN %s, %i days', (deadline, status, urgency, days) => {
    expect(deadlineState(deadline, status, NOW)).toEqual({ urgency, days });
  });
});

describe('plain days', () => {
  it.each([
    ['2026-12-04', 0, '2026-12-04'],
    ['2026-12-04', 28, '2027-01-01'],
    ['2028-02-28', 1, '2028-02-29'],
    ['2026-03-28', 2, '2026-03-30'],
  ])('GIVEN %s plus %i days THEN %s', (date, n, expected) => {
    expect(plusDays(date, n)).toBe(expected);
  });

  it('GIVEN now WHEN adding 7 days THEN the ISO instant a week later', () => {
    expect(addDays(NOW, 7)).toBe('2026-12-11T12:00:00.000Z');
  });
});

describe('dateTime', () => {
  it('GIVEN an instant and a time zone THEN written in each language', () => {
    expect(dateTime('2026-12-04T09:30:00Z', 'en', 'UTC')).toBe('4 Dec 2026, 09:30');
    expect(dateTime('2026-12-04T09:30:00Z', 'sv', 'Europe/Stockholm')).toBe('4 dec. 2026 10:30');
  });

  it('GIVEN text that is no date THEN it is shown as it is', () => {
    expect(dateTime('soon', 'en')).toBe('soon');
  });
});
