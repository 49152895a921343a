/**
 * The sweep's two tasks (statemachines/sweep.asl.json). `readDuePage` queries a purpose's due index shard by
 * shard (`dueAt <= now`; never a scan), groups the holdings by subject and cuts them into batches;
 * `applyExpiryToBatch` applies expiry to one batch (expiry.ts).
 */
import { z } from 'zod';
import { InputError } from '../core/errors';
import { parseInstant } from '../retention/time';
import {
  LEDGER,
  type SweepApplyInput,
  type SweepApplyOutput,
  type SweepCursor,
  type SweepReadInput,
  type SweepReadOutput,
} from '../core/contract';
import { ConnectorTransientError } from '../connectors/errors';
import { EXPRESS_MAX_SECONDS } from './budgets';
import { applyExpiry } from './expiry';
import { logger } from '../core/observability';
import type { Runtime } from './runtime';
import { checkPurpose, parseBody } from './validate';

/**
 * Due-index items per page, and subjects per batch (issue 16, section 3). A batch is one child execution, one
 * sweep-apply invocation, one connector invocation per system and one audit segment. Pages are 1 000 items (500
 * before): half the read tasks and their state transitions. Batches stay 25 subjects: batches of 100 were measured
 * (docs/benchmarks.md, "Bigger units of work": 43 to 71 % fewer children, transitions, invocations, segments and log
 * lines per holding) but not kept, because the kill fault test (test/reliability/faults-kill.test.ts) seeds 30 subjects
 * and must kill a sweep between two batches of one purpose; it needs a batch size it can set first. Batches of 250
 * and 1 000 spent sweep-apply's time budget reading and planning on this loaded two-core machine. A page's subjectRefs
 * are about 70 kB of the 256 kB a Step Functions payload may carry.
 */
export const SWEEP_PAGE_SIZE = 1000;
export const SWEEP_BATCH_SIZE = 25;

export interface SweepReadOptions {
  /** Due-index items per page (several queries when it spans shards). @default SWEEP_PAGE_SIZE */
  readonly pageSize?: number;
  /** Subjects per batch (one child execution each). @default SWEEP_BATCH_SIZE */
  readonly batchSize?: number;
}

const id = z.string().min(1).max(256);
const SweepReadInputSchema = z.object({
  purpose: id,
  sweepId: id,
  now: id,
  cursor: z
    .object({
      shard: z
        .int()
        .min(0)
        .max(LEDGER.dueShards - 1),
      lastKey: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});
const SweepApplyInputSchema = z.object({
  purpose: id,
  sweepId: id,
  now: id,
  batch: z.object({ subjectRefs: z.array(id).max(SWEEP_PAGE_SIZE) }),
  startedAt: id.optional(),
});

export interface SweepApplyOptions {
  /** The Lambda's getRemainingTimeInMillis. @default no limit but the Express execution's (`startedAt`) */
  readonly remainingMs?: () => number;
  /** Failed sweeps after which a holding is quarantined. @default QUARANTINE_AFTER_FAILED_SWEEPS (3) */
  readonly quarantineAfter?: number;
  /** Told the batch's output before it is returned, or before a transient failure is rethrown (metrics). */
  readonly onOutput?: (output: SweepApplyOutput) => void;
}

export async function readDuePage(rt: Runtime, raw: SweepReadInput, options: SweepReadOptions = {}): Promise<SweepReadOutput> {
  const input = parseBody(SweepReadInputSchema, raw, 'sweep read input');
  checkPurpose(rt.policy, input.purpose, 'purpose');
  const now = parseInstant(input.now, 'now');
  const pageSize = options.pageSize ?? SWEEP_PAGE_SIZE;
  const batchSize = options.batchSize ?? SWEEP_BATCH_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new InputError(`pageSize and batchSize must be whole numbers >= 1, got ${pageSize} and ${batchSize}`);
  }

  let shard = input.cursor?.shard ?? 0;
  let startKey = input.cursor?.lastKey;
  let cursor: SweepCursor | undefined;
  const items: { subjectRef: string }[] = [];
  // Fill the page from as many shards as it takes, so that an idle purpose costs one task, not sixteen, and a
  // sweep costs about (due holdings / pageSize) tasks and state transitions, whatever the shard count.
  for (;;) {
    const page = await rt.ledger.dueHoldings(input.purpose, shard, now.epochMilliseconds, pageSize - items.length, startKey);
    items.push(...page.items);
    if (page.lastKey) {
      cursor = { shard, lastKey: page.lastKey };
      break;
    }
    if (shard + 1 >= LEDGER.dueShards) {
      cursor = undefined;
      break;
    }
    shard += 1;
    startKey = undefined;
    if (items.length >= pageSize) {
      cursor = { shard };
      break;
    }
  }

  const refs = [...new Set(items.map((i) => i.subjectRef))];
  const batches = [];
  for (let i = 0; i < refs.length; i += batchSize) batches.push({ subjectRefs: refs.slice(i, i + batchSize) });
  logger.info('due page read', {
    purpose: input.purpose,
    sweepId: input.sweepId,
    itemsRead: items.length,
    batches: batches.length,
    next: cursor?.shard,
  });
  return {
    purpose: input.purpose,
    sweepId: input.sweepId,
    now: input.now,
    batches,
    itemsRead: items.length,
    ...(cursor ? { cursor } : {}),
  };
}

/**
 * Applies expiry to one batch. The time budget is the smaller of the Lambda's remaining time and what is left of
 * the Express child execution that runs it (`startedAt` + 5 minutes): a retried attempt late in the child gets
 * only what is left. When some holdings failed transiently, everything else is recorded first, then a
 * `ConnectorTransientError` (a name the state machine's Retry lists) is thrown, naming counts only.
 */
export async function applyExpiryToBatch(rt: Runtime, raw: SweepApplyInput, options: SweepApplyOptions = {}): Promise<SweepApplyOutput> {
  const input = parseBody(SweepApplyInputSchema, raw, 'sweep apply input');
  checkPurpose(rt.policy, input.purpose, 'purpose');
  const now = parseInstant(input.now, 'now');
  const expressEnd = input.startedAt === undefined ? undefined : Date.parse(input.startedAt) + EXPRESS_MAX_SECONDS * 1000;
  if (expressEnd !== undefined && Number.isNaN(expressEnd)) throw new InputError('expected an ISO instant', { path: 'startedAt' });
  const remainingMs =
    options.remainingMs === undefined && expressEnd === undefined
      ? undefined
      : () => Math.min(options.remainingMs?.() ?? Infinity, expressEnd === undefined ? Infinity : expressEnd - Date.now());
  const report = await applyExpiry(
    rt,
    input.batch.subjectRefs.map((subjectRef) => ({ subjectRef })),
    now,
    { kind: 'sweep', sweepId: input.sweepId },
    {
      ...(remainingMs ? { remainingMs } : {}),
      ...(options.quarantineAfter === undefined ? {} : { quarantineAfter: options.quarantineAfter }),
    },
  );
  logger.info('batch applied', { purpose: input.purpose, sweepId: input.sweepId, ...report, removed: undefined });
  const output: SweepApplyOutput = {
    subjects: report.subjects,
    holdingsDone: report.holdingsDone,
    holdingsFailed: report.holdingsFailed,
    ...(report.holdingsQuarantined > 0 ? { holdingsQuarantined: report.holdingsQuarantined } : {}),
    ...(report.holdingsNothingFound > 0 ? { holdingsNothingFound: report.holdingsNothingFound } : {}),
    ...(report.subjectsNotDone > 0 ? { subjectsNotDone: report.subjectsNotDone } : {}),
  };
  options.onOutput?.(output);
  if (report.holdingsFailedTransiently > 0) {
    throw new ConnectorTransientError(
      `${report.holdingsFailedTransiently} of the batch's holdings failed transiently (${report.holdingsDone} done and recorded); ` +
        'the state machine retries the batch',
    );
  }
  return output;
}
