/**
 * The GDPR Art. 30(1) record of processing activities, generated from the policy, so that what the DPO
 * files with the supervisory authority is what Lethe enforces (spec 2.6). Every item of Art. 30(1)(a)–(g):
 * the controller with its DPO, representative and joint controllers; per purpose its description, data subjects,
 * data categories (special ones with their Art. 9(2) condition), recipients (every system's processor and the
 * deployment itself), hosting locations and third-country transfers, and the time limit worded with the events'
 * descriptions; the security measures, the controller's and the deployment's. In English or Swedish; rendered
 * as Markdown (a document for the authority), CSV (one row per purpose) or JSON.
 */
import { Temporal } from '@js-temporal/polyfill';
import { stringify } from 'csv-stringify/sync';
import { InputError } from '../core/errors';
import type { LegalBasis, Per, Policy, SpecialCategoryCondition } from '../policy/model';
import { parseLocation } from '../policy/regions';
import { describeTimeLimit, type TimeLimitLang } from '../retention/describe';
import { type RegisterTexts, TEXTS } from './texts';

export const REGISTER_FORMATS = ['md', 'csv', 'json'] as const;
export type RegisterFormat = (typeof REGISTER_FORMATS)[number];

/** The languages the register is written in (`--lang`); further ones are additive. */
export const REGISTER_LANGS = ['en', 'sv'] as const satisfies readonly TimeLimitLang[];
export type RegisterLang = (typeof REGISTER_LANGS)[number];

export interface RegisterOptions {
  /** @default - 'en' */
  readonly lang?: RegisterLang;
  /** The register's date, YYYY-MM-DD. @default - no date line */
  readonly date?: string;
}

export interface RegisterActivity {
  readonly purpose: string;
  /** A short heading: the description up to its first colon or full stop, or the purpose id in words. */
  readonly title: string;
  readonly description: string;
  readonly dataSubjects: readonly string[];
  readonly legalBases: readonly LegalBasis[];
  /** The legal bases, worded in the register's language. */
  readonly legalBasis: string;
  readonly law?: string;
  /** Present where the purpose uses a special category, or names a condition. `text` is undefined when it names none. */
  readonly specialCategoryCondition?: { readonly id?: SpecialCategoryCondition; readonly text?: string };
  readonly categories: readonly { readonly id: string; readonly description?: string; readonly special: boolean }[];
  readonly systems: readonly {
    readonly id: string;
    readonly description?: string;
    readonly location: string;
    readonly processor?: string;
  }[];
  /** Art. 30(1)(d): the policy's recipients, then every processor (the systems', then the deployment's). */
  readonly recipients: readonly string[];
  readonly processors: readonly { readonly name: string; readonly systems: readonly string[]; readonly hostsLethe: boolean }[];
  /** Art. 30(1)(e): every place the purpose's data is held, with what holds it there ("Lethe": the deployment). */
  readonly hostingLocations: readonly { readonly location: string; readonly inEuEea: boolean; readonly holders: readonly string[] }[];
  readonly transfers: readonly { readonly system: string; readonly location: string; readonly safeguard: string }[];
  readonly per: Per;
  /** Art. 30(1)(f), worded in the register's language. */
  readonly retention: string;
  readonly indefinite: boolean;
  readonly onExpiry: string;
  readonly onErasureRequest: string;
  readonly retainReason?: string;
}

export interface Register {
  readonly lang: RegisterLang;
  /** YYYY-MM-DD; absent when the caller gave none. */
  readonly date?: string;
  /** The full SHA-256 (hex) of the policy file. */
  readonly policyHash: string;
  readonly controller: Policy['controller'];
  readonly timezone: string;
  readonly fiscalYearEnd: string;
  readonly deploymentRegions: readonly string[];
  readonly deploymentProcessor: string | null;
  readonly activities: readonly RegisterActivity[];
  /** Art. 30(1)(g): the policy's own measures, and those the deployment provides. */
  readonly security: { readonly controller: readonly string[]; readonly deployment: readonly string[] };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function checkDate(date: string): string {
  if (DATE.test(date)) {
    try {
      return Temporal.PlainDate.from(date, { overflow: 'reject' }).toString();
    } catch {
      // Falls through to the error below.
    }
  }
  throw new InputError(`expected the register's date as YYYY-MM-DD, e.g. 2026-12-04; got "${date}"`, { path: 'date' });
}

const regionNames = (lang: RegisterLang) => new Intl.DisplayNames([lang], { type: 'region', fallback: 'none' });

/** A location in the register's language: "Sverige (eu-north-1)", "United States". */
export function locationText(location: string, lang: RegisterLang): string {
  const parsed = parseLocation(location);
  if (!parsed) return location;
  const t = TEXTS[lang];
  const country = parsed.country === 'EU' ? t.europeanUnion : parsed.country ? regionNames(lang).of(parsed.country) : undefined;
  return parsed.kind === 'region' ? `${country ?? t.unknownCountry} (${parsed.region})` : (country ?? location);
}

/** The description up to its first colon or sentence end, when that makes a heading; else the purpose id in words. */
function titleOf(description: string | undefined, id: string): string {
  // A colon, a semicolon or a full stop before a capital ends the heading ("e.g. invoices" does not).
  const head =
    description
      ?.replace(/\s+/g, ' ')
      .split(/:\s|;\s|\.\s+(?=\p{Lu})|\.$/u)[0]
      .trim() ?? '';
  if (head.length > 0 && head.length <= 90) return head;
  const words = id.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function buildRegister(policy: Policy, policyHash: string, options: RegisterOptions = {}): Register {
  const lang = options.lang ?? 'en';
  if (!(REGISTER_LANGS as readonly string[]).includes(lang)) {
    throw new InputError(`expected the register's language to be one of ${REGISTER_LANGS.join(', ')}; got "${String(lang)}"`, {
      path: 'lang',
    });
  }
  const date = options.date === undefined ? undefined : checkDate(options.date);
  const t = TEXTS[lang];
  const regions = policy.deployment.regions;
  const regionsText = regions.map((r) => locationText(r, lang)).join(', ');
  const activities = Object.values(policy.purposes).map((p): RegisterActivity => {
    const systems = p.systems.map((id) => policy.systems[id]);
    const categories = p.categories.map((id) => ({
      id,
      description: policy.categories[id]?.description,
      special: policy.categories[id]?.special ?? false,
    }));

    // (d) processors: one entry per vendor, with the systems it operates; then the deployment itself.
    const byProcessor = new Map<string, string[]>();
    for (const s of systems) if (s.processor) byProcessor.set(s.processor, [...(byProcessor.get(s.processor) ?? []), s.id]);
    const processors = [...byProcessor].map(([name, ids]) => ({ name, systems: ids, hostsLethe: false }));
    if (policy.deployment.processor !== null) processors.push({ name: policy.deployment.processor, systems: [], hostsLethe: true });

    // (e) every location of the purpose's systems, and the deployment regions (Lethe holds the ledger of holdings).
    const holders = new Map<string, string[]>();
    for (const s of systems) holders.set(s.location, [...(holders.get(s.location) ?? []), s.id]);
    for (const r of regions) holders.set(r, [...(holders.get(r) ?? []), t.lethe]);
    const hostingLocations = [...holders].map(([location, ids]) => ({
      location: locationText(location, lang),
      inEuEea: parseLocation(location)?.inEuEea ?? false,
      holders: ids,
    }));
    const transfers = [
      ...systems
        .filter((s) => parseLocation(s.location)?.inEuEea === false)
        .map((s) => ({ system: s.id, location: locationText(s.location, lang), safeguard: s.transferSafeguard ?? t.notStated })),
      // Regions outside the EU/EEA are admitted only in adequacy countries (allowAdequacyRegions).
      ...regions
        .filter((r) => parseLocation(r)?.inEuEea === false)
        .map((r) => ({ system: t.lethe, location: locationText(r, lang), safeguard: t.adequacy })),
    ];

    const usesSpecial = categories.some((c) => c.special);
    const condition = p.specialCategoryCondition;
    return {
      purpose: p.id,
      title: titleOf(p.description, p.id),
      description: p.description ?? p.id,
      dataSubjects: p.dataSubjects,
      legalBases: p.legalBases,
      legalBasis: p.legalBases.map((b) => t.legalBases[b]).join('; '),
      law: p.law,
      specialCategoryCondition:
        usesSpecial || condition ? { id: condition, text: condition ? t.conditions[condition] : undefined } : undefined,
      categories,
      systems: systems.map((s) => ({
        id: s.id,
        description: s.description,
        location: locationText(s.location, lang),
        processor: s.processor,
      })),
      recipients: [
        ...p.recipients,
        ...processors.map((x) => `${x.name} (${x.hostsLethe ? t.deploymentProcessor(regionsText) : t.systemProcessor(x.systems)})`),
      ],
      processors,
      hostingLocations,
      transfers,
      per: p.per,
      retention: describeTimeLimit(p.retention, p.per, { lang, eventDescriptions: policy.eventDescriptions }),
      indefinite: p.retention.cases.every((c) => c.rule.kind === 'indefinite'),
      onExpiry: t.then[p.onExpiry],
      onErasureRequest: t.erasure[p.onErasureRequest],
      retainReason: p.onErasureRequest === 'retain' ? p.retainReason : undefined,
    };
  });
  return {
    lang,
    date,
    policyHash,
    controller: policy.controller,
    timezone: policy.timezone,
    fiscalYearEnd: policy.fiscalYearEnd,
    deploymentRegions: regions,
    deploymentProcessor: policy.deployment.processor,
    activities,
    security: { controller: policy.security, deployment: t.deploymentSecurity(regionsText) },
  };
}

export function renderRegister(register: Register, format: RegisterFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(register, null, 2)}\n`;
    case 'csv':
      return renderCsv(register);
    case 'md':
      return renderMarkdown(register);
  }
}

type Activity = RegisterActivity;

const categoryText = (c: Activity['categories'][number], t: RegisterTexts): string =>
  `${c.description ? `${c.id} (${c.description})` : c.id}${c.special ? ` — ${t.specialCategory}` : ''}`;
const systemText = (s: Activity['systems'][number], t: RegisterTexts): string =>
  `${s.id}${s.description ? ` (${s.description})` : ''}, ${s.location}${s.processor ? `, ${t.operatedBy(s.processor)}` : ''}`;
const transferText = (x: Activity['transfers'][number]): string => `${x.system} → ${x.location}: ${x.safeguard}`;
const hostingText = (h: Activity['hostingLocations'][number]): string => `${h.location}: ${h.holders.join(', ')}`;
const orNone = (items: readonly string[], none: string): string => (items.length === 0 ? none : items.join('; '));
const conditionText = (a: Activity, t: RegisterTexts): string => a.specialCategoryCondition?.text ?? t.notStated;
const legalBasisText = (a: Activity): string => (a.law ? `${a.legalBasis}: ${a.law}` : a.legalBasis);
const timeLimitText = (a: Activity): string => (a.indefinite ? a.retention : `${a.retention}; ${a.onExpiry}`);
const erasureText = (a: Activity): string => (a.retainReason ? `${a.onErasureRequest}: ${a.retainReason}` : a.onErasureRequest);

function renderCsv(register: Register): string {
  const t = TEXTS[register.lang];
  const rows = register.activities.map((a) => [
    a.purpose,
    a.description,
    a.dataSubjects.join('; '),
    a.legalBasis,
    a.law ?? '',
    a.specialCategoryCondition ? conditionText(a, t) : '',
    a.categories.map((c) => c.id).join('; '),
    a.categories
      .filter((c) => c.special)
      .map((c) => c.id)
      .join('; '),
    a.systems.map((s) => systemText(s, t)).join('; '),
    a.recipients.join('; '),
    a.hostingLocations.map(hostingText).join('; '),
    a.transfers.map(transferText).join('; '),
    a.retention,
    a.indefinite ? '' : a.onExpiry,
    a.onErasureRequest,
    a.retainReason ?? '',
  ]);
  return stringify([t.csvHeader, ...rows]);
}

/** Escapes text for a Markdown table cell. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** "07-31" → "1 August to 31 July" (the fiscal year that ends on that day), in the register's language. */
function fiscalYearText(fiscalYearEnd: string, lang: RegisterLang): string {
  const t = TEXTS[lang];
  if (fiscalYearEnd === '12-31') return t.calendarYear;
  const [month, day] = fiscalYearEnd.split('-').map(Number);
  const end = Temporal.PlainDate.from({ year: 2023, month, day }, { overflow: 'constrain' });
  const start = end.add({ days: 1 });
  const words = (d: Temporal.PlainDate) => d.toLocaleString(lang === 'en' ? 'en-GB' : lang, { day: 'numeric', month: 'long' });
  return t.fiscalYearSpan(words(start), words(end));
}

function renderMarkdown(register: Register): string {
  const { controller } = register;
  const t = TEXTS[register.lang];
  const out: string[] = [];
  out.push(`# ${t.title}`, '');
  out.push(t.intro(controller.name), '');

  // (a) the controller
  out.push(`## ${t.controllerHeading}`, '');
  out.push(`| | |`, `|---|---|`);
  out.push(`| ${t.name} | ${cell(controller.name)} |`);
  if (controller.id) out.push(`| ${t.organisationNumber} | ${cell(controller.id)} |`);
  out.push(`| ${t.contact} | ${cell(controller.contact)} |`);
  const dpo = controller.dpo ? [controller.dpo.name, controller.dpo.contact].filter(Boolean).join(', ') : t.noDpo;
  out.push(`| ${t.dpo} | ${cell(dpo)} |`);
  const representative = controller.representative
    ? `${controller.representative.name}, ${controller.representative.contact}`
    : t.noneNamed;
  out.push(`| ${t.representative} | ${cell(representative)} |`);
  out.push(
    `| ${t.jointControllers} | ${cell(
      orNone(
        controller.jointControllers.map((j) => j.name),
        t.none,
      ),
    )} |`,
  );
  if (controller.supervisoryAuthority) out.push(`| ${t.supervisoryAuthority} | ${cell(controller.supervisoryAuthority)} |`);
  out.push('');
  if (controller.jointControllers.length > 0) {
    out.push(`### ${t.jointControllersHeading}`, '');
    for (const j of controller.jointControllers) out.push(`- **${j.name}** (${j.contact}): ${j.responsibility}`);
    out.push('');
  }

  out.push(`## ${t.summaryHeading}`, '');
  out.push(`| ${t.number} | ${t.purpose} | ${t.legalBasis} | ${t.timeLimit} | ${t.transfers} |`, `|---|---|---|---|---|`);
  for (const [i, a] of register.activities.entries()) {
    out.push(
      `| ${i + 1} | ${cell(a.title)} | ${cell(a.legalBasis)} | ${cell(a.retention)} | ${cell(orNone(a.transfers.map(transferText), t.noTransfers))} |`,
    );
  }
  out.push('');

  // (b)–(f) per processing activity
  out.push(`## ${t.activitiesHeading}`, '');
  register.activities.forEach((a, i) => {
    out.push(`### ${i + 1}. ${a.title} (\`${a.purpose}\`)`, '');
    out.push(`| ${t.articleColumn} | ${t.itemColumn} | ${t.entryColumn} |`, `|---|---|---|`);
    const row = (article: string, item: string, entry: string) => out.push(`| ${article} | ${item} | ${cell(entry)} |`);
    row('(b)', t.purpose, a.description);
    row('', t.legalBasis, legalBasisText(a));
    if (a.specialCategoryCondition) row('', t.specialCondition, conditionText(a, t));
    row('(c)', t.dataSubjects, orNone(a.dataSubjects, t.notStated));
    row('(c)', t.dataCategories, a.categories.map((c) => categoryText(c, t)).join('; '));
    row('(d)', t.recipients, orNone(a.recipients, t.none));
    row('(e)', t.transfers, orNone(a.transfers.map(transferText), t.noTransfers));
    row('(e)', t.hostingLocations, a.hostingLocations.map(hostingText).join('; '));
    row('', t.systems, a.systems.map((s) => systemText(s, t)).join('; '));
    row('(f)', t.timeLimit, timeLimitText(a));
    row('', t.onErasureRequest, erasureText(a));
    out.push('');
  });
  if (register.activities.some((a) => a.categories.some((c) => c.special))) out.push(t.specialNote, '');

  // (g) security
  out.push(`## ${t.securityHeading}`, '');
  out.push(t.securityIntro, '');
  out.push(`### ${t.controllerMeasures}`, '');
  if (register.security.controller.length === 0) out.push(t.notStated);
  for (const m of register.security.controller) out.push(`- ${m}`);
  out.push('');
  out.push(`### ${t.deploymentMeasures}`, '');
  for (const m of register.security.deployment) out.push(`- ${m}`);
  out.push('');

  out.push(`## ${t.aboutHeading}`, '');
  out.push(`| | |`, `|---|---|`);
  if (register.date) out.push(`| ${t.date} | ${register.date} |`);
  out.push(`| ${t.policyHash} | \`${register.policyHash}\` |`);
  out.push(`| ${t.timezone} | ${cell(register.timezone)} |`);
  out.push(`| ${t.fiscalYear} | ${fiscalYearText(register.fiscalYearEnd, register.lang)} |`);
  out.push('');
  out.push(t.generated, '');
  if (t.descriptionsNote) out.push(t.descriptionsNote, '');
  return out.join('\n');
}
