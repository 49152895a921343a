/**
 * Invariants of the retention engine and the planner, over random policies and subjects (fast-check).
 */
import { Temporal } from '@js-temporal/polyfill';
import fc from 'fast-check';
import { type Hold, type Holding, plan, type Plan } from '../../../lib/planner/plan';
import type { Policy } from '../../../lib/policy/model';
import { computeExpiry, type SubjectEvent } from '../../../lib/retention/expiry';
import { basePolicyDoc, policyFromDoc } from '../../helpers/policy';
import { propertyRuns } from '../../support/property-runs';

const EVENTS = ['e1', 'e2', 'e3'] as const;
const CATEGORIES = ['c1', 'c2', 'c3', 'c4'] as const;
const SYSTEMS = ['s1', 's2', 's3'] as const;
const PURPOSES = ['p1', 'p2', 'p3', 'p4'] as const;

const START = Date.UTC(2020, 0, 1);
const END = Date.UTC(2027, 0, 1);
const arbInstant = fc.integer({ min: START / 1000, max: END / 1000 }).map((s) => Temporal.Instant.fromEpochMilliseconds(s * 1000));
const arbDuration = fc.constantFrom('P0D', 'P1D', 'PT36H', 'P2W', 'P1M', 'P3M', 'P13M', 'P1Y', 'P7Y', 'P1Y6M');
const arbEvent = fc.constantFrom(...EVENTS);

/** Anchors of the spec (no extensions): the forms for which "sliding" holds in full. */
const specAnchor: fc.Arbitrary<unknown> = fc.letrec<{ anchor: unknown }>((tie) => ({
  anchor: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('collected', ...EVENTS),
    fc.record({ latestOf: fc.array(tie('anchor'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ add: arbDuration, to: tie('anchor') }),
    fc.record({ endOfYear: tie('anchor'), fiscal: fc.boolean() }),
    fc.record({ endOfFiscalYear: tie('anchor') }),
  ),
})).anchor;

const anyAnchor: fc.Arbitrary<unknown> = fc.oneof(
  specAnchor,
  fc.record({ earliestOf: fc.array(specAnchor, { minLength: 1, maxLength: 3 }) }),
);

const arbCondition: fc.Arbitrary<unknown> = fc.letrec<{ c: unknown }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small' },
    fc.record({ occurred: arbEvent }),
    fc.record({ not: tie('c') }),
    fc.record({ allOf: fc.array(tie('c'), { minLength: 1, maxLength: 2 }) }),
    fc.record({ anyOf: fc.array(tie('c'), { minLength: 1, maxLength: 2 }) }),
  ),
})).c;

const arbSimpleRule = fc.oneof(
  fc.record({ keep: arbDuration, from: anyAnchor }),
  fc.record({ until: arbEvent, keep: arbDuration }),
  fc.constant({ indefinite: true, justification: 'archive' }),
);
const arbRetention = fc.oneof(
  arbSimpleRule,
  fc
    .tuple(fc.array(fc.tuple(arbCondition, arbSimpleRule), { minLength: 1, maxLength: 2 }), arbSimpleRule)
    .map(([guarded, last]) => ({ cases: [...guarded.map(([when, rule]) => ({ when, ...(rule as object) })), last] })),
);

const arbStrategy = fc.option(
  fc.constantFrom(
    { strategy: 'remove' },
    { strategy: 'redact' },
    { strategy: 'hmac' },
    { strategy: 'truncate', keep: 2 },
    { strategy: 'mask-ip' },
  ),
  { nil: undefined },
);

const arbPolicyOf = (version: 1 | 2): fc.Arbitrary<Policy> =>
  fc
    .record({
      fiscalYearEnd: fc.constantFrom('12-31', '06-30', '02-29', '08-31'),
      fields: fc.tuple(
        ...SYSTEMS.map(() => fc.array(fc.tuple(fc.constantFrom(...CATEGORIES), arbStrategy), { minLength: 1, maxLength: 5 })),
      ),
      purposes: fc.tuple(
        ...PURPOSES.map(() =>
          fc.record({
            categories: fc.subarray([...CATEGORIES], { minLength: 1 }),
            systems: fc.subarray([...SYSTEMS], { minLength: 1 }),
            retention: arbRetention,
            onExpiry: fc.constantFrom('erase', 'anonymise'),
            onErasureRequest: fc.constantFrom('erase', 'anonymise', 'retain'),
          }),
        ),
      ),
    })
    .map(({ fiscalYearEnd, fields, purposes }) =>
      policyFromDoc(
        basePolicyDoc({
          version,
          fiscalYearEnd,
          events: [...EVENTS],
          categories: Object.fromEntries(CATEGORIES.map((c) => [c, {}])),
          systems: Object.fromEntries(
            SYSTEMS.map((s, i) => [
              s,
              {
                connector: 'dynamodb',
                location: 'eu-north-1',
                fields: Object.fromEntries(
                  fields[i].map(([category, anonymise], j) => [`f${j}`, anonymise ? { category, anonymise } : { category }]),
                ),
              },
            ]),
          ),
          purposes: Object.fromEntries(
            PURPOSES.map((p, i) => [p, { legalBasis: 'contract', retainReason: 'kept for legal claims', ...purposes[i] }]),
          ),
        }),
      ),
    );
const arbPolicy = arbPolicyOf(1);

const arbEvents = fc.array(
  fc
    .record({ type: arbEvent, at: arbInstant, purpose: fc.option(fc.constantFrom(...PURPOSES), { nil: undefined }) })
    .map((e) => (e.purpose === undefined ? { type: e.type, at: e.at } : e)),
  { maxLength: 6 },
) as fc.Arbitrary<SubjectEvent[]>;

/** A policy and a subject whose holdings fit it. */
const arbWorld = arbPolicy.chain((policy) =>
  fc.record({
    policy: fc.constant(policy),
    holdings: fc
      .array(
        fc.constantFrom(...PURPOSES).chain((purpose) =>
          fc.record({
            purpose: fc.constant(purpose),
            system: fc.constantFrom(...policy.purposes[purpose].systems),
            collectedAt: arbInstant,
          }),
        ),
        { minLength: 1, maxLength: 8 },
      )
      .map((hs) => hs as Holding[]),
    events: arbEvents,
    now: arbInstant,
    scope: fc.option(fc.subarray([...PURPOSES], { minLength: 1 }), { nil: undefined }),
    receivedAt: arbInstant,
  }),
);

/** A holding that stays must keep its record and every field its purpose needs. */
function assertStayingHoldingsProtected(policy: Policy, result: Plan): void {
  for (const decision of result.holdings) {
    if (decision.outcome === 'erase' || decision.outcome === 'anonymise') continue;
    const system = result.systems.find((s) => s.system === decision.holding.system && s.ref === decision.holding.ref)!;
    expect(system.record).toBe('keep');
    const needed = new Set(policy.purposes[decision.holding.purpose].categories);
    const fields = policy.systems[system.system].fields;
    for (const name of [...system.removeFields, ...system.anonymiseFields]) {
      const category = fields.find((f) => f.name === name)!.category;
      expect(needed.has(category)).toBe(false);
    }
  }
}

/** 300 runs each in plan.property.full.test.ts (the integration lane), a fifth of them here (test/support/property-runs.ts). */
const RUNS = propertyRuns(300);

describe('retention engine invariants', () => {
  it('a later event never makes a sliding expiry earlier (spec anchors)', () => {
    fc.assert(
      fc.property(
        specAnchor,
        arbDuration,
        arbEvents,
        arbInstant,
        arbEvent,
        fc.integer({ min: 0, max: 400 * 86400 }),
        (from, keep, events, collectedAt, type, delay) => {
          const policy = policyFromDoc(
            basePolicyDoc({
              events: [...EVENTS],
              purposes: { p: { legalBasis: 'contract', categories: ['identity'], systems: ['crm'], retention: { from, keep } } },
            }),
          );
          const latest = [collectedAt, ...events.map((e) => e.at)].reduce((a, b) => (Temporal.Instant.compare(a, b) >= 0 ? a : b));
          const later = { type, at: latest.add({ seconds: delay }) };
          const before = computeExpiry(policy, 'p', { collectedAt, events }).expiresAt;
          const after = computeExpiry(policy, 'p', { collectedAt, events: [...events, later] }).expiresAt;
          if (before !== null) {
            expect(after).not.toBeNull();
            expect(Temporal.ZonedDateTime.compare(after!, before)).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      RUNS,
    );
  });

  it('a later occurrence of an event that already occurred never makes an expiry earlier (all anchors)', () => {
    fc.assert(
      fc.property(
        anyAnchor,
        arbDuration,
        arbEvents,
        arbInstant,
        fc.integer({ min: 0, max: 400 * 86400 }),
        (from, keep, events, collectedAt, delay) => {
          fc.pre(events.length > 0);
          const policy = policyFromDoc(
            basePolicyDoc({
              events: [...EVENTS],
              purposes: { p: { legalBasis: 'contract', categories: ['identity'], systems: ['crm'], retention: { from, keep } } },
            }),
          );
          const latest = [collectedAt, ...events.map((e) => e.at)].reduce((a, b) => (Temporal.Instant.compare(a, b) >= 0 ? a : b));
          const again = { ...events[0], at: latest.add({ seconds: delay }) };
          const before = computeExpiry(policy, 'p', { collectedAt, events }).expiresAt;
          const after = computeExpiry(policy, 'p', { collectedAt, events: [...events, again] }).expiresAt;
          if (before !== null) expect(Temporal.ZonedDateTime.compare(after!, before)).toBeGreaterThanOrEqual(0);
        },
      ),
      RUNS,
    );
  });

  it('an expiry is exactly one of: a date, waiting for events, indefinite; always explained', () => {
    fc.assert(
      fc.property(arbWorld, ({ policy, holdings, events }) => {
        for (const h of holdings) {
          const e = computeExpiry(policy, h.purpose, { collectedAt: h.collectedAt, events });
          const kinds = [e.expiresAt !== null, e.waitingFor !== undefined, e.indefinite === true].filter(Boolean);
          expect(kinds).toHaveLength(1);
          expect(e.explanation.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });
});

describe('planner invariants', () => {
  it('never deletes or strips a record while a retained or untouched purpose still holds it', () => {
    fc.assert(
      fc.property(arbWorld, fc.boolean(), ({ policy, holdings, events, now, scope, receivedAt }, withRequest) => {
        const request = withRequest ? { receivedAt, scope } : undefined;
        const result = plan(policy, { subjectId: 'u', holdings, events }, now, request);
        assertStayingHoldingsProtected(policy, result);
      }),
      RUNS,
    );
  });

  it("touches nothing outside the request's scope", () => {
    fc.assert(
      fc.property(arbWorld, ({ policy, holdings, events, now, scope, receivedAt }) => {
        fc.pre(scope !== undefined);
        const result = plan(policy, { subjectId: 'u', holdings, events }, now, { receivedAt, scope });
        for (const d of result.holdings) if (!(scope as string[]).includes(d.holding.purpose)) expect(d.outcome).toBe('keep');
        for (const s of result.systems) {
          const inScope = result.holdings.some((d) => d.holding.system === s.system && d.inScope);
          if (!inScope) expect(s).toEqual({ system: s.system, record: 'keep', removeFields: [], anonymiseFields: [], restrict: false });
        }
        assertStayingHoldingsProtected(policy, result);
      }),
      RUNS,
    );
  });

  it('the sweep removes exactly the expired holdings, and erasure wins on a record', () => {
    fc.assert(
      fc.property(arbWorld, ({ policy, holdings, events, now }) => {
        const result = plan(policy, { subjectId: 'u', holdings, events }, now);
        expect(result.deadline).toBeNull();
        expect(result.retained).toEqual([]);
        for (const d of result.holdings) expect(d.outcome === 'keep').toBe(!d.expired);
        for (const s of result.systems) {
          const here = result.holdings.filter((d) => d.holding.system === s.system);
          if (here.every((d) => d.expired) && here.some((d) => d.outcome === 'erase')) expect(s.record).toBe('delete');
          if (s.record === 'delete') expect([s.removeFields, s.anonymiseFields]).toEqual([[], []]);
        }
        assertStayingHoldingsProtected(policy, result);
      }),
      RUNS,
    );
  });

  it('a request tells the subject about every retained purpose, with its reason and until-date', () => {
    fc.assert(
      fc.property(arbWorld, ({ policy, holdings, events, now, receivedAt }) => {
        const result = plan(policy, { subjectId: 'u', holdings, events }, now, { receivedAt });
        const retained = new Set(result.holdings.filter((d) => d.outcome === 'retain').map((d) => d.holding.purpose));
        expect(result.retained.map((r) => r.purpose).sort()).toEqual([...retained].sort());
        for (const r of result.retained) expect(r.reason).toBe('kept for legal claims');
        expect(result.deadline).not.toBeNull();
      }),
      RUNS,
    );
  });
});

/** Item ids that look alike: a connector or planner that confused them would erase another item. */
const REFS = ['O-1', 'O-10', 'O-1 ', '\u039f-1'] as const;
const arbRef = fc.option(fc.constantFrom(...REFS), { nil: undefined });

const arbEventsV2 = fc.array(
  fc
    .record({
      type: arbEvent,
      at: arbInstant,
      purpose: fc.option(fc.constantFrom(...PURPOSES), { nil: undefined }),
      ref: arbRef,
    })
    .map(({ type, at, purpose, ref }) => ({ type, at, ...(purpose ? { purpose } : {}), ...(ref ? { ref } : {}) })),
  { maxLength: 6 },
) as fc.Arbitrary<SubjectEvent[]>;

const arbScope = fc.record(
  {
    purposes: fc.subarray([...PURPOSES], { minLength: 1 }),
    systems: fc.subarray([...SYSTEMS], { minLength: 1 }),
    refs: fc.subarray([...REFS], { minLength: 1 }),
  },
  { requiredKeys: [] },
);

const arbHolds = fc
  .array(
    fc
      .record({
        placedAt: arbInstant,
        releasedAfter: fc.option(fc.integer({ min: 0, max: 3 * 365 * 86400 }), { nil: undefined }),
        scope: fc.option(arbScope, { nil: undefined }),
      })
      .map(({ placedAt, releasedAfter, scope }) => ({
        reason: 'litigation',
        placedAt,
        ...(releasedAfter === undefined ? {} : { releasedAt: placedAt.add({ seconds: releasedAfter }) }),
        ...(scope ? { scope } : {}),
      })),
    { maxLength: 3 },
  )
  .map((holds): Hold[] => holds.map((hold, i) => ({ holdId: `h${i}`, ...hold })));

/** A version 2 world: item holdings with look-alike refs, item events, and legal holds. */
const arbWorldV2 = arbPolicyOf(2).chain((policy) =>
  fc.record({
    policy: fc.constant(policy),
    holdings: fc.array(
      fc
        .constantFrom(...PURPOSES)
        .chain((purpose) =>
          fc
            .record({ system: fc.constantFrom(...policy.purposes[purpose].systems), collectedAt: arbInstant, ref: arbRef })
            .map(({ system, collectedAt, ref }): Holding => ({ purpose, system, collectedAt, ...(ref ? { ref } : {}) })),
        ),
      { minLength: 1, maxLength: 8 },
    ),
    events: arbEventsV2,
    holds: arbHolds,
    now: arbInstant,
    receivedAt: arbInstant,
  }),
);

const sameExpiry = (a: ReturnType<typeof computeExpiry>, b: ReturnType<typeof computeExpiry>) => ({
  same:
    (a.expiresAt === null ? b.expiresAt === null : b.expiresAt !== null && a.expiresAt.equals(b.expiresAt)) &&
    JSON.stringify(a.waitingFor) === JSON.stringify(b.waitingFor) &&
    a.indefinite === b.indefinite &&
    a.caseIndex === b.caseIndex,
});

const covers = (hold: Hold, h: Holding, now: Temporal.Instant): boolean =>
  Temporal.Instant.compare(hold.placedAt, now) <= 0 &&
  (hold.releasedAt === undefined || Temporal.Instant.compare(now, hold.releasedAt) < 0) &&
  (!hold.scope?.purposes || hold.scope.purposes.includes(h.purpose)) &&
  (!hold.scope?.systems || hold.scope.systems.includes(h.system)) &&
  (!hold.scope?.refs || (h.ref !== undefined && hold.scope.refs.includes(h.ref)));

describe('version 2 invariants', () => {
  it("2.1: an event before collection never changes a holding's expiry", () => {
    fc.assert(
      fc.property(
        arbWorldV2,
        arbEvent,
        fc.integer({ min: 1, max: 5 * 365 * 86400 }),
        fc.option(fc.constantFrom(...PURPOSES), { nil: undefined }),
        arbRef,
        ({ policy, holdings, events }, type, earlier, purpose, ref) => {
          for (const h of holdings) {
            const facts = { collectedAt: h.collectedAt, events, ...(h.ref ? { ref: h.ref } : {}) };
            const early: SubjectEvent = {
              type,
              at: h.collectedAt.subtract({ seconds: earlier }),
              ...(purpose ? { purpose } : {}),
              ...(ref ? { ref } : {}),
            };
            const before = computeExpiry(policy, h.purpose, facts);
            const after = computeExpiry(policy, h.purpose, { ...facts, events: [...events, early] });
            expect(sameExpiry(before, after)).toEqual({ same: true });
          }
        },
      ),
      RUNS,
    );
  });

  it("2.2: an action on one item's record never changes another record's plan", () => {
    fc.assert(
      fc.property(
        arbWorldV2,
        fc.constantFrom(...REFS),
        arbEvent,
        arbInstant,
        ({ policy, holdings, events, holds, now, receivedAt }, ref, type, at) => {
          // an erasure of one item leaves every other record untouched
          const erasure = plan(policy, { subjectId: 'u', holdings, events, holds }, now, {
            type: 'erasure',
            receivedAt,
            scope: { refs: [ref] },
          });
          for (const record of erasure.systems.filter((s) => s.ref !== ref)) {
            expect(record).toEqual({
              system: record.system,
              ...(record.ref === undefined ? {} : { ref: record.ref }),
              record: 'keep',
              removeFields: [],
              anonymiseFields: [],
              restrict: false,
            });
          }
          // and an event of that item changes no other record's sweep
          const sweep = plan(policy, { subjectId: 'u', holdings, events, holds }, now);
          const withEvent = plan(policy, { subjectId: 'u', holdings, events: [...events, { type, at, ref }], holds }, now);
          expect(withEvent.systems.filter((s) => s.ref !== ref)).toEqual(sweep.systems.filter((s) => s.ref !== ref));
          assertStayingHoldingsProtected(policy, erasure);
          assertStayingHoldingsProtected(policy, sweep);
        },
      ),
      RUNS,
    );
  });

  it('2.3: a hold never lets a covered holding be deleted, in a sweep or an erasure', () => {
    fc.assert(
      fc.property(arbWorldV2, fc.option(arbScope, { nil: undefined }), ({ policy, holdings, events, holds, now, receivedAt }, scope) => {
        const subject = { subjectId: 'u', holdings, events, holds };
        for (const result of [
          plan(policy, subject, now),
          plan(policy, subject, now, { type: 'erasure', receivedAt, ...(scope ? { scope } : {}) }),
        ]) {
          for (const d of result.holdings) {
            const covered = holds.some((hold) => covers(hold, d.holding, now));
            if (!covered) continue;
            expect(d.outcome === 'erase' || d.outcome === 'anonymise').toBe(false);
            const record = result.systems.find((s) => s.system === d.holding.system && s.ref === d.holding.ref)!;
            expect(record.record).toBe('keep');
            if (d.outcome === 'retain') {
              expect(record.restrict).toBe(true);
              expect(result.retained).toContainEqual(
                expect.objectContaining({ purpose: d.holding.purpose, hold: d.hold!.holdId, until: null }),
              );
            }
          }
          assertStayingHoldingsProtected(policy, result);
        }
      }),
      RUNS,
    );
  });

  it('2.4: a restriction never deletes, strips or anonymises anything', () => {
    fc.assert(
      fc.property(
        arbWorldV2,
        fc.option(arbScope, { nil: undefined }),
        fc.boolean(),
        ({ policy, holdings, events, holds, now, receivedAt }, scope, keep) => {
          const result = plan(policy, { subjectId: 'u', holdings, events, holds }, now, {
            type: 'restriction',
            receivedAt,
            keep,
            ...(scope ? { scope } : {}),
          });
          for (const record of result.systems) {
            expect(record).toMatchObject({ record: 'keep', removeFields: [], anonymiseFields: [] });
          }
          expect(result.holdings.every((d) => d.outcome === 'keep')).toBe(true);
        },
      ),
      RUNS,
    );
  });
});
