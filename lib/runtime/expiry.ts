/**
 * Applying expiry (spec: "Erasure and expiry semantics") to a set of subjects at `now`: what the sweep does for
 * each batch, and what the ledger stream does for a holding that DynamoDB TTL removed while still active.
 *
 * For each subject: all its active holdings in every purpose and its events are planned without a request;
 * every holding that expired goes with its purpose's `onExpiry`, under the shared-data rule. Connectors are
 * called in batch form, one invocation per system for all subjects of the batch. A holding whose erasure
 * failed stays active and due, so the next sweep retries it: a holding is never lost. A holding found due but
 * not expired (an event moved its expiry) gets its due keys recomputed.
 *
 * A batch can fail in part: the connector answers the subjects it did in `subjects` and those it could not do
 * in `failed` (ConnectorResult). The outcomes of the first are recorded, audited and finished now (their data
 * is gone: calling the connector again would report `nothing-found`); the failed ones are logged (subjectRef and
 * error name) and counted in `holdingsFailed`, and their holdings stay due, so only they are sent again by the
 * next sweep. A connector call that fails as a whole (it throws) leaves every subject of the call due.
 *
 * Failures are of two kinds (issue 15, items 8 and 9). A transient one (throttling, a 5xx, a dropped connection)
 * is counted in `holdingsFailedTransiently`: the sweep records everything that succeeded, then rethrows it so that
 * the state machine's Retry runs (sweep.ts). Any other one means the subject cannot be processed as it is (an
 * unsafe locator, access denied, no sealed id): the failed sweep is counted on each of its holdings
 * (ledger.ts recordFailedSweep, once per sweep), and after `quarantineAfter` failed sweeps (3 by default) the
 * holding is quarantined: out of the due index, marked `quarantined` in the ledger, and counted in
 * `holdingsQuarantined` (sweep-apply publishes it as the HoldingsQuarantined metric, which an alarm watches).
 *
 * A connector that answers `nothing-found` for a holding found nothing where the ledger said there was data (issue
 * 15, item 13: a wrong or missing locator or identifier, or data removed behind Lethe's back). That is not a success:
 * the audit records what the connector said, but the holding is not finished; it stays active, flagged
 * `nothingFound` and out of the due index (ledger.ts flagNothingFound), and is counted in `holdingsNothingFound`
 * (the HoldingsNothingFound metric, alarmed). Unless an earlier call for the holding may have removed the data and
 * lost its outcome (killed, or failed as a whole): each call is counted on its holdings before it is made
 * (`attempts`, ledger.ts markAttempted), and a `nothing-found` after an earlier attempt finishes the holding as before.
 * Nor when Lethe changed the same record for another purpose after the holding expired (erasedWithItsRecord): TTL
 * removing several holdings of one record, each handled alone by its own table's stream.
 *
 * A run given a time budget (`remainingMs`) stops before a system's connector call when less than a call and the
 * finishing can take is left: what is done is recorded, audited and finished; the rest stays due and is reported
 * in `subjectsNotDone`, not as a failure.
 *
 * Each subject's outcome in a system is recorded on its holdings (`applied`, ledger.ts) before the next system's
 * connector is called, and before the audit records are written (one segment for the batch, lib/audit/writer.ts)
 * and the holdings are finished. A run that stops between those steps (killed, timed out, a store unreachable)
 * leaves the holdings due with their outcome; the next run then writes the audit record (again, with the same
 * outcome, if it was written already) and finishes them, without calling the connector a second time, which would
 * find nothing left and report another outcome.
 */
import { createHash } from 'node:crypto';
import { Temporal } from '@js-temporal/polyfill';
import type { AuditEntry } from '../audit';
import { needsVerification } from '../connectors/connector';
import { ConnectorPermanentError, isTransient } from '../connectors/errors';
import { RuntimeTransientError } from './errors';
import { mapLimit } from '../core/concurrency';
import { plan, type SystemPlan } from '../planner/plan';
import { formatInstant } from '../retention/time';
import { type ConnectorCounts, type ConnectorSubject, HOLDING_STATUS, type SystemStatus, type Verification } from '../core/contract';
import { connectorFields, errorLabel, locatorIn, plannable, ZERO_COUNTS } from './erasure';
import { type AppliedAction, type HoldingRecord, recordKeyOf, toHolding } from './ledger';
import { errorName, logger } from '../core/observability';
import { liftDueRestrictions, restrictHeldRecords } from './restrictions';
import type { Runtime } from './runtime';
import { recordExpiryTombstones } from './tombstones';
import { CONNECTOR_TIMEOUT_SECONDS, QUARANTINE_AFTER_FAILED_SWEEPS, SWEEP_FINISH_RESERVE_MS } from './budgets';

/** Subjects read, planned and finished at a time within a batch (DynamoDB calls in flight). */
const SUBJECTS_AT_ONCE = 8;

export type ExpiryOrigin = { readonly kind: 'sweep'; readonly sweepId: string } | { readonly kind: 'ttl'; readonly id: string };

export interface ExpirySubject {
  readonly subjectRef: string;
  /** A holding TTL removed from the ledger: planned with the others, then put back, done or still due. */
  readonly removed?: HoldingRecord;
}

export interface ExpiryOptions {
  /**
   * Time left to the caller (a Lambda's getRemainingTimeInMillis, bounded by its Express execution's limit).
   * Before each system's connector call, a batch with less than a connector call and the finishing can take
   * (CONNECTOR_TIMEOUT_SECONDS + SWEEP_FINISH_RESERVE_MS) stops: the subjects not yet done stay due, reported in
   * `subjectsNotDone`. @default no limit
   */
  readonly remainingMs?: () => number;
  /** Failed sweeps after which a holding is quarantined (sweep only). @default QUARANTINE_AFTER_FAILED_SWEEPS (3) */
  readonly quarantineAfter?: number;
}

export interface ExpiryReport {
  readonly subjects: number;
  readonly holdingsDone: number;
  readonly holdingsFailed: number;
  /** Of the failed holdings: those whose failure was transient (worth retrying now: the sweep rethrows). */
  readonly holdingsFailedTransiently: number;
  /** Holdings quarantined by this run (recordFailedSweep). */
  readonly holdingsQuarantined: number;
  /** Holdings whose connector found nothing: flagged, not finished (flagNothingFound). */
  readonly holdingsNothingFound: number;
  /** Subjects with work left undone because the time ran out (their holdings stay due, nothing counted). */
  readonly subjectsNotDone: number;
  readonly rescheduled: number;
  /** What became of the removed holdings, by `purpose/system/subjectRef`. */
  readonly removed: Readonly<Record<string, 'done' | 'due' | 'not-expired' | 'nothing-found'>>;
}

interface Going {
  readonly holding: HoldingRecord;
  /** True for a holding TTL removed: it is put back rather than updated. */
  readonly removed: boolean;
}

interface Work {
  readonly subjectRef: string;
  readonly plan: SystemPlan;
  readonly going: readonly Going[];
  /** Active holdings of the subject in the system (for the locator). */
  readonly held: readonly HoldingRecord[];
}

const same = (a: HoldingRecord, b: HoldingRecord): boolean =>
  a.purpose === b.purpose && a.system === b.system && a.itemRef === b.itemRef && a.subjectRef === b.subjectRef;
const removedKey = (h: HoldingRecord): string => `${h.purpose}/${recordKeyOf(h.system, h.itemRef)}/${h.subjectRef}`;

export async function applyExpiry(
  rt: Runtime,
  subjects: readonly ExpirySubject[],
  now: Temporal.Instant,
  origin: ExpiryOrigin,
  options: ExpiryOptions = {},
): Promise<ExpiryReport> {
  const { policy } = rt;
  const quarantineAfter = options.quarantineAfter ?? QUARANTINE_AFTER_FAILED_SWEEPS;
  let failedTransiently = 0;
  let quarantined = 0;
  const notDone = new Set<string>();
  let outOfTime = false;
  const works: Work[] = [];
  const removed: Record<string, 'done' | 'due' | 'not-expired' | 'nothing-found'> = {};
  let nothingFound = 0;
  const notExpiredRemoved: HoldingRecord[] = [];
  let rescheduled = 0;
  let failed = 0;

  // Each subject is read and planned on its own: several at a time, the results kept in the batch's order.
  const planned = await mapLimit(subjects, SUBJECTS_AT_ONCE, async (subject) => {
    const mine: { works: Work[]; notExpired: HoldingRecord[]; rescheduled: number } = { works: [], notExpired: [], rescheduled: 0 };
    const stored = plannable(policy, await rt.ledger.holdingsOf(subject.subjectRef, { activeOnly: true }));
    const extra = subject.removed && !stored.some((h) => same(h, subject.removed!)) ? plannable(policy, [subject.removed]) : [];
    const holdings = [...stored, ...extra];
    // A restriction whose `until` has come is lifted first (restrictions.ts: its holdings were due at `until`), and
    // the subject planned with what it leaves: a keep-restriction no longer holds what it covered.
    const events = await liftDueRestrictions(
      rt,
      subject.subjectRef,
      await rt.events.list(subject.subjectRef),
      now,
      origin.kind === 'sweep' ? `sweep:${origin.sweepId}` : `ttl:${origin.id}`,
    );
    // Legal holds (holds.ts) come with the events, from the same Query: a held holding is retained, not expired,
    // and the reschedule below takes it out of the due index until the hold's release (Ledger.reschedule).
    const result = plan(policy, { subjectId: subject.subjectRef, holdings: holdings.map(toHolding), events, holds: events.holds }, now);
    // Spec 2.3: a record a hold keeps (and of which nothing goes) is restricted (restrictions.ts).
    await restrictHeldRecords(rt, subject.subjectRef, result, holdings, now, origin);

    for (const [i, decision] of result.holdings.entries()) {
      const holding = holdings[i];
      const goes = decision.outcome === 'erase' || decision.outcome === 'anonymise';
      if (goes) continue;
      if (extra.includes(holding)) mine.notExpired.push(holding);
      else if (holding.dueAt !== undefined && holding.dueAt <= now.epochMilliseconds) {
        if ((await rt.ledger.reschedule(holding, events)).updated) mine.rescheduled++;
      }
    }
    // One work per record (spec 2.2): the main record's holdings, or one item's, each located by its own holdings only.
    for (const sp of result.systems) {
      const going = result.holdings
        .map((d, i) => ({ d, holding: holdings[i] }))
        .filter(
          ({ d }) => d.holding.system === sp.system && d.holding.ref === sp.ref && (d.outcome === 'erase' || d.outcome === 'anonymise'),
        )
        .map(({ holding }) => ({ holding, removed: extra.includes(holding) }));
      if (going.length === 0) continue;
      const held = holdings.filter((h) => h.system === sp.system && h.itemRef === sp.ref);
      mine.works.push({ subjectRef: subject.subjectRef, plan: sp, going, held });
    }
    return mine;
  });
  for (const mine of planned) {
    works.push(...mine.works);
    notExpiredRemoved.push(...mine.notExpired);
    rescheduled += mine.rescheduled;
  }

  for (const holding of notExpiredRemoved) {
    // TTL removed a holding whose expiry moved later: put it back, due again when it expires.
    await rt.ledger.putBack(holding, { done: false }, now);
    const events = await rt.events.list(holding.subjectRef);
    await rt.ledger.reschedule(holding, events);
    removed[removedKey(holding)] = 'not-expired';
  }

  // One connector call per system and round: a subject appears once in a call (its outcome is answered by
  // subjectRef), so a subject's second record in a system (another item) goes in the next round's call.
  const bySystem = new Map<string, Work[]>();
  const rounds = new Map<string, number>();
  for (const work of works) {
    const seen = `${work.plan.system}\u0000${work.subjectRef}`;
    const round = rounds.get(seen) ?? 0;
    rounds.set(seen, round + 1);
    const group = round === 0 ? work.plan.system : `${work.plan.system}\u0000${round}`;
    bySystem.set(group, [...(bySystem.get(group) ?? []), work]);
  }

  let done = 0;
  const finishedBy = origin.kind === 'sweep' ? `sweep:${origin.sweepId}` : `ttl:${origin.id}`;
  const settled: { readonly work: Work; readonly outcome: Outcome; readonly entry: AuditEntry }[] = [];
  for (const [group, systemWorks] of bySystem) {
    const { system } = systemWorks[0].plan;
    if (!outOfTime && options.remainingMs && options.remainingMs() < CONNECTOR_TIMEOUT_SECONDS * 1000 + SWEEP_FINISH_RESERVE_MS) {
      outOfTime = true;
      logger.warn('time budget spent: the rest of the batch stays due for the next sweep', {
        system: group,
        remainingMs: options.remainingMs(),
      });
    }
    const { outcomes, failures } = outOfTime
      ? { outcomes: new Map<string, Outcome>(), failures: new Map<string, Failure>() }
      : await runSystem(rt, system, systemWorks, origin);
    const recording: (() => Promise<unknown>)[] = [];
    for (const work of systemWorks) {
      const outcome = outcomes.get(work.subjectRef);
      if (!outcome) {
        const failure = outOfTime ? undefined : (failures.get(work.subjectRef) ?? { error: 'MissingOutcome', transient: false });
        if (!failure) notDone.add(work.subjectRef);
        else {
          failed += work.going.length;
          if (failure.transient) failedTransiently += work.going.length;
          else if (origin.kind === 'sweep') {
            // A subject that cannot be processed: counted once per sweep on each holding, quarantined after too many.
            for (const g of work.going.filter((x) => !x.removed)) {
              const counted = await rt.ledger.recordFailedSweep(
                g.holding,
                { sweepId: origin.sweepId, error: failure.error, now },
                quarantineAfter,
              );
              if (counted.quarantined) {
                quarantined++;
                logger.error('holding quarantined: it failed too many sweeps and is no longer swept', {
                  purpose: g.holding.purpose,
                  system,
                  subjectRef: work.subjectRef,
                  failedSweeps: counted.failedSweeps,
                  error: failure.error,
                });
              }
            }
          }
        }
        for (const g of work.going.filter((x) => x.removed)) {
          await rt.ledger.putBack(g.holding, { done: false }, now);
          removed[removedKey(g.holding)] = 'due';
        }
        continue;
      }
      if (!outcome.recorded) {
        const applied: AppliedAction = {
          outcome: outcome.status,
          counts: outcome.counts,
          ...(outcome.verification === undefined ? {} : { verification: outcome.verification }),
          by: finishedBy,
          atMs: now.epochMilliseconds,
        };
        for (const g of work.going) if (!g.removed) recording.push(() => rt.ledger.recordApplied(g.holding, applied));
      }
      const subject = await rt.refs.auditSubject(outcome.subjectId);
      const entry: AuditEntry = {
        at: formatInstant(now, policy.timezone),
        kind: origin.kind === 'sweep' ? 'sweep' : 'ttl',
        ...(origin.kind === 'sweep' ? { sweepId: origin.sweepId } : {}),
        purposes: work.going.map((g) => g.holding.purpose),
        system,
        // An item record's: named by its audit HMAC (never the ref, never its ledger key).
        ...(work.plan.ref === undefined ? {} : { item: await rt.refs.auditItem(subject, outcome.ref ?? work.plan.ref) }),
        action: work.plan.record,
        outcome: outcome.status,
        counts: outcome.counts,
        subject,
        policyHash: rt.policyHash,
        // Issue 19: whether the connector verified the expiry (a subject it found data left of failed above).
        ...(outcome.verification === undefined ? {} : { verification: outcome.verification }),
      };
      settled.push({ work, outcome, entry });
    }
    // Recorded before the next system's connector is called: a run that stops there repeats no call.
    await mapLimit(recording, SUBJECTS_AT_ONCE, (record) => record());
  }

  // One audit segment for the whole batch (one S3 object, one chain claim), written after every outcome is
  // recorded on its holdings and before any holding is finished: a run that stops before it leaves them due
  // with their outcome, and the next run writes the records and finishes them.
  await recordExpiryTombstones(rt, settled, finishedBy); // issue 19, item 3: replay after a restore
  await rt.audit.writeMany(settled.map((s) => s.entry));
  const finishing = settled.flatMap(({ work, outcome }) => work.going.map((g) => ({ g, outcome })));
  await mapLimit(finishing, SUBJECTS_AT_ONCE, async ({ g, outcome }) => {
    if (outcome.status === 'nothing-found' && outcome.afterLostCall) {
      logger.warn('expiry found no data after an earlier call whose outcome was lost: finished as nothing-found', {
        purpose: g.holding.purpose,
        system: g.holding.system,
        subjectRef: g.holding.subjectRef,
      });
    } else if (outcome.status === 'nothing-found') {
      const erasedBy = await erasedWithItsRecord(rt, g.holding);
      if (erasedBy !== undefined) {
        logger.info(
          'expiry found no data: Lethe changed its record for another purpose after the holding expired; finished as nothing-found',
          {
            purpose: g.holding.purpose,
            system: g.holding.system,
            subjectRef: g.holding.subjectRef,
            erasedBy,
          },
        );
      } else {
        await flagNothingFound(g);
        return;
      }
    }
    if (g.removed) {
      await rt.ledger.putBack(g.holding, { done: true, outcome: outcome.status, finishedBy }, now);
      removed[removedKey(g.holding)] = 'done';
      done++;
    } else if (await rt.ledger.finish(g.holding, outcome.status, finishedBy, now)) done++;
  });

  /** Data was expected (the holding says so) and none was found: flagged and alarmed, never closed as done. */
  async function flagNothingFound(g: Going): Promise<void> {
    const flagged = g.removed
      ? await rt.ledger.putBack(g.holding, { done: false, nothingFound: { by: finishedBy } }, now)
      : await rt.ledger.flagNothingFound(g.holding, finishedBy, now);
    if (g.removed) removed[removedKey(g.holding)] = 'nothing-found';
    if (!flagged) return;
    nothingFound++;
    logger.error('expiry found no data where the holding said there was some: the holding stays open, flagged', {
      purpose: g.holding.purpose,
      system: g.holding.system,
      subjectRef: g.holding.subjectRef,
      by: finishedBy,
    });
  }
  return {
    subjects: subjects.length,
    holdingsDone: done,
    holdingsFailed: failed,
    holdingsFailedTransiently: failedTransiently,
    holdingsQuarantined: quarantined,
    holdingsNothingFound: nothingFound,
    subjectsNotDone: notDone.size,
    rescheduled,
    removed,
  };
}

/** What Lethe's action did to a record when it changed it (SystemStatus). */
const CHANGED_RECORD: ReadonlySet<SystemStatus> = new Set<SystemStatus>(['erased', 'anonymised', 'fields-removed', 'fields-anonymised']);

/**
 * Lethe's own action that explains a connector finding nothing for `holding`: a holding of another purpose in the same
 * record (subject, system, item) that Lethe finished with a change to the record at or after `holding` expired. Each
 * purpose's holdings are in a ledger table of their own, with a stream of its own: when TTL removes several holdings
 * of one record, each stream handles its own, and the first one's expiry, planned without the others (no longer in
 * the ledger, and expired: they protect nothing), takes the record or its fields; the next one finds nothing, rightly.
 * The same holds for a sweep after such a TTL path. An erasure before `holding` expired does not explain it (the
 * shared-data rule kept its fields then), nor does one of its own purpose. Its `finishedBy`, or undefined.
 */
async function erasedWithItsRecord(rt: Runtime, holding: HoldingRecord): Promise<string | undefined> {
  if (holding.expiresAt === undefined) return undefined;
  const expiredMs = Temporal.Instant.from(holding.expiresAt).epochMilliseconds;
  const others = await rt.ledger.holdingsOf(holding.subjectRef);
  const by = others.find(
    (other) =>
      other.purpose !== holding.purpose &&
      other.system === holding.system &&
      other.itemRef === holding.itemRef &&
      other.status === HOLDING_STATUS.done &&
      other.outcome !== undefined &&
      CHANGED_RECORD.has(other.outcome) &&
      other.finishedAtMs !== undefined &&
      other.finishedAtMs >= expiredMs,
  );
  return by?.finishedBy;
}

/** Why a subject got no outcome from a system: the error's name and whether it is worth retrying. */
interface Failure {
  readonly error: string;
  readonly transient: boolean;
}

/** A failure of Lethe's own side (unsealing, reading the ledger) or of a whole connector call, classified. */
function failureOf(error: unknown): Failure {
  const transient = error instanceof RuntimeTransientError || isTransient(error);
  return { error: errorLabel(errorName(error)), transient };
}

interface Outcome {
  readonly subjectRef: string;
  readonly subjectId: string;
  /** An item record's raw ref (from its sealed locator), for the audit's `item` HMAC. */
  readonly ref?: string;
  readonly status: SystemStatus;
  readonly counts: ConnectorCounts;
  /** Whether the connector verified it (issue 19); absent where nothing was to verify. */
  readonly verification?: Verification;
  /** Taken from the ledger: an earlier run called the connector and recorded this, then stopped. */
  readonly recorded?: boolean;
  /** An earlier connector call for these holdings, whose outcome was lost, may have changed the data. */
  readonly afterLostCall?: boolean;
}

/**
 * Whether a call before the one that gave this outcome was made for the work's holdings (their `attempts` as read
 * when the batch was planned): for a fresh call, any earlier one; for a recorded outcome, one before the call that
 * recorded it (the last one counted).
 */
function afterLostCall(work: Work, recorded: boolean): boolean {
  const attempts = Math.max(0, ...work.going.map((g) => g.holding.attempts ?? 0));
  return attempts >= (recorded ? 2 : 1);
}

/** The outcome an earlier run recorded on every holding going in this system, if it did. */
function recordedOutcome(work: Work): AppliedAction | undefined {
  const applied = work.going.map((g) => g.holding.applied);
  return applied.every((a) => a !== undefined) ? applied[0] : undefined;
}

/**
 * One connector call for every subject of the batch in one system: the outcomes of the subjects it did, and for
 * each other one why it failed (its connector call could not be prepared, the whole call failed, or the subject
 * alone failed, in the result's `failed`).
 */
async function runSystem(
  rt: Runtime,
  system: string,
  works: readonly Work[],
  origin: ExpiryOrigin,
): Promise<{ outcomes: Map<string, Outcome>; failures: Map<string, Failure> }> {
  const outcomes = new Map<string, Outcome>();
  const failures = new Map<string, Failure>();
  const subjects: ConnectorSubject[] = [];
  for (const work of works) {
    try {
      const { subjectId, locator, identifiers, ref } = await locatorIn(rt, work.held);
      if (subjectId === undefined) throw new ConnectorPermanentError(`no sealed subject id in the ledger for system "${system}"`);
      // An item record is located by its own holdings' locator and ref only; without its ref the connector would
      // fall back to the subject's main record, so it is not called.
      if (work.plan.ref !== undefined && ref === undefined)
        throw new ConnectorPermanentError(`no sealed item ref in the ledger for an item record in system "${system}"`);
      const item = ref === undefined ? {} : { ref };
      const recorded = recordedOutcome(work);
      if (recorded) {
        // Per subject only at DEBUG (issue 16): the batch's counts are logged at INFO (sweep.ts 'batch applied').
        logger.debug('expiry already applied by an earlier run: completing it', { system, subjectRef: work.subjectRef, by: recorded.by });
        outcomes.set(work.subjectRef, {
          subjectRef: work.subjectRef,
          subjectId,
          ...item,
          status: recorded.outcome,
          counts: recorded.counts,
          ...(recorded.verification === undefined ? {} : { verification: recorded.verification }),
          recorded: true,
          afterLostCall: afterLostCall(work, true),
        });
        continue;
      }
      const sp = work.plan;
      if (sp.record === 'keep' && sp.removeFields.length + sp.anonymiseFields.length === 0) {
        // Shared data protects every field: nothing changes in the system, only the ledger.
        outcomes.set(work.subjectRef, { subjectRef: work.subjectRef, subjectId, ...item, status: 'kept-shared', counts: ZERO_COUNTS });
        continue;
      }
      subjects.push({
        subjectRef: work.subjectRef,
        subjectId,
        locator,
        identifiers,
        ...item,
        record: sp.record,
        removeFields: connectorFields(rt.policy, system, sp.removeFields),
        anonymiseFields: connectorFields(rt.policy, system, sp.anonymiseFields),
      });
    } catch (error) {
      failures.set(work.subjectRef, failureOf(error));
      logger.warn('subject left due: cannot prepare its connector call', { system, subjectRef: work.subjectRef, error: errorName(error) });
    }
  }
  if (subjects.length === 0) return { outcomes, failures };
  const originId = origin.kind === 'sweep' ? origin.sweepId : `ttl-${origin.id}`;
  // Over the records called (an item's key holds its itemRef): two rounds of one batch get different ids.
  const recordsCalled = new Set(subjects.map((s) => s.subjectRef));
  const batchHash = createHash('sha256')
    .update(
      works
        .filter((w) => recordsCalled.has(w.subjectRef))
        .map((w) => `${w.subjectRef}/${recordKeyOf(w.plan.system, w.plan.ref)}`)
        .sort()
        .join(','),
    )
    .digest('hex')
    .slice(0, 16);
  const purposes = [...new Set(works.flatMap((w) => w.going.map((g) => g.holding.purpose)))];
  // Counted before the call (module comment): a later nothing-found then knows this call may have removed the data.
  const called = new Set(subjects.map((s) => s.subjectRef));
  const marks = works.filter((w) => called.has(w.subjectRef)).flatMap((w) => w.going.filter((g) => !g.removed).map((g) => g.holding));
  await mapLimit(marks, SUBJECTS_AT_ONCE, (holding) => rt.ledger.markAttempted(holding));
  try {
    const result = await rt.connectors.invoke({
      system,
      purposes,
      subjects,
      operationId: `${originId}:${system}:${batchHash}`,
      policyHash: rt.policyHash,
    });
    for (const outcome of result.subjects) {
      const subject = subjects.find((s) => s.subjectRef === outcome.subjectRef);
      const work = works.find((w) => w.subjectRef === outcome.subjectRef);
      if (subject && work)
        outcomes.set(outcome.subjectRef, {
          subjectRef: outcome.subjectRef,
          subjectId: subject.subjectId,
          ...(subject.ref === undefined ? {} : { ref: subject.ref }),
          status: outcome.status,
          counts: outcome.counts,
          ...(needsVerification(subject) ? { verification: outcome.verification ?? 'unverified' } : {}),
          afterLostCall: afterLostCall(work, false),
        });
    }
    for (const failure of result.failed ?? []) {
      failures.set(failure.subjectRef, { error: errorLabel(failure.error), transient: failure.transient });
      // Absent from the outcomes: its holdings stay due, and the next sweep sends only it again.
      logger.warn('connector failed for a subject: its holdings stay due', {
        system,
        subjectRef: failure.subjectRef,
        error: errorLabel(failure.error),
        transient: failure.transient,
      });
    }
  } catch (error) {
    // The call failed as a whole: every subject of it failed alike (a permanent error counts towards quarantine; a
    // transient one is rethrown by the sweep, after what succeeded is recorded, for the state machine to retry).
    const failure = failureOf(error);
    for (const s of subjects) failures.set(s.subjectRef, failure);
    logger.warn('connector failed: its holdings stay due', { system, subjects: subjects.length, error: errorName(error) });
  }
  return { outcomes, failures };
}
