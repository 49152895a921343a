/**
 * `lethe demo`'s data-subject-rights steps (issue 14, item 6), on a third demo subject, Karin Holm (`customer-9`),
 * after the erasure story. Each step prints what it did and checks what it shows; a difference is a `DemoError`:
 *
 * 1. her data put into every system and her holdings registered (what the other steps act on);
 * 2. a legal hold (spec 2.3) on the purpose of hers that expires first, and the sweep on a simulated clock a day
 *    past that expiry: the held data stays, and `GET /subjects/{id}` shows it active with the hold's reason;
 * 3. the hold released: the next sweep erases it;
 * 4. a restriction request (Art. 18) for one purpose: each record gets the restriction mark (DynamoDB attribute
 *    `lethe:restricted`, S3 tag `lethe-restricted`, the SaaS record's `lethe:restricted`), nothing else changes,
 *    and the subject view names the restriction; then it is lifted (`POST /restriction-requests/{id}/lift`): the
 *    marks go, nothing else changes;
 * 5. an access request (Art. 15): completed, its export.json downloaded from the presigned URL, and the fields it
 *    holds shown (names only: the values are hers), each value checked against what was put in;
 * 6. an item erasure (spec 2.2): two items of a `per: item` purpose, one of which expires; the sweep removes that
 *    item only, and the other item and her other records stay. Where the purpose keeps each item until its
 *    request has been handled (the built-in `request-handled`, e.g. ID documents with ref = the request id), the
 *    items are the ID documents of her restriction and access requests: the sweep at the first one's handled
 *    time removes that document only. Otherwise the items are orders `<key>-O-1` and `<key>-O-10` (one ref a
 *    prefix of the other), the first collected a day earlier or given its event.
 *
 * What each step acts on is chosen from the policy (`planRights`, `chooseHold`, `chooseRestriction`); a step the
 * policy gives nothing for says so and is left out. The output names her by her demo subject id only; record
 * values are never printed (field names, ids, dates and the hold's reason are).
 */
import { randomUUID } from 'node:crypto';
import { Temporal } from '@js-temporal/polyfill';
import type { DemoSubject, LocalLethe } from '../local';
import { demoLocator, personalValuesOf } from '../local/demo';
import type { Policy, SystemSpec } from '../policy/model';
import { REQUEST_HANDLED } from '../policy/schema';
import type { HoldingAnswer } from '../runtime';
import type { ExportDocument } from '../runtime/export-document';
import type { ApiClient } from './api-client';
import { DemoError } from './errors';
import { describeChange, expiryWords, sameData, type Script } from './script';
import {
  itemLocatable,
  itemLocator,
  itemSubject,
  putSubjectData,
  readRestrictionMarks,
  readSubjectData,
  type SystemData,
  withoutMarks,
} from './systems';

/** The subject of the rights steps. Fake, like the other demo subjects. */
export const DEMO_RIGHTS: DemoSubject = {
  subjectId: 'customer-9',
  key: 'C-0009',
  name: 'Karin Holm',
  email: 'karin.holm@example.se',
  phone: '+46 70 000 01 09',
  kind: 'active',
};

/** The reason the demo's legal hold gives (the controller's text: shown and stored as given, never audited). */
export const DEMO_HOLD_REASON = 'Demo: a dispute before the district court about her contract; keep until it is settled';

/** Connector types whose local stand-ins answer `export` (the receiver and the demo function do not). */
const EXPORTING = new Set<string>(['dynamodb', 's3']);

const iso = (instant: Temporal.Instant) => instant.toString({ smallestUnit: 'second' });

/** An instant as the API shows them: in a time zone, to the second, with its offset (`2027-02-03T16:28:43+01:00`). */
export const zoned = (instant: Temporal.Instant, timeZone: string): string =>
  instant.toZonedDateTimeISO(timeZone).toString({ smallestUnit: 'second', timeZoneName: 'never' });

/** What the rights steps act on, from the policy alone. */
export interface RightsPlan {
  /** The access request's scope: non-item purposes whose systems all export locally. Empty: no access step. */
  readonly access: readonly string[];
  /** The item purpose and system of the item step; `byRequest` when each item waits for its request's handling. */
  readonly item?: { readonly purpose: string; readonly system: string; readonly byRequest: boolean };
}

/** Whether a purpose's retention starts a clock on the built-in `request-handled` (spec 2.4). */
export function waitsForRequestHandled(policy: Policy, purpose: string): boolean {
  return JSON.stringify(policy.purposes[purpose]?.retention ?? {}).includes(JSON.stringify(REQUEST_HANDLED));
}

export function planRights(policy: Policy): RightsPlan {
  const purposes = Object.values(policy.purposes);
  const access = purposes
    .filter((p) => p.per !== 'item' && p.systems.every((s) => EXPORTING.has(policy.systems[s]?.connector)))
    .map((p) => p.id);
  // An item purpose whose one system the demo can keep items apart in; one whose items expire without a request first.
  const items = purposes
    .filter((p) => p.per === 'item' && p.systems.length === 1 && itemLocatable(policy.systems[p.systems[0]]))
    .map((p) => ({ purpose: p.id, system: p.systems[0], byRequest: waitsForRequestHandled(policy, p.id) }))
    .sort((a, b) => Number(a.byRequest) - Number(b.byRequest));
  return { access, ...(items[0] ? { item: items[0] } : {}) };
}

/**
 * The purpose to hold: among the subject's holdings (non-item), the purpose all of whose holdings have a date, with
 * the earliest latest date; `sweepAt` is a day past that (every holding of the purpose is past its expiry then).
 */
export function chooseHold(
  answers: readonly HoldingAnswer[],
  timeZone = 'UTC',
): { purpose: string; expiresAt: string; sweepAt: string } | undefined {
  const latest = new Map<string, Temporal.Instant | null>();
  for (const a of answers) {
    if (a.ref !== undefined) continue;
    const at = a.expiresAt ? Temporal.Instant.from(a.expiresAt) : null;
    const seen = latest.get(a.purpose);
    if (seen === null) continue;
    latest.set(a.purpose, at === null ? null : seen === undefined || Temporal.Instant.compare(at, seen) > 0 ? at : seen);
  }
  const dated = [...latest].filter((e): e is [string, Temporal.Instant] => e[1] !== null);
  if (dated.length === 0) return undefined;
  dated.sort((a, b) => Temporal.Instant.compare(a[1], b[1]));
  const [purpose, at] = dated[0];
  const expiresAt = answers.find((a) => a.purpose === purpose && a.expiresAt && Temporal.Instant.from(a.expiresAt).equals(at))!.expiresAt!;
  return { purpose, expiresAt, sweepAt: zoned(at.add({ hours: 24 }), timeZone) };
}

/**
 * The purpose to restrict: a non-item purpose sharing no system with `held` (so that the hold's sweeps and the
 * restriction never meet), preferring one with a DynamoDB system (whose mark is an attribute of the record).
 */
export function chooseRestriction(policy: Policy, held: string | undefined): string | undefined {
  const heldSystems = new Set(held ? (policy.purposes[held]?.systems ?? []) : []);
  const candidates = Object.values(policy.purposes).filter(
    (p) => p.per !== 'item' && p.id !== held && p.systems.every((s) => !heldSystems.has(s)),
  );
  return (candidates.find((p) => p.systems.some((s) => policy.systems[s]?.connector === 'dynamodb')) ?? candidates[0])?.id;
}

/** Whether a restriction mark is the request's: an object `{requestId}` (records) or `<requestId>[ until …]` (S3 tags). */
export function markOf(value: unknown, requestId: string): boolean {
  if (typeof value === 'string') return value === requestId || value.startsWith(`${requestId} until `);
  return typeof value === 'object' && value !== null && (value as { requestId?: unknown }).requestId === requestId;
}

/** What an export document holds, per purpose and system: the fields it lists, and those it has values of. */
export interface ExportedFields {
  readonly purpose: string;
  readonly system: string;
  readonly listed: readonly string[];
  /** The fields with a value in the document (field names only). */
  readonly withValues: readonly string[];
  readonly records: number;
  readonly objects: number;
  readonly available: boolean;
}

export function exportedFields(document: ExportDocument): ExportedFields[] {
  return document.purposes.flatMap((p) =>
    p.records.map((r) => ({
      purpose: p.purpose,
      system: r.system,
      listed: r.fields.map((f) => f.name),
      withValues: [...new Set((r.records ?? []).flatMap((x) => Object.keys(x.values)))],
      records: r.records?.length ?? 0,
      objects: r.objects?.length ?? 0,
      available: r.available,
    })),
  );
}

/**
 * Checks an export against what the demo put in: every value is of a listed field and equals the value put there
 * (per system, from `put`); something is exported. Returns the problems, in words (field names only).
 */
export function exportProblems(document: ExportDocument, put: Readonly<Record<string, SystemData>>): string[] {
  const problems: string[] = [];
  let values = 0;
  for (const p of document.purposes) {
    for (const r of p.records) {
      if (!r.available) problems.push(`${p.purpose} in ${r.system}: no export came back`);
      const listed = new Set(r.fields.map((f) => f.name));
      for (const record of r.records ?? []) {
        for (const [field, value] of Object.entries(record.values)) {
          values++;
          if (!listed.has(field)) problems.push(`${p.purpose} in ${r.system}: field ${field} is not one the policy lists there`);
          const source = put[r.system]?.records.find((x) => field in x);
          if (!source) problems.push(`${p.purpose} in ${r.system}: field ${field} was not put there by the demo`);
          else if (JSON.stringify(source[field]) !== JSON.stringify(value))
            problems.push(`${p.purpose} in ${r.system}: field ${field} differs from the value put there`);
        }
      }
    }
  }
  if (values === 0) problems.push('the export holds no value at all');
  return problems;
}

/** What the rights steps did, for the report. */
export interface RightsReport {
  readonly subjectId: string;
  readonly hold?: { readonly purpose: string; readonly holdId: string; readonly sweptAt: string; readonly sweepIds: readonly string[] };
  readonly restriction?: { readonly requestId: string; readonly purpose: string; readonly systems: Readonly<Record<string, string>> };
  readonly access?: {
    readonly requestId: string;
    readonly scope: readonly string[];
    readonly fields: Readonly<Record<string, readonly string[]>>;
  };
  readonly item?: {
    readonly purpose: string;
    readonly system: string;
    readonly erased: string;
    readonly kept: string;
    readonly sweptAt: string;
    readonly sweepId: string;
  };
  /** The requests and sweeps of these steps (for the audit step). */
  readonly requestIds: readonly string[];
  readonly sweepIds: readonly string[];
}

interface SubjectRequestAnswer {
  readonly requestId: string;
  readonly status: string;
  readonly systems: readonly { system: string; status: string; error?: string }[];
}

interface AccessAnswer extends SubjectRequestAnswer {
  readonly export: string | { json: { url: string }; html: { url: string }; expiresAt: string };
}

/** A URL without its query (a presigned URL's signature is a credential for the export: not printed). */
const withoutQuery = (url: string) => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};

/** The steps; `others`: the other demo subjects, none of whose values may appear in her export. */
export async function rightsSteps(
  local: LocalLethe,
  script: Script,
  api: ApiClient,
  others: readonly DemoSubject[],
): Promise<RightsReport> {
  const { policy } = local;
  const subject = DEMO_RIGHTS;
  const id = subject.subjectId;
  const plan = planRights(policy);
  const used = new Set(Object.values(policy.purposes).flatMap((p) => p.systems));
  const systems = Object.values(policy.systems).filter((s) => used.has(s.id));
  const ago = (days: number) => iso(Temporal.Now.instant().subtract({ hours: 24 * days }));
  const verification = () => ({ method: 'e-mail confirmation (demo)', verifiedAt: ago(0) });
  const read = async (list: readonly SystemSpec[], who: DemoSubject = subject) => {
    const data: Record<string, SystemData> = {};
    for (const system of list) data[system.id] = await readSubjectData(local, system, who);
    return data;
  };
  const systemsOfPurpose = (purpose: string) => policy.purposes[purpose].systems.map((s) => policy.systems[s]);
  const requestIds: string[] = [];
  const sweepIds: string[] = [];
  const report: { -readonly [K in keyof RightsReport]?: RightsReport[K] } = {};

  const answers = await script.step(
    `Rights of a data subject: put the data of subject "${id}" into every system and register her holdings`,
    async (say) => {
      const registered: HoldingAnswer[] = [];
      // Not into a system only item purposes use: what is there is an item's (the item step puts those).
      const itemOnly = (s: SystemSpec) => Object.values(policy.purposes).every((p) => !p.systems.includes(s.id) || p.per === 'item');
      for (const system of systems.filter((s) => !itemOnly(s))) await putSubjectData(local, system, subject);
      for (const purpose of Object.values(policy.purposes).filter((p) => p.per !== 'item')) {
        for (const systemId of purpose.systems) {
          const locator = demoLocator(policy.systems[systemId], subject);
          const answer = await api.registerHolding(id, {
            purpose: purpose.id,
            system: systemId,
            collectedAt: ago(30),
            ...(Object.keys(locator).length ? { locator } : {}),
          });
          registered.push(answer);
          say(`${purpose.id} in ${systemId}: ${expiryWords(answer)}`);
        }
      }
      return registered;
    },
  );

  // A legal hold on what expires first, a sweep past its expiry, then the release and the next sweep.
  const hold = chooseHold(answers, policy.timezone);
  if (!hold) {
    script.say('    (no holding of hers has an expiry date: no legal hold to show)');
  } else {
    const heldSystems = systemsOfPurpose(hold.purpose);
    const placed = await script.step(
      `Legal hold (spec 2.3) on her ${hold.purpose} data, then the sweep a day past its expiry: now = ${hold.sweepAt}`,
      async (say) => {
        const before = await read(heldSystems);
        const { holdId } = await api.placeHold(id, { reason: DEMO_HOLD_REASON, scope: { purposes: [hold.purpose] } });
        say(`POST /subjects/${id}/holds {"scope": {"purposes": ["${hold.purpose}"]}}: 201, hold ${holdId}`);
        const sweep = await local.runSweep(hold.purpose, hold.sweepAt);
        sweepIds.push(sweep.name);
        if (sweep.status !== 'SUCCEEDED')
          throw new DemoError(`the sweep of ${hold.purpose} ended ${sweep.status} (${sweep.error ?? 'no error name'})`);
        say(`sweep ${sweep.name}: ${sweep.status}; the holding expired ${hold.expiresAt}`);
        const after = await read(heldSystems);
        for (const system of heldSystems) {
          // A mark of restriction may come with the hold (Art. 18(1)(b),(c)): the data itself must not change.
          const kept = withoutMarks(after[system.id], system);
          say(`${system.id}: ${describeChange(withoutMarks(before[system.id], system), kept)}`);
          if (!sameData(withoutMarks(before[system.id], system), kept)) throw new DemoError(`the sweep changed held data in ${system.id}`);
        }
        const view = await api.viewSubject(id);
        const held = view.holdings.filter((h) => h.purpose === hold.purpose);
        for (const h of held) {
          if (h.status !== 'active' || !h.holds.includes(holdId))
            throw new DemoError(
              `GET /subjects/${id}: ${h.purpose} in ${h.system} is ${h.status}, holds [${h.holds.join(', ')}], not kept by hold ${holdId}`,
            );
        }
        const reason = view.holds.find((h) => h.holdId === holdId)?.reason;
        if (reason !== DEMO_HOLD_REASON) throw new DemoError(`GET /subjects/${id} does not give hold ${holdId} with its reason`);
        say(
          `GET /subjects/${id}: ${held.map((h) => `${h.purpose} in ${h.system}`).join(', ')} still active, kept by hold ${holdId}: "${reason}"`,
        );
        return { holdId, before };
      },
    );
    await script.step(`Release the hold: the next sweep (now = ${hold.sweepAt}) erases what it kept`, async (say) => {
      const released = await api.releaseHold(id, placed.holdId);
      say(
        `POST /subjects/${id}/holds/${placed.holdId}/release: 200, released ${released.releasedAt}, ${released.holdingsRescheduled} holding(s) due again`,
      );
      const sweep = await local.runSweep(hold.purpose, hold.sweepAt);
      sweepIds.push(sweep.name);
      if (sweep.status !== 'SUCCEEDED')
        throw new DemoError(`the sweep of ${hold.purpose} ended ${sweep.status} (${sweep.error ?? 'no error name'})`);
      say(`sweep ${sweep.name}: ${sweep.status}`);
      const after = await read(heldSystems);
      let changed = 0;
      for (const system of heldSystems) {
        say(`${system.id}: ${describeChange(placed.before[system.id], after[system.id])}`);
        if (!sameData(placed.before[system.id], after[system.id])) changed++;
      }
      if (changed === 0) throw new DemoError(`after the release, the sweep of ${hold.purpose} changed none of her data`);
      const view = await api.viewSubject(id);
      const still = view.holdings.filter((h) => h.purpose === hold.purpose && h.status === 'active');
      if (still.length > 0) throw new DemoError(`GET /subjects/${id}: ${hold.purpose} is still active after the sweep`);
    });
    report.hold = { purpose: hold.purpose, holdId: placed.holdId, sweptAt: hold.sweepAt, sweepIds: [...sweepIds] };
  }

  // Restriction (Art. 18): the mark on each record of one purpose.
  const restricted = chooseRestriction(policy, hold?.purpose);
  if (!restricted) {
    script.say('    (no purpose of this policy can be restricted apart from the held one: no restriction to show)');
  } else {
    const marked = systemsOfPurpose(restricted);
    const until = zoned(Temporal.Now.instant().add({ hours: 24 * 90 }), policy.timezone);
    report.restriction = await script.step(`Restriction request (GDPR Art. 18) for her ${restricted} data, until ${until}`, async (say) => {
      const before = await read(marked);
      const received = await api.requestRestriction(
        { subjectId: id, scope: [restricted], until, verification: verification() },
        `demo-${randomUUID()}`,
      );
      requestIds.push(received.requestId);
      say(`POST /restriction-requests: 202, request ${received.requestId}, deadline ${received.deadline}`);
      const view = await api.waitForRequest<SubjectRequestAnswer>('restriction', received.requestId);
      say(`GET /restriction-requests/${received.requestId}: ${view.status}`);
      if (view.status !== 'completed') {
        const failed = view.systems.filter((s) => s.status === 'failed').map((s) => `${s.system} (${s.error ?? 'failed'})`);
        throw new DemoError(`the restriction request ended ${view.status}; failed systems: ${failed.join(', ') || 'none recorded'}`);
      }
      const after = await read(marked);
      for (const s of view.systems) {
        const system = policy.systems[s.system];
        const marks = await readRestrictionMarks(local, system, subject);
        const mine = marks.filter((m) => markOf(m.value, received.requestId));
        say(`${s.system}: ${s.status}; ${mine.map((m) => `${m.where} = ${JSON.stringify(m.value)}`).join('; ') || 'no mark'}`);
        if (s.status === 'restricted' && mine.length === 0)
          throw new DemoError(`${s.system} is "restricted" but its record has no mark of ${received.requestId}`);
        if (!sameData(withoutMarks(before[s.system], system), withoutMarks(after[s.system], system)))
          throw new DemoError(`restricting changed more than the mark in ${s.system}`);
      }
      say('the records are otherwise unchanged (the S3 objects byte for byte: the mark is a tag)');
      const subjectView = await api.viewSubject(id);
      const shown = subjectView.holdings.filter((h) => h.restrictions.some((r) => r.requestId === received.requestId));
      if (shown.length === 0) throw new DemoError(`GET /subjects/${id} names no holding restricted by ${received.requestId}`);
      say(`GET /subjects/${id}: ${shown.map((h) => `${h.purpose} in ${h.system}`).join(', ')} restricted by request ${received.requestId}`);
      return {
        requestId: received.requestId,
        purpose: restricted,
        systems: Object.fromEntries(view.systems.map((s) => [s.system, s.status])),
      };
    });
  }

  if (report.restriction) {
    const { requestId } = report.restriction;
    const marked = systemsOfPurpose(report.restriction.purpose);
    await script.step('Lift the restriction: the marks go, the data stays as it was', async (say) => {
      const before = await read(marked);
      const lifted = await api.liftRestriction(requestId);
      const outcomes = lifted.unrestricted.map((u) => `${u.system} ${u.status}`).join(', ') || 'no record';
      say(`POST /restriction-requests/${requestId}/lift: 200, lifted ${lifted.liftedAt}; ${outcomes}`);
      const after = await read(marked);
      for (const system of marked) {
        const left = (await readRestrictionMarks(local, system, subject)).filter((m) => markOf(m.value, requestId));
        if (left.length > 0) throw new DemoError(`${system.id} still has the mark of ${requestId} after the lift`);
        if (!sameData(withoutMarks(before[system.id], system), withoutMarks(after[system.id], system)))
          throw new DemoError(`lifting the restriction changed more than the mark in ${system.id}`);
      }
      say(`${marked.map((s) => s.id).join(', ')}: no mark of ${requestId} left, the records otherwise unchanged`);
    });
  }

  // Access (Art. 15): the export, downloaded from its presigned URL.
  if (plan.access.length === 0) {
    script.say(
      '    (no purpose of this policy keeps its data only in DynamoDB or S3, whose local stand-ins export: no access request to show)',
    );
  } else {
    report.access = await script.step(
      `Access request (GDPR Art. 15) for ${plan.access.join(', ')}: the export, opened from its URL`,
      async (say) => {
        const put = await read(systems);
        const received = await api.requestAccess(
          { subjectId: id, scope: [...plan.access], lang: 'en', verification: verification() },
          `demo-${randomUUID()}`,
        );
        requestIds.push(received.requestId);
        say(`POST /access-requests: 202, request ${received.requestId}, deadline ${received.deadline}`);
        const view = await api.waitForRequest<AccessAnswer>('access', received.requestId);
        if (view.status !== 'completed' || typeof view.export === 'string') {
          const failed = view.systems.filter((s) => s.status === 'failed').map((s) => `${s.system} (${s.error ?? 'failed'})`);
          throw new DemoError(
            `the access request ended ${view.status} (export: ${typeof view.export === 'string' ? view.export : 'links'}); failed systems: ${failed.join(', ') || 'none recorded'}`,
          );
        }
        say(
          `GET /access-requests/${received.requestId}: ${view.status}; export.json and export.html, links valid until ${view.export.expiresAt}`,
        );
        const download = await fetch(view.export.json.url);
        const text = await download.text();
        if (download.status !== 200) throw new DemoError(`downloading export.json answered ${download.status}`);
        say(`GET ${withoutQuery(view.export.json.url)}?<signature>: ${download.status}, ${Buffer.byteLength(text)} bytes`);
        const document = JSON.parse(text) as ExportDocument;
        if (document.requestId !== received.requestId)
          throw new DemoError(`export.json is of request ${String(document.requestId)}, not ${received.requestId}`);
        const fields = exportedFields(document);
        for (const f of fields) {
          const objects = f.objects ? `, ${f.objects} object(s)` : '';
          say(
            `${f.purpose} / ${f.system}: ${f.records} record(s)${objects}; values of ${f.withValues.join(', ') || 'no field'} (listed: ${f.listed.join(', ')})`,
          );
        }
        const problems = exportProblems(document, put);
        if (problems.length > 0) throw new DemoError(`export.json: ${problems.join('; ')}`);
        const foreign = others.flatMap((o) => personalValuesOf(o)).filter((v) => text.includes(v));
        if (foreign.length > 0) throw new DemoError(`export.json holds ${foreign.length} value(s) of another demo subject`);
        say("every value is of a listed field and equals what was put in, none is another subject's (values not shown: they are hers)");
        const byPurpose: Record<string, string[]> = {};
        for (const f of fields) byPurpose[`${f.purpose}/${f.system}`] = [...f.withValues];
        return { requestId: received.requestId, scope: plan.access, fields: byPurpose };
      },
    );
  }

  // An item erasure: two items, one expires.
  if (!plan.item) {
    script.say('    (no per-item purpose of this policy keeps items in DynamoDB or S3 apart from each other: no item erasure to show)');
  } else {
    const { purpose, system: systemId, byRequest } = plan.item;
    const system = policy.systems[systemId];
    const refs = byRequest
      ? report.restriction && report.access
        ? [report.restriction.requestId, report.access.requestId]
        : undefined
      : [`${subject.key}-O-1`, `${subject.key}-O-10`];
    if (!refs) {
      script.say(
        `    (${purpose} keeps each item until its request is handled, and no two requests of hers were: no item erasure to show)`,
      );
    } else {
      const what = byRequest
        ? 'the documents of her restriction and access requests (ref = the request id)'
        : `orders ${refs.join(' and ')}`;
      report.item = await script.step(`Item records (spec 2.2): two ${purpose} items in ${systemId}, ${what}; one expires`, async (say) => {
        const items = refs.map((ref) => itemSubject(subject, ref));
        const registered: HoldingAnswer[] = [];
        for (const [i, ref] of refs.entries()) {
          await putSubjectData(local, system, items[i]);
          const answer = await api.registerHolding(id, {
            purpose,
            system: systemId,
            collectedAt: ago(2 - i),
            ref,
            locator: itemLocator(system, subject, ref),
          });
          registered.push(answer);
          say(`POST /subjects/${id}/holdings {"purpose": "${purpose}", "ref": "${ref}"}: ${expiryWords(answer)}`);
        }
        let first = registered[0].expiresAt;
        if (!first) {
          const type = registered[0].waitingFor?.find((e) => policy.events.includes(e));
          if (!type) throw new DemoError(`item ${refs[0]} of ${purpose} has no expiry (${expiryWords(registered[0])})`);
          const answer = await api.recordEvent(id, { type, at: ago(0.5), ref: refs[0] });
          first = answer.expiriesChanged.find((c) => c.ref === refs[0])?.to ?? null;
          say(`POST /subjects/${id}/events {"type": "${type}", "ref": "${refs[0]}"}: ${refs[0]} expires ${first ?? 'still not'}`);
          if (!first) throw new DemoError(`the ${type} event of item ${refs[0]} gave it no expiry`);
        }
        // The sweep runs at the first item's expiry exactly (the API shows it to the millisecond, as the ledger keeps it:
        // due is expiry <= now), so the second goes only if it expires at that same millisecond.
        const sweepAt = Temporal.Instant.from(first);
        const now = sweepAt.toZonedDateTimeISO(policy.timezone).toString({ smallestUnit: 'millisecond', timeZoneName: 'never' });
        const secondView = (await api.viewSubject(id)).holdings.find(
          (h) => h.purpose === purpose && h.ref === refs[1] && h.status === 'active',
        );
        const second = secondView?.expiresAt ?? null;
        if (second && Temporal.Instant.compare(Temporal.Instant.from(second), sweepAt) <= 0)
          throw new DemoError(`items ${refs[0]} and ${refs[1]} expire at the same millisecond: one cannot go without the other`);
        const before = await read([system], items[0]);
        const beforeOther = await read([system], items[1]);
        const beforeMain = await read(systems);
        const sweep = await local.runSweep(purpose, sweepAt);
        sweepIds.push(sweep.name);
        if (sweep.status !== 'SUCCEEDED')
          throw new DemoError(`the sweep of ${purpose} ended ${sweep.status} (${sweep.error ?? 'no error name'})`);
        say(`sweep ${sweep.name} of ${purpose} at now = ${now}: ${sweep.status}`);
        const after = await read([system], items[0]);
        const afterOther = await read([system], items[1]);
        const afterMain = await read(systems);
        say(`${refs[0]}: ${describeChange(before[systemId], after[systemId])} (${after[systemId].where})`);
        say(`${refs[1]}: ${describeChange(beforeOther[systemId], afterOther[systemId])} (${afterOther[systemId].where})`);
        if (sameData(before[systemId], after[systemId])) throw new DemoError(`the sweep left item ${refs[0]} as it was`);
        if (!sameData(beforeOther[systemId], afterOther[systemId]))
          throw new DemoError(`the sweep of item ${refs[0]} changed item ${refs[1]}`);
        // Her records must not change; a restriction mark may go, when the sweep's clock is past the restriction's
        // until (the sweep lifts a restriction that has ended).
        const changedMain = systems
          .filter((s) => !sameData(withoutMarks(beforeMain[s.id], s), withoutMarks(afterMain[s.id], s)))
          .map((s) => s.id);
        if (changedMain.length > 0) throw new DemoError(`the sweep of item ${refs[0]} changed her records in ${changedMain.join(', ')}`);
        const lifted = systems.filter((s) => !sameData(beforeMain[s.id], afterMain[s.id])).map((s) => s.id);
        say(`her own records: unchanged in all ${systems.length} systems`);
        if (lifted.length > 0) say(`(the restriction mark went in ${lifted.join(', ')}: the sweep's now is past the restriction's until)`);
        return { purpose, system: systemId, erased: refs[0], kept: refs[1], sweptAt: now, sweepId: sweep.name };
      });
    }
  }

  return { subjectId: id, ...report, requestIds, sweepIds };
}
