/**
 * What the system of record tells Lethe about a subject: a holding (data collected for a purpose in a system)
 * and an event (something that starts or moves a retention clock). Both arrive through the API and on the
 * custom event bus; both end here. A new event recomputes the expiry of every active holding of the subject,
 * in every purpose.
 */
import { ErasureRequestBody, type HoldingBody, type SubjectEventBody } from './api-schemas';
import { formatInstant, parseInstant } from '../retention/time';
import type { Runtime } from './runtime';
import { holdingContext } from './sealing';
import { checkEventType, checkHolding, checkPurpose, parseBody } from './validate';

export interface HoldingAnswer {
  readonly purpose: string;
  readonly system: string;
  readonly collectedAt: string;
  readonly status: 'active';
  /** The holding's expiry in the policy time zone; null while unknown or never. */
  readonly expiresAt: string | null;
  readonly waitingFor?: readonly string[];
  readonly indefinite?: true;
  /** False when a later collection of the same holding was registered already (this one changed nothing). */
  readonly registered: boolean;
}

export interface EventAnswer {
  readonly type: string;
  readonly at: string;
  readonly purpose?: string;
  /** Active holdings whose expiry was recomputed. */
  readonly holdingsRescheduled: number;
}

/** The path parameter or the event's subjectId follows the same rule as the request body's. */
export function checkSubjectId(subjectId: unknown, path = 'subjectId'): string {
  return parseBody(ErasureRequestBody.shape.subjectId, subjectId, 'subjectId', [path]);
}

export async function registerHolding(rt: Runtime, subjectId: string, body: HoldingBody): Promise<HoldingAnswer> {
  const { policy } = rt;
  checkSubjectId(subjectId);
  checkHolding(policy, body.purpose, body.system);
  const collectedAt = parseInstant(body.collectedAt, 'collectedAt');
  const now = rt.now();
  const subjectRef = await rt.refs.ref(subjectId);
  const sealed = await rt.sealer.seal(
    { subjectId, locator: body.locator ?? {} },
    holdingContext(body.purpose, body.system, subjectRef),
    'locator',
  );
  const events = await rt.events.list(subjectRef);
  const { written, expiry } = await rt.ledger.register(
    { subjectRef, purpose: body.purpose, system: body.system, collectedAt, sealed },
    events,
    now,
  );
  return {
    purpose: body.purpose,
    system: body.system,
    collectedAt: formatInstant(collectedAt, policy.timezone),
    status: 'active',
    expiresAt: expiry.expiresAt ? formatInstant(expiry.expiresAt, policy.timezone) : null,
    ...(expiry.waitingFor ? { waitingFor: expiry.waitingFor } : {}),
    ...(expiry.indefinite ? { indefinite: true as const } : {}),
    registered: written,
  };
}

export async function recordEvent(rt: Runtime, subjectId: string, body: SubjectEventBody, eventId?: string): Promise<EventAnswer> {
  const { policy } = rt;
  checkSubjectId(subjectId);
  checkEventType(policy, body.type, 'type');
  if (body.purpose !== undefined) checkPurpose(policy, body.purpose, 'purpose');
  const at = parseInstant(body.at, 'at');
  const event = { type: body.type, at, ...(body.purpose === undefined ? {} : { purpose: body.purpose }) };
  const now = rt.now();
  const subjectRef = await rt.refs.ref(subjectId);
  await rt.events.record(subjectRef, event, now, eventId);
  const [events, holdings] = await Promise.all([rt.events.list(subjectRef), rt.ledger.holdingsOf(subjectRef, { activeOnly: true })]);
  let rescheduled = 0;
  for (const holding of holdings) {
    if (!policy.purposes[holding.purpose]) continue;
    if ((await rt.ledger.reschedule(holding, events)).updated) rescheduled++;
  }
  return {
    type: body.type,
    at: formatInstant(at, policy.timezone),
    ...(body.purpose === undefined ? {} : { purpose: body.purpose }),
    holdingsRescheduled: rescheduled,
  };
}
