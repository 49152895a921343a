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
import { ConnectorPermanentError, ConnectorTransientError } from '../connectors/errors';
import { InputError } from '../core/errors';
import { ConflictError } from './errors';
import { plan } from '../planner/plan';
import type { Policy } from '../policy/model';
import { formatInstant } from '../retention/time';
import type {
  ConnectorCounts,
  ConnectorField,
  ConnectorSubject,
  ErasureFinishInput,
  ErasureFinishOutput,
  ErasurePlanOutput,
  ErasureSystemOutput,
  SystemStatus,
} from '../core/contract';
import { type HoldingRecord, type SealedHolding, toHolding } from './ledger';
import { errorName, logger } from '../core/observability';
import { type GoingHolding, isFinal, type RequestItem, type RetainedEntry, type SystemEntry } from './requests';
import type { Runtime } from './runtime';
import { holdingContext, requestContext } from './sealing';

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
  const result = plan(policy, { subjectId: request.subjectRef, holdings: holdings.map(toHolding), events, holds: events.holds }, now, {
    receivedAt: Temporal.Instant.from(request.receivedAt),
    ...(request.scope ? { scope: request.scope } : {}),
  });

  const systems: Record<string, SystemEntry> = {};
  const order: string[] = [];
  for (const sp of result.systems) {
    const decisions = result.holdings.filter((d) => d.holding.system === sp.system && d.inScope);
    if (decisions.length === 0) continue;
    const going: Record<string, GoingHolding> = {};
    for (const d of decisions) {
      if (d.outcome !== 'erase' && d.outcome !== 'anonymise') continue;
      const stored = holdings.find((h) => h.purpose === d.holding.purpose && h.system === sp.system)!;
      going[d.holding.purpose] = { outcome: d.outcome, collectedAtMs: stored.collectedAtMs };
    }
    const retainedPurposes = decisions.filter((d) => d.outcome === 'retain').map((d) => d.holding.purpose);
    order.push(sp.system);
    systems[sp.system] =
      Object.keys(going).length === 0
        ? {
            status: 'retained',
            action: 'retain',
            record: 'keep',
            removeFields: [],
            anonymiseFields: [],
            going: {},
            retainedPurposes,
            invoke: false,
            ledgerDone: true,
          }
        : {
            status: 'pending',
            action: sp.record,
            record: sp.record,
            removeFields: sp.removeFields,
            anonymiseFields: sp.anonymiseFields,
            going,
            retainedPurposes,
            // Shared data can protect every field: then nothing changes in the system, only the ledger.
            invoke: sp.record !== 'keep' || sp.removeFields.length + sp.anonymiseFields.length > 0,
          };
  }
  // Spec 2.7: where the date is not known, the answer says what it depends on (never a bare "until null").
  const retained: RetainedEntry[] = result.retained.map((r) => ({
    purpose: r.purpose,
    reason: r.reason,
    until: r.until ? formatInstant(r.until, policy.timezone) : null,
    ...(r.waitingFor ? { waitingFor: r.waitingFor } : {}),
    ...(r.indefinite ? { indefinite: true as const } : {}),
    ...(r.hold === undefined ? {} : { hold: r.hold }),
  }));
  const stored = await rt.requests.storePlan(requestId, { systems, systemOrder: order, retained, policyHash: rt.policyHash }, now);
  logger.info('erasure planned', { requestId, systems: order, stored });
  return planOutput(stored ? { ...request, systems, systemOrder: order, policyHash: rt.policyHash } : await rt.requests.require(requestId));
}

function planOutput(request: RequestItem): ErasurePlanOutput {
  return {
    requestId: request.requestId,
    policyHash: request.policyHash ?? '',
    systems: (request.systemOrder ?? []).map((system) => ({ system })),
  };
}

// ---------------------------------------------------------------------------------------------------------
// One system
// ---------------------------------------------------------------------------------------------------------

interface Unsealed {
  readonly subjectId: string;
  readonly identifiers: Readonly<Record<string, string>>;
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
 * The locator and identifiers of a subject in a system: the union of those of its active holdings there (every
 * purpose, in the policy's order; the first to name a key wins). Each is unsealed with its own context.
 */
export async function locatorIn(
  rt: Runtime,
  holdings: readonly HoldingRecord[],
): Promise<{ subjectId?: string; locator: Record<string, string>; identifiers: Record<string, string> }> {
  const locator: Record<string, string> = {};
  const identifiers: Record<string, string> = {};
  let subjectId: string | undefined;
  for (const h of holdings) {
    if (!h.sealed) continue;
    const sealed = await rt.sealer.unseal<SealedHolding>(h.sealed, holdingContext(h.purpose, h.system, h.subjectRef));
    subjectId ??= sealed.subjectId;
    for (const [k, v] of Object.entries(sealed.locator ?? {})) if (!(k in locator)) locator[k] = v;
    for (const [k, v] of Object.entries(sealed.identifiers ?? {})) if (!(k in identifiers)) identifiers[k] = v;
  }
  return { ...(subjectId === undefined ? {} : { subjectId }), locator, identifiers };
}

/** Runs one system of a request: its connector once, then the ledger and the audit. */
export async function eraseInSystem(rt: Runtime, requestId: string, system: string): Promise<ErasureSystemOutput> {
  const request = await rt.requests.require(requestId);
  const entry = request.systems?.[system];
  if (!entry) throw new InputError(`system "${system}" is not in the plan of erasure request "${requestId}"`, { path: 'system' });
  if (isFinal(entry.status)) {
    await finishHoldings(rt, request, system, entry);
    return systemOutput(system, entry);
  }

  const subject = await unsealRequest(rt, request);
  let status: SystemStatus;
  let counts: ConnectorCounts;
  if (!entry.invoke) {
    // Shared data protects every field: nothing changes in the system, and the outcome says so.
    status = 'kept-shared';
    counts = ZERO_COUNTS;
  } else {
    const purposes = Object.keys(rt.policy.purposes).filter((p) => rt.policy.purposes[p].systems.includes(system));
    const held = (await Promise.all(purposes.map((p) => rt.ledger.get(p, request.subjectRef, system)))).filter(
      (h): h is HoldingRecord => h?.status === 'active',
    );
    const { locator, identifiers } = await locatorIn(rt, held);
    const connectorSubject: ConnectorSubject = {
      subjectRef: request.subjectRef,
      subjectId: subject.subjectId,
      locator,
      // What the system's holdings were registered with wins over what the request says (the data is under it).
      identifiers: { ...subject.identifiers, ...identifiers },
      record: entry.record,
      removeFields: connectorFields(rt.policy, system, entry.removeFields),
      anonymiseFields: connectorFields(rt.policy, system, entry.anonymiseFields),
    };
    // What went wrong, if anything: the connector threw, or answered the subject in `failed` (a user's function
    // or a SaaS may; the built-in connectors throw when their only subject fails). Both end the same way.
    let failure: { readonly name: string; readonly transient: boolean; readonly cause?: unknown } | undefined;
    let outcome: { readonly status: SystemStatus; readonly counts: ConnectorCounts } | undefined;
    try {
      const result = await rt.connectors.invoke({
        system,
        purposes: Object.keys(entry.going),
        subjects: [connectorSubject],
        operationId: `${requestId}:${system}`,
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
      logger.warn('connector failed', { requestId, system, error: name });
      // The message of what we throw becomes the execution's failure cause: ids and error names only, never
      // the connector's own message (a user's function or a SaaS may quote the subject's data in it).
      if (transient) throw new ConnectorTransientError(`system "${system}" failed: ${name}`, options); // retried
      await rt.requests.updateSystem(requestId, system, { status: 'failed', error: errorLabel(name) }, rt.now());
      throw new ConnectorPermanentError(`system "${system}" failed: ${name}`, options);
    }
    status = outcome.status;
    counts = outcome.counts;
  }
  const fields =
    status === 'erased' || status === 'nothing-found' || status === 'kept-shared' ? [] : [...entry.removeFields, ...entry.anonymiseFields];
  const done: SystemEntry = { ...entry, status, counts, fields, error: undefined };
  await rt.requests.updateSystem(requestId, system, { status, counts, fields, error: undefined }, rt.now());
  logger.info('system done', { requestId, system, status });
  // The audit record is written by the finish task, for every system at once (one segment): twenty systems
  // appending to the chain at the same moment would race for its numbers.
  await finishHoldings(rt, request, system, done);
  return systemOutput(system, done);
}

function systemOutput(system: string, entry: SystemEntry): ErasureSystemOutput {
  return { system, status: entry.status, counts: entry.counts ?? ZERO_COUNTS, ...(entry.error ? { error: entry.error } : {}) };
}

/** After a system's final status, once: the holdings that went are marked done in the ledger (never the retained ones). */
async function finishHoldings(rt: Runtime, request: RequestItem, system: string, entry: SystemEntry): Promise<void> {
  if (!isFinal(entry.status) || entry.ledgerDone) return;
  const { requestId } = request;
  const now = rt.now();
  for (const [purpose, going] of Object.entries(entry.going)) {
    const holding = { subjectRef: request.subjectRef, system, purpose, collectedAtMs: going.collectedAtMs };
    const marked = await rt.ledger.finish(holding, entry.status, `request:${requestId}`, now);
    if (!marked) logger.info('holding not marked done: finished or collected again meanwhile', { requestId, system, purpose });
  }
  await rt.requests.updateSystem(requestId, system, { ledgerDone: true }, now);
}

/** The audit record of a system's status. */
function auditEntryOf(rt: Runtime, request: RequestItem, system: string, entry: SystemEntry, subject: string): AuditEntry {
  return {
    at: formatInstant(rt.now(), rt.policy.timezone),
    kind: 'erasure-request',
    requestId: request.requestId,
    purposes: entry.status === 'retained' ? entry.retainedPurposes : Object.keys(entry.going),
    system,
    action: entry.action,
    outcome: entry.status,
    counts: entry.counts ?? ZERO_COUNTS,
    subject,
    policyHash: request.policyHash ?? rt.policyHash,
  };
}

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
    let entry = request.systems![system];
    if (!isFinal(entry.status)) {
      // pending (the task never recorded an outcome) or failed: failed, with the error the state machine caught.
      const caught = input.results.find((r) => r.system === system);
      const error = errorLabel(entry.status === 'failed' && entry.error ? entry.error : (caught?.error ?? (caught ? undefined : 'NotRun')));
      if (entry.status !== 'failed' || entry.error !== error) {
        await rt.requests.updateSystem(requestId, system, { status: 'failed', error }, rt.now());
      }
      entry = { ...entry, status: 'failed', error };
      failedSystems.push(system);
    }
    await finishHoldings(rt, request, system, entry);
    if (entry.auditedStatus !== entry.status) unaudited.push({ system, entry });
  }
  if (unaudited.length > 0) {
    // Every system's record in one segment, in the plan's order; then each system is marked audited. A finish
    // that stops in between writes them again next time (the records say the same; the chain stays whole).
    const subject = await rt.refs.auditSubject((await unsealRequest(rt, request)).subjectId);
    await rt.audit.writeMany(unaudited.map(({ system, entry }) => auditEntryOf(rt, request, system, entry, subject)));
    const now = rt.now();
    await Promise.all(
      unaudited.map(({ system, entry }) => rt.requests.updateSystem(requestId, system, { auditedStatus: entry.status }, now)),
    );
  }
  const status = failedSystems.length > 0 ? 'failed' : 'completed';
  await rt.requests.finish(requestId, status, rt.now());
  logger.info('erasure finished', { requestId, status, failedSystems });
  return { requestId, status, failedSystems };
}
