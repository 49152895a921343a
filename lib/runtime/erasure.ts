/**
 * The erasure workflow's three tasks (statemachines/erasure.asl.json). Each is safe to run again: the plan is
 * stored once and reused; a system whose status is final is never sent to its connector again, and the steps
 * after the connector call (ledger, audit) are each recorded, so a re-run completes only what is missing.
 *
 * The per-system task records the system's status and finishes its holdings in the ledger; the finish task writes
 * the audit records of every system at once, as one segment of the chain (lib/audit/writer.ts).
 *
 * Payloads in and out carry ids only (contract); the subject's id, identifiers and locators are unsealed here,
 * passed to the connector, and nowhere else.
 */
import { Temporal } from '@js-temporal/polyfill';
import type { AuditEntry } from '../audit';
import { needsVerification } from '../connectors/connector';
import { ConnectorPermanentError, ConnectorTransientError } from '../connectors/errors';
import { InputError } from '../core/errors';
import { ConflictError } from './errors';
import { plan } from '../planner/plan';
import type { Policy } from '../policy/model';
import { formatInstant } from '../retention/time';
import type {
  ConnectorCounts,
  ConnectorExport,
  ConnectorField,
  ConnectorSubject,
  ErasureFinishInput,
  ErasureFinishOutput,
  ErasurePlanOutput,
  ErasureSystemOutput,
  SystemStatus,
  Verification,
} from '../core/contract';
import { ERROR_NAMES } from '../core/contract';
import { type HoldingRecord, recordKeyOf, type SealedHolding, toHolding } from './ledger';
import { errorName, logger } from '../core/observability';
import {
  type AccessEntryItem,
  type GoingHolding,
  isFinal,
  kindOf,
  type ReceiptBasis,
  type RequestItem,
  type RetainedEntry,
  type SystemEntry,
} from './requests';
import type { Runtime } from './runtime';
import { holdingContext, requestContext } from './sealing';
import { recordRequestHandled } from './subjects';
import { exportFieldsOf, produceExport } from './exports';
import { RESTRICTION_HOLD_PREFIX } from './holds';
import { recordRequestTombstone } from './tombstones';

export const ZERO_COUNTS: ConnectorCounts = { records: 0, fields: 0, objects: 0 };

/** Holdings the current policy can plan: a purpose's holding in a system the purpose still names. */
export function plannable(policy: Policy, holdings: readonly HoldingRecord[]): HoldingRecord[] {
  return holdings.filter((h) => {
    const ok = (policy.purposes[h.purpose]?.systems.includes(h.system) ?? false) && policy.systems[h.system] !== undefined;
    if (!ok)
      logger.warn('holding left out: the policy no longer has its purpose in its system', {
        purpose: h.purpose,
        system: h.system,
        subjectRef: h.subjectRef,
      });
    return ok;
  });
}

/** The policy's field specs for a system, by name, as a connector receives them. */
export function connectorFields(policy: Policy, system: string, names: readonly string[]): ConnectorField[] {
  const fields = policy.systems[system]?.fields ?? [];
  return names.map((name) => {
    const field = fields.find((f) => f.name === name);
    if (!field) throw new ConnectorPermanentError(`field "${name}" is not declared in system "${system}"`);
    return { name: field.name, category: field.category, ...(field.anonymise ? { anonymise: field.anonymise } : {}) };
  });
}

/** The error name a system is recorded with: the name only, bounded and plain. */
export function errorLabel(name: string | undefined): string {
  const clean = (name ?? '').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 128);
  return clean || 'Error';
}

// ---------------------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------------------

/** Marks the request running and plans it (once; a re-run reuses the stored plan). */
export async function planErasure(rt: Runtime, requestId: string): Promise<ErasurePlanOutput> {
  const request = await rt.requests.require(requestId);
  await rt.requests.markRunning(requestId);
  if (request.systems) return planOutput(request);

  const { policy } = rt;
  const holdings = plannable(policy, await rt.ledger.holdingsOf(request.subjectRef, { activeOnly: true }));
  const events = await rt.events.list(request.subjectRef);
  const now = rt.now();
  // Legal holds (holds.ts) come with the events: a held holding is retained with the hold's id and reason.
  // The request's kind (spec 2.4; an item without `kind` is an erasure): a restriction restricts every record in
  // scope (`restrict`, and with `keep` holds the data until `until`); an access request only lists what is held.
  const kind = kindOf(request);
  const result = plan(policy, { subjectId: request.subjectRef, holdings: holdings.map(toHolding), events, holds: events.holds }, now, {
    type: kind,
    receivedAt: Temporal.Instant.from(request.receivedAt),
    ...(request.scope ? { scope: request.scope } : {}),
    ...(kind === 'restriction' && request.until !== undefined ? { until: Temporal.Instant.from(request.until) } : {}),
    ...(kind === 'restriction' && request.keep !== undefined ? { keep: request.keep } : {}),
  });

  // One entry per record (spec 2.2, 2.7): the subject's main record in a system under the system id, an item's
  // record under `<system>#item#<itemRef>`; the planner's `ref` is the itemRef (toHolding), never the raw ref.
  const systems: Record<string, SystemEntry> = {};
  const order: string[] = [];
  for (const sp of result.systems) {
    const decisions = result.holdings.filter((d) => d.holding.system === sp.system && d.holding.ref === sp.ref && d.inScope);
    if (decisions.length === 0) continue;
    // Access: nothing changes in any system (the plan's `access` is stored below). Restriction: each record in scope
    // gets the connector action `restrict`, and nothing else.
    if (kind === 'access' || (kind === 'restriction' && !sp.restrict)) continue;
    if (kind === 'restriction') {
      const key = recordKeyOf(sp.system, sp.ref);
      order.push(key);
      systems[key] = {
        ...(sp.ref === undefined ? {} : { system: sp.system, itemRef: sp.ref }),
        status: 'pending',
        action: 'restrict',
        record: 'restrict',
        removeFields: [],
        anonymiseFields: [],
        going: {},
        // Art. 18: the purposes whose holdings in the record are restricted (the connector call and the audit name them).
        retainedPurposes: decisions.map((d) => d.holding.purpose),
        invoke: true,
        ledgerDone: true,
      };
      continue;
    }
    const going: Record<string, GoingHolding> = {};
    for (const d of decisions) {
      if (d.outcome !== 'erase' && d.outcome !== 'anonymise') continue;
      const stored = holdings.find((h) => h.purpose === d.holding.purpose && h.system === sp.system && h.itemRef === sp.ref)!;
      going[d.holding.purpose] = { outcome: d.outcome, collectedAtMs: stored.collectedAtMs };
    }
    const retainedPurposes = decisions.filter((d) => d.outcome === 'retain').map((d) => d.holding.purpose);
    const key = recordKeyOf(sp.system, sp.ref);
    const item = sp.ref === undefined ? {} : { system: sp.system, itemRef: sp.ref };
    // Spec 2.3, 2.4: a record that keeps retained data is restricted (connector action `restrict`), marked with what
    // retains it: a keep-restriction's request (so that its lift removes the mark), a hold, else this request.
    const restrict = sp.restrict && retainedPurposes.length > 0 ? { restrictionId: restrictionIdOf(decisions, requestId) } : {};
    order.push(key);
    systems[key] =
      Object.keys(going).length === 0
        ? {
            ...item,
            status: 'pending',
            action: 'retain',
            record: 'restrict',
            removeFields: [],
            anonymiseFields: [],
            going: {},
            retainedPurposes,
            invoke: true,
            ledgerDone: true,
            ...restrict,
          }
        : {
            ...item,
            status: 'pending',
            action: sp.record,
            record: sp.record,
            removeFields: sp.removeFields,
            anonymiseFields: sp.anonymiseFields,
            going,
            retainedPurposes,
            // Shared data can protect every field: then nothing changes in the system, only the ledger.
            invoke: sp.record !== 'keep' || sp.removeFields.length + sp.anonymiseFields.length > 0,
            // The record stays (some of it is retained): restricted after the fields went (restrictRetained).
            ...(sp.record === 'keep' ? restrict : {}),
          };
  }
  // Access (Art. 15): one record per entry of the plan's `access`, each exported with the fields it lists (the
  // connector action `export`; nothing changes in the system, nothing in the ledger).
  if (kind === 'access') {
    for (const entry of result.access ?? []) {
      const key = recordKeyOf(entry.system, entry.ref);
      order.push(key);
      systems[key] = {
        ...(entry.ref === undefined ? {} : { system: entry.system, itemRef: entry.ref }),
        status: 'pending',
        action: 'export',
        record: 'export',
        removeFields: [],
        anonymiseFields: [],
        going: {},
        retainedPurposes: [...entry.purposes],
        exportFields: exportFieldsOf(policy, entry),
        invoke: true,
        ledgerDone: true,
      };
    }
  }
  // Spec 2.7: where the date is not known, the answer says what it depends on (never a bare "until null").
  const retained: RetainedEntry[] = result.retained.map((r) => ({
    purpose: r.purpose,
    ...(r.ref === undefined ? {} : { itemRef: r.ref }),
    reason: r.reason,
    until: r.until ? formatInstant(r.until, policy.timezone) : null,
    ...(r.waitingFor ? { waitingFor: r.waitingFor } : {}),
    ...(r.indefinite ? { indefinite: true as const } : {}),
    ...(r.hold === undefined ? {} : { hold: r.hold }),
  }));
  // The raw refs of the item records, for the answer to the caller (who sent them): sealed, never in the plan.
  const refs = await itemRefsOf(rt, holdings);
  const sealedRefs = Object.keys(refs).length === 0 ? undefined : await rt.sealer.seal(refs, requestContext(requestId, 'refs'), 'ref');
  const stored = await rt.requests.storePlan(
    requestId,
    {
      systems,
      systemOrder: order,
      retained,
      policyHash: rt.policyHash,
      ...(sealedRefs === undefined ? {} : { sealedRefs }),
      ...(kind === 'access' ? { access: accessOf(result.access ?? []) } : {}),
    },
    now,
  );
  logger.info('erasure planned', { requestId, systems: order, stored });
  return planOutput(stored ? { ...request, systems, systemOrder: order, policyHash: rt.policyHash } : await rt.requests.require(requestId));
}

/**
 * What a retained record's restriction mark names (ConnectorRestriction.requestId): the restriction request whose
 * keep-hold retains it (restrictions.ts: its lift removes the mark), else the legal hold, else the erasure request.
 */
function restrictionIdOf(
  decisions: readonly { readonly outcome: string; readonly hold?: { readonly holdId: string } }[],
  requestId: string,
): string {
  const holdId = decisions.find((d) => d.outcome === 'retain' && d.hold)?.hold?.holdId;
  if (holdId === undefined) return requestId;
  return holdId.startsWith(RESTRICTION_HOLD_PREFIX) ? holdId.slice(RESTRICTION_HOLD_PREFIX.length) : holdId;
}

/** `{[itemRef]: ref}` of the item holdings, each raw ref from its holding's sealed locator. */
async function itemRefsOf(rt: Runtime, holdings: readonly HoldingRecord[]): Promise<Record<string, string>> {
  const refs: Record<string, string> = {};
  for (const h of holdings) {
    if (h.itemRef === undefined || h.itemRef in refs || !h.sealed) continue;
    const sealed = await rt.sealer.unseal<SealedHolding>(h.sealed, holdingContext(h.purpose, h.system, h.subjectRef, h.itemRef));
    if (sealed.ref !== undefined) refs[h.itemRef] = sealed.ref;
  }
  return refs;
}

/** The planner's `access` as stored: an item record named by its itemRef (the planner's ref is the itemRef, toHolding). */
function accessOf(entries: NonNullable<ReturnType<typeof plan>['access']>): AccessEntryItem[] {
  return entries.map((e) => ({
    system: e.system,
    ...(e.ref === undefined ? {} : { itemRef: e.ref }),
    purposes: [...e.purposes],
    categories: [...e.categories],
    fields: [...e.fields],
  }));
}

function planOutput(request: RequestItem): ErasurePlanOutput {
  return {
    requestId: request.requestId,
    policyHash: request.policyHash ?? '',
    systems: (request.systemOrder ?? []).map((record) => ({ system: systemOfEntry(record, request.systems?.[record]), record })),
  };
}

/** The system id of a plan entry: its `system` (an item record's), else its key (the system id). */
export const systemOfEntry = (key: string, entry: SystemEntry | undefined): string => entry?.system ?? key;

// ---------------------------------------------------------------------------------------------------------
// One system
// ---------------------------------------------------------------------------------------------------------

interface Unsealed {
  readonly subjectId: string;
  readonly identifiers: Readonly<Record<string, string>>;
}

/** The raw refs of the request's item records by itemRef (none kept: an empty map). */
export async function unsealRefs(rt: Runtime, request: Pick<RequestItem, 'requestId' | 'sealedRefs'>): Promise<Record<string, string>> {
  if (request.sealedRefs === undefined) return {};
  return rt.sealer.unseal<Record<string, string>>(request.sealedRefs, requestContext(request.requestId, 'refs'));
}

async function unsealRequest(rt: Runtime, request: RequestItem): Promise<Unsealed> {
  // Only a completed request has none (RequestStore.finish), and a completed request has nothing left to do.
  if (request.sealedSubject === undefined)
    throw new ConflictError(`erasure request "${request.requestId}" is completed; its subject id is no longer kept`);
  const { subjectId } = await rt.sealer.unseal<{ subjectId: string }>(request.sealedSubject, requestContext(request.requestId, 'subject'));
  const details = request.sealedDetails
    ? await rt.sealer.unseal<{ identifiers?: Record<string, string> }>(request.sealedDetails, requestContext(request.requestId, 'details'))
    : {};
  return { subjectId, identifiers: details.identifiers ?? {} };
}

/**
 * The locator and identifiers of a subject's record in a system: the union of those of its active holdings there
 * (every purpose, in the policy's order; the first to name a key wins). Each is unsealed with its own context. The
 * holdings given are one record's (the main record's, or one item's: then its `ref` comes too).
 */
export async function locatorIn(
  rt: Runtime,
  holdings: readonly HoldingRecord[],
): Promise<{ subjectId?: string; locator: Record<string, string>; identifiers: Record<string, string>; ref?: string }> {
  const locator: Record<string, string> = {};
  const identifiers: Record<string, string> = {};
  let subjectId: string | undefined;
  let ref: string | undefined;
  for (const h of holdings) {
    if (!h.sealed) continue;
    const sealed = await rt.sealer.unseal<SealedHolding>(h.sealed, holdingContext(h.purpose, h.system, h.subjectRef, h.itemRef));
    subjectId ??= sealed.subjectId;
    ref ??= sealed.ref;
    for (const [k, v] of Object.entries(sealed.locator ?? {})) if (!(k in locator)) locator[k] = v;
    for (const [k, v] of Object.entries(sealed.identifiers ?? {})) if (!(k in identifiers)) identifiers[k] = v;
  }
  return { ...(subjectId === undefined ? {} : { subjectId }), locator, identifiers, ...(ref === undefined ? {} : { ref }) };
}

/**
 * Runs one record of a request (the subject's main record in `system`, or the item record `record`): its connector
 * once, then the ledger and the audit. An item record's connector call gets that item's locator and ref only, so it
 * acts on that item alone (spec 2.2).
 */
export async function eraseInSystem(rt: Runtime, requestId: string, system: string, record: string = system): Promise<ErasureSystemOutput> {
  const request = await rt.requests.require(requestId);
  const entry = request.systems?.[record];
  if (!entry || systemOfEntry(record, entry) !== system) {
    throw new InputError(`record "${record}" of system "${system}" is not in the plan of erasure request "${requestId}"`, {
      path: record === system ? 'system' : 'record',
    });
  }
  if (isFinal(entry.status)) {
    await restrictRetained(rt, request, system, record, entry);
    await finishHoldings(rt, request, record, entry);
    return systemOutput(record, entry);
  }

  const subject = await unsealRequest(rt, request);
  let status: SystemStatus;
  let counts: ConnectorCounts;
  let verification: Verification | undefined;
  if (!entry.invoke) {
    // Shared data protects every field: nothing changes in the system, and the outcome says so.
    status = 'kept-shared';
    counts = ZERO_COUNTS;
  } else {
    const purposes = Object.keys(rt.policy.purposes).filter((p) => rt.policy.purposes[p].systems.includes(system));
    const held = (await Promise.all(purposes.map((p) => rt.ledger.get(p, request.subjectRef, system, entry.itemRef)))).filter(
      (h): h is HoldingRecord => h?.status === 'active',
    );
    const { locator, identifiers, ref } = await locatorIn(rt, held);
    if (entry.itemRef !== undefined && ref === undefined) {
      // No active holding of the item is left to locate it (finished meanwhile): without its locator the connector
      // would fall back to the subject's main record, so it is not called.
      logger.warn('item record not located: no active holding of it is left', { requestId, system, record });
      await rt.requests.updateSystem(requestId, record, { status: 'failed', error: 'ItemNotLocated' }, rt.now());
      throw new ConnectorPermanentError(`system "${system}" failed: ItemNotLocated`);
    }
    const connectorSubject: ConnectorSubject = {
      subjectRef: request.subjectRef,
      subjectId: subject.subjectId,
      locator,
      // The main record: what the system's holdings were registered with wins over what the request says (the data
      // is under it). An item record: its own holdings' only; the request's identifiers find the subject, not the item.
      identifiers: entry.itemRef === undefined ? { ...subject.identifiers, ...identifiers } : identifiers,
      ...(ref === undefined ? {} : { ref }),
      record: entry.record,
      removeFields: connectorFields(rt.policy, system, entry.removeFields),
      anonymiseFields: connectorFields(rt.policy, system, entry.anonymiseFields),
      // Spec 2.4: the mark names the restriction request and its end (lib/core/contract.ts ConnectorRestriction).
      // An erasure's retained record: its mark names what retains it (restrictionId), open-ended.
      ...(entry.record === 'restrict'
        ? {
            restriction:
              entry.restrictionId !== undefined
                ? { requestId: entry.restrictionId }
                : { requestId, ...(request.until === undefined ? {} : { until: request.until }) },
          }
        : {}),
      // Art. 15: the fields the plan lists for this record, and no other.
      ...(entry.record === 'export' ? { exportFields: entry.exportFields ?? [] } : {}),
    };
    // What went wrong, if anything: the connector threw, or answered the subject in `failed` (a user's function
    // or a SaaS may; the built-in connectors throw when their only subject fails). Both end the same way.
    let failure: { readonly name: string; readonly transient: boolean; readonly cause?: unknown } | undefined;
    let outcome:
      | {
          readonly status: SystemStatus;
          readonly counts: ConnectorCounts;
          readonly export?: ConnectorExport;
          readonly verification?: Verification;
        }
      | undefined;
    try {
      const result = await rt.connectors.invoke({
        system,
        purposes: entry.record === 'restrict' || entry.record === 'export' ? entry.retainedPurposes : Object.keys(entry.going),
        subjects: [connectorSubject],
        operationId: `${requestId}:${record}`,
        policyHash: request.policyHash ?? rt.policyHash,
      });
      const failed = result.failed?.find((f) => f.subjectRef === request.subjectRef);
      if (failed) failure = { name: errorLabel(failed.error), transient: failed.transient };
      else {
        outcome = result.subjects.find((s) => s.subjectRef === request.subjectRef);
        if (!outcome) throw new ConnectorPermanentError(`the connector of system "${system}" gave no outcome for the subject`);
      }
    } catch (error) {
      failure = { name: errorName(error), transient: error instanceof ConnectorTransientError, cause: error };
    }
    if (failure || !outcome) {
      const { name, transient, cause } = failure ?? { name: 'Error', transient: false };
      const options = cause === undefined ? undefined : { cause };
      logger.warn('connector failed', { requestId, system, record, error: name });
      // The message of what we throw becomes the execution's failure cause: ids and error names only, never
      // the connector's own message (a user's function or a SaaS may quote the subject's data in it).
      if (transient) throw new ConnectorTransientError(`system "${system}" failed: ${name}`, options); // retried
      await rt.requests.updateSystem(requestId, record, { status: 'failed', error: errorLabel(name) }, rt.now());
      throw new ConnectorPermanentError(`system "${system}" failed: ${name}`, options);
    }
    if (entry.record === 'export') {
      // The copy goes to the exports bucket, as one part of the request's export, and nowhere else: the request
      // item, the logs and the workflow's payloads get the status and counts only.
      if (outcome.status !== 'exported' || outcome.export === undefined) {
        await rt.requests.updateSystem(requestId, record, { status: 'failed', error: 'NoExport' }, rt.now());
        throw new ConnectorPermanentError(`system "${system}" failed: NoExport`);
      }
      await rt.exports.putPart(requestId, {
        system,
        ...(entry.itemRef === undefined ? {} : { ref: entry.itemRef }),
        export: outcome.export,
      });
    }
    // A restrict that found nothing to mark (counts 0) is recorded as nothing-found, as an erasure that found nothing.
    const markedNothing = outcome.status === 'restricted' && outcome.counts.records + outcome.counts.fields + outcome.counts.objects === 0;
    status = markedNothing ? 'nothing-found' : outcome.status;
    counts = outcome.counts;
    // Issue 19: the connector verified its action in the same invocation (a record it found data left in failed above,
    // with ConnectorVerificationError); an answer without verification (a user's function or webhook) is unverified.
    verification = needsVerification(connectorSubject) ? (outcome.verification ?? 'unverified') : undefined;
  }
  const fields =
    status === 'erased' || status === 'nothing-found' || status === 'kept-shared' ? [] : [...entry.removeFields, ...entry.anonymiseFields];
  const done: SystemEntry = { ...entry, status, counts, fields, error: undefined, verification };
  await rt.requests.updateSystem(requestId, record, { status, counts, fields, error: undefined, verification }, rt.now());
  logger.info('system done', { requestId, system, record, status, ...(verification === undefined ? {} : { verification }) });
  // The audit record is written by the finish task, for every system at once (one segment): twenty systems
  // appending to the chain at the same moment would race for its numbers.
  await restrictRetained(rt, request, system, record, done);
  await finishHoldings(rt, request, record, done);
  return systemOutput(record, done);
}

/**
 * One record's mark action, `restrict` or `unrestrict`, through the system's connector: nothing else changes in it
 * (the erasure's restrict of a retained record here; the sweep's restrict and the lift/release's unrestrict in
 * restrictions.ts). `policyHash` defaults to the runtime's.
 */
export function invokeMark(
  rt: Runtime,
  system: string,
  purposes: readonly string[],
  located: { subjectRef: string; subjectId: string; locator: Record<string, string>; identifiers: Record<string, string>; ref?: string },
  record: 'restrict' | 'unrestrict',
  call: {
    readonly restriction: { readonly requestId: string; readonly until?: string };
    readonly operationId: string;
    readonly policyHash?: string;
  },
) {
  const { ref, ...subject } = located;
  return rt.connectors.invoke({
    system,
    purposes: [...purposes],
    subjects: [
      { ...subject, ...(ref === undefined ? {} : { ref }), record, removeFields: [], anonymiseFields: [], restriction: call.restriction },
    ],
    operationId: call.operationId,
    policyHash: call.policyHash ?? rt.policyHash,
  });
}

/**
 * Spec 2.3, 2.4: a record kept with fields removed or anonymised still holds retained data, so it is restricted
 * too, by a second connector call after the first one's status is recorded (a re-run makes only this one). The
 * audit record of the record names its first action; this call is logged and recorded on the entry
 * (`restrictedStatus`). A transient failure is retried by the state machine; a permanent one fails the record.
 */
async function restrictRetained(rt: Runtime, request: RequestItem, system: string, record: string, entry: SystemEntry): Promise<void> {
  if (entry.restrictionId === undefined || entry.record === 'restrict' || entry.restrictedStatus !== undefined) return;
  if (entry.status === 'failed' || entry.status === 'pending') return;
  const { requestId } = request;
  const subject = await unsealRequest(rt, request);
  const purposes = Object.keys(rt.policy.purposes).filter((p) => rt.policy.purposes[p].systems.includes(system));
  const held = (await Promise.all(purposes.map((p) => rt.ledger.get(p, request.subjectRef, system, entry.itemRef)))).filter(
    (h): h is HoldingRecord => h?.status === 'active' && entry.retainedPurposes.includes(h.purpose),
  );
  const { locator, identifiers, ref } = await locatorIn(rt, held);
  let status: SystemStatus | undefined;
  let failure: string | undefined;
  try {
    const identified = entry.itemRef === undefined ? { ...subject.identifiers, ...identifiers } : identifiers;
    const result = await invokeMark(
      rt,
      system,
      entry.retainedPurposes,
      { subjectRef: request.subjectRef, subjectId: subject.subjectId, locator, identifiers: identified, ref },
      'restrict',
      {
        restriction: { requestId: entry.restrictionId },
        operationId: `${requestId}:${record}:restrict`,
        policyHash: request.policyHash ?? rt.policyHash,
      },
    );
    const failed = result.failed?.find((f) => f.subjectRef === request.subjectRef);
    if (failed?.transient) throw new ConnectorTransientError(`system "${system}" failed to restrict: ${errorLabel(failed.error)}`);
    failure = failed ? errorLabel(failed.error) : undefined;
    status = result.subjects.find((s) => s.subjectRef === request.subjectRef)?.status;
  } catch (error) {
    if (error instanceof ConnectorTransientError) throw error;
    failure = errorLabel(errorName(error));
  }
  if (failure !== undefined || status === undefined) {
    const error = `Restrict${failure ?? 'NoOutcome'}`.slice(0, 128);
    logger.warn('retained record not restricted', { requestId, system, record, error });
    await rt.requests.updateSystem(requestId, record, { status: 'failed', error }, rt.now());
    throw new ConnectorPermanentError(`system "${system}" failed: ${error}`);
  }
  await rt.requests.updateSystem(requestId, record, { restrictedStatus: status }, rt.now());
  logger.info('retained record restricted', { requestId, system, record, status });
}

function systemOutput(record: string, entry: SystemEntry): ErasureSystemOutput {
  const system = systemOfEntry(record, entry);
  return {
    system,
    // An item record's key (a main record's is the system id, as before items).
    ...(record === system ? {} : { record }),
    status: entry.status,
    counts: entry.counts ?? ZERO_COUNTS,
    ...(entry.verification === undefined ? {} : { verification: entry.verification }),
    ...(entry.error ? { error: entry.error } : {}),
  };
}

/**
 * What a record's audit record says of verification (issue 19): `verified`/`unverified` as the connector answered,
 * `failed` when it found data left (the record failed with ConnectorVerificationError), else nothing.
 */
export function auditedVerificationOf(entry: Pick<SystemEntry, 'status' | 'error' | 'verification'>): Verification | 'failed' | undefined {
  if (entry.status === 'failed') return entry.error === ERROR_NAMES.verification ? 'failed' : undefined;
  return entry.verification;
}

/** After a record's final status, once: the holdings that went are marked done in the ledger (never the retained ones). */
async function finishHoldings(rt: Runtime, request: RequestItem, record: string, entry: SystemEntry): Promise<void> {
  if (!isFinal(entry.status) || entry.ledgerDone) return;
  await recordRequestTombstone(rt, request, record, entry); // issue 19, item 3: replay after a restore
  const { requestId } = request;
  const now = rt.now();
  const system = systemOfEntry(record, entry);
  for (const [purpose, going] of Object.entries(entry.going)) {
    const holding = { subjectRef: request.subjectRef, system, itemRef: entry.itemRef, purpose, collectedAtMs: going.collectedAtMs };
    const marked = await rt.ledger.finish(holding, entry.status, `request:${requestId}`, now);
    if (!marked) logger.info('holding not marked done: finished or collected again meanwhile', { requestId, system, record, purpose });
  }
  await rt.requests.updateSystem(requestId, record, { ledgerDone: true }, now);
}

/**
 * A completed request's receipt basis: the subject's audit HMAC and each item record's (of its systems and of what
 * is retained), as the audit records name them. A request whose subject id is gone already (a finish run again after
 * it completed) has none.
 */
async function receiptBasisOf(rt: Runtime, request: RequestItem): Promise<ReceiptBasis | undefined> {
  if (request.sealedSubject === undefined) return undefined;
  const subject = await rt.refs.auditSubject((await unsealRequest(rt, request)).subjectId);
  const refs = await unsealRefs(rt, request);
  const itemRefs = new Set<string>();
  for (const entry of Object.values(request.systems ?? {})) if (entry.itemRef !== undefined) itemRefs.add(entry.itemRef);
  for (const retained of request.retained ?? []) if (retained.itemRef !== undefined) itemRefs.add(retained.itemRef);
  const items: Record<string, string> = {};
  for (const itemRef of itemRefs) items[itemRef] = await rt.refs.auditItem(subject, refs[itemRef] ?? itemRef);
  return { subject, items };
}

/** The audit record's kind for a request's kind. */
const AUDIT_KIND = { erasure: 'erasure-request', restriction: 'restriction-request', access: 'access-request' } as const;

/** The purposes a record's audit record (and its receipt entry) names: those retained or restricted, or those that went. */
export function auditedPurposesOf(entry: SystemEntry): readonly string[] {
  return entry.status === 'retained' || entry.record === 'restrict' || entry.record === 'export'
    ? entry.retainedPurposes
    : Object.keys(entry.going);
}

/** The audit record of a record's status (an item record's names the item by its audit HMAC, `item`). */
function auditEntryOf(
  rt: Runtime,
  request: RequestItem,
  record: string,
  entry: SystemEntry,
  subject: string,
  item: string | undefined,
): AuditEntry {
  return {
    at: formatInstant(rt.now(), rt.policy.timezone),
    kind: AUDIT_KIND[kindOf(request)],
    requestId: request.requestId,
    purposes: auditedPurposesOf(entry),
    system: systemOfEntry(record, entry),
    ...(item === undefined ? {} : { item }),
    action: entry.action,
    outcome: entry.status,
    counts: entry.counts ?? ZERO_COUNTS,
    subject,
    policyHash: request.policyHash ?? rt.policyHash,
    ...verificationField(auditedVerificationOf(entry)),
  };
}

const verificationField = (verification: Verification | 'failed' | undefined) => (verification === undefined ? {} : { verification });

// ---------------------------------------------------------------------------------------------------------
// Finish
// ---------------------------------------------------------------------------------------------------------

/** Records failures the per-system task could not (a Catch), completes what is missing, sets the final status. */
export async function finishErasure(rt: Runtime, input: ErasureFinishInput): Promise<ErasureFinishOutput> {
  const { requestId } = input;
  const request = await rt.requests.require(requestId);
  const order = request.systemOrder ?? [];
  const failedSystems: string[] = [];
  const unaudited: { readonly system: string; readonly entry: SystemEntry }[] = [];
  for (const system of order) {
    // `system` is the record key: the system id for the main record (and every plan stored before items).
    let entry = request.systems![system];
    if (!isFinal(entry.status)) {
      // pending (the task never recorded an outcome) or failed: failed, with the error the state machine caught.
      const caught = input.results.find((r) => (r.record ?? r.system) === system);
      const error = errorLabel(entry.status === 'failed' && entry.error ? entry.error : (caught?.error ?? (caught ? undefined : 'NotRun')));
      if (entry.status !== 'failed' || entry.error !== error) {
        await rt.requests.updateSystem(requestId, system, { status: 'failed', error }, rt.now());
      }
      entry = { ...entry, status: 'failed', error };
      // The record key (the retry Map sends it back as `system`: the system id, or an item record's key).
      failedSystems.push(system);
    }
    await finishHoldings(rt, request, system, entry);
    if (entry.auditedStatus !== entry.status) unaudited.push({ system, entry });
  }
  if (unaudited.length > 0) {
    // Every system's record in one segment, in the plan's order; then each system is marked audited. A finish
    // that stops in between writes them again next time (the records say the same; the chain stays whole).
    const subject = await rt.refs.auditSubject((await unsealRequest(rt, request)).subjectId);
    const refs = await unsealRefs(rt, request);
    const entries: AuditEntry[] = [];
    for (const { system, entry } of unaudited) {
      const item = entry.itemRef === undefined ? undefined : await rt.refs.auditItem(subject, refs[entry.itemRef] ?? entry.itemRef);
      entries.push(auditEntryOf(rt, request, system, entry, subject, item));
    }
    const written = await rt.audit.writeMany(entries);
    const now = rt.now();
    // Each record's place in the chain and hash beside its status: the receipt names them (lib/runtime/receipts.ts).
    await Promise.all(
      unaudited.map(({ system, entry }, i) =>
        rt.requests.updateSystem(
          requestId,
          system,
          { auditedStatus: entry.status, auditRecord: { seq: written[i].seq, hash: written[i].hash } },
          now,
        ),
      ),
    );
  }
  const status = failedSystems.length > 0 ? 'failed' : 'completed';
  // Art. 15: every record exported, the document (JSON and its page) is built from the parts, written, audited; the
  // request completes at the same instant, which GET's links count their 7 days from (request.finishedAt). Once: a
  // finish run again after completion (a redrive; the receipt's put failed) has no subject id left to produce it.
  const finishedAt = rt.now();
  if (kindOf(request) === 'access' && status === 'completed' && request.status !== 'completed') {
    const subject = await rt.refs.auditSubject((await unsealRequest(rt, request)).subjectId);
    const published = await produceExport({
      store: rt.exports,
      audit: (entry) => rt.audit.write(entry),
      policy: rt.policy,
      policyHash: request.policyHash ?? rt.policyHash,
      requestId,
      access: (request.access ?? []).map((a) => ({
        system: a.system,
        ...(a.itemRef === undefined ? {} : { ref: a.itemRef }),
        purposes: a.purposes,
        categories: a.categories,
        fields: a.fields,
      })),
      lang: request.lang ?? 'en',
      subject,
      now: new Date(finishedAt.epochMilliseconds),
    });
    logger.info('access export produced', { requestId, records: order.length, expiresAt: published.expiresAt });
  }
  // Spec 2.4: the request is handled; what was kept until then (an ID document, ref = the request id) gets its expiry.
  // Before the final status, so that a finish stopped in between records it when it runs again (once: subjects.ts).
  if (status === 'completed') await recordRequestHandled(rt, request.subjectRef, requestId);
  // The receipt's HMACs (lib/runtime/receipts.ts), taken while the subject id is still kept: finish removes it.
  const basis = status === 'completed' ? await receiptBasisOf(rt, request) : undefined;
  await rt.requests.finish(requestId, status, finishedAt, basis);
  // A restriction's request is what its lift is asked for by (POST .../lift): kept until it is lifted, not 90 days.
  if (status === 'completed' && kindOf(request) === 'restriction') await rt.requests.keepUntilLifted(requestId);
  logger.info('erasure finished', { requestId, status, failedSystems });
  return { requestId, status, failedSystems };
}
