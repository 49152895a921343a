/**
 * Replay after a restore (issue 19, item 3): when a system (or Lethe's own tables) is restored from a backup or a
 * point-in-time recovery, every erasure and expiry applied to it since the restore point comes back with it. `replay`
 * applies the system's tombstones (tombstones.ts) from `since` on again, through the same connector, one record at a
 * time: the same action, the same fields, the same locator. Idempotent as the connectors are: a record already gone
 * answers `nothing-found` (counted, not an error); anonymised values are left as the strategies left them.
 *
 * Each tombstone applied is audited (kind `replay`, the run's `replayId`, the subject and item as audit HMACs) in one
 * segment at the end. The answer holds counts and audit HMACs only: no subject id, locator or ref, in the answer, the
 * logs or the state machine's history. A tombstone whose period key is destroyed (past its window) cannot be opened
 * and is counted `shredded`.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AuditEntry } from '../audit';
import { ConnectorTransientError, isTransient } from '../connectors/errors';
import { type ConnectorCounts, type ReplayExecutionInput, type ReplayOutput } from '../core/contract';
import { RuntimeConfigError } from '../core/errors';
import { errorName, logger } from '../core/observability';
import { formatInstant, parseInstant } from '../retention/time';
import { connectorFields, errorLabel } from './erasure';
import type { Runtime } from './runtime';
import { TombstoneShreddedError } from './tombstones';
import { checkSystem, parseBody } from './validate';

const ReplayInputSchema = z.object({
  system: z.string().min(1).max(64),
  since: z.string().min(1).max(64),
  until: z.string().min(1).max(64).optional(),
  replayId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,80}$/)
    .optional(),
});

export interface ReplayInput extends ReplayExecutionInput {
  /** The run's id (the execution's name on AWS). @default a new UUID */
  readonly replayId?: string;
}

const total = (c: ConnectorCounts): number => c.records + c.fields + c.objects;

export async function replaySystem(rt: Runtime, raw: ReplayInput): Promise<ReplayOutput> {
  const input = parseBody(ReplayInputSchema, raw, 'replay input');
  checkSystem(rt.policy, input.system, 'system');
  const now = rt.now();
  const since = parseInstant(input.since, 'since');
  const until = input.until === undefined ? now : parseInstant(input.until, 'until');
  const store = rt.tombstones;
  if (!store) throw new RuntimeConfigError('no tombstones table configured (LETHE_TOMBSTONES_TABLE): nothing to replay');
  const replayId = input.replayId ?? randomUUID();
  // Keys past their end go first: what is past its window is never applied again.
  await store.destroyExpiredKeys(now.epochMilliseconds);
  const tombstones = await store.list(input.system, since.epochMilliseconds, until.epochMilliseconds, now.epochMilliseconds);

  let foundAgain = 0;
  let nothingFound = 0;
  let shredded = 0;
  const counts = { records: 0, fields: 0, objects: 0 };
  const failed: { subject: string; error: string }[] = [];
  const subjectsFoundAgain = new Set<string>();
  const entries: AuditEntry[] = [];
  for (const tombstone of tombstones) {
    let subject;
    try {
      subject = await store.open(tombstone, now.epochMilliseconds);
    } catch (error) {
      if (!(error instanceof TombstoneShreddedError)) throw error;
      shredded++;
      continue;
    }
    const auditSubject = await rt.refs.auditSubject(subject.subjectId);
    const item = tombstone.itemRef === undefined ? undefined : await rt.refs.auditItem(auditSubject, subject.ref ?? tombstone.itemRef);
    let outcome;
    try {
      const result = await rt.connectors.invoke({
        system: tombstone.system,
        purposes: tombstone.purposes,
        subjects: [
          {
            subjectRef: tombstone.subjectRef,
            subjectId: subject.subjectId,
            locator: subject.locator,
            identifiers: subject.identifiers,
            ...(subject.ref === undefined ? {} : { ref: subject.ref }),
            record: tombstone.record,
            removeFields: connectorFields(rt.policy, tombstone.system, tombstone.removeFields),
            anonymiseFields: connectorFields(rt.policy, tombstone.system, tombstone.anonymiseFields),
          },
        ],
        operationId: `replay:${replayId}:${tombstone.id}`,
        policyHash: rt.policyHash,
      });
      const failure = result.failed?.find((f) => f.subjectRef === tombstone.subjectRef);
      if (failure?.transient) throw new ConnectorTransientError(`system "${tombstone.system}" failed: ${errorLabel(failure.error)}`);
      if (failure) {
        failed.push({ subject: auditSubject, error: errorLabel(failure.error) });
        continue;
      }
      outcome = result.subjects.find((s) => s.subjectRef === tombstone.subjectRef);
    } catch (error) {
      // A transient failure fails the run (the state machine retries it; what was applied is applied again as nothing-found).
      if (isTransient(error)) throw error;
      failed.push({ subject: auditSubject, error: errorLabel(errorName(error)) });
      continue;
    }
    if (!outcome) {
      failed.push({ subject: auditSubject, error: 'MissingOutcome' });
      continue;
    }
    const found = outcome.status !== 'nothing-found' && total(outcome.counts) > 0;
    if (found) {
      foundAgain++;
      subjectsFoundAgain.add(auditSubject);
      counts.records += outcome.counts.records;
      counts.fields += outcome.counts.fields;
      counts.objects += outcome.counts.objects;
    } else nothingFound++;
    entries.push({
      at: formatInstant(rt.now(), rt.policy.timezone),
      kind: 'replay',
      replayId,
      purposes: tombstone.purposes,
      system: tombstone.system,
      ...(item === undefined ? {} : { item }),
      action: tombstone.record,
      outcome: found ? outcome.status : 'nothing-found',
      counts: outcome.counts,
      subject: auditSubject,
      policyHash: rt.policyHash,
    });
  }
  if (entries.length > 0) await rt.audit.writeMany(entries);
  const output: ReplayOutput = {
    replayId,
    system: input.system,
    since: input.since,
    tombstones: tombstones.length,
    foundAgain,
    nothingFound,
    shredded,
    failed,
    subjectsFoundAgain: [...subjectsFoundAgain].sort(),
    counts,
  };
  logger.info('replay done', { ...output, subjectsFoundAgain: output.subjectsFoundAgain.length, failed: failed.length });
  return output;
}
