/**
 * `GET /subjects/{subjectId}`: what Lethe holds about one subject (issue 14), so that a DPO can answer "what do
 * we hold about X" from the ledger instead of from logs. Everything is read by the subject's HMAC, with Queries on
 * the subject's own partition and nothing else (no Scan):
 * - each purpose's ledger table by subjectRef (Ledger.holdingsOf): the holdings, active and done (a done holding
 *   stays until TTL removes it, LEDGER.doneTtlSeconds after it finished);
 * - the events table by subjectRef (EventStore.list): the subject's events, from which each active holding's
 *   expiry is computed with the retention engine (lib/retention), so that a holding whose clock has not started
 *   says what it waits for (`waitingFor`) or that it is kept `indefinite`ly, as `lethe expiry` does;
 * - the requests table's `by-subject` index (RequestStore.idsOfSubject), then each request by its key: the
 *   subject's requests, and the restrictions they put on holdings (spec 2.4: a holding an erasure retains is
 *   restricted);
 * - the subject's legal holds (spec 2.3), read by the same events Query (holds.ts) and listed as GET …/holds lists
 *   them: each holding names the holds in force over it, and its expiry is the later of its own and a release of a
 *   hold that covered it, as the ledger schedules it.
 *
 * A subject Lethe knows nothing of is answered 200 with empty lists, exactly as one whose holdings have all
 * finished and been removed: the caller learns nothing beyond what it asked about, and "nothing held" is an answer,
 * not an error. Nothing of another subject can appear: every read is keyed by this subject's HMAC, and every item
 * read is checked to carry it (`sameSubject`).
 *
 * The raw ref of an item holding (spec 2.2) is sealed with its locator; it is shown while the holding is active
 * (unsealed here, for the caller who sent the subject id) and `itemRef` (its HMAC) always, so that a done item,
 * an event about an item and a request's record can be matched.
 */
import { Temporal } from '@js-temporal/polyfill';
import { HOLDING_STATUS, type HoldingStatus, type RequestStatus, type SystemStatus } from '../core/contract';
import type { Expiry } from '../retention/expiry';
import { formatInstant } from '../retention/time';
import { afterReleases, type Hold, type Holding, scopeCovers } from '../planner/plan';
import { type HoldAnswer, listHolds } from './holds';
import { type HoldingRecord, parseRecordKey, type SealedHolding, toHolding } from './ledger';
import type { RequestItem } from './requests';
import type { Runtime } from './runtime';
import { holdingContext } from './sealing';
import { checkSubjectId } from './subjects';

/** What restricts a holding's processing (Art. 18): a request that retained it (erasure) or restricts it. */
export interface RestrictionView {
  readonly requestId: string;
  readonly kind: string;
  /** Why: `retained` (an erasure kept it, spec 2.4) or `restriction` (a restriction request covers it). */
  readonly by: 'retained' | 'restriction';
}

export interface HoldingView {
  readonly purpose: string;
  readonly system: string;
  /** An item holding's id as registered (spec 2.2), while the holding is active. */
  readonly ref?: string;
  /** An item holding's HMAC (the ledger's key): matches the request's records and the events about the item. */
  readonly itemRef?: string;
  readonly collectedAt: string;
  readonly status: HoldingStatus;
  /** Active: when it must be gone (policy time zone), or null while unknown or never. Done: the expiry it had, if any. */
  readonly expiresAt: string | null;
  /** Active, expiresAt null: the events that would start its clock (as `lethe expiry` gives them). */
  readonly waitingFor?: readonly string[];
  /** Active, expiresAt null: the purpose keeps it indefinitely. */
  readonly indefinite?: true;
  /** Active: the retention engine's words for the expiry. */
  readonly explanation?: string;
  /** The legal holds covering it now (their ids; details in the answer's `holds`). */
  readonly holds: readonly string[];
  readonly restrictions: readonly RestrictionView[];
  /** Active but out of the sweep: it failed too many sweeps (an operator looks at it). */
  readonly quarantined?: { readonly since: string; readonly failedSweeps: number };
  /** Active but out of the sweep: an expiry found no data where the holding said (register it again to resume). */
  readonly nothingFound?: { readonly since: string };
  /** Done: what became of the data, when, and by what (`request:<id>`, `sweep:<id>`, `ttl`). */
  readonly outcome?: SystemStatus;
  readonly finishedAt?: string;
  readonly finishedBy?: string;
}

export interface EventView {
  readonly type: string;
  readonly at: string;
  readonly purpose?: string;
  /** An event about an item: the item's HMAC (as its holding's `itemRef`). */
  readonly itemRef?: string;
}

export interface SubjectRequestView {
  readonly requestId: string;
  /** `erasure`, or the kind the request item names (restriction, access). */
  readonly kind: string;
  readonly status: RequestStatus;
  readonly receivedAt: string;
  readonly deadline: string;
  readonly finishedAt?: string;
}

export interface SubjectView {
  /** As the caller sent it (nothing else in the answer names the subject). */
  readonly subjectId: string;
  /** When the view was read (policy time zone): expiries are as of then. */
  readonly asOf: string;
  readonly holdings: readonly HoldingView[];
  readonly events: readonly EventView[];
  /** Every hold of the subject, placed and released, as GET /subjects/{subjectId}/holds shows them. */
  readonly holds: readonly HoldAnswer[];
  readonly requests: readonly SubjectRequestView[];
}

/** A request's records (keyed as ledger.ts recordKeyOf) with the purposes it retained in each. */
function retainedRecords(request: RequestItem): { system: string; itemRef?: string; purposes: readonly string[] }[] {
  return Object.entries(request.systems ?? {}).map(([key, entry]) => ({ ...parseRecordKey(key), purposes: entry.retainedPurposes }));
}

/** The kind of a request item: the `kind` it names, else `erasure` (every request stored before kinds). */
export function requestKind(request: RequestItem): string {
  const kind = (request as RequestItem & { readonly kind?: unknown }).kind;
  return typeof kind === 'string' ? kind : 'erasure';
}

/** The holds in force at `now` that cover a holding (spec 2.3: placed, not yet released, its scope's keys all match). */
export function holdsCovering(holds: readonly Hold[], holding: Holding, now: Temporal.Instant): Hold[] {
  return holds.filter(
    (h) =>
      scopeCovers(h.scope, holding) &&
      Temporal.Instant.compare(h.placedAt, now) <= 0 &&
      (h.releasedAt === undefined || Temporal.Instant.compare(now, h.releasedAt) < 0),
  );
}

/** The restrictions the subject's requests put on a holding. */
export function restrictionsOf(
  requests: readonly RequestItem[],
  holding: Pick<HoldingRecord, 'purpose' | 'system' | 'itemRef'>,
): RestrictionView[] {
  const found: RestrictionView[] = [];
  for (const request of requests) {
    const kind = requestKind(request);
    for (const record of retainedRecords(request)) {
      if (record.system !== holding.system || record.itemRef !== holding.itemRef) continue;
      if (!record.purposes.includes(holding.purpose)) continue;
      found.push({ requestId: request.requestId, kind, by: kind === 'restriction' ? 'restriction' : 'retained' });
    }
  }
  return found;
}

export async function viewSubject(rt: Runtime, subjectId: string): Promise<SubjectView> {
  checkSubjectId(subjectId);
  const { policy } = rt;
  const zone = policy.timezone;
  const now = rt.now();
  const subjectRef = await rt.refs.ref(subjectId);
  const sameSubject = (item: { readonly subjectRef: string }): boolean => item.subjectRef === subjectRef;

  const [stored, events, { holds }, requestIds] = await Promise.all([
    rt.ledger.holdingsOf(subjectRef),
    rt.events.list(subjectRef),
    listHolds(rt, subjectId),
    rt.requests.idsOfSubject(subjectRef),
  ]);
  // The index is eventually consistent and keys only: each request is read from the table, and one that is gone
  // (TTL) or, by a bug, of another subject is left out.
  const requests = (await Promise.all([...new Set(requestIds)].map((id) => rt.requests.get(id)))).filter(
    (r): r is RequestItem => r !== undefined && sameSubject(r),
  );

  const show = (iso: string): string => formatInstant(Temporal.Instant.from(iso), zone);
  const purposeOrder = Object.keys(policy.purposes);
  const systemOrder = Object.keys(policy.systems);
  const holdings = stored
    .filter(sameSubject)
    .sort(
      (a, b) =>
        purposeOrder.indexOf(a.purpose) - purposeOrder.indexOf(b.purpose) ||
        systemOrder.indexOf(a.system) - systemOrder.indexOf(b.system) ||
        (a.itemRef ?? '').localeCompare(b.itemRef ?? ''),
    );

  const views: HoldingView[] = [];
  for (const h of holdings) {
    const active = h.status === HOLDING_STATUS.active;
    let ref: string | undefined;
    if (active && h.itemRef !== undefined && h.sealed !== undefined) {
      ref = (await rt.sealer.unseal<SealedHolding>(h.sealed, holdingContext(h.purpose, h.system, h.subjectRef, h.itemRef))).ref;
    }
    const planned = toHolding(h);
    // The ledger's expiry: its own, then the later of it and a release of a hold that covered it (spec 2.3).
    const expiry: Expiry | undefined =
      active && policy.purposes[h.purpose]
        ? afterReleases(policy, rt.ledger.expiryOf(h.purpose, planned.collectedAt, events, h.itemRef), events.holds, planned, now)
        : undefined;
    views.push({
      purpose: h.purpose,
      system: h.system,
      ...(ref === undefined ? {} : { ref }),
      ...(h.itemRef === undefined ? {} : { itemRef: h.itemRef }),
      collectedAt: show(h.collectedAt),
      status: h.status,
      ...(expiry
        ? {
            expiresAt: expiry.expiresAt ? formatInstant(expiry.expiresAt, zone) : null,
            ...(expiry.waitingFor ? { waitingFor: expiry.waitingFor } : {}),
            ...(expiry.indefinite ? { indefinite: true as const } : {}),
            explanation: expiry.explanation,
          }
        : { expiresAt: h.expiresAt ?? null }),
      holds: active ? holdsCovering(events.holds, planned, now).map((hold) => hold.holdId) : [],
      restrictions: active ? restrictionsOf(requests, h) : [],
      ...(active && h.quarantined ? { quarantined: { since: show(h.quarantined.at), failedSweeps: h.quarantined.failedSweeps } } : {}),
      ...(active && h.nothingFound ? { nothingFound: { since: show(h.nothingFound.at) } } : {}),
      ...(h.outcome === undefined ? {} : { outcome: h.outcome }),
      ...(h.finishedAt === undefined ? {} : { finishedAt: show(h.finishedAt) }),
      ...(h.finishedBy === undefined ? {} : { finishedBy: h.finishedBy }),
    });
  }

  return {
    subjectId,
    asOf: formatInstant(now, zone),
    holdings: views,
    events: events.map((e) => ({
      type: e.type,
      at: formatInstant(e.at, zone),
      ...(e.purpose === undefined ? {} : { purpose: e.purpose }),
      ...(e.ref === undefined ? {} : { itemRef: e.ref }),
    })),
    holds,
    requests: requests
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.requestId.localeCompare(b.requestId))
      .map((r) => ({
        requestId: r.requestId,
        kind: requestKind(r),
        status: r.status,
        receivedAt: show(r.receivedAt),
        deadline: show(r.deadline),
        ...(r.finishedAt === undefined ? {} : { finishedAt: show(r.finishedAt) }),
      })),
  };
}
