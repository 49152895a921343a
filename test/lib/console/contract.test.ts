/**
 * lib/console/contract.ts fixes what the DPO console reads; the API's read-only routes answer what their zod schemas
 * (lib/runtime/api-responses.ts) say, and their handlers build the runtime's own types. Both must fit the contract:
 * - at compile time (`npx tsc --noEmit -p .` type-checks this file): each answer schema's inferred type and each
 *   runtime answer type is assignable to the contract's type, and the query schemas take exactly the contract's
 *   parameters;
 * - at run time: a sample answer, written as the contract's type, parses with the answer schema unchanged.
 * The runtime must not import lib/console (layers); this test imports both.
 */
import type { z } from 'zod';
import type { DueCalendar, HoldingCounts, HoldingStates, RequestKind, RequestList, RequestListQuery } from '../../../lib/console/contract';
import { DueCalendarAnswer, HoldingStatesAnswer, RequestListAnswer } from '../../../lib/runtime/api-responses';
import { DueCalendarQuery, RequestListQuery as RequestListQuerySchema } from '../../../lib/runtime/api-schemas';
import type { RequestList as RuntimeRequestList } from '../../../lib/runtime/request-list';
import type { RequestKind as RuntimeRequestKind } from '../../../lib/runtime/requests';
import type { DueCalendar as RuntimeDueCalendar, HoldingStates as RuntimeHoldingStates } from '../../../lib/runtime/retention-stats';

/** True when A and B are the same set of keys (a parameter added on one side only fails the build). */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;

// Compile time: the answers fit the contract (tsc fails here when they drift).
export const requestListAnswer: RequestList = {} as z.output<typeof RequestListAnswer>;
export const requestListRuntime: RequestList = {} as RuntimeRequestList;
export const calendarAnswer: DueCalendar = {} as z.output<typeof DueCalendarAnswer>;
export const calendarRuntime: DueCalendar = {} as RuntimeDueCalendar;
export const kinds: RequestKind = {} as RuntimeRequestKind;
export const kindsBack: RuntimeRequestKind = {} as RequestKind;
export const queryKeys: SameKeys<RequestListQuery, z.output<typeof RequestListQuerySchema>> = true;
export const calendarQueryKeys: SameKeys<{ days?: number }, z.output<typeof DueCalendarQuery>> = true;
// The query's values: the contract's, as text in the query string.
export const queryValues: z.input<typeof RequestListQuerySchema> = {
  kind: {} as NonNullable<RequestListQuery['kind']>,
  status: {} as NonNullable<RequestListQuery['status']>,
};
// GET /retention/holdings counts every state of the contract, with its names and types, and no other.
export const statesAnswer: HoldingStates = {} as z.output<typeof HoldingStatesAnswer>;
export const statesRuntime: HoldingStates = {} as RuntimeHoldingStates;
export const stateKeys: SameKeys<HoldingCounts, RuntimeHoldingStates['purposes'][string]> = true;
export const stateAnswerKeys: SameKeys<HoldingCounts, z.output<typeof HoldingStatesAnswer>['purposes'][string]> = true;

describe('the console contract (lib/console/contract.ts) and the API answers', () => {
  const REQUEST_LIST: RequestList = {
    requests: [
      {
        requestId: 'f3b0c44298fc1c149afbf4c8996fb924',
        kind: 'erasure',
        status: 'running',
        receivedAt: '2025-02-27T09:00:00.000Z',
        deadline: '2025-04-27T09:00:00.000Z',
        extension: { reason: 'many systems', extendedAt: '2025-03-01T08:00:00.000Z' },
        systems: { erased: 3, failed: 1 },
      },
      {
        requestId: 'a1b2c3',
        kind: 'access',
        status: 'completed',
        receivedAt: '2025-02-26T09:00:00.000Z',
        deadline: '2025-03-26T09:00:00.000Z',
        systems: {},
      },
    ],
    cursor: 'eyJ2IjoxfQ',
  };
  const CALENDAR: DueCalendar = {
    from: '2025-03-01',
    days: 90,
    timeZone: 'Europe/Stockholm',
    purposes: { analytics: [{ date: '2025-03-02', count: 4 }], marketing: [] },
  };

  const SAMPLES: readonly { name: string; schema: z.ZodType; sample: unknown }[] = [
    { name: 'RequestList', schema: RequestListAnswer, sample: REQUEST_LIST },
    { name: 'last RequestList page (no cursor)', schema: RequestListAnswer, sample: { requests: [] } satisfies RequestList },
    { name: 'DueCalendar', schema: DueCalendarAnswer, sample: CALENDAR },
  ];
  it.each(SAMPLES)('a $name written as the contract says parses with the answer schema unchanged', ({ schema, sample }) => {
    // GIVEN a sample of the contract's type WHEN the API's answer schema parses it THEN it is accepted as it is
    expect(schema.parse(sample)).toEqual(sample);
  });

  it('a HoldingStates written as the contract says parses with the answer schema unchanged; a count left out is refused', () => {
    // GIVEN an answer of the contract's type
    const counts: HoldingCounts = { waiting: 2, counting: 7, due: 1, held: 1, indefinite: 0, quarantined: 0, nothingFound: 1 };
    const answer: HoldingStates = { asOf: '2025-03-01T10:00:00.000Z', purposes: { analytics: counts } };
    // WHEN parsed THEN it is accepted unchanged; without one of its counts it is refused
    expect(HoldingStatesAnswer.parse(answer)).toEqual(answer);
    const { held: _held, ...withoutHeld } = counts;
    expect(HoldingStatesAnswer.safeParse({ ...answer, purposes: { analytics: withoutHeld } }).success).toBe(false);
  });

  it.each([
    {
      name: 'every parameter',
      query: { kind: 'restriction', status: 'open', dueBefore: '2025-03-08T00:00:00+01:00', limit: '25', cursor: 'x' },
    },
    { name: 'none', query: {} },
  ])('a RequestListQuery with $name, as the console sends it (text), is accepted', ({ query }) => {
    expect(RequestListQuerySchema.parse(query)).toEqual(query);
  });
});
