/**
 * `lethe demo`: Lethe end to end on local mode, as a script with numbered steps. It starts local mode in this
 * process (a free port, a temporary data directory, no sweep timer), puts a demo subject's data into every
 * system of the policy, registers the subject's holdings through the API, sends an erasure request and follows
 * the workflow, shows what a legal obligation retains (reason and date), lets that retention end on a simulated
 * clock (the sweep's `now`), and verifies the audit chain. Every step checks what it shows: a system that still
 * holds data it should not, a failed request or a broken chain stops the demo with a `DemoError`.
 *
 * What the policy decides (which systems, delete or anonymise, what is retained) is read from the API's answers,
 * never assumed, so the demo runs on any valid policy (`--policy`); the default is local mode's example.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Temporal } from '@js-temporal/polyfill';
import { formatReport, s3Source } from '../audit';
import { DemoError } from './errors';
import { DEMO_SUBJECTS, type DemoSubject, type LocalLethe, type LocalOptions, personalValuesOf, startLocal } from '../local';
import { demoLocator } from '../local/demo';
import type { Policy, SystemSpec } from '../policy/model';
import type { AuditRecord } from '../core/contract';
import type { HoldingAnswer } from '../runtime';
import { ApiClient } from './api-client';
import { copyTables, type ReplayReport, replayStep } from './replay';
import { DEMO_RIGHTS, type RightsReport, rightsSteps } from './rights';
import { describeChange, type DemoStep, expiryWords, sameData, Script, seconds } from './script';
import { putSubjectData, readSubjectData, type SubjectData, type SystemData } from './systems';

export { describeChange, type DemoStep } from './script';

/** The subject whose data the demo erases. Fake, like local mode's own demo subjects. */
export const DEMO_ERASED: DemoSubject = {
  subjectId: 'customer-7',
  key: 'C-0007',
  name: 'Elsa Nordin',
  email: 'elsa.nordin@example.se',
  phone: '+46 70 000 01 07',
  kind: 'active',
};

/** The subject whose data the demo lets expire, when the policy retains nothing on request. */
export const DEMO_EXPIRING: DemoSubject = {
  subjectId: 'customer-8',
  key: 'C-0008',
  name: 'Nils Sandberg',
  email: 'nils.sandberg@example.se',
  phone: '+46 70 000 01 08',
  kind: 'active',
};

export interface DemoOptions {
  /** @default local mode's example policy */
  readonly policyFile?: string;
  /** Receives each line of progress. */
  readonly out: (line: string) => void;
  /** Overrides of local mode's options (tests). @default a free port, a temporary data directory, no sweep timer */
  readonly local?: Partial<LocalOptions>;
}

export interface DemoReport {
  readonly steps: readonly DemoStep[];
  readonly totalMs: number;
  readonly requestId: string;
  /** The request's final status and per-system statuses. */
  readonly systems: Readonly<Record<string, string>>;
  readonly retained: readonly { readonly purpose: string; readonly reason: string; readonly until: string | null }[];
  readonly sweep?: { readonly purpose: string; readonly now: string; readonly itemsRead: number; readonly status: string };
  readonly auditRecords: number;
  /** The rights steps: hold and release, restriction, access export, item erasure (rights.ts). */
  readonly rights: RightsReport;
  /** The restore-and-replay step (replay.ts), when a DynamoDB system had her data erased. */
  readonly replay?: ReplayReport;
}

interface RequestView {
  readonly requestId: string;
  readonly status: string;
  readonly deadline: string;
  readonly systems: readonly { system: string; status: string; fields?: readonly string[]; error?: string }[];
  readonly retained: readonly { purpose: string; reason: string; until: string | null }[];
}

/** A path relative to the current directory when it is inside it, else as it is. */
const shownPath = (file: string): string => {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
};

/** Every field value of a subject's records (the personal data the demo put there). */
function holdsAnyOf(records: readonly SubjectData[], values: readonly string[]): boolean {
  const text = JSON.stringify(records);
  return values.some((v) => text.includes(v));
}

/** Sum of `itemsRead` over the sweep's "due page read" log lines: how many ledger items the sweep read. */
export function itemsReadBySweep(logLines: readonly string[], sweepId: string): number {
  let total = 0;
  for (const line of logLines) {
    if (!line.includes(sweepId) || !line.includes('due page read')) continue;
    try {
      const entry = JSON.parse(line) as { message?: string; sweepId?: string; itemsRead?: number };
      if (entry.message === 'due page read' && entry.sweepId === sweepId && typeof entry.itemsRead === 'number') total += entry.itemsRead;
    } catch {
      // not a JSON log line
    }
  }
  return total;
}

function systemsOf(policy: Policy): SystemSpec[] {
  const used = new Set(Object.values(policy.purposes).flatMap((p) => p.systems));
  return Object.values(policy.systems).filter((s) => used.has(s.id));
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const script = new Script(options.out);
  const started = performance.now();
  const dataDir = options.local?.dataDir ?? mkdtempSync(path.join(tmpdir(), 'lethe-demo-'));
  let local: LocalLethe | undefined;
  const cleanUp = async () => {
    if (local) await local.stop();
    if (!options.local?.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  // Ctrl-C: stop the emulators and remove the temporary data directory before leaving.
  const onInterrupt = () => {
    options.out('interrupted: stopping local mode');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  try {
    local = await script.step('Start local mode: DynamoDB Local, s3rver, the workflows and the API, on 127.0.0.1 only', async (say) => {
      const l = await startLocal({
        ...(options.policyFile ? { policyFile: options.policyFile } : {}),
        port: 0,
        dataDir,
        sweepEveryMs: false,
        banner: false,
        ...options.local,
      });
      const policy = l.policy;
      say(
        `policy    ${shownPath(l.policyFile)}: ${policy.controller.name}, ${Object.keys(policy.purposes).length} purposes, ${Object.keys(policy.systems).length} systems`,
      );
      say(`API       ${l.apiUrl} (Authorization: Bearer <the token in ${l.tokenFile}>)`);
      say(`DynamoDB  ${l.endpoints.dynamodb}   S3 ${l.endpoints.s3}   webhooks ${l.endpoints.receiver}`);
      return l;
    });
    return await scenario(local, script, started);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    await cleanUp();
  }
}

/**
 * The demo's steps after the start, on a local Lethe that is already running (the integration tests run it on
 * theirs). Numbered from 1.
 */
export async function runScenario(local: LocalLethe, out: (line: string) => void): Promise<DemoReport> {
  return scenario(local, new Script(out), performance.now());
}

async function scenario(local: LocalLethe, script: Script, started: number): Promise<DemoReport> {
  const { policy } = local;
  const api = new ApiClient(local.api);
  const subject = DEMO_ERASED;
  const systems = systemsOf(policy);
  const width = Math.max(...systems.map((s) => s.id.length));
  const label = (system: string) => system.padEnd(width);
  const now = () => Temporal.Now.instant();
  const ago = (days: number) =>
    now()
      .subtract({ hours: 24 * days })
      .toString({ smallestUnit: 'second' });

  const before = await script.step(`Put ${subject.name}'s data (subject "${subject.subjectId}") into every system`, async (say) => {
    const data: Record<string, SystemData> = {};
    for (const system of systems) {
      await putSubjectData(local, system, subject);
      data[system.id] = await readSubjectData(local, system, subject);
      say(`${label(system.id)}  ${system.connector.padEnd(8)} ${data[system.id].where}: ${system.fields.map((f) => f.name).join(', ')}`);
    }
    return data;
  });

  const holdings = await script.step('Register her holdings: which purpose holds her data in which system, since when', async (say) => {
    say(`POST /subjects/${subject.subjectId}/holdings, one per purpose and system, collected 30 days ago`);
    const answers: HoldingAnswer[] = [];
    const collectedAt = ago(30);
    for (const purpose of Object.values(policy.purposes)) {
      if (purpose.per === 'item') {
        say(`${purpose.id}: kept per item (per: item); the demo registers no item holdings (docs/api.md, "Items")`);
        continue;
      }
      for (const systemId of purpose.systems) {
        const locator = demoLocator(policy.systems[systemId], subject);
        const answer = await api.registerHolding(subject.subjectId, {
          purpose: purpose.id,
          system: systemId,
          collectedAt,
          ...(Object.keys(locator).length ? { locator } : {}),
        });
        answers.push(answer);
        say(`${purpose.id} in ${systemId}: ${expiryWords(answer)}`);
      }
    }
    return answers;
  });

  // The events that start the clocks of what an erasure request retains, so that its end date is known. Only the
  // policy's own events: a built-in one (request-handled) is Lethe's to record, and the API refuses it.
  const retaining = Object.values(policy.purposes).filter((p) => p.onErasureRequest === 'retain');
  const events = [
    ...new Set(
      holdings
        .filter((h) => retaining.some((p) => p.id === h.purpose))
        .flatMap((h) => h.waitingFor ?? [])
        .filter((type) => policy.events.includes(type)),
    ),
  ];
  if (events.length > 0) {
    await script.step(
      `Record ${events.length === 1 ? 'an event' : 'events'} that start retention clocks: ${events.join(', ')}`,
      async (say) => {
        for (const type of events) {
          const answer = await api.recordEvent(subject.subjectId, { type, at: ago(1) });
          say(`POST /subjects/${subject.subjectId}/events {"type": "${type}"}: ${answer.holdingsRescheduled} holding(s) rescheduled`);
        }
      },
    );
  }

  // A copy of the DynamoDB tables before the erasure (a backup, for the restore-and-replay step): the users' tables only.
  const copies = await copyTables(local, systems);

  const received = await script.step('Send her erasure request (GDPR Art. 17)', async (say) => {
    const answer = await api.requestErasure(
      { subjectId: subject.subjectId, verification: { method: 'e-mail confirmation (demo)', verifiedAt: ago(0) } },
      `demo-${randomUUID()}`,
    );
    say(`POST /erasure-requests: 202, request ${answer.requestId}, ${answer.status}, deadline ${answer.deadline} (Art. 12(3): one month)`);
    return answer;
  });

  const view = await script.step(
    'The erasure workflow runs (the Step Functions definition, run locally) until the request is final',
    async (say) => {
      // Three minutes: on a busy machine (a shared CI runner) local mode's workflow takes far longer than its usual seconds.
      const result = (await local.waitForRequest(received.requestId, { timeoutMs: 180_000 })) as unknown as RequestView;
      for (const s of result.systems) {
        say(`${label(s.system)}  ${s.status}${s.fields?.length ? ` (${s.fields.join(', ')})` : ''}${s.error ? `: ${s.error}` : ''}`);
      }
      say(`GET /erasure-requests/${received.requestId}: ${result.status}`);
      if (result.status !== 'completed') {
        const failed = result.systems.filter((s) => s.status === 'failed').map((s) => `${s.system} (${s.error ?? 'failed'})`);
        throw new DemoError(`the erasure request ended ${result.status}; failed systems: ${failed.join(', ') || 'none recorded'}`);
      }
      return result;
    },
  );

  const statusOf = new Map(view.systems.map((s) => [s.system, s.status]));
  const after = await script.step('Look into the systems: what the erasure changed', async (say) => {
    const data: Record<string, SystemData> = {};
    for (const system of systems) {
      data[system.id] = await readSubjectData(local, system, subject);
      const status = statusOf.get(system.id) ?? 'not in the plan';
      say(`${label(system.id)}  ${status.padEnd(17)} ${describeChange(before[system.id], data[system.id])}`);
      checkSystem(system.id, status, before[system.id], data[system.id], subject);
    }
    return data;
  });

  await script.step('What a legal obligation keeps: retained, restricted (Art. 18), and until when', async (say) => {
    if (view.retained.length === 0) {
      const items = Object.values(policy.purposes).filter((p) => p.per === 'item' && p.onErasureRequest === 'retain');
      say(
        items.length === 0
          ? 'nothing: no purpose of this policy keeps data on an erasure request'
          : `nothing among her registered holdings; ${items.map((p) => p.id).join(', ')} would keep data, per item, and the demo registers no item holdings`,
      );
      return;
    }
    for (const r of view.retained) {
      const purpose = policy.purposes[r.purpose];
      say(
        `${r.purpose} (${purpose?.legalBases.join(', ') ?? '?'}${purpose?.law ? `: ${purpose.law}` : ''}): kept until ${r.until ?? 'a date not known yet'}`,
      );
      say(`  reason given to the subject: "${r.reason.replace(/\s+/g, ' ').trim()}"`);
      const kept = (purpose?.systems ?? []).filter((s) => after[s] && after[s].records.length > 0);
      if (kept.length) say(`  still held in: ${kept.join(', ')}`);
    }
  });

  // A restore brings her back; the replay (issue 19, item 3) erases her again.
  const replay = await replayStep(local, script, api, { copies, statusOf, requestId: received.requestId, subject, afterErasure: after });

  const sweep = await sweepStep(local, script, api, view, after);

  // The other rights (issue 14): legal hold and release, restriction, access export, an item erasure.
  const rights = await rightsSteps(local, script, api, [DEMO_ERASED, DEMO_EXPIRING, ...DEMO_SUBJECTS]);

  const audit = await script.step('Verify the audit chain (lib/audit): every record hash-linked to the one before', async (say) => {
    const report = await local.verifyAudit();
    const line = formatReport(s3Source(local.clients.s3, local.names.auditBucket), report);
    if (report.break) throw new DemoError(line);
    say(line);
    const records = await local.auditRecords();
    const ours = records.filter((r) => r.requestId === received.requestId || (sweep && r.sweepId === sweep.sweepId));
    for (const r of ours) {
      say(
        `#${String(r.seq).padEnd(3)} ${r.kind.padEnd(15)} ${r.system.padEnd(width)} ${r.action.padEnd(9)} ${r.outcome.padEnd(17)} subject ${r.subject.slice(0, 8)}…  purposes ${r.purposes.join(', ')}`,
      );
    }
    const rightsRecords = records.filter(
      (r) =>
        (r.requestId !== undefined && rights.requestIds.includes(r.requestId)) ||
        (r.sweepId !== undefined && rights.sweepIds.includes(r.sweepId)) ||
        (rights.hold !== undefined && r.holdId === rights.hold.holdId),
    );
    if (rightsRecords.length > 0) {
      const kinds = [...new Set(rightsRecords.map((r) => `${r.kind} ${r.action} ${r.outcome}`))];
      say(`and ${rightsRecords.length} record(s) of the rights steps: ${kinds.join('; ')}`);
    }
    const personal = [
      ...personalValuesOf(subject),
      ...personalValuesOf(DEMO_EXPIRING),
      ...personalValuesOf(DEMO_RIGHTS),
      subject.subjectId,
      DEMO_RIGHTS.subjectId,
    ];
    const leaking = records.filter((r) => personal.some((v) => JSON.stringify(r).includes(v)));
    if (leaking.length > 0) throw new DemoError(`audit record(s) ${leaking.map((r) => r.seq).join(', ')} hold personal data`);
    if (ours[0])
      say(`no record names ${subject.name}: she appears as the HMAC ${ours[0].subject.slice(0, 16)}…; e.g. ${shortRecord(ours[0])}`);
    return records;
  });

  const totalMs = performance.now() - started;
  script.say();
  script.say(
    `Demo done in ${seconds(totalMs)}: ${script.steps.length} steps, request ${received.requestId} ${view.status}, ${audit.length} audit records, chain intact.`,
  );
  script.say('Next: `npm start` keeps local mode running with its own demo subjects; `npx cdk deploy` deploys the same policy to AWS.');
  return {
    steps: script.steps,
    totalMs,
    requestId: received.requestId,
    systems: Object.fromEntries(view.systems.map((s) => [s.system, s.status])),
    retained: view.retained,
    ...(sweep ? { sweep: { purpose: sweep.purpose, now: sweep.now, itemsRead: sweep.itemsRead, status: sweep.status } } : {}),
    auditRecords: audit.length,
    rights,
    ...(replay ? { replay } : {}),
  };
}

/** What a system must look like after the request, given the status the workflow recorded for it. */
function checkSystem(system: string, status: string, before: SystemData, after: SystemData, subject: DemoSubject): void {
  const fail = (what: string) => {
    throw new DemoError(`system ${system} is "${status}" but ${what}`);
  };
  if (status === 'erased' && after.records.length > 0) fail('the subject still has records there');
  if ((status === 'retained' || status === 'nothing-found' || status === 'kept-shared') && !sameData(before, after))
    fail('its data changed');
  if (status === 'anonymised' && holdsAnyOf(after.records, [subject.name, subject.email]))
    fail('the record still holds her name or e-mail');
  if ((status === 'fields-removed' || status === 'fields-anonymised') && sameData(before, after)) fail('no field changed');
}

function shortRecord(record: AuditRecord): string {
  const { kind, system, action, outcome, counts, subject } = record;
  return JSON.stringify({ kind, system, action, outcome, counts, subject: `${subject.slice(0, 12)}…` });
}

interface SweepDone {
  readonly purpose: string;
  readonly now: string;
  readonly sweepId: string;
  readonly itemsRead: number;
  readonly status: string;
}

/**
 * The expiry sweep on a simulated clock. Preferably the end of what the request retained: `now` = its until-date,
 * and the retained data goes. Otherwise a second subject's holding with the earliest known expiry.
 */
async function sweepStep(
  local: LocalLethe,
  script: Script,
  api: ApiClient,
  view: RequestView,
  after: Record<string, SystemData>,
): Promise<SweepDone | undefined> {
  const { policy } = local;
  const retained = view.retained
    .filter((r) => r.until !== null)
    .sort((a, b) => Temporal.Instant.compare(Temporal.Instant.from(a.until!), Temporal.Instant.from(b.until!)));
  let subject = DEMO_ERASED;
  let target: { purpose: string; now: string } | undefined = retained[0]
    ? { purpose: retained[0].purpose, now: retained[0].until! }
    : undefined;
  let beforeSweep = after;

  if (!target) {
    // Nothing retained with a date: let another subject's data expire instead.
    subject = DEMO_EXPIRING;
    const found = await script.step(
      `Nothing is retained with a date: put ${subject.name}'s data in and register the holdings, to let one expire`,
      async (say) => {
        const data: Record<string, SystemData> = {};
        let earliest: { purpose: string; now: string } | undefined;
        for (const system of systemsOf(policy)) {
          await putSubjectData(local, system, subject);
          data[system.id] = await readSubjectData(local, system, subject);
        }
        // Item purposes are left out, as in step 3 (docs/api.md, "Items").
        for (const purpose of Object.values(policy.purposes).filter((p) => p.per !== 'item')) {
          for (const systemId of purpose.systems) {
            const locator = demoLocator(policy.systems[systemId], subject);
            const answer = await api.registerHolding(subject.subjectId, {
              purpose: purpose.id,
              system: systemId,
              collectedAt: Temporal.Now.instant().toString({ smallestUnit: 'second' }),
              ...(Object.keys(locator).length ? { locator } : {}),
            });
            say(`${purpose.id} in ${systemId}: ${expiryWords(answer)}`);
            if (
              answer.expiresAt &&
              (!earliest || Temporal.Instant.compare(Temporal.Instant.from(answer.expiresAt), Temporal.Instant.from(earliest.now)) < 0)
            ) {
              earliest = { purpose: purpose.id, now: answer.expiresAt };
            }
          }
        }
        return { data, earliest };
      },
    );
    if (!found.earliest) {
      script.say('    (no holding of this policy has an expiry that follows from its collection alone: no sweep to show)');
      return undefined;
    }
    target = found.earliest;
    beforeSweep = found.data;
  }

  const { purpose, now } = target;
  return script.step(`Expiry sweep of "${purpose}" on a simulated clock: now = ${now}`, async (say) => {
    say(
      `the sweep state machine reads the purpose's due index (never a scan) and applies ${policy.purposes[purpose].onExpiry} with the shared-data rule`,
    );
    const result = await local.runSweep(purpose, now);
    const itemsRead = itemsReadBySweep(local.logLines(), result.name);
    say(`sweep ${result.name}: ${result.status}, ${itemsRead} due holding(s) read`);
    if (result.status !== 'SUCCEEDED')
      throw new DemoError(`the sweep of ${purpose} ended ${result.status} (${result.error ?? 'no error name'})`);
    let changed = 0;
    for (const systemId of policy.purposes[purpose].systems) {
      const system = policy.systems[systemId];
      const data = await readSubjectData(local, system, subject);
      if (!sameData(beforeSweep[systemId], data)) changed++;
      say(`${systemId}: ${describeChange(beforeSweep[systemId], data)}`);
    }
    if (changed === 0) throw new DemoError(`the sweep of ${purpose} at ${now} changed none of ${subject.name}'s data in its systems`);
    return { purpose, now, sweepId: result.name, itemsRead, status: result.status };
  });
}
